"""The emulator's authentication layer: it verifies what the client-side providers produce.

This module deliberately shares no code with ``netsuite_async.auth``: the OAuth 1.0a signature is rebuilt
here from RFC 5849 and JWT assertions are verified with ``cryptography`` directly (the client signs with
joserfc). A bug in the signing side therefore cannot be mirrored by the verifying side.

What is accepted (each failure answers 401 ``INVALID_LOGIN`` on API calls and counts in
``emu.counters.auth_failures``):

* ``Authorization: Bearer <static_token>`` (every scope).
* ``Authorization: Bearer <token>`` minted by the token endpoint, until it expires; RESTlet calls need the
  scope ``restlets``, REST calls ``rest_webservices``.
* ``Authorization: OAuth ...`` (TBA): HMAC-SHA256 only, realm exactly the upper-case canonical account id,
  known consumer and token, nonce of 6+ characters never reused for a timestamp, timestamp within ±300 s,
  signature over every query parameter.

Token endpoint errors follow RFC 6749 (``{"error": "invalid_grant"}`` and friends, 400, or 401 for bad client
authentication); NetSuite's exact wording there is not documented, so the emulator only promises the codes.

Examples:
    ```python
    creds = EmulatorCredentials.generate("1234567_SB1", rng_seed=1)
    print(creds)              # every secret masked
    auth = EmulatorAuth(emu)  # emu: the Emulator, exposing config.account and counters
    auth.advance(3600)        # move the emulator's auth clock (token expiry, 7-day refresh tokens)
    ```
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from netsuite_async.testing._auth_credentials import (
    ACCESS_TOKEN_LIFETIME,
    ALLOWED_JWT_ALGORITHMS,
    AUTHORIZE_PATH,
    CLIENT_ASSERTION_TYPE,
    KNOWN_SCOPES,
    RESTLET_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    AuthInfo,
    EmulatorCredentials,
    _AuthCode,
    _IssuedToken,
    _RefreshGrant,
)
from netsuite_async.testing._auth_oauth import OAuthServer, redirect_uri_problem
from netsuite_async.testing._auth_request import _realm_of

if TYPE_CHECKING:
    from netsuite_async.testing._router import Router
    from netsuite_async.testing._state import EmulatorState

__all__ = [
    "ALLOWED_JWT_ALGORITHMS",
    "AUTHORIZE_PATH",
    "CLIENT_ASSERTION_TYPE",
    "KNOWN_SCOPES",
    "RESTLET_PATH",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "AuthInfo",
    "EmulatorAuth",
    "EmulatorCredentials",
    "redirect_uri_problem",
    "register",
]


class EmulatorAuth(OAuthServer):
    """Verifies every request's credentials and serves the OAuth 2.0 endpoints of one emulated account.

    Examples:
        ```python
        auth = EmulatorAuth(emu)
        register(router, emu)                          # token, revoke and authorize.nl routes
        problem = await auth.authenticate(request)     # None -> OK, request.auth is set
        auth.advance(7 * 24 * 3600)                    # move the clock past refresh-token expiry
        ```
    """

    def __init__(
        self,
        emu: Any,
        *,
        credentials: EmulatorCredentials | None = None,
        clock: Callable[[], float] | None = None,
        rotate_refresh_tokens: bool | None = None,
        access_token_lifetime: int = ACCESS_TOKEN_LIFETIME,
    ) -> None:
        self._emu = emu
        account = str(emu.config.account)
        self.realm = _realm_of(account)
        if credentials is None:
            credentials = getattr(emu, "credentials", None)
        if credentials is None:
            seed = getattr(emu.config, "rng_seed", None)
            credentials = EmulatorCredentials.generate(self.realm, rng_seed=seed)
        self.credentials: EmulatorCredentials = credentials
        self._base_clock: Callable[[], float] = clock or time.time
        self._offset = 0.0
        #: None: NetSuite's rule (a public client's refresh token rotates on every refresh, a confidential
        #: client's does not); True/False: rotate for every client / never.
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.access_token_lifetime = access_token_lifetime
        # Registries: several TBA tokens / certificates can be added by tests.
        self._consumers: dict[str, str] = {credentials.consumer_key: credentials.consumer_secret}
        self._tba_tokens: dict[str, tuple[str, str]] = {
            credentials.token_id: (credentials.consumer_key, credentials.token_secret)
        }
        self._certificates: dict[str, tuple[str, Any]] = {}
        self.register_certificate(credentials.client_id, credentials.certificate_id, credentials.private_key)
        # client id -> (secret, or None for a public client; registered redirect URI)
        self._auth_code_clients: dict[str, tuple[str | None, str]] = {}
        self.add_auth_code_client(
            credentials.auth_code_client_id, credentials.redirect_uri, credentials.auth_code_client_secret
        )
        if credentials.public_client_id:
            self.add_auth_code_client(credentials.public_client_id, credentials.redirect_uri, None)
        self._access_tokens: dict[str, _IssuedToken] = {}
        self._refresh_tokens: dict[str, _RefreshGrant] = {}
        self._codes: dict[str, _AuthCode] = {}
        self._nonces: dict[tuple[str, str, str], float] = {}
        #: Awaited before every token-endpoint answer when set (tests: a slow token endpoint).
        self.before_token: Callable[[], Awaitable[None]] | None = None
        # Observable numbers for tests (the emulator's own counters get auth_failures as well).
        self.token_requests: dict[str, int] = {}
        self.tokens_issued = 0
        self.last_failure: str | None = None

    def __repr__(self) -> str:
        return f"EmulatorAuth(realm={self.realm!r}, tokens_issued={self.tokens_issued})"

    # -------------------------------------------------------------- registry
    def register_certificate(self, client_id: str, certificate_id: str, key_pem: str | bytes) -> None:
        """Register a public key (from a certificate, public key or private key PEM) for an M2M client.

        Examples:
            ```python
            auth.register_certificate(client_id, "cert-2", open("public.pem").read())
            ```
        """
        data = key_pem.encode() if isinstance(key_pem, str) else key_pem
        public: Any
        if b"CERTIFICATE" in data:
            from cryptography import x509

            public = x509.load_pem_x509_certificate(data).public_key()
        elif b"PRIVATE KEY" in data:
            public = serialization.load_pem_private_key(data, password=None).public_key()
        else:
            public = serialization.load_pem_public_key(data)
        if not isinstance(public, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            raise ValueError("only RSA and EC certificates are supported")
        self._certificates[certificate_id] = (client_id, public)

    def add_auth_code_client(self, client_id: str, redirect_uri: str, client_secret: str | None = None) -> None:
        """Register an authorization-code client: confidential with a secret, public (rotating) without one.

        The redirect URI must be one NetSuite accepts (https, or a custom scheme): ``ValueError`` otherwise.

        Examples:
            ```python
            auth.add_auth_code_client("mobile-app", "myapp://callback")   # public client
            ```
        """
        problem = redirect_uri_problem(redirect_uri)
        if problem is not None:
            raise ValueError(f"{problem}: {redirect_uri!r}")
        if not client_id or (client_secret is not None and not client_secret):
            raise ValueError("client_id (and a secret, when given) must be non-empty")
        self._auth_code_clients[client_id] = (client_secret, redirect_uri)

    def add_tba_token(self, consumer_key: str, consumer_secret: str, token_id: str, token_secret: str) -> None:
        """Accept one more TBA consumer/token pair.

        Examples:
            ```python
            auth.add_tba_token("ck2", "cs2", "tk2", "ts2")
            ```
        """
        self._consumers[consumer_key] = consumer_secret
        self._tba_tokens[token_id] = (consumer_key, token_secret)

    def revoke_access_tokens(self) -> int:
        """Invalidate every minted access token (as if NetSuite revoked them); returns how many.

        Examples:
            ```python
            auth.revoke_access_tokens()   # the next bearer call gets 401 and the client re-mints
            ```
        """
        count = len(self._access_tokens)
        self._access_tokens.clear()
        return count

    def issued_access_tokens(self) -> int:
        """How many minted access tokens are still valid now.

        Examples:
            ```python
            assert auth.issued_access_tokens() == 1
            ```
        """
        now = self.now()
        return sum(1 for t in self._access_tokens.values() if t.expires_at > now)

    # --------------------------------------------------------------- routing
    def is_public(self, path: str) -> bool:
        """Paths that need no credentials (the OAuth 2.0 endpoints authenticate clients themselves).

        Examples:
            ```python
            assert auth.is_public("/services/rest/auth/oauth2/v1/token")
            ```
        """
        return path in (TOKEN_PATH, REVOKE_PATH, AUTHORIZE_PATH)


def register(router: Router, state: EmulatorState) -> None:
    """Add the token, revoke and authorize.nl routes of ``state.auth`` (public: they authenticate clients).

    Examples:
        ```python
        register(router, emu)
        ```
    """
    auth = state.auth
    router.add("POST", TOKEN_PATH, auth._token_endpoint, name="auth.token", public=True)
    router.add("POST", REVOKE_PATH, auth._revoke_endpoint, name="auth.revoke", public=True)
    router.add("GET", AUTHORIZE_PATH, auth._authorize_endpoint, name="auth.authorize", public=True)
