"""The emulator's fake credentials, the auth constants, and what an authentication check records.

Examples:
    ```python
    creds = EmulatorCredentials.generate("1234567_SB1", rng_seed=1)
    print(creds)              # every secret masked
    ```
"""

from __future__ import annotations

import random
import secrets
import string
from dataclasses import dataclass, field, fields
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "ALLOWED_JWT_ALGORITHMS",
    "AUTHORIZE_PATH",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "AuthInfo",
    "AuthKind",
    "EmulatorCredentials",
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
INVALID_LOGIN_DETAIL = "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI."

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


def _new_secret(n: int = 32) -> str:
    return secrets.token_urlsafe(n)
