"""Connection settings for the command line: environment variables, TOML profiles and emulator configs.

Settings are assembled from layers; a later layer overrides an earlier one, key by key:

1. a named profile in the TOML file (``--profile``, ``NETSUITE_PROFILE``, else ``default`` when present);
2. environment variables ``NETSUITE_<KEY>`` (for example ``NETSUITE_ACCOUNT``, ``NETSUITE_TOKEN_SECRET``);
3. the JSON written by ``netsuite-async emulator serve --write-config`` (``--emulator-config``);
4. explicit command-line options (``--account``, ``--base-url``, ``--concurrency``, ``--auth``, ``--date-format``).

``date_format`` is the account's date format preference (``M/D/YYYY``, ``D/M/YYYY`` or ``YYYY-MM-DD``) used to
write dates in record filters; ``dialect`` names a file written by ``netsuite-async probe --out`` and supplies
the date format when ``date_format`` is not set.

The TOML file lives at ``$NETSUITE_CONFIG``, else ``$XDG_CONFIG_HOME/netsuite-async/config.toml``, else
``~/.config/netsuite-async/config.toml``. Each top-level table is a profile:
```toml
[default]
account = "1234567_SB1"
consumer_key = "..."
consumer_secret_env = "MY_VAULT_EXPORTED_SECRET"   # read the value from this environment variable
token_id = "..."
token_secret_env = "MY_TOKEN_SECRET"

[production]
account = "1234567"
client_id = "..."
certificate_id = "..."
private_key_file = "~/.config/netsuite-async/prod.pem"
```

Any key may be given as ``<key>_env`` to name an environment variable holding the value, so secrets need not
live in the file. Unknown keys are refused (a typo must not silently drop a credential).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import click

from netsuite_async._checks import is_int

__all__ = [
    "AUTH_KINDS",
    "ConfigError",
    "Settings",
    "default_config_path",
    "load_settings",
]

AUTH_KINDS = ("tba", "m2m", "code", "bearer")

#: Keys whose values are secrets: never printed, masked in repr.
SECRET_KEYS = frozenset(
    {
        "consumer_secret",
        "token_secret",
        "private_key",
        "private_key_passphrase",
        "client_secret",
        "auth_code_client_secret",
        "access_token",
    }
)


class ConfigError(click.ClickException):
    """The command-line configuration or input is missing, unreadable or inconsistent (exit code 2).

    Examples:
        >>> raise ConfigError("no account configured")
        Traceback (most recent call last):
        ...
        netsuite_async.cli.config.ConfigError: no account configured
    """

    exit_code = 2


def _mask(value: str | None) -> str | None:
    if value is None:
        return None
    return "***"


@dataclass(frozen=True)
class Settings:
    """Everything the CLI needs to open a `NetSuiteClient`.

    Secrets are kept as plain strings (the auth providers need them) but never shown: ``repr`` and
    `describe` mask them.

    Examples:
        >>> s = Settings(account="1234567_SB1", token_id="t", token_secret="very-secret")
        >>> "very-secret" in repr(s)
        False
        >>> s.describe()["token_secret"]
        '***'
    """

    account: str | None = None
    base_url: str | None = None
    restlet_base_url: str | None = None
    concurrency: str | None = None
    auth: str | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = None
    token_id: str | None = None
    token_secret: str | None = None
    client_id: str | None = None
    certificate_id: str | None = None
    private_key: str | None = field(default=None)
    private_key_file: str | None = None
    private_key_passphrase: str | None = None
    scopes: str | None = None
    client_secret: str | None = None
    auth_code_client_id: str | None = None
    auth_code_client_secret: str | None = None
    redirect_uri: str | None = None
    token_store: str | None = None
    access_token: str | None = None
    date_format: str | None = None
    dialect: str | None = None
    sources: tuple[str, ...] = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.describe().items() if v is not None)
        return f"Settings({shown})"

    __str__ = __repr__

    def describe(self) -> dict[str, Any]:
        """A printable view of the settings: secrets replaced by ``***``.

        Examples:
            >>> Settings(account="1", access_token="abc").describe()["access_token"]
            '***'
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_KEYS:
                value = _mask(value)
            if f.name == "sources":
                value = list(value)
            out[f.name] = value
        return out

    def merged(self, layer: Mapping[str, str | None], source: str) -> Settings:
        """Return a copy with the non-empty values of ``layer`` applied on top.

        Examples:
            >>> Settings(account="1").merged({"account": "2"}, "cli").account
            '2'
        """
        changes = {k: v for k, v in layer.items() if v not in (None, "")}
        if not changes:
            return self
        return replace(self, **changes, sources=(*self.sources, source))

    def auth_kind(self) -> str:
        """Which kind of credentials these settings carry: ``tba``, ``m2m`` or ``bearer``.

        An explicit ``auth`` setting wins; otherwise the first complete set in the order TBA, M2M, bearer.

        Examples:
            >>> Settings(access_token="x").auth_kind()
            'bearer'
        """
        if self.auth is not None:
            kind = self.auth.lower()
            if kind not in AUTH_KINDS:
                raise ConfigError(f"unknown auth kind {self.auth!r}: expected one of {', '.join(AUTH_KINDS)}")
            return kind
        if self._has_tba():
            return "tba"
        if self._has_m2m():
            return "m2m"
        if self.token_store and self.code_client()[0] and self.code_client()[1] and self.redirect_uri:
            return "code"
        if self.access_token:
            return "bearer"
        self._refuse_partial()
        raise ConfigError(
            "no credentials configured: set NETSUITE_CONSUMER_KEY, NETSUITE_CONSUMER_SECRET, NETSUITE_TOKEN_ID and "
            "NETSUITE_TOKEN_SECRET (token-based auth), or NETSUITE_CLIENT_ID, NETSUITE_CERTIFICATE_ID and "
            "NETSUITE_PRIVATE_KEY[_FILE] (OAuth 2.0 machine to machine), or NETSUITE_ACCESS_TOKEN, or "
            "NETSUITE_TOKEN_STORE after `netsuite-async auth exchange` (authorization code); or use a "
            "profile (--profile) or --emulator-config. `netsuite-async demo` needs no credentials."
        )

    def code_client(self) -> tuple[str | None, str | None]:
        """The authorization-code client's id and secret (``auth_code_client_*``, else ``client_id``/``_secret``).

        Examples:
            >>> Settings(auth_code_client_id="a", client_secret="s").code_client()
            ('a', 's')
        """
        return (self.auth_code_client_id or self.client_id, self.auth_code_client_secret or self.client_secret)

    def _refuse_partial(self) -> None:
        """A half-configured credential set is a typo or a missing export: name what is missing."""
        for label, keys in (
            ("token-based auth", ("consumer_key", "consumer_secret", "token_id", "token_secret")),
            ("OAuth 2.0 machine-to-machine auth", ("client_id", "certificate_id", "private_key")),
        ):
            have = [k for k in keys if getattr(self, k) or (k == "private_key" and self.private_key_file)]
            if have and len(have) < len(keys) and not (label.startswith("OAuth") and have == ["client_id"]):
                missing = [k for k in keys if k not in have]
                names = " and ".join(
                    "NETSUITE_PRIVATE_KEY_FILE (or NETSUITE_PRIVATE_KEY)"
                    if k == "private_key"
                    else f"NETSUITE_{k.upper()}"
                    for k in missing
                )
                raise ConfigError(
                    f"{label} is incomplete: set {names} (found {', '.join(f'NETSUITE_{k.upper()}' for k in have)})"
                )

    def _has_tba(self) -> bool:
        return all((self.consumer_key, self.consumer_secret, self.token_id, self.token_secret))

    def _has_m2m(self) -> bool:
        return bool(self.client_id and self.certificate_id and (self.private_key or self.private_key_file))

    def require_account(self) -> str:
        """The configured account id, or a `ConfigError` naming how to set it.

        Examples:
            >>> Settings(account="1234567").require_account()
            '1234567'
        """
        if not self.account:
            raise ConfigError("no account configured: set NETSUITE_ACCOUNT, use --account, or a --profile")
        return self.account

    def read_private_key(self) -> str:
        """The private key PEM, from ``private_key`` or the file named by ``private_key_file``.

        Examples:
            >>> Settings(private_key="-----BEGIN PRIVATE KEY-----...").read_private_key()[:5]
            '-----'
        """
        if self.private_key:
            return self.private_key
        if self.private_key_file:
            path = Path(self.private_key_file).expanduser()
            try:
                return path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot read the private key file {str(path)!r}: {exc.strerror}") from None
        raise ConfigError("no private key configured: set NETSUITE_PRIVATE_KEY or NETSUITE_PRIVATE_KEY_FILE")

    def resolved_date_format(self) -> str | None:
        """The account date format: ``date_format``, else the one in the ``dialect`` file, else None.

        Examples:
            >>> Settings(date_format="d/m/yyyy").resolved_date_format()
            'D/M/YYYY'
        """
        from netsuite_async.records import check_date_format

        if self.date_format:
            try:
                return check_date_format(self.date_format)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if self.dialect:
            from netsuite_async.probe import load_date_format

            try:
                # None when the probe could not measure it: a date filter then raises DateFormatRequiredError.
                return load_date_format(Path(self.dialect).expanduser())
            except ValueError as exc:
                raise ConfigError(f"dialect: {exc}") from None
        return None

    def scope_list(self) -> tuple[str, ...] | None:
        """``scopes`` split on commas and spaces, or None when not set.

        Examples:
            >>> Settings(scopes="rest_webservices, restlets").scope_list()
            ('rest_webservices', 'restlets')
        """
        if not self.scopes:
            return None
        return tuple(s for s in self.scopes.replace(",", " ").split() if s)


SETTING_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings) if f.name != "sources")


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the TOML profiles file is looked for.

    Examples:
        >>> default_config_path({"NETSUITE_CONFIG": "/tmp/ns.toml"})
        PosixPath('/tmp/ns.toml')
    """
    env = os.environ if env is None else env
    if env.get("NETSUITE_CONFIG"):
        return Path(env["NETSUITE_CONFIG"]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "netsuite-async" / "config.toml"


def _load_toml(path: Path) -> dict[str, Any]:
    import tomllib as toml_reader

    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = toml_reader.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError subclasses ValueError
        raise ConfigError(f"{str(path)!r} is not valid TOML: {exc}") from None
    return data


def _profile_layer(table: Mapping[str, Any], name: str, path: Path, env: Mapping[str, str]) -> dict[str, str | None]:
    layer: dict[str, str | None] = {}
    for key, value in table.items():
        target = key[: -len("_env")] if key.endswith("_env") and key[: -len("_env")] in SETTING_KEYS else key
        if target not in SETTING_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in profile [{name}] of {str(path)!r}; known keys: {', '.join(SETTING_KEYS)}"
            )
        if target != key:
            if not isinstance(value, str):
                raise ConfigError(f"{key!r} in profile [{name}] must name an environment variable")
            if value not in env:
                raise ConfigError(f"profile [{name}] reads {target} from ${value}, which is not set in the environment")
            layer[target] = env[value]
            continue
        if not (isinstance(value, str) or is_int(value)):
            raise ConfigError(f"{key!r} in profile [{name}] must be a string or an integer")
        layer[target] = str(value)
    return layer


def _warn_if_exposed(path: Path, layer: Mapping[str, str | None]) -> None:
    if os.name != "posix" or not any(layer.get(k) for k in SECRET_KEYS):
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(
            f"warning: {path} holds secrets and is readable by other users; run: chmod 600 {path}",
            file=sys.stderr,
        )


def _env_layer(env: Mapping[str, str]) -> dict[str, str | None]:
    return {key: env.get(f"NETSUITE_{key.upper()}") for key in SETTING_KEYS}


#: How long a command waits for an ``--emulator-config`` file that does not exist yet: ``emulator serve ... &``
#: followed at once by a command is the quickstart's own usage, and the server needs a moment to start.
EMULATOR_CONFIG_WAIT = 15.0


def wait_for_file(path: Path, timeout: float, *, poll: float = 0.05) -> bool:
    """Wait up to ``timeout`` seconds for ``path`` to exist; True when it does.

    Examples:
        >>> wait_for_file(Path("/nonexistent/emulator.json"), 0.0)
        False
    """
    import time

    deadline = time.monotonic() + timeout
    announced = False
    while not path.exists():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if not announced and timeout > 1:
            print(f"waiting up to {timeout:.0f} s for {path} (written by `emulator serve` once it listens)",
                  file=sys.stderr)
            announced = True
        # A CLI process with nothing else to do: polling a file the server writes atomically is the simple way.
        time.sleep(min(poll, remaining))
    return True


def _emulator_layer(path: Path, wait: float = 0.0) -> dict[str, str | None]:
    if not path.exists() and not wait_for_file(path, wait):
        raise ConfigError(
            f"the emulator config {str(path)!r} does not exist: start the emulator first with "
            f"`netsuite-async emulator serve --write-config {path} &`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the emulator config {str(path)!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"the emulator config {str(path)!r} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"the emulator config {str(path)!r} must hold a JSON object")
    layer: dict[str, str | None] = {k: str(data[k]) for k in SETTING_KEYS if data.get(k) is not None}
    base = data.get("base_url")
    if base:
        # One emulator origin serves every NetSuite host, RESTlets included.
        layer.setdefault("restlet_base_url", str(base))
    if data.get("static_token") and not layer.get("access_token"):
        layer["access_token"] = str(data["static_token"])
    return layer


def load_settings(
    *,
    profile: str | None = None,
    config_path: Path | None = None,
    emulator_config: Path | None = None,
    overrides: Mapping[str, str | None] | None = None,
    env: Mapping[str, str] | None = None,
    emulator_wait: float = 0.0,
) -> Settings:
    """Assemble `Settings` from the profile file, the environment, an emulator config and overrides.

    ``emulator_wait`` is how long to wait for an emulator config file that does not exist yet (the CLI passes
    `EMULATOR_CONFIG_WAIT`).

    Examples:
        >>> s = load_settings(env={"NETSUITE_ACCOUNT": "1234567", "NETSUITE_ACCESS_TOKEN": "x"})
        >>> s.account, s.auth_kind()
        ('1234567', 'bearer')
    """
    env = os.environ if env is None else env
    settings = Settings()
    profile = profile or env.get("NETSUITE_PROFILE") or None
    path = config_path or default_config_path(env)
    if path.exists():
        data = _load_toml(path)
        name = profile or ("default" if "default" in data else None)
        if name is not None:
            table = data.get(name)
            if not isinstance(table, dict):
                known = ", ".join(k for k, v in data.items() if isinstance(v, dict)) or "none"
                raise ConfigError(f"no profile [{name}] in {str(path)!r} (profiles: {known})")
            layer = _profile_layer(table, name, path, env)
            _warn_if_exposed(path, layer)
            settings = settings.merged(layer, f"profile {name} ({path})")
    elif profile is not None:
        raise ConfigError(f"profile {profile!r} requested but {str(path)!r} does not exist")
    settings = settings.merged(_env_layer(env), "environment")
    emulator_config = emulator_config or (
        Path(env["NETSUITE_EMULATOR_CONFIG"]) if env.get("NETSUITE_EMULATOR_CONFIG") else None
    )
    if emulator_config is not None:
        settings = settings.merged(
            _emulator_layer(emulator_config, emulator_wait), f"emulator config ({emulator_config})"
        )
    if overrides:
        settings = settings.merged(overrides, "command line")
    return settings
