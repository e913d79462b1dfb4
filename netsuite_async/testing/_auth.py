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

import base64
import binascii
import hashlib
import hmac
import json
import random
import secrets
import string
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

if TYPE_CHECKING:
    from netsuite_async.testing._app import EmuRequest, EmuResponse

__all__ = [
    "ALLOWED_JWT_ALGORITHMS",
    "AUTHORIZE_PATH",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "AuthInfo",
    "EmulatorAuth",
    "EmulatorCredentials",
    "redirect_uri_problem",
]

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"  # noqa: S105 - a URL path, not a secret
REVOKE_PATH = "/services/rest/auth/oauth2/v1/revoke"
AUTHORIZE_PATH = "/app/login/oauth2/authorize.nl"
RESTLET_PATH = "/app/site/hosting/restlet.nl"

ALLOWED_JWT_ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
KNOWN_SCOPES = frozenset({"rest_webservices", "restlets", "suite_analytics"})
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

TIMESTAMP_WINDOW = 300.0
ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 7 * 24 * 3600
AUTH_CODE_LIFETIME = 600
MAX_ASSERTION_LIFETIME = 3600
INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI."
)

_MASK = "********"
_ALPHABET = string.ascii_letters + string.digits


def _mask(value: str) -> str:
    return _MASK if value else ""


@dataclass(frozen=True)
class EmulatorCredentials:
    """Every credential the emulator accepts for one account; ``repr``/``str`` mask the secrets.

    ``private_key`` is a PEM (EC P-256) whose public half is registered under ``certificate_id``: hand it to
    ``ClientCredentials``. Example:
    ```python
    creds = EmulatorCredentials.generate("1234567", rng_seed=7)
    auth = TokenAuth(creds.consumer_key, creds.consumer_secret, creds.token_id, creds.token_secret)
    ```
    """

    account: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str
    client_id: str
    certificate_id: str
    private_key: str
    auth_code_client_id: str
    auth_code_client_secret: str
    redirect_uri: str
    static_token: str
    #: A public authorization-code client (no secret; its refresh token rotates), with the same redirect URI.
    public_client_id: str = ""

    _SECRET_FIELDS = frozenset(
        {"consumer_secret", "token_secret", "private_key", "auth_code_client_secret", "static_token"}
    )

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = _mask(value) if f.name in self._SECRET_FIELDS else value
            parts.append(f"{f.name}={shown!r}")
        return f"EmulatorCredentials({', '.join(parts)})"

    __str__ = __repr__

    @classmethod
    def generate(cls, account: str, *, rng_seed: int | None = None) -> EmulatorCredentials:
        """Make a fresh credential set (deterministic when ``rng_seed`` is given).

        Examples:
            ```python
            creds = EmulatorCredentials.generate("1234567_SB1", rng_seed=1)
            ```
        """
        rng: random.Random | None = random.Random(rng_seed) if rng_seed is not None else None

        def token(n: int) -> str:
            if rng is None:
                return "".join(secrets.choice(_ALPHABET) for _ in range(n))
            return "".join(rng.choice(_ALPHABET) for _ in range(n))

        def hexstr(n: int) -> str:
            if rng is None:
                return secrets.token_hex(n // 2)
            return "".join(rng.choice("0123456789abcdef") for _ in range(n))

        # EC P-256 keeps generation instant; a seeded scalar keeps seeded runs reproducible.
        curve = ec.SECP256R1()
        if rng is None:
            key = ec.generate_private_key(curve)
        else:
            order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
            key = ec.derive_private_key(rng.randrange(1, order), curve)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        return cls(
            account=account,
            consumer_key=hexstr(64),
            consumer_secret=hexstr(64),
            token_id=hexstr(64),
            token_secret=hexstr(64),
            client_id=hexstr(64),
            certificate_id=token(43),
            private_key=pem,
            auth_code_client_id=hexstr(64),
            auth_code_client_secret=hexstr(64),
            redirect_uri="https://127.0.0.1/callback",
            static_token=token(48),
            public_client_id=hexstr(64),
        )


AuthKind = Literal["static", "tba", "client_credentials", "authorization_code"]


@dataclass(frozen=True)
class AuthInfo:
    """Who signed a request: set on ``EmuRequest.auth`` after a successful check.

    Examples:
        ```python
        if req.auth.kind == "tba": ...
        ```
    """

    kind: AuthKind
    scopes: frozenset[str]
    subject: str


@dataclass
class _IssuedToken:
    kind: AuthKind
    scopes: frozenset[str]
    subject: str
    expires_at: float
    refresh_token: str | None = None

    def __repr__(self) -> str:
        return f"_IssuedToken(kind={self.kind!r}, expires_at={self.expires_at!r})"


@dataclass
class _AuthCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    scopes: frozenset[str]
    expires_at: float
    used: bool = False


@dataclass
class _RefreshGrant:
    client_id: str
    scopes: frozenset[str]
    expires_at: float  # fixed at authorization time: rotation does not extend the 7 days
    public: bool = False
    access_tokens: set[str] = field(default_factory=set)


class _Rejected(Exception):
    """An authentication check failed; ``reason`` goes to the emulator's log, never to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


_NOT_CUSTOM_SCHEMES = frozenset(
    {"http", "ftp", "ftps", "file", "data", "javascript", "about", "blob", "ws", "wss", "mailto", "tel", "urn"}
)


def redirect_uri_problem(uri: str) -> str | None:
    """Why NetSuite would refuse this redirect URI, or None: https, or an app's custom scheme; never plain http.

    Examples:
        ```python
        assert redirect_uri_problem("myapp://callback") is None
        assert redirect_uri_problem("http://localhost/cb") is not None
        ```
    """
    parts = urllib.parse.urlsplit(uri)
    scheme = parts.scheme.lower()
    if not uri or parts.fragment or "#" in uri:
        return "redirect_uri is empty or has a fragment"
    if scheme == "http":
        return "redirect_uri must use https or a custom scheme; plain http is refused"
    if scheme == "https":
        return None if parts.netloc else "redirect_uri has no host"
    if not scheme or scheme in _NOT_CUSTOM_SCHEMES or not (parts.netloc or parts.path):
        return "redirect_uri must be an https URL or use a custom scheme such as myapp://callback"
    return None


def _realm_of(account: str) -> str:
    return account.strip().upper().replace("-", "_")


def _pct(value: str) -> str:
    # RFC 5849 §3.6: only unreserved characters stay literal; everything else is %XX of the UTF-8 bytes.
    return urllib.parse.quote(value, safe="-._~")


def _b64url_decode(part: str) -> bytes:
    pad = "=" * (-len(part) % 4)
    try:
        return base64.urlsafe_b64decode(part + pad)
    except (binascii.Error, ValueError) as exc:
        raise _Rejected("bad base64url in JWT") from exc


def _parse_oauth_header(value: str) -> dict[str, str]:
    """Parse ``OAuth k="v", ...`` strictly: every value quoted, every key once."""
    rest = value[len("OAuth ") :].strip()
    params: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, raw = item.partition("=")
        key = key.strip()
        raw = raw.strip()
        if not sep or len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            raise _Rejected(f"malformed OAuth header parameter {key!r}")
        if key in params:
            raise _Rejected(f"duplicate OAuth parameter {key!r}")
        params[urllib.parse.unquote(key)] = urllib.parse.unquote(raw[1:-1])
    return params


def _signature_base_string(method: str, base_url: str, params: Iterable[tuple[str, str]]) -> str:
    encoded = sorted((_pct(k), _pct(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join((method.upper(), _pct(base_url), _pct(normalized)))


def _normalized_base_urls(req: EmuRequest) -> list[str]:
    """The base-string URL this request was signed for (RFC 5849 §3.4.1.2), as a one-item list."""
    host = req.host.lower()
    scheme = req.scheme.lower()
    if (scheme == "http" and host.endswith(":80")) or (scheme == "https" and host.endswith(":443")):
        host = host.rsplit(":", 1)[0]
    # The path arrives as sent (raw, already percent-encoded): keep escapes, encode only what is left bare.
    path = urllib.parse.quote(req.path, safe="/:@!$&'()*+,;=-._~%")
    return [f"{scheme}://{host}{path}"]


def _der_from_raw_ecdsa(sig: bytes, size: int) -> bytes:
    if len(sig) != 2 * size:
        raise _Rejected("ECDSA signature has the wrong length")
    r = int.from_bytes(sig[:size], "big")
    s = int.from_bytes(sig[size:], "big")
    return encode_dss_signature(r, s)


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_EC_CURVES: dict[str, tuple[type[ec.EllipticCurve], int]] = {
    "ES256": (ec.SECP256R1, 32),
    "ES384": (ec.SECP384R1, 48),
    "ES512": (ec.SECP521R1, 66),
}


def _verify_jws_signature(alg: str, public_key: Any, signing_input: bytes, signature: bytes) -> None:
    hash_alg = _HASHES[alg[2:]]()
    try:
        if alg.startswith("PS"):
            if not isinstance(public_key, rsa.RSAPublicKey):
                raise _Rejected(f"{alg} needs an RSA certificate")
            # RFC 7518 §3.5: PSS with MGF1 of the same hash and a salt as long as the hash.
            public_key.verify(
                signature,
                signing_input,
                padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size),
                hash_alg,
            )
        else:
            curve_type, size = _EC_CURVES[alg]
            if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
                public_key.curve, curve_type
            ):
                raise _Rejected(f"{alg} does not match the registered certificate's curve")
            public_key.verify(_der_from_raw_ecdsa(signature, size), signing_input, ec.ECDSA(hash_alg))
    except InvalidSignature as exc:
        raise _Rejected("JWT signature does not verify") from exc


def _new_secret(n: int = 32) -> str:
    return secrets.token_urlsafe(n)


class EmulatorAuth:
    """Verifies every request's credentials and serves the OAuth 2.0 endpoints of one emulated account.

    Examples:
        ```python
        auth = EmulatorAuth(emu)
        router_setup = auth.register(router)          # token, revoke and authorize.nl routes
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

    # ----------------------------------------------------------------- clock
    def now(self) -> float:
        """The emulator's auth clock (injectable, and movable with `advance`).

        Examples:
            ```python
            t0 = auth.now(); auth.advance(60); assert auth.now() >= t0 + 60
            ```
        """
        return self._base_clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the auth clock forward (tests: expire tokens without sleeping).

        Examples:
            ```python
            auth.advance(3601)   # every access token minted so far has expired
            ```
        """
        self._offset += seconds

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

    def add_tba_token(
        self, consumer_key: str, consumer_secret: str, token_id: str, token_secret: str
    ) -> None:
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

    def register(self, router: Any) -> None:
        """Add the token, revoke and authorize.nl routes to the emulator's router.

        Examples:
            ```python
            auth.register(router)
            ```
        """
        router.add("POST", TOKEN_PATH, self._token_endpoint, name="auth.token", public=True)
        router.add("POST", REVOKE_PATH, self._revoke_endpoint, name="auth.revoke", public=True)
        router.add("GET", AUTHORIZE_PATH, self._authorize_endpoint, name="auth.authorize", public=True)

    # ------------------------------------------------------------ API calls
    async def authenticate(self, req: EmuRequest) -> EmuResponse | None:
        """Check the request's credentials: ``None`` when they are good (and ``req.auth`` is set).

        Examples:
            ```python
            problem = await auth.authenticate(req)
            if problem is not None:
                return problem      # 401 INVALID_LOGIN
            ```
        """
        try:
            info = self._check(req)
        except _Rejected as exc:
            return self._reject(exc.reason)
        req.auth = info
        return None

    def _reject(self, reason: str) -> EmuResponse:
        from netsuite_async.testing._app import ns_error

        self.last_failure = reason
        self._bump("auth_failures")
        return ns_error(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL)

    def _bump(self, name: str) -> None:
        counters = getattr(self._emu, "counters", None)
        if counters is None:
            return
        if isinstance(counters, dict):
            counters[name] = counters.get(name, 0) + 1
        elif hasattr(counters, name):
            setattr(counters, name, getattr(counters, name) + 1)

    def _check(self, req: EmuRequest) -> AuthInfo:
        header = req.headers.get("authorization")
        if not header:
            raise _Rejected("no Authorization header")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return self._check_bearer(req, value.strip())
        if scheme == "OAuth":
            return self._check_tba(req, header)
        raise _Rejected(f"unsupported Authorization scheme {scheme!r}")

    def _required_scope(self, path: str) -> str:
        return "restlets" if path.startswith(RESTLET_PATH) else "rest_webservices"

    def _check_bearer(self, req: EmuRequest, token: str) -> AuthInfo:
        if not token:
            raise _Rejected("empty bearer token")
        if hmac.compare_digest(token, self.credentials.static_token):
            return AuthInfo("static", frozenset(KNOWN_SCOPES), "static")
        issued = self._access_tokens.get(token)
        if issued is None:
            raise _Rejected("unknown bearer token")
        if issued.expires_at <= self.now():
            raise _Rejected("expired bearer token")
        needed = self._required_scope(req.path)
        if needed not in issued.scopes:
            raise _Rejected(f"token lacks scope {needed!r}")
        return AuthInfo(issued.kind, issued.scopes, issued.subject)

    def _check_tba(self, req: EmuRequest, header: str) -> AuthInfo:
        p = _parse_oauth_header(header)
        required = (
            "realm",
            "oauth_consumer_key",
            "oauth_token",
            "oauth_nonce",
            "oauth_timestamp",
            "oauth_signature_method",
            "oauth_signature",
        )
        missing = [k for k in required if k not in p]
        if missing:
            raise _Rejected(f"OAuth header lacks {', '.join(missing)}")
        if p["realm"] != self.realm:
            raise _Rejected(f"realm {p['realm']!r} is not {self.realm!r}")
        if p["oauth_signature_method"] != "HMAC-SHA256":
            raise _Rejected(f"signature method {p['oauth_signature_method']!r} is not accepted")
        if p.get("oauth_version", "1.0") != "1.0":
            raise _Rejected("oauth_version must be 1.0")
        consumer_secret = self._consumers.get(p["oauth_consumer_key"])
        if consumer_secret is None:
            raise _Rejected("unknown consumer key")
        token = self._tba_tokens.get(p["oauth_token"])
        if token is None or token[0] != p["oauth_consumer_key"]:
            raise _Rejected("unknown token for this consumer")
        nonce = p["oauth_nonce"]
        if len(nonce) < 6:
            raise _Rejected("nonce shorter than 6 characters")
        ts_text = p["oauth_timestamp"]
        if not ts_text.isdigit():
            raise _Rejected("timestamp is not an integer")
        now = self.now()
        if abs(int(ts_text) - now) > TIMESTAMP_WINDOW:
            raise _Rejected("timestamp outside ±300 s of the server clock")

        oauth_params = [(k, v) for k, v in p.items() if k not in ("realm", "oauth_signature")]
        params = oauth_params + [(k, v) for k, v in req.query]
        key = f"{_pct(consumer_secret)}&{_pct(token[1])}".encode()
        for base_url in _normalized_base_urls(req):
            base = _signature_base_string(req.method, base_url, params)
            expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()
            if hmac.compare_digest(expected, p["oauth_signature"]):
                break
        else:
            raise _Rejected("signature does not match")

        # Replay is checked after the signature so that forged requests cannot burn nonces.
        self._prune_nonces(now)
        replay_key = (p["oauth_token"], ts_text, nonce)
        if replay_key in self._nonces:
            raise _Rejected("nonce reused for this timestamp")
        self._nonces[replay_key] = now
        return AuthInfo("tba", frozenset(KNOWN_SCOPES), p["oauth_token"])

    def _prune_nonces(self, now: float) -> None:
        if len(self._nonces) < 10_000:
            return
        horizon = now - 2 * TIMESTAMP_WINDOW
        for k in [k for k, seen in self._nonces.items() if seen < horizon]:
            del self._nonces[k]

    # -------------------------------------------------------- OAuth 2.0 side
    def _count(self, grant: str) -> None:
        self.token_requests[grant] = self.token_requests.get(grant, 0) + 1

    def _form(self, req: EmuRequest) -> dict[str, str]:
        ctype = req.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in ctype:
            raise _OAuthError("invalid_request", "the token endpoint takes a form-encoded body")
        pairs = urllib.parse.parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        form: dict[str, str] = {}
        for k, v in pairs:
            if k in form:
                raise _OAuthError("invalid_request", f"parameter {k} repeated")
            form[k] = v
        return form

    def _oauth_error(self, err: _OAuthError) -> EmuResponse:
        from netsuite_async.testing._app import json_response

        self.last_failure = err.description
        self._bump("auth_failures")
        return json_response({"error": err.error, "error_description": err.description}, status=err.status)

    def _issue_access_token(self, kind: AuthKind, scopes: frozenset[str], subject: str) -> tuple[str, int]:
        token = _new_secret(48)
        lifetime = self.access_token_lifetime
        self._access_tokens[token] = _IssuedToken(kind, scopes, subject, self.now() + lifetime)
        self.tokens_issued += 1
        return token, lifetime

    async def _token_endpoint(self, req: EmuRequest) -> EmuResponse:
        from netsuite_async.testing._app import json_response

        if self.before_token is not None:
            await self.before_token()
        try:
            form = self._form(req)
            grant = form.get("grant_type", "")
            self._count(grant or "<missing>")
            body: Mapping[str, Any]
            if grant == "client_credentials":
                body = self._grant_client_credentials(req, form)
            elif grant == "authorization_code":
                body = self._grant_authorization_code(req, form)
            elif grant == "refresh_token":
                body = self._grant_refresh_token(req, form)
            else:
                raise _OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")
        except _OAuthError as err:
            return self._oauth_error(err)
        return json_response(dict(body), headers={"cache-control": "no-store"})

    def _grant_client_credentials(self, req: EmuRequest, form: Mapping[str, str]) -> dict[str, Any]:
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise _OAuthError("invalid_request", "client_assertion_type must be jwt-bearer")
        assertion = form.get("client_assertion", "")
        try:
            client_id, scopes = self._verify_assertion(req, assertion)
        except _Rejected as exc:
            raise _OAuthError("invalid_grant", exc.reason) from exc
        token, lifetime = self._issue_access_token("client_credentials", scopes, client_id)
        return {"access_token": token, "expires_in": str(lifetime), "token_type": "bearer"}

    def _verify_assertion(self, req: EmuRequest, assertion: str) -> tuple[str, frozenset[str]]:
        parts = assertion.split(".")
        if len(parts) != 3:
            raise _Rejected("client_assertion is not a compact JWS")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
        except (ValueError, UnicodeDecodeError) as exc:
            raise _Rejected("JWT header or claims are not JSON") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise _Rejected("JWT header and claims must be objects")
        alg = header.get("alg")
        if alg == "RS256":
            raise _Rejected("RS256 is not accepted; use PS256 or ES256/384/512")
        if alg not in ALLOWED_JWT_ALGORITHMS:
            raise _Rejected(f"alg {alg!r} is not accepted")
        if header.get("typ") != "JWT":
            raise _Rejected("JWT header typ must be JWT")
        kid = header.get("kid")
        registered = self._certificates.get(kid) if isinstance(kid, str) else None
        if registered is None:
            raise _Rejected("kid is not a registered certificate id")
        client_id, public_key = registered
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        _verify_jws_signature(alg, public_key, signing_input, _b64url_decode(parts[2]))

        if claims.get("iss") != client_id:
            raise _Rejected("iss is not the client id registered for this certificate")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        expected_aud = _normalized_base_urls(req)
        if not any(a in expected_aud for a in auds):
            raise _Rejected("aud is not this account's token URL")
        scope = claims.get("scope")
        if isinstance(scope, str):
            scope_list = scope.replace(",", " ").split()
        elif isinstance(scope, list) and all(isinstance(s, str) for s in scope):
            scope_list = list(scope)
        else:
            raise _Rejected("scope must be a list of strings")
        if not scope_list or not set(scope_list) <= KNOWN_SCOPES:
            raise _Rejected("scope is empty or names an unknown scope")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
            raise _Rejected("iat and exp must be numbers")
        now = self.now()
        if iat > now + TIMESTAMP_WINDOW:
            raise _Rejected("iat is in the future")
        if exp <= now:
            raise _Rejected("assertion has expired")
        if exp - iat > MAX_ASSERTION_LIFETIME or exp <= iat:
            raise _Rejected("exp must be after iat and at most one hour later")
        return client_id, frozenset(scope_list)

    def _client_from_basic(self, req: EmuRequest, form: Mapping[str, str] | None = None) -> str:
        header = req.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if not header and form is not None:
            # A public client has no secret: it names itself with client_id in the form.
            client_id = form.get("client_id", "")
            known = self._auth_code_clients.get(client_id)
            if known is None or known[0] is not None:
                raise _OAuthError("invalid_client", "unknown public client (confidential clients use Basic)", 401)
            return client_id
        if scheme.lower() != "basic":
            raise _OAuthError("invalid_client", "client authentication (Basic) required", 401)
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise _OAuthError("invalid_client", "malformed Basic credentials", 401) from exc
        client_id, sep, secret = decoded.partition(":")
        client_id = urllib.parse.unquote_plus(client_id)
        secret = urllib.parse.unquote_plus(secret)
        known = self._auth_code_clients.get(client_id)
        if not sep or known is None or known[0] is None or not hmac.compare_digest(known[0], secret):
            raise _OAuthError("invalid_client", "unknown client or wrong secret", 401)
        return client_id

    def _is_public(self, client_id: str) -> bool:
        known = self._auth_code_clients.get(client_id)
        return known is not None and known[0] is None

    def _grant_authorization_code(self, req: EmuRequest, form: Mapping[str, str]) -> dict[str, Any]:
        client_id = self._client_from_basic(req, form)
        code = self._codes.pop(form.get("code", ""), None)
        if code is None or code.used or code.client_id != client_id:
            raise _OAuthError("invalid_grant", "unknown, used or foreign authorization code")
        if code.expires_at <= self.now():
            raise _OAuthError("invalid_grant", "authorization code expired")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128:
            raise _OAuthError("invalid_grant", "code_verifier must be 43-128 characters")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
        if not hmac.compare_digest(challenge.rstrip(b"=").decode(), code.code_challenge):
            raise _OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        refresh = _new_secret(48)
        grant = _RefreshGrant(
            client_id, code.scopes, self.now() + REFRESH_TOKEN_LIFETIME, public=self._is_public(client_id)
        )
        self._refresh_tokens[refresh] = grant
        access, lifetime = self._issue_access_token("authorization_code", code.scopes, client_id)
        grant.access_tokens.add(access)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": str(lifetime),
            "token_type": "bearer",
        }

    def _grant_refresh_token(self, req: EmuRequest, form: Mapping[str, str]) -> dict[str, Any]:
        client_id = self._client_from_basic(req, form)
        old = form.get("refresh_token", "")
        grant = self._refresh_tokens.get(old)
        if grant is None or grant.client_id != client_id:
            raise _OAuthError("invalid_grant", "unknown or revoked refresh token")
        if grant.expires_at <= self.now():
            del self._refresh_tokens[old]
            raise _OAuthError("invalid_grant", "refresh token expired; authorize again")
        access, lifetime = self._issue_access_token("authorization_code", grant.scopes, client_id)
        grant.access_tokens.add(access)
        body: dict[str, Any] = {"access_token": access, "expires_in": str(lifetime), "token_type": "bearer"}
        rotate = grant.public if self.rotate_refresh_tokens is None else self.rotate_refresh_tokens
        if rotate:
            new = _new_secret(48)
            del self._refresh_tokens[old]
            self._refresh_tokens[new] = grant
            body["refresh_token"] = new
        return body

    async def _revoke_endpoint(self, req: EmuRequest) -> EmuResponse:
        from netsuite_async.testing._app import EmuResponse as _Response

        try:
            form = self._form(req)
            client_id = self._client_from_basic(req, form)
            token = form.get("token", "")
            grant = self._refresh_tokens.get(token)
            if grant is not None and grant.client_id == client_id:
                del self._refresh_tokens[token]
                for access in grant.access_tokens:
                    self._access_tokens.pop(access, None)
            elif (issued := self._access_tokens.get(token)) is not None and issued.subject == client_id:
                del self._access_tokens[token]
            # RFC 7009 §2.2: unknown tokens are not an error.
        except _OAuthError as err:
            return self._oauth_error(err)
        return _Response(status=200, headers={}, body=b"")

    async def _authorize_endpoint(self, req: EmuRequest) -> EmuResponse:
        from netsuite_async.testing._app import EmuResponse as _Response
        from netsuite_async.testing._app import json_response

        q = dict(req.query)
        client = self._auth_code_clients.get(q.get("client_id", ""))
        redirect_uri = q.get("redirect_uri", "")
        problem_uri = redirect_uri_problem(redirect_uri)
        if client is None or redirect_uri != client[1] or problem_uri is not None:
            # Never redirect to an unverified (or plain http) URI: answer on the page itself.
            self._bump("auth_failures")
            self.last_failure = problem_uri or "unknown client_id or redirect_uri"
            return json_response({"error": "invalid_request", "error_description": self.last_failure}, status=400)
        state = q.get("state", "")

        def redirect(params: Mapping[str, str]) -> EmuResponse:
            sep = "&" if "?" in redirect_uri else "?"
            location = redirect_uri + sep + urllib.parse.urlencode(params)
            return _Response(status=302, headers={"location": location}, body=b"")

        problem = None
        scopes = q.get("scope", "").split()
        if q.get("response_type") != "code":
            problem = ("unsupported_response_type", "response_type must be code")
        elif not 22 <= len(state) <= 1024:
            problem = ("invalid_request", "state must be 22-1024 characters")
        elif q.get("code_challenge_method") != "S256":
            problem = ("invalid_request", "code_challenge_method must be S256")
        elif not 43 <= len(q.get("code_challenge", "")) <= 128:
            problem = ("invalid_request", "code_challenge missing or malformed")
        elif not scopes or not set(scopes) <= KNOWN_SCOPES:
            problem = ("invalid_scope", "scope is empty or unknown")
        if problem is not None:
            self._bump("auth_failures")
            self.last_failure = problem[1]
            out = {"error": problem[0], "error_description": problem[1]}
            if state:
                out["state"] = state
            return redirect(out)

        code = _new_secret(32)
        self._codes[code] = _AuthCode(
            client_id=q["client_id"],
            redirect_uri=redirect_uri,
            code_challenge=q["code_challenge"],
            scopes=frozenset(scopes),
            expires_at=self.now() + AUTH_CODE_LIFETIME,
        )
        # Automatic consent: the emulator plays the user who logs in and clicks "Allow".
        return redirect({"code": code, "state": state, "role": "3", "entity": "-5", "company": self.realm})
