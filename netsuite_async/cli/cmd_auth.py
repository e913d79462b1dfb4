"""``netsuite-async auth show|mint|inspect|authorize-url``: credentials without ever printing a secret."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from netsuite_async.cli.config import ConfigError
from netsuite_async.cli.connect import build_auth, build_authorization_code, make_client
from netsuite_async.cli.state import CliState, fail, pass_state, run_async

__all__ = ["auth", "decode_jwt", "fingerprint"]


def fingerprint(secret: str) -> str:
    """A short, non-reversible label for a secret, so two tokens can be told apart without showing either.

    Examples:
        >>> fingerprint("abc")
        'sha256:ba7816bf'
    """
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8]


def _b64url_json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def decode_jwt(token: str) -> dict[str, Any] | None:
    """Header and claims of a JWT (not verified; the signature is never shown), or None for opaque tokens.

    Examples:
        >>> t = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.sig"
        >>> decode_jwt(t)["claims"]
        {'sub': '1'}
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims = _b64url_json(parts[0]), _b64url_json(parts[1])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    out: dict[str, Any] = {"header": header, "claims": claims}
    now = time.time()
    for claim in ("iat", "nbf", "exp"):
        value = claims.get(claim)
        if isinstance(value, (int, float)):
            out[f"{claim}_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
    exp = claims.get("exp")
    if isinstance(exp, (int, float)):
        out["expires_in_seconds"] = int(exp - now)
        out["expired"] = exp <= now
    return out


def describe_token(token: str) -> dict[str, Any]:
    """What may be shown about a token: its length, fingerprint and (for JWTs) header and claims."""
    info: dict[str, Any] = {"length": len(token), "fingerprint": fingerprint(token)}
    decoded = decode_jwt(token)
    if decoded is None:
        info["format"] = "opaque"
    else:
        info["format"] = "JWT"
        info.update(decoded)
    return info


@click.group()
def auth() -> None:
    """Check credentials, mint and inspect OAuth 2.0 tokens, print an authorize URL.

    Secrets (consumer/token secrets, private keys, access and refresh tokens) are never printed; tokens are
    identified by a fingerprint.
    """


@auth.command("show")
@pass_state
def show_cmd(state: CliState) -> None:
    """Show the configuration the other commands would use (secrets masked) and where it came from.

    Exits 2 (after showing what was found) when the configuration has a problem, so scripts can check it.
    """
    settings = state.settings()
    data = settings.describe()
    problem: str | None = None
    try:
        data["auth_kind"] = settings.auth_kind()
        settings.require_account()
    except ConfigError as exc:
        problem = str(exc)
        data["problem"] = problem
    state.output.result({k: v for k, v in data.items() if v not in (None, [], "")})
    if problem is not None:
        fail(state, problem)


async def _mint(state: CliState) -> tuple[str, str]:
    """Sign a throwaway request with the configured provider and take the bearer token it obtained."""
    from netsuite_async.auth.base import AuthRequest

    settings = state.settings()
    kind = settings.auth_kind()
    if kind == "tba":
        raise ConfigError(
            "token-based auth (TBA) has no tokens to mint: each request is signed with the consumer and token "
            "secrets. Use `auth show` to check the configuration, or configure OAuth 2.0 (NETSUITE_CLIENT_ID, "
            "NETSUITE_CERTIFICATE_ID, NETSUITE_PRIVATE_KEY_FILE)."
        )
    provider = build_auth(settings)
    async with make_client(settings) as ns:
        context = _auth_context(ns)
        request = AuthRequest(method="GET", url=context.token_url, headers={})
        await provider.sign(request, context)
    header = request.headers.get("Authorization") or request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ConfigError(f"the {kind} provider did not produce a bearer token")
    return kind, token


def _auth_context(ns: Any) -> Any:
    for name in ("auth_context", "_auth_context"):
        context = getattr(ns, name, None)
        if context is not None:
            return context
    transport = getattr(ns, "transport", None)
    for name in ("auth_context", "context", "_context"):
        context = getattr(transport, name, None)
        if context is not None:
            return context
    raise ConfigError("this client exposes no auth context; cannot mint outside a request")


@auth.command("mint")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="write the access token to this file (mode 0600); it is never printed",
)
@pass_state
def mint_cmd(state: CliState, token_file: Path | None) -> None:
    """Obtain an access token with the configured OAuth 2.0 credentials (checks they work)."""

    async def go() -> tuple[str, str]:
        return await _mint(state)

    kind, token = run_async(state, go)
    info: dict[str, Any] = {"auth_kind": kind, **describe_token(token)}
    if token_file is not None:
        _write_secret(token_file, token)
        info["token_file"] = str(token_file)
    state.output.result(info)


def _write_secret(path: Path, secret: str) -> None:
    path = path.expanduser()
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


@auth.command("inspect")
@click.argument("token", required=False)
@pass_state
def inspect_cmd(state: CliState, token: str | None) -> None:
    """Decode a token's header and claims (TOKEN, '-' for stdin, or mint one with the configured credentials).

    The signature and the token itself are never printed. Claims are shown without verification.
    """
    if token == "-":  # noqa: S105 - stdin marker, not a password
        token = sys.stdin.read().strip()
    elif token is not None and token.startswith("@"):
        token = Path(token[1:]).expanduser().read_text(encoding="utf-8").strip()
    if not token:

        async def go() -> tuple[str, str]:
            return await _mint(state)

        _, token = run_async(state, go)
    state.output.result(describe_token(token))


@auth.command("authorize-url")
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("netsuite-oauth-state.json"),
    show_default=True,
    help="where to keep state and the PKCE verifier (mode 0600) for `auth exchange`",
)
@pass_state
def authorize_url_cmd(state: CliState, state_file: Path) -> None:
    """Print the OAuth 2.0 authorization-code login URL (PKCE S256) to open in a browser.

    \b
    Needs NETSUITE_ACCOUNT, NETSUITE_AUTH_CODE_CLIENT_ID, NETSUITE_AUTH_CODE_CLIENT_SECRET and
    NETSUITE_REDIRECT_URI (or client_id/client_secret). After logging in, NetSuite redirects to the
    redirect URI with ?code=...&state=...; then run:
      NETSUITE_TOKEN_STORE=tokens.json netsuite-async auth exchange --code CODE --state STATE
    """
    settings = state.settings()

    async def go() -> Any:
        provider = build_authorization_code(settings)
        async with make_client(settings, auth=provider) as ns:
            return provider.authorize_url(ns)

    start = run_async(state, go)
    _write_secret(state_file, json.dumps({"state": start.state, "code_verifier": start.code_verifier}))
    state.output.result({"authorize_url": start.url, "state": start.state, "state_file": str(state_file)})


@auth.command("exchange")
@click.argument("code", required=False)
@click.option(
    "--code",
    "code_option",
    help="the code NetSuite sent back (the same as the CODE argument; use this form when the code starts with '-')",
)
@click.option("--state", "oauth_state", required=True, help="the state NetSuite sent back with the code")
@click.option(
    "--state-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("netsuite-oauth-state.json"),
    show_default=True,
)
@pass_state
def exchange_cmd(
    state: CliState, code: str | None, code_option: str | None, oauth_state: str, state_file: Path
) -> None:
    """Trade an authorization code for tokens, kept in NETSUITE_TOKEN_STORE (a 0600 JSON file).

    Later commands use them (and refresh them) when NETSUITE_TOKEN_STORE and the client settings are set.
    A code may begin with '-' (it is random URL-safe text); pass it as `--code CODE` (or after `--`)
    so it is not read as an option.
    """
    if code is not None and code_option is not None and code != code_option:
        raise click.UsageError("give the code once: as the CODE argument or as --code, not two different ones")
    code = code_option if code_option is not None else code
    if not code:
        raise click.UsageError("missing the code: `auth exchange --code CODE --state STATE`")
    settings = state.settings()
    if not settings.token_store:
        raise click.UsageError("set NETSUITE_TOKEN_STORE (or token_store in the profile) to a file for the tokens")
    saved = json.loads(state_file.read_text(encoding="utf-8"))
    if saved.get("state") != oauth_state:
        raise click.UsageError("the state does not match the one issued by `auth authorize-url` (possible CSRF)")

    async def go() -> None:
        provider = build_authorization_code(settings)
        async with make_client(settings, auth=provider) as ns:
            await provider.exchange(code, oauth_state, client=ns, code_verifier=str(saved["code_verifier"]))

    run_async(state, go)
    state_file.unlink(missing_ok=True)
    state.output.result({"stored": True, "token_store": settings.token_store})
