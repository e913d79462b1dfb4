"""OAuth 2.0 authorization code with PKCE: a person logs in to NetSuite once, the service keeps the tokens.

Flow: `AuthorizationCode.authorize_url` makes the URL to send the user to (PKCE S256 and a random
``state``); NetSuite redirects back with ``code`` and ``state``; `AuthorizationCode.exchange` turns them
into an access token (one hour) and a refresh token (seven days). Afterwards every request is signed with the
access token, refreshed on demand (NetSuite rotates a public client's refresh token on every refresh and keeps a
confidential client's: the provider stores a rotated one and keeps the old one when none comes back). When the
refresh token is past its seven days, `ReauthorizationRequired`
says a person must log in again.

**Binding to a client.** The URLs come from the client's account (or its ``base_url``). Pass the
``NetSuiteClient`` (or its ``auth_context``) to `authorize_url`; the provider
remembers it, so ``await auth.exchange(code, state)`` needs nothing more. A provider also binds itself on its
first signed request.

Examples:
    ```python
    auth = AuthorizationCode(client_id, client_secret, "https://app.example.com/callback",
                             scopes=["rest_webservices"], store=JsonFileTokenStore("tokens.json"))
    ns = NetSuiteClient("1234567", auth=auth)
    start = auth.authorize_url(ns)          # redirect the browser to start.url
    ...
    await auth.exchange(code, state)        # in the callback handler
    await ns.records.get("customer", 1)
    ```
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio

from netsuite_async.auth._redirect import _check_text, check_redirect_uri
from netsuite_async.auth.base import AuthContext, AuthRequest, TokenResponse
from netsuite_async.auth.client_credentials import check_scopes, renewal_margin, token_endpoint_error
from netsuite_async.auth.stores import MemoryTokenStore, StoredTokens, TokenStore
from netsuite_async.errors import ErrorDetail, ReauthorizationRequired

__all__ = ["AuthorizationCode", "AuthorizationRequest", "check_redirect_uri"]

REFRESH_TOKEN_LIFETIME = 7 * 24 * 3600.0
DEFAULT_ACCESS_LIFETIME = 3600.0
PENDING_TTL = 600.0
MAX_PENDING = 1000


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the user, and what the callback must match. ``repr`` masks the PKCE verifier.

    Keep ``state`` and ``code_verifier`` in the user's session when several processes serve the callback;
    otherwise the provider remembers them for ten minutes.

    Examples:
        ```python
        start = auth.authorize_url(ns)
        return RedirectResponse(start.url)
        ```
    """

    url: str
    state: str
    code_verifier: str

    def __repr__(self) -> str:
        return f"AuthorizationRequest(url={self.url!r}, state={self.state!r}, code_verifier='********')"

    __str__ = __repr__


def _context_of(target: Any) -> AuthContext:
    ctx = getattr(target, "auth_context", target)
    if not isinstance(ctx, AuthContext):
        raise TypeError("pass the NetSuiteClient (or its auth_context) this provider is used with")
    return ctx


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class AuthorizationCode:
    """The OAuth 2.0 authorization-code grant with PKCE (S256), refresh and revocation.

    Args:
        client_id, client_secret: from the integration record. With a secret the client is *confidential* (HTTP
            Basic authentication at the token endpoint; NetSuite keeps its refresh token across refreshes). Pass
            ``client_secret=None`` for a *public* client (the "Public Client" box on the integration record, for
            apps that cannot keep a secret): ``client_id`` goes in the form and NetSuite rotates the refresh token
            on every refresh. Either way the provider stores whatever refresh token NetSuite returns and keeps the
            old one when none comes back.
        redirect_uri: exactly as entered on the integration record: ``https://…`` or a custom scheme such as
            ``myapp://callback``. Plain ``http://`` (loopback too) is refused with `ValueError`, as NetSuite
            refuses it (see `check_redirect_uri`).
        scopes: any of ``rest_webservices``, ``restlets``, ``suite_analytics``.
        store: where tokens live (`JsonFileTokenStore` to survive restarts).
        store_key: the key in the store (default: account, client id); use one per NetSuite user.
        clock: seconds since the epoch (tests move it).

    Examples:
        ```python
        auth = AuthorizationCode(cid, secret, "https://app.example.com/callback", scopes=["rest_webservices"])
        mobile = AuthorizationCode(cid, None, "myapp://callback")   # public client
        ```
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        *,
        scopes: Iterable[str] | str = ("rest_webservices",),
        store: TokenStore | None = None,
        store_key: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client_id = _check_text("client_id", client_id)
        self._client_secret = None if client_secret is None else _check_text("client_secret", client_secret)
        self.redirect_uri = check_redirect_uri(redirect_uri)
        self.scopes = check_scopes(scopes)
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        self._store_key = store_key
        self._clock = clock
        self._context: AuthContext | None = None
        self._pending: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._refresh_lock = anyio.Lock()
        #: Token-endpoint calls made (exchange + refresh), for tests and metrics.
        self.token_requests = 0

    @property
    def public(self) -> bool:
        """True for a public client (no secret; NetSuite rotates its refresh token).

        Examples:
            >>> AuthorizationCode("cid", None, "myapp://callback").public
            True
        """
        return self._client_secret is None

    def __repr__(self) -> str:
        secret = "None (public client)" if self._client_secret is None else "***"
        return (
            f"AuthorizationCode(client_id={self._client_id[:6]!r}…, redirect_uri={self.redirect_uri!r}, "
            f"scopes={list(self.scopes)!r}, client_secret={secret})"
        )

    __str__ = __repr__

    # ------------------------------------------------------------------ binding
    def bind(self, client: Any) -> None:
        """Remember the client (or ``AuthContext``) whose URLs to use outside requests.

        Examples:
            ```python
            auth.bind(ns)
            ```
        """
        self._context = _context_of(client)

    def _ctx(self, client: Any | None) -> AuthContext:
        if client is not None:
            self.bind(client)
        if self._context is None:
            raise RuntimeError(
                "AuthorizationCode is not bound to a client yet: pass the NetSuiteClient, "
                "e.g. auth.authorize_url(ns) or auth.exchange(code, state, client=ns)"
            )
        return self._context

    def store_key(self, context: AuthContext) -> str:
        """The key under which this provider keeps its tokens.

        Examples:
            ```python
            await store.get(auth.store_key(ns.auth_context))
            ```
        """
        if self._store_key is not None:
            return self._store_key
        return f"netsuite-async:authcode:{context.account.realm}:{self._client_id}"

    # ---------------------------------------------------------------- authorize
    def authorize_url(self, client: Any | None = None, *, state: str | None = None) -> AuthorizationRequest:
        """The NetSuite login URL (PKCE S256, ``state`` 22-1024 characters), and what the callback must match.

        Examples:
            ```python
            start = auth.authorize_url(ns)   # redirect to start.url
            ```
        """
        ctx = self._ctx(client)
        if state is None:
            state = secrets.token_urlsafe(32)
        elif not isinstance(state, str) or not 22 <= len(state) <= 1024:
            raise ValueError("state must be a str of 22 to 1024 characters (NetSuite's rule)")
        verifier = secrets.token_urlsafe(64)[:96]
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(self.scopes),
                "state": state,
                "code_challenge": _s256(verifier),
                "code_challenge_method": "S256",
            },
            quote_via=urllib.parse.quote,
        )
        self._remember(state, verifier)
        return AuthorizationRequest(f"{ctx.authorize_url}?{query}", state, verifier)

    def _remember(self, state: str, verifier: str) -> None:
        now = self._clock()
        while self._pending:
            oldest_state, (_, created) = next(iter(self._pending.items()))
            if created > now - PENDING_TTL and len(self._pending) < MAX_PENDING:
                break
            del self._pending[oldest_state]
        self._pending[state] = (verifier, now)

    def _basic(self) -> dict[str, str]:
        if self._client_secret is None:
            return {}
        pair = f"{urllib.parse.quote_plus(self._client_id)}:{urllib.parse.quote_plus(self._client_secret)}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}

    async def exchange(
        self,
        code: str,
        state: str,
        *,
        client: Any | None = None,
        code_verifier: str | None = None,
    ) -> None:
        """Trade the callback's ``code`` for tokens and store them. ``state`` must be one this provider issued
        (or pass the ``code_verifier`` you kept in the user's session, having checked ``state`` yourself).

        Examples:
            ```python
            await auth.exchange(request.query_params["code"], request.query_params["state"])
            ```
        """
        code = _check_text("code", code)
        state = _check_text("state", state)
        ctx = self._ctx(client)
        if code_verifier is None:
            pending = self._pending.pop(state, None)
            if pending is None or pending[1] <= self._clock() - PENDING_TTL:
                raise ValueError("unknown or expired OAuth state: start the login again (possible CSRF)")
            code_verifier = pending[0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": code_verifier,
        }
        now = self._clock()
        response = await self._post(ctx, ctx.token_url, form)
        if response.status_code != 200:
            raise token_endpoint_error(
                response, ctx.token_url, "authorization code exchange", self.unauthorized_hints(ctx)
            )
        tokens = self._tokens_from(response, now, None, now + REFRESH_TOKEN_LIFETIME, ctx)
        await self._store.set(self.store_key(ctx), tokens)

    async def _post(self, ctx: AuthContext, url: str, form: dict[str, str]) -> TokenResponse:
        self.token_requests += 1
        if self._client_secret is None:
            form = {**form, "client_id": self._client_id}  # a public client names itself in the form
        return await ctx.post_form(url, form, self._basic())

    def _tokens_from(
        self,
        response: TokenResponse,
        now: float,
        previous_refresh: str | None,
        refresh_expires_at: float | None,
        ctx: AuthContext,
    ) -> StoredTokens:
        body = response.json if isinstance(response.json, dict) else {}
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise token_endpoint_error(response, ctx.token_url, "token response without access_token")
        try:
            lifetime = float(body.get("expires_in", DEFAULT_ACCESS_LIFETIME))
        except (TypeError, ValueError):
            lifetime = DEFAULT_ACCESS_LIFETIME
        refresh = body.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous_refresh
        return StoredTokens(access, now + lifetime, refresh, refresh_expires_at, self.scopes)

    # ------------------------------------------------------------ use / refresh
    async def is_authorized(self, client: Any | None = None) -> bool:
        """True when a usable refresh or access token is stored.

        Examples:
            ```python
            if not await auth.is_authorized(ns): return RedirectResponse("/login")
            ```
        """
        ctx = self._ctx(client)
        tokens = await self._store.get(self.store_key(ctx))
        if tokens is None:
            return False
        now = self._clock()
        return tokens.access_expires_at > now or (
            tokens.refresh_token is not None and (tokens.refresh_expires_at or 0) > now
        )

    def _reauthorize(self, ctx: AuthContext, why: str, status: int = 401) -> ReauthorizationRequired:
        return ReauthorizationRequired(
            "POST",
            ctx.token_url,
            status,
            details=[ErrorDetail(detail=f"{why}: a user must authorize the app again", error_code="invalid_grant")],
            hints=["send the user to auth.authorize_url(ns) and call auth.exchange(code, state) in the callback"],
        )

    def _fresh(self, tokens: StoredTokens | None) -> bool:
        if tokens is None:
            return False
        lifetime = DEFAULT_ACCESS_LIFETIME
        return self._clock() < tokens.access_expires_at - renewal_margin(lifetime)

    async def access_token(self, client: Any | None = None) -> str:
        """A valid access token, refreshed when needed (one refresh at a time per provider).

        Examples:
            ```python
            token = await auth.access_token(ns)
            ```
        """
        ctx = self._ctx(client)
        key = self.store_key(ctx)
        tokens = await self._store.get(key)
        if self._fresh(tokens):
            assert tokens is not None
            return tokens.access_token
        async with self._refresh_lock:
            tokens = await self._store.get(key)
            if self._fresh(tokens):
                assert tokens is not None
                return tokens.access_token
            return (await self._refresh(ctx, key, tokens)).access_token

    async def refresh(self, client: Any | None = None) -> None:
        """Refresh now, whatever the access token's age.

        Examples:
            ```python
            await auth.refresh(ns)
            ```
        """
        ctx = self._ctx(client)
        key = self.store_key(ctx)
        async with self._refresh_lock:
            await self._refresh(ctx, key, await self._store.get(key))

    async def _refresh(self, ctx: AuthContext, key: str, tokens: StoredTokens | None) -> StoredTokens:
        if tokens is None or tokens.refresh_token is None:
            raise self._reauthorize(ctx, "no tokens stored yet")
        now = self._clock()
        if tokens.refresh_expires_at is not None and tokens.refresh_expires_at <= now:
            await self._store.delete(key)
            raise self._reauthorize(ctx, "the refresh token is past its 7 days")
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        response = await self._post(ctx, ctx.token_url, form)
        body = response.json if isinstance(response.json, dict) else {}
        if response.status_code == 400 and body.get("error") == "invalid_grant":
            await self._store.delete(key)
            raise self._reauthorize(ctx, "NetSuite refused the refresh token (expired or revoked)", 400)
        if response.status_code != 200:
            raise token_endpoint_error(response, ctx.token_url, "token refresh", self.unauthorized_hints(ctx))
        fresh = self._tokens_from(response, now, tokens.refresh_token, tokens.refresh_expires_at, ctx)
        await self._store.set(key, fresh)
        return fresh

    async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        """Add ``Authorization: Bearer <access token>``, refreshing first when needed.

        Examples:
            ```python
            await auth.sign(AuthRequest("GET", url, {}), context)
            ```
        """
        if self._context is None:
            self._context = context
        request.headers["Authorization"] = f"Bearer {await self.access_token(context)}"

    async def on_unauthorized(self, request: AuthRequest, context: AuthContext) -> bool:
        """NetSuite refused the access token: mark it expired; retry once if a refresh token is left.

        Examples:
            ```python
            retry = await auth.on_unauthorized(request, context)
            ```
        """
        key = self.store_key(context)
        async with self._refresh_lock:
            tokens = await self._store.get(key)
            if tokens is None:
                return False
            sent = request.headers.get("Authorization", "")
            if sent and sent != f"Bearer {tokens.access_token}":
                return True  # another task already replaced the refused token
            await self._store.set(
                key,
                StoredTokens(tokens.access_token, 0.0, tokens.refresh_token, tokens.refresh_expires_at, tokens.scopes),
            )
            return tokens.refresh_token is not None

    async def revoke(self, client: Any | None = None) -> None:
        """Revoke the refresh token at NetSuite (its access tokens die with it) and forget the tokens.

        If the revoke endpoint cannot be reached or keeps failing (5xx, timeouts, after the retry policy's
        attempts), the typed error is raised and the tokens are kept, so the revocation can be tried again
        rather than leaving a live token nobody can revoke.

        Examples:
            ```python
            await auth.revoke(ns)   # "disconnect NetSuite" in your app
            ```
        """
        ctx = self._ctx(client)
        key = self.store_key(ctx)
        tokens = await self._store.get(key)
        if tokens is None:
            return
        token = tokens.refresh_token or tokens.access_token
        response = await self._post(ctx, ctx.revoke_url, {"token": token})
        await self._store.delete(key)
        if response.status_code != 200:
            raise token_endpoint_error(response, ctx.revoke_url, "token revocation")

    def unauthorized_hints(self, context: AuthContext) -> list[str]:
        """What usually causes ``INVALID_LOGIN`` with the authorization-code flow.

        Examples:
            ```python
            print(auth.unauthorized_hints(ns.auth_context))
            ```
        """
        return [
            f"the user must have authorized this client in account {context.account.realm} with a role that "
            "has the REST Web Services and Log in using OAuth 2.0 Access Tokens permissions",
            f"the requested scopes ({', '.join(self.scopes)}) must be enabled on the integration record; "
            "RESTlets need 'restlets', REST calls 'rest_webservices'",
            f"redirect_uri must match the integration record exactly ({self.redirect_uri})",
            "some users report that requests over the concurrency limit can surface as INVALID_LOGIN",
        ]
