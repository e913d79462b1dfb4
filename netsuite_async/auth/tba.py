"""Token-Based Authentication (OAuth 1.0a, HMAC-SHA256), NetSuite's classic integration credentials.

The signature follows RFC 5849 §3.4.1: the base string covers the method, the URL without its query, every
``oauth_*`` parameter and every URL query parameter, each percent-encoded exactly once. JSON bodies are not
signed (NetSuite signs no body). A fresh nonce and timestamp are made for every attempt, retries included.

Examples:
    ```python
    auth = TokenAuth(consumer_key="…", consumer_secret="…", token_id="…", token_secret="…")
    async with NetSuiteClient(account="1234567_SB1", auth=auth) as ns:
        await ns.records.get("customer", 1)
    ```
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
import time
import urllib.parse
from collections.abc import Callable, Iterable

from netsuite_async.auth.base import AuthContext, AuthRequest

__all__ = ["TokenAuth", "percent_encode", "signature_base_string"]

_NONCE_ALPHABET = string.ascii_letters + string.digits
_NONCE_LENGTH = 32


def percent_encode(value: str) -> str:
    """RFC 5849 §3.6 encoding: unreserved characters stay, everything else becomes ``%XX`` of UTF-8 bytes.

    Examples:
        ```python
        percent_encode("a b+c/é")    # 'a%20b%2Bc%2F%C3%A9'
        ```
    """
    return urllib.parse.quote(value, safe="-._~")


def _base_string_uri(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"cannot sign a {scheme or 'relative'} URL")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("cannot sign a URL without a host")
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path or "/"
    # The query is form-decoded ('+' is a space, RFC 5849 §3.4.1.3.1) so that each value is encoded once.
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    return f"{scheme}://{netloc}{path}", query


def signature_base_string(method: str, url: str, oauth_params: Iterable[tuple[str, str]]) -> str:
    """The RFC 5849 §3.4.1 signature base string for ``url`` (query parameters included).

    Examples:
        ```python
        signature_base_string("GET", "https://h/services/rest/record/v1/customer?limit=5",
                              [("oauth_nonce", "abcdef"), ...])
        ```
    """
    base_uri, query = _base_string_uri(url)
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in [*oauth_params, *query])
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), percent_encode(base_uri), percent_encode(normalized)))


def _check_secret(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError(f"{name} is empty")
    if any(c in text for c in '\r\n"\\'):
        raise ValueError(f"{name} contains characters that cannot appear in an OAuth header")
    return text


class TokenAuth:
    """OAuth 1.0a Token-Based Authentication with HMAC-SHA256, the only method NetSuite still accepts.

    The realm is the account's canonical id (``1234567_SB1``) whatever spelling the client was given.
    ``repr`` and ``str`` show the consumer key and token id only partly and never the secrets.

    Examples:
        ```python
        auth = TokenAuth(consumer_key=ck, consumer_secret=cs, token_id=tid, token_secret=ts)
        async with NetSuiteClient(account="1234567-sb1", auth=auth) as ns: ...
        ```
    """

    __slots__ = ("_clock", "_consumer_key", "_consumer_secret", "_token_id", "_token_secret")

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._consumer_key = _check_secret("consumer_key", consumer_key)
        self._consumer_secret = _check_secret("consumer_secret", consumer_secret)
        self._token_id = _check_secret("token_id", token_id)
        self._token_secret = _check_secret("token_secret", token_secret)
        self._clock = clock

    def __repr__(self) -> str:
        return f"TokenAuth(consumer_key={_peek(self._consumer_key)}, token_id={_peek(self._token_id)})"

    __str__ = __repr__

    def authorization_header(
        self, method: str, url: str, realm: str, *, nonce: str | None = None, timestamp: int | None = None
    ) -> str:
        """The ``Authorization`` header value for one attempt (``nonce``/``timestamp`` only for tests).

        Examples:
            ```python
            header = auth.authorization_header("GET", "https://h/services/rest/record/v1/customer/1",
                                               "1234567_SB1")
            ```
        """
        if nonce is None:
            nonce = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(_NONCE_LENGTH))
        if timestamp is None:
            timestamp = int(self._clock())
        oauth = [
            ("oauth_consumer_key", self._consumer_key),
            ("oauth_token", self._token_id),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", str(timestamp)),
            ("oauth_nonce", nonce),
            ("oauth_version", "1.0"),
        ]
        base = signature_base_string(method, url, oauth)
        key = f"{percent_encode(self._consumer_secret)}&{percent_encode(self._token_secret)}".encode()
        signature = base64.b64encode(hmac.new(key, base.encode("utf-8"), hashlib.sha256).digest()).decode()
        fields = [("realm", realm), *oauth, ("oauth_signature", signature)]
        return "OAuth " + ", ".join(f'{k}="{percent_encode(v)}"' for k, v in fields)

    async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        """Add a freshly signed ``Authorization: OAuth …`` header.

        Examples:
            ```python
            await auth.sign(AuthRequest("GET", url, {}), context)
            ```
        """
        request.headers["Authorization"] = self.authorization_header(
            request.method, request.url, context.account.realm
        )

    async def on_unauthorized(self, request: AuthRequest, context: AuthContext) -> bool:
        """TBA credentials cannot be renewed by the client: a 401 is final.

        Examples:
            ```python
            assert await auth.on_unauthorized(request, context) is False
            ```
        """
        return False

    def unauthorized_hints(self, context: AuthContext) -> list[str]:
        """What usually causes ``INVALID_LOGIN`` with TBA (the transport adds these to the error).

        Examples:
            ```python
            for hint in auth.unauthorized_hints(context): print(hint)
            ```
        """
        return [
            f"the TBA realm sent was {context.account.realm!r} (the account id in upper case with '_'); "
            "check that account= names the account these tokens were created in (a sandbox has its own)",
            "the OAuth timestamp must be within 5 minutes of NetSuite's clock: "
            "check this machine's clock (NTP)",
            "the consumer key/secret must belong to an enabled integration record with Token-Based "
            "Authentication, and the token to a user and role with 'Log in using Access Tokens' and "
            "REST Web Services permissions; revoked or sandbox-refreshed tokens fail this way",
            "some users report that requests over the concurrency limit can surface as INVALID_LOGIN: "
            "check the governor's stats",
        ]


def _peek(value: str) -> str:
    # Enough to tell two credentials apart in a log, too little to use.
    return f"'{value[:4]}…'" if len(value) > 12 else "'…'"
