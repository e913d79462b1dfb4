"""The emulator's request authentication: bearer tokens and TBA (OAuth 1.0a) signatures, checked per request.

Shares no code with ``netsuite_async.auth`` (see ``_auth.py``): the RFC 5849 signature is rebuilt here.

Examples:
    ```python
    problem = await emu.auth.authenticate(req)   # None -> OK, req.auth is set
    ```
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import urllib.parse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from netsuite_async.testing._auth_credentials import (
    INVALID_LOGIN_DETAIL,
    KNOWN_SCOPES,
    RESTLET_PATH,
    TIMESTAMP_WINDOW,
    AuthInfo,
    EmulatorCredentials,
    _IssuedToken,
)

if TYPE_CHECKING:
    from netsuite_async.testing._app import EmuRequest, EmuResponse

__all__ = ["RequestAuthenticator"]


class _Rejected(Exception):
    """An authentication check failed; ``reason`` goes to the emulator's log, never to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
            if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, curve_type):
                raise _Rejected(f"{alg} does not match the registered certificate's curve")
            public_key.verify(_der_from_raw_ecdsa(signature, size), signing_input, ec.ECDSA(hash_alg))
    except InvalidSignature as exc:
        raise _Rejected("JWT signature does not verify") from exc


class RequestAuthenticator:
    """Checks each API request's credentials against the account's registries (base of `EmulatorAuth`).

    Examples:
        ```python
        problem = await emu.auth.authenticate(req)
        ```
    """

    _emu: Any
    realm: str
    credentials: EmulatorCredentials
    _base_clock: Callable[[], float]
    _offset: float
    _consumers: dict[str, str]
    _tba_tokens: dict[str, tuple[str, str]]
    _access_tokens: dict[str, _IssuedToken]
    _nonces: dict[tuple[str, str, str], float]
    last_failure: str | None

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
