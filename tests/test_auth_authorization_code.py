"""AuthorizationCode (OAuth 2.0 + PKCE), token stores, and the emulator's authorize/token/revoke endpoints."""

from __future__ import annotations

import logging
import os
import stat
import urllib.parse
from pathlib import Path

import pytest
from _auth_harness import MiniEmulator

from netsuite_async import AuthenticationError, NetSuiteClient, ReauthorizationRequired
from netsuite_async.auth import AuthorizationCode, JsonFileTokenStore, MemoryTokenStore, StoredTokens

pytestmark = pytest.mark.anyio


def _provider(emu: MiniEmulator, **kw: object) -> AuthorizationCode:
    c = emu.credentials
    return AuthorizationCode(
        c.auth_code_client_id,
        c.auth_code_client_secret,
        c.redirect_uri,
        clock=emu.now,
        **kw,  # type: ignore[arg-type]
    )


async def _login(emu: MiniEmulator, auth: AuthorizationCode, ns: NetSuiteClient) -> dict[str, str]:
    """Play the browser: follow the authorize URL, read the redirect, hand code and state to exchange()."""
    start = auth.authorize_url(ns)
    async with emu.http() as browser:
        resp = await browser.get(start.url)
    assert resp.status_code == 302
    location = resp.headers["location"]
    assert location.startswith(emu.credentials.redirect_uri + "?")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    await auth.exchange(params["code"], params["state"])
    return params


async def test_authorize_url_carries_pkce_s256_state_and_scopes() -> None:
    emu = MiniEmulator()
    auth = _provider(emu, scopes=["rest_webservices", "restlets"])
    async with emu.client(auth) as ns:
        start = auth.authorize_url(ns)
    url = urllib.parse.urlsplit(start.url)
    q = dict(urllib.parse.parse_qsl(url.query))
    assert url.path == "/app/login/oauth2/authorize.nl"
    assert q["response_type"] == "code"
    assert q["code_challenge_method"] == "S256"
    assert q["scope"] == "rest_webservices restlets"
    assert q["state"] == start.state
    assert 22 <= len(start.state) <= 1024
    assert 43 <= len(start.code_verifier) <= 128
    assert start.code_verifier not in start.url
    assert start.code_verifier not in repr(start)


async def test_login_exchange_and_request_end_to_end_with_redirect_details() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        params = await _login(emu, auth, ns)
        resp = await ns.request("GET", "/record/v1/customer/1")
    assert resp.json()["kind"] == "authorization_code"
    assert {"code", "state", "role", "entity", "company"} <= params.keys()
    assert params["company"] == "1234567_SB1"
    assert await auth.is_authorized(ns)


@pytest.mark.parametrize("public", [False, True], ids=["confidential-keeps", "public-rotates"])
async def test_expired_access_token_is_refreshed_and_the_refresh_token_rotates_only_for_public_clients(
    public: bool,
) -> None:
    emu = MiniEmulator()
    store = MemoryTokenStore()
    c = emu.credentials
    if public:
        auth = AuthorizationCode(c.public_client_id, None, c.redirect_uri, clock=emu.now, store=store)
    else:
        auth = _provider(emu, store=store)
    async with emu.client(auth) as ns:
        await _login(emu, auth, ns)
        key = auth.store_key(ns.auth_context)
        first = await store.get(key)
        for _ in range(3):  # several refreshes: each must find a refresh token NetSuite still accepts
            emu.advance(3600)
            resp = await ns.request("GET", "/record/v1/customer/1")
            assert resp.json()["kind"] == "authorization_code"
        second = await store.get(key)
    assert first is not None
    assert second is not None
    assert second.access_token != first.access_token
    assert second.refresh_expires_at == first.refresh_expires_at  # still seven days from the login
    assert emu.auth.token_requests == {"authorization_code": 1, "refresh_token": 3}
    if public:
        assert second.refresh_token != first.refresh_token  # rotated
        # The old refresh token is dead at the emulator: only the rotated one works.
        assert first.refresh_token not in emu.auth._refresh_tokens
    else:
        assert second.refresh_token == first.refresh_token  # a confidential client keeps its refresh token
    assert second.refresh_token in emu.auth._refresh_tokens


async def test_refresh_token_past_seven_days_raises_reauthorization_required_without_a_request() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        await _login(emu, auth, ns)
        emu.advance(7 * 24 * 3600 + 1)
        before = emu.requests
        with pytest.raises(ReauthorizationRequired) as info:
            await ns.request("GET", "/record/v1/customer/1")
        assert emu.requests == before
        assert isinstance(info.value, AuthenticationError)
        assert "7 days" in str(info.value)
        assert not await auth.is_authorized(ns)


async def test_refresh_token_refused_by_netsuite_raises_reauthorization_required() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        await _login(emu, auth, ns)
        emu.auth._refresh_tokens.clear()
        emu.advance(3600)
        with pytest.raises(ReauthorizationRequired):
            await ns.request("GET", "/record/v1/customer/1")


async def test_revoke_kills_tokens_at_netsuite_and_forgets_them() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        await _login(emu, auth, ns)
        await ns.request("GET", "/record/v1/customer/1")
        await auth.revoke()
        assert not await auth.is_authorized(ns)
        assert emu.auth.issued_access_tokens() == 0
        with pytest.raises(ReauthorizationRequired):
            await ns.request("GET", "/record/v1/customer/1")


async def test_unknown_state_is_refused_before_any_request() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        auth.authorize_url(ns)
        with pytest.raises(ValueError, match="state"):
            await auth.exchange("some-code", "a-state-this-provider-never-issued")
    assert emu.requests == 0


async def test_wrong_pkce_verifier_is_refused_by_the_emulator() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        start = auth.authorize_url(ns)
        async with emu.http() as browser:
            location = (await browser.get(start.url)).headers["location"]
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["code"]
        with pytest.raises(AuthenticationError) as info:
            await auth.exchange(code, start.state, code_verifier="x" * 64)
    assert info.value.error_code == "invalid_grant"
    assert "code_verifier" in (emu.auth.last_failure or "")


async def test_emulator_refuses_plain_pkce_and_short_state() -> None:
    emu = MiniEmulator()
    c = emu.credentials
    base = {
        "response_type": "code",
        "client_id": c.auth_code_client_id,
        "redirect_uri": c.redirect_uri,
        "scope": "rest_webservices",
        "code_challenge": "a" * 43,
    }
    async with emu.http() as browser:
        plain = await browser.get(
            "/app/login/oauth2/authorize.nl", params={**base, "state": "s" * 22, "code_challenge_method": "plain"}
        )
        short = await browser.get(
            "/app/login/oauth2/authorize.nl", params={**base, "state": "s" * 21, "code_challenge_method": "S256"}
        )
        foreign = await browser.get(
            "/app/login/oauth2/authorize.nl",
            params={
                **base,
                "redirect_uri": "https://evil.example/cb",
                "state": "s" * 22,
                "code_challenge_method": "S256",
            },
        )
    assert "error=invalid_request" in plain.headers["location"]
    assert "error=invalid_request" in short.headers["location"]
    assert foreign.status_code == 400
    assert "location" not in foreign.headers


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"client_id": ""}, ValueError),
        ({"client_secret": " "}, ValueError),
        ({"redirect_uri": "/callback"}, ValueError),
        ({"redirect_uri": "ftp://x/cb"}, ValueError),
        ({"redirect_uri": "http://app.example/cb"}, ValueError),
        ({"redirect_uri": "http://localhost:8000/callback"}, ValueError),
        ({"redirect_uri": "http://127.0.0.1/callback"}, ValueError),
        ({"redirect_uri": "https://a.example/cb#frag"}, ValueError),
        ({"redirect_uri": "https:///cb"}, ValueError),
        ({"redirect_uri": "javascript:alert(1)"}, ValueError),
        ({"redirect_uri": "myapp:"}, ValueError),
        ({"scopes": ["nope"]}, ValueError),
        ({"client_id": 5}, TypeError),
    ],
)
def test_bad_inputs_raise_at_construction(kwargs: dict[str, object], exc: type[Exception]) -> None:
    args: dict[str, object] = {"client_id": "cid", "client_secret": "sec", "redirect_uri": "https://a.example/cb"}
    args.update(kwargs)
    with pytest.raises(exc):
        AuthorizationCode(**args)  # type: ignore[arg-type]


def test_state_outside_22_to_1024_chars_is_refused() -> None:
    auth = AuthorizationCode("cid", "sec", "https://a.example/cb")
    auth.bind(NetSuiteClient("123", auth=auth))
    for bad in ("x" * 21, "x" * 1025):
        with pytest.raises(ValueError, match="22 to 1024"):
            auth.authorize_url(state=bad)
    assert auth.authorize_url(state="y" * 22).state == "y" * 22


async def test_json_file_store_is_0600_and_survives_a_restart(tmp_path: Path) -> None:
    emu = MiniEmulator()
    path = tmp_path / "sub" / "tokens.json"
    auth = _provider(emu, store=JsonFileTokenStore(path))
    async with emu.client(auth) as ns:
        await _login(emu, auth, ns)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A new process: a new provider reading the same file is authorized without logging in again.
    auth2 = _provider(emu, store=JsonFileTokenStore(path))
    async with emu.client(auth2) as ns2:
        assert (await ns2.request("GET", "/record/v1/customer/1")).json()["kind"] == "authorization_code"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_json_file_store_refuses_a_file_readable_by_others(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = JsonFileTokenStore(path)
    await store.set("k", StoredTokens("a", 1.0, "r", 2.0, ("rest_webservices",)))
    assert await store.get("k") == StoredTokens("a", 1.0, "r", 2.0, ("rest_webservices",))
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        await store.get("k")


async def test_secrets_never_in_repr_str_logs_or_errors(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    emu = MiniEmulator()
    store = MemoryTokenStore()
    auth = _provider(emu, store=store)
    async with emu.client(auth) as ns:
        await _login(emu, auth, ns)
        tokens = await store.get(auth.store_key(ns.auth_context))
        emu.advance(8 * 24 * 3600)
        with pytest.raises(ReauthorizationRequired) as info:
            await ns.request("GET", "/record/v1/customer/1")
    assert tokens is not None
    assert tokens.refresh_token is not None
    texts = repr(auth) + str(auth) + repr(tokens) + str(tokens) + caplog.text + str(info.value) + repr(store)
    for secret in (emu.credentials.auth_code_client_secret, tokens.access_token, tokens.refresh_token):
        assert secret not in texts
