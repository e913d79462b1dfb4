"""Turn CLI `Settings` into an auth provider and a connected client."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netsuite_async.cli.config import ConfigError, Settings

if TYPE_CHECKING:
    from netsuite_async.auth.authorization_code import AuthorizationCode
    from netsuite_async.auth.base import TokenProvider
    from netsuite_async.client import NetSuiteClient
    from netsuite_async.governor import ServiceTier

__all__ = ["AgentOptions", "agent_options", "build_auth", "build_authorization_code", "make_client",
           "parse_concurrency"]


@dataclass(frozen=True)
class AgentOptions:
    """The global ``--agent``, ``--policy`` and ``--audit`` options, applied to every client the CLI opens.

    Examples:
        >>> AgentOptions(agent="support-bot", policy="policy.toml").agent
        'support-bot'
    """

    agent: str | None = None
    policy: str | None = None
    audit: str | None = None


#: Set by the command group for one invocation; read by :func:`make_client`.
agent_options: ContextVar[AgentOptions | None] = ContextVar("netsuite_async_cli_agent_options", default=None)


def _agent_kwargs(options: AgentOptions) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if options.agent and not options.policy:
        raise ConfigError("--agent needs --policy FILE (or NETSUITE_POLICY): the TOML file that defines the agent")
    if options.policy:
        from netsuite_async.policy import AccessPolicy

        try:
            kwargs["policy"] = AccessPolicy.from_toml(options.policy)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"policy: {exc}") from None
        if options.agent and options.agent not in kwargs["policy"]:
            raise ConfigError(f"unknown agent {options.agent!r}; {options.policy} defines: "
                              f"{', '.join(kwargs['policy'].agents) or '(no agent)'}")
    if options.audit:
        from netsuite_async.audit import AuditLog

        try:
            kwargs["audit"] = AuditLog.jsonl(options.audit)
        except OSError as exc:
            raise ConfigError(f"audit log {options.audit}: {exc}") from None
    return kwargs


def parse_concurrency(value: str | None) -> int | str | ServiceTier | None:
    """Parse ``--concurrency``: an int, ``auto``, or a tier name with optional licences (``premium+2``).

    Examples:
        >>> parse_concurrency("15")
        15
        >>> parse_concurrency("auto")
        'auto'
        >>> parse_concurrency("premium+2").limit
        35
    """
    if value is None or value == "":
        return None
    text = value.strip().lower()
    if text.isdigit():
        number = int(text)
        if number < 1:
            raise ConfigError("concurrency must be at least 1")
        return number
    if text == "auto":
        return "auto"
    from netsuite_async.governor import ServiceTier

    name, _, licences = text.partition("+")
    try:
        tier = ServiceTier.from_name(name)
        if licences:
            tier = tier.with_suitecloud_plus(int(licences))
    except (ValueError, KeyError):
        raise ConfigError(
            f"bad concurrency {value!r}: use a number, 'auto', or a service tier such as 'standard', 'premium', "
            "'enterprise', 'ultimate', optionally with SuiteCloud Plus licences ('premium+2')"
        ) from None
    return tier


def build_auth(settings: Settings) -> TokenProvider:
    """Make the token provider the settings describe (see `Settings.auth_kind`).

    Examples:
        >>> build_auth(Settings(access_token="x"))  # doctest: +ELLIPSIS
        BearerToken(...)
    """
    kind = settings.auth_kind()
    if kind == "bearer":
        from netsuite_async.auth.bearer import BearerToken

        if not settings.access_token:
            raise ConfigError("auth 'bearer' needs NETSUITE_ACCESS_TOKEN")
        return BearerToken(settings.access_token)
    if kind == "tba":
        missing = [
            f"NETSUITE_{k.upper()}"
            for k in ("consumer_key", "consumer_secret", "token_id", "token_secret")
            if not getattr(settings, k)
        ]
        if missing:
            raise ConfigError(f"token-based auth needs {', '.join(missing)}")
        from netsuite_async.auth.tba import TokenAuth

        return TokenAuth(
            consumer_key=str(settings.consumer_key),
            consumer_secret=str(settings.consumer_secret),
            token_id=str(settings.token_id),
            token_secret=str(settings.token_secret),
        )
    if kind == "code":
        return build_authorization_code(settings)
    missing = [f"NETSUITE_{k.upper()}" for k in ("client_id", "certificate_id") if not getattr(settings, k)]
    if missing:
        raise ConfigError(f"OAuth 2.0 machine-to-machine auth needs {', '.join(missing)}")
    from netsuite_async.auth.client_credentials import ClientCredentials

    kwargs: dict[str, Any] = {}
    scopes = settings.scope_list()
    if scopes:
        kwargs["scopes"] = scopes
    if settings.private_key_passphrase:
        kwargs["passphrase"] = settings.private_key_passphrase
    return ClientCredentials(
        client_id=str(settings.client_id),
        certificate_id=str(settings.certificate_id),
        private_key=settings.read_private_key(),
        **kwargs,
    )


def build_authorization_code(settings: Settings) -> AuthorizationCode:
    """The authorization-code provider; tokens live in the JSON store named by ``token_store`` (mode 0600).

    Examples:
        >>> s = Settings(auth_code_client_id="c", auth_code_client_secret="s", redirect_uri="https://localhost/cb")
        >>> build_authorization_code(s)  # doctest: +ELLIPSIS
        AuthorizationCode(...)
    """
    from netsuite_async.auth.authorization_code import AuthorizationCode
    from netsuite_async.auth.stores import JsonFileTokenStore, MemoryTokenStore

    client_id, client_secret = settings.code_client()
    if not client_id or not client_secret or not settings.redirect_uri:
        raise ConfigError(
            "the authorization-code flow needs NETSUITE_AUTH_CODE_CLIENT_ID (or NETSUITE_CLIENT_ID), "
            "NETSUITE_AUTH_CODE_CLIENT_SECRET (or NETSUITE_CLIENT_SECRET) and NETSUITE_REDIRECT_URI"
        )
    kwargs: dict[str, Any] = {}
    scopes = settings.scope_list()
    if scopes:
        kwargs["scopes"] = scopes
    store = JsonFileTokenStore(settings.token_store) if settings.token_store else MemoryTokenStore()
    return AuthorizationCode(client_id, client_secret, settings.redirect_uri, store=store, **kwargs)


def make_client(settings: Settings, auth: TokenProvider | None = None, **extra: Any) -> NetSuiteClient:
    """Build a `NetSuiteClient` from settings; use it with ``async with``.

    Examples:
        >>> client = make_client(Settings(account="1234567", access_token="x"))  # doctest: +SKIP
    """
    from netsuite_async.client import NetSuiteClient

    kwargs: dict[str, Any] = {}
    concurrency = parse_concurrency(settings.concurrency)
    if concurrency is not None:
        kwargs["concurrency"] = concurrency
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    if settings.restlet_base_url:
        kwargs["restlet_base_url"] = settings.restlet_base_url
    options = agent_options.get() or AgentOptions()
    kwargs.update(_agent_kwargs(options))
    date_format = settings.resolved_date_format()
    if date_format is not None:
        kwargs["date_format"] = date_format
    kwargs.update(extra)
    client = NetSuiteClient(settings.require_account(), auth if auth is not None else build_auth(settings), **kwargs)
    if options.agent:
        from netsuite_async.agent import restrict_to_agent

        restrict_to_agent(client, options.agent)
    return client
