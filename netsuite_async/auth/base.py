"""The seam between the transport and authentication: `TokenProvider` and what it is given."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from netsuite_async.account import Account

__all__ = ["AuthContext", "AuthRequest", "TokenProvider", "TokenResponse"]


@dataclass
class AuthRequest:
    """The outgoing request as a provider sees it: it adds what authenticates it to ``headers``.

    ``url`` is absolute and carries the query string exactly as it will be sent (TBA signs every query
    parameter). The body is not shown: NetSuite does not sign JSON bodies.

    Examples:
        >>> req = AuthRequest("GET", "https://x.test/services/rest/record/v1/customer/1", {})
        >>> req.headers["Authorization"] = "Bearer abc"
    """

    method: str
    url: str
    headers: MutableMapping[str, str]

    def __repr__(self) -> str:
        # Header values are credentials once a provider has signed: show the names only.
        return f"AuthRequest(method={self.method!r}, url={self.url.split('?')[0]!r}, headers={sorted(self.headers)!r})"


@dataclass(frozen=True)
class TokenResponse:
    """What a token endpoint answered (see `AuthContext.post_form`).

    Examples:
        >>> TokenResponse(200, {"access_token": "…", "expires_in": 3600}, "").json["expires_in"]
        3600
    """

    status_code: int
    json: Any
    text: str = field(repr=False, default="")


PostForm = Callable[[str, Mapping[str, str], Mapping[str, str] | None], Awaitable[TokenResponse]]


@dataclass(frozen=True)
class AuthContext:
    """What a provider may use besides the request: the account, OAuth URLs, and an HTTP helper.

    ``post_form`` sends a form POST (to the token or revoke endpoint) outside the concurrency governor, so a slow
    token endpoint cannot hold slots that other requests wait for, but with the client's retry policy, deadline,
    timeouts and typed errors (a 5xx or a network failure is retried, then raised as ``ServerError`` /
    ``TransportError``; only an OAuth error answer, 400/401 with a JSON body, comes back for the provider to read).

    ``post_form`` is the seam through which auth reaches the network: the `Transport` a context is given to fills
    it with its own ``token_form`` when it was made with ``post_form=None`` (as ``NetSuiteClient`` does), so a
    provider never calls back into the client. Any other ``PostForm`` callable may be passed instead (tests do).

    Examples:
        >>> ctx = AuthContext.for_base(Account.parse("123"), "https://123.suitetalk.api.netsuite.com",
        ...                            "https://123.app.netsuite.com", post_form=None)
        >>> ctx.token_url
        'https://123.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token'
    """

    account: Account
    token_url: str
    revoke_url: str
    authorize_url: str
    _post_form: PostForm | None = field(default=None, repr=False)

    @classmethod
    def for_base(
        cls, account: Account, rest_base_url: str, app_base_url: str, *, post_form: PostForm | None
    ) -> AuthContext:
        """Derive the OAuth URLs from the REST host root and the UI host root."""
        rest = rest_base_url.rstrip("/")
        return cls(
            account=account,
            token_url=f"{rest}/services/rest/auth/oauth2/v1/token",
            revoke_url=f"{rest}/services/rest/auth/oauth2/v1/revoke",
            authorize_url=f"{app_base_url.rstrip('/')}/app/login/oauth2/authorize.nl",
            _post_form=post_form,
        )

    async def post_form(
        self, url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> TokenResponse:
        """POST ``data`` form-encoded to ``url`` (not under the governor) and return status and parsed JSON.

        Returns 2xx answers and OAuth error answers (400/401 with a JSON body); raises the typed error, after the
        retry policy's retries, for anything else (5xx, 429, network failures, timeouts, other statuses).
        """
        if self._post_form is None:
            raise RuntimeError("this AuthContext has no HTTP client (it is not bound to a NetSuiteClient)")
        return await self._post_form(url, data, headers)


@runtime_checkable
class TokenProvider(Protocol):
    """Authenticates each outgoing attempt. Implement it to bring your own credentials (e.g. from a vault).

    ``sign`` is called once per HTTP attempt (TBA needs a fresh nonce every time; OAuth 2.0 providers may
    refresh here). ``on_unauthorized`` is called when NetSuite answered 401: drop cached credentials and return
    True to have the transport sign afresh and retry the request once.

    Examples:
        >>> class VaultToken:
        ...     async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        ...         request.headers["Authorization"] = "Bearer " + "token-from-vault"
        ...     async def on_unauthorized(self, request: AuthRequest, context: AuthContext) -> bool:
        ...         return False
        >>> isinstance(VaultToken(), TokenProvider)
        True
    """

    async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        """Add credentials to ``request.headers``."""
        ...

    async def on_unauthorized(self, request: AuthRequest, context: AuthContext) -> bool:
        """NetSuite answered 401: forget cached credentials; True to retry once with a fresh signature."""
        ...
