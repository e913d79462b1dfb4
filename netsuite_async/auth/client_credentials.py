"""OAuth 2.0 client credentials (machine to machine): a signed JWT assertion buys a one-hour bearer token.

The assertion is signed with the integration's certificate key (PS256 for RSA, ES256/384/512 by EC curve;
NetSuite refuses RS256). The access token is cached in a `TokenCache` and
renewed shortly before it expires; minting is single-flight, so a thousand concurrent requests cause one
token request. Token requests go through ``AuthContext.post_form``: they never hold a governor slot.

Examples:
    ```python
    auth = ClientCredentials(client_id="…", certificate_id="…", private_key=Path("private.pem"))
    async with NetSuiteClient(account="1234567", auth=auth) as ns:
        await ns.suiteql.all("SELECT id FROM customer")
    ```
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from netsuite_async.auth._keys import choose_algorithm, load_private_key
from netsuite_async.auth.base import AuthContext, AuthRequest, TokenResponse
from netsuite_async.auth.cache import CachedToken, MemoryTokenCache, TokenCache
from netsuite_async.errors import AuthenticationError, ErrorDetail

__all__ = ["ClientCredentials"]

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
KNOWN_SCOPES = ("rest_webservices", "restlets", "suite_analytics")
# NetSuite allows exp up to iat + 3600; a shorter assertion limits what a leaked one is worth.
ASSERTION_LIFETIME = 300
DEFAULT_TOKEN_LIFETIME = 3600.0


def renewal_margin(lifetime: float) -> float:
    """Seconds before expiry at which a token is renewed: a tenth of its lifetime, between 1 s and 5 min.

    Examples:
        ```python
        renewal_margin(3600)   # 300.0
        renewal_margin(60)     # 6.0
        ```
    """
    return max(1.0, min(300.0, lifetime / 10.0))


def check_scopes(scopes: Iterable[str] | str) -> tuple[str, ...]:
    """Validate scope names (a list, or one space-separated string); ``ValueError`` for unknown or none.

    Examples:
        ```python
        check_scopes(["rest_webservices", "restlets"])
        ```
    """
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    if not items:
        raise ValueError("at least one scope is needed: rest_webservices, restlets or suite_analytics")
    out: list[str] = []
    for s in items:
        if not isinstance(s, str) or s not in KNOWN_SCOPES:
            raise ValueError(f"unknown scope {s!r}; NetSuite's scopes are {', '.join(KNOWN_SCOPES)}")
        if s not in out:
            out.append(s)
    return tuple(out)


def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError(f"{name} is empty")
    return text


def token_endpoint_error(
    response: TokenResponse, url: str, what: str, hints: Sequence[str] = ()
) -> AuthenticationError:
    """An `AuthenticationError` for a refused token-endpoint call (never quoting the request).

    Examples:
        ```python
        raise token_endpoint_error(resp, context.token_url, "client credentials token request")
        ```
    """
    body = response.json if isinstance(response.json, dict) else {}
    code = body.get("error")
    description = body.get("error_description") or body.get("title") or ""
    if not code and isinstance(body.get("o:errorDetails"), list) and body["o:errorDetails"]:
        first = body["o:errorDetails"][0]
        if isinstance(first, dict):
            code, description = first.get("o:errorCode"), first.get("detail", "")
    detail = f"{what} refused" + (f": {description}" if description else "")
    return AuthenticationError(
        "POST",
        url,
        response.status_code,
        details=[ErrorDetail(detail=detail, error_code=str(code) if code else None)],
        response_text=response.text[:2000],
        hints=hints,
    )


class ClientCredentials:
    """The OAuth 2.0 client-credentials (M2M) flow with a certificate-signed JWT assertion.

    Args:
        client_id: the integration record's client id (consumer key).
        certificate_id: the id shown on *Setup > Integration > OAuth 2.0 Client Credentials (M2M) Setup*.
        private_key: the certificate's private key: PEM ``str``, PEM ``bytes`` or a path.
        scopes: any of ``rest_webservices``, ``restlets``, ``suite_analytics``.
        algorithm: ``None`` picks PS256 for RSA, ES256/ES384/ES512 for EC by curve. RS256 is refused.
        passphrase: for an encrypted PEM.
        cache: where the token lives; share a Redis-backed cache to share one token across processes.
        clock: seconds since the epoch (tests move it).

    Every bad input raises ``ValueError``/``TypeError`` here, before any request.

    Examples:
        ```python
        auth = ClientCredentials("2f1c…", "Ab3…", Path("private.pem"), scopes=["rest_webservices"])
        ```
    """

    def __init__(
        self,
        client_id: str,
        certificate_id: str,
        private_key: str | bytes | os.PathLike[str],
        *,
        scopes: Iterable[str] | str = ("rest_webservices", "restlets"),
        algorithm: str | None = None,
        passphrase: str | bytes | None = None,
        cache: TokenCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client_id = _check_id("client_id", client_id)
        self._certificate_id = _check_id("certificate_id", certificate_id)
        self.scopes = check_scopes(scopes)
        key = load_private_key(private_key, passphrase)
        self.algorithm = choose_algorithm(key, algorithm)
        self._jwk: RSAKey | ECKey = (
            RSAKey.import_key(key) if isinstance(key, rsa.RSAPrivateKey) else ECKey.import_key(key)
        )
        self._cache: TokenCache = cache if cache is not None else MemoryTokenCache()
        self._clock = clock
        #: How many token requests this provider has sent (tests and metrics).
        self.token_requests = 0

    def __repr__(self) -> str:
        return (
            f"ClientCredentials(client_id={self._client_id[:6]!r}…, certificate_id={self._certificate_id!r}, "
            f"algorithm={self.algorithm!r}, scopes={list(self.scopes)!r}, private_key=***)"
        )

    __str__ = __repr__

    def cache_key(self, context: AuthContext) -> str:
        """The cache key for this provider's token: no secrets, only ids and scopes.

        Examples:
            ```python
            key = auth.cache_key(context)   # "netsuite-async:m2m:1234567:<client id>:<cert id>:<scopes>"
            ```
        """
        scopes = " ".join(sorted(self.scopes))
        return f"netsuite-async:m2m:{context.account.realm}:{self._client_id}:{self._certificate_id}:{scopes}"

    def make_assertion(self, token_url: str) -> str:
        """A freshly signed JWT assertion for ``token_url`` (exposed for tests and debugging).

        Examples:
            ```python
            jws = auth.make_assertion(context.token_url)
            ```
        """
        now = int(self._clock())
        header = {"typ": "JWT", "alg": self.algorithm, "kid": self._certificate_id}
        claims: dict[str, Any] = {
            "iss": self._client_id,
            "scope": list(self.scopes),
            "aud": token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(header, claims, self._jwk, algorithms=[self.algorithm])

    def _usable(self, token: CachedToken | None) -> bool:
        if token is None:
            return False
        return self._clock() < token.expires_at - renewal_margin(token.lifetime)

    async def token(self, context: AuthContext) -> str:
        """A valid access token: the cached one, or a freshly minted one (single-flight).

        Examples:
            ```python
            bearer = await auth.token(context)
            ```
        """
        key = self.cache_key(context)
        cached = await self._cache.get(key)
        if self._usable(cached):
            assert cached is not None
            return cached.access_token
        async with self._cache.lock(key):
            # Whoever held the lock before us has probably minted: read again before asking NetSuite.
            cached = await self._cache.get(key)
            if self._usable(cached):
                assert cached is not None
                return cached.access_token
            fresh = await self._mint(context)
            await self._cache.set(key, fresh)
            return fresh.access_token

    async def _mint(self, context: AuthContext) -> CachedToken:
        url = context.token_url
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.make_assertion(url),
        }
        self.token_requests += 1
        issued_at = self._clock()
        response = await context.post_form(url, form)
        body = response.json if isinstance(response.json, dict) else {}
        access = body.get("access_token")
        if response.status_code != 200 or not isinstance(access, str) or not access:
            raise token_endpoint_error(
                response, url, "client credentials token request", self.unauthorized_hints(context)
            )
        try:
            lifetime = float(body.get("expires_in", DEFAULT_TOKEN_LIFETIME))
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME
        return CachedToken(access, expires_at=issued_at + lifetime, issued_at=issued_at)

    async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        """Add ``Authorization: Bearer <token>``, minting a token first when needed.

        Examples:
            ```python
            await auth.sign(AuthRequest("GET", url, {}), context)
            ```
        """
        request.headers["Authorization"] = f"Bearer {await self.token(context)}"

    async def on_unauthorized(self, request: AuthRequest, context: AuthContext) -> bool:
        """NetSuite refused the token (revoked, expired early): drop it so the retry mints a new one.

        Only the token that was refused is dropped, when the request says which one it carried; a token that
        another task minted meanwhile survives.

        Examples:
            ```python
            if await auth.on_unauthorized(request, context): ...  # the transport re-signs and retries once
            ```
        """
        key = self.cache_key(context)
        sent = request.headers.get("Authorization", "")
        async with self._cache.lock(key):
            cached = await self._cache.get(key)
            if cached is not None and (not sent or sent == f"Bearer {cached.access_token}"):
                await self._cache.delete(key)
        return True

    async def invalidate(self, context: AuthContext) -> None:
        """Forget the cached token (the next request mints a new one).

        Examples:
            ```python
            await auth.invalidate(context)
            ```
        """
        await self._cache.delete(self.cache_key(context))

    def unauthorized_hints(self, context: AuthContext) -> list[str]:
        """What usually causes ``INVALID_LOGIN`` with client credentials.

        Examples:
            ```python
            print("\\n".join(auth.unauthorized_hints(context)))
            ```
        """
        return [
            f"the certificate id must be the one NetSuite shows for this client id on the OAuth 2.0 Client "
            f"Credentials (M2M) Setup page, mapped to an entity and role in account {context.account.realm}",
            "the certificate must not be expired or revoked, and must match this private key "
            f"(signing with {self.algorithm})",
            f"the role needs the scopes requested ({', '.join(self.scopes)}) enabled on the integration "
            "record, and the REST Web Services / Log in using OAuth 2.0 Access Tokens permissions",
            "this machine's clock must be right: the assertion's iat/exp are checked by NetSuite",
            "some users report that requests over the concurrency limit can surface as INVALID_LOGIN",
        ]
