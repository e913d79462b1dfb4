"""The one module that imports httpx2.

Everything else in the library reaches HTTP through `netsuite_async.transport`, which uses the names
re-exported here. Keeping the import in one place keeps the HTTP library swappable and its exceptions mapped in
one spot.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx2
from httpx2 import (
    ASGITransport,
    AsyncBaseTransport,
    AsyncClient,
    Limits,
    MockTransport,
    Request,
    Response,
    Timeout,
)

__all__ = [
    "ASGITransport",
    "AsyncBaseTransport",
    "AsyncClient",
    "DetachedResponse",
    "Limits",
    "MockTransport",
    "Request",
    "Response",
    "Timeout",
    "build_client",
    "detach_response",
    "httpx2",
    "is_in_process",
    "redacted_headers",
    "redacted_response",
    "redacted_url",
    "tls_configuration_problem",
]


def build_client(
    *,
    limits: Limits,
    connect_timeout: float,
    read_timeout: float,
    write_timeout: float,
    pool_timeout: float,
    transport: AsyncBaseTransport | None = None,
) -> AsyncClient:
    """A pooled keep-alive client sized for the account's concurrency limit.

    The pool holds at least as many connections as may be in flight, so the governor, not the pool, is what
    makes requests wait; idle connections are kept so bursts reuse TLS sessions.
    """
    timeout = Timeout(connect=connect_timeout, read=read_timeout, write=write_timeout, pool=pool_timeout)
    return AsyncClient(limits=limits, timeout=timeout, follow_redirects=False, transport=transport)


# -- keeping credentials out of errors and logs -------------------------------------------------------------

#: Headers whose values are credentials (request side) or session secrets (response side).
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
REDACTED = "[redacted]"


def redacted_url(url: object) -> str:
    """``url`` with every query value replaced by ``…`` (names kept) and any ``user:password@`` removed.

    NetSuite puts no credential in URLs, but RESTlet parameters and record filters are the user's own data
    (API keys, e-mail addresses): errors and logs keep only the parameter names.

    Examples:
        >>> redacted_url("https://u:p@x.test/app/site/hosting/restlet.nl?script=1&apikey=s3cret")
        'https://x.test/app/site/hosting/restlet.nl?script=…&apikey=…'
    """
    parsed = url if isinstance(url, httpx2.URL) else httpx2.URL(str(url))
    port = f":{parsed.port}" if parsed.port is not None else ""
    host = parsed.host if ":" not in parsed.host else f"[{parsed.host}]"
    base = f"{parsed.scheme}://{host}{port}{parsed.path}"
    if parsed.query:
        base += "?" + "&".join(f"{name}=…" for name, _ in parsed.params.multi_items())
    return base


def redacted_headers(headers: object) -> list[tuple[str, str]]:
    """Header pairs with credential values replaced by ``[redacted]`` (names kept, order kept).

    Examples:
        >>> redacted_headers({"Authorization": "Bearer abc", "Accept": "application/json"})
        [('authorization', '[redacted]'), ('accept', 'application/json')]
    """
    pairs = headers.multi_items() if isinstance(headers, httpx2.Headers) else httpx2.Headers(headers).multi_items()  # type: ignore[arg-type]
    return [(k, REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in pairs]


@dataclass(frozen=True)
class DetachedResponse:
    """What an error keeps of an HTTP answer: plain values, credentials redacted (see `detach_response`).

    Cheap to make (about 20 µs, so a 429 costs little more than before); `build` makes the
    ``httpx2.Response`` only when someone looks at ``err.response``.

    Examples:
        >>> req = Request("GET", "https://x.test/r?q=1", headers={"Authorization": "Bearer abc"})
        >>> kept = detach_response(Response(404, json={"title": "Not Found"}, request=req))
        >>> kept.request_headers
        [('host', 'x.test'), ('authorization', '[redacted]')]
    """

    status_code: int
    headers: list[tuple[str, str]]
    content: bytes
    reason_phrase: bytes | None
    method: str | None
    url: str | None
    request_headers: list[tuple[str, str]]

    def build(self) -> Response:
        """A new ``httpx2.Response`` (with a ``request``) from the kept values."""
        request = None
        if self.method is not None and self.url is not None:
            request = Request(self.method, self.url, headers=self.request_headers)
        extensions = {"reason_phrase": self.reason_phrase} if self.reason_phrase is not None else {}
        return Response(self.status_code, headers=self.headers, content=self.content, request=request,
                        extensions=extensions)


def detach_response(response: Response) -> DetachedResponse:
    """Keep what a user needs of ``response`` and nothing that links to credentials or the connection pool.

    Status, headers (``Set-Cookie`` redacted; encoding headers dropped, since the body is kept decoded), body and
    reason phrase; of the request: the method, the URL with query values redacted and the headers with
    ``Authorization``/``Cookie`` redacted, but no body (a token request's form holds credentials).

    Examples:
        >>> req = Request("POST", "https://x.test/token", headers={"Authorization": "Basic c2VjcmV0"})
        >>> copy = detach_response(Response(503, text="busy", request=req)).build()
        >>> copy.request.headers["authorization"], copy.status_code, copy.text
        ('[redacted]', 503, 'busy')
    """
    try:
        request: Request | None = response.request
    except RuntimeError:  # a Response built without a request
        request = None
    try:
        content = response.content
    except httpx2.ResponseNotRead:
        content = b""
    headers = [(k, v) for k, v in redacted_headers(response.headers)
               if k.lower() not in ("content-encoding", "transfer-encoding")]
    reason = response.extensions.get("reason_phrase")
    return DetachedResponse(
        response.status_code, headers, content, reason if isinstance(reason, bytes) else None,
        request.method if request is not None else None,
        redacted_url(request.url) if request is not None else None,
        redacted_headers(request.headers) if request is not None else [],
    )


def redacted_response(response: Response) -> Response:
    """A detached copy of ``response`` that holds no credential (`detach_response`, built at once).

    Examples:
        >>> req = Request("GET", "https://x.test/r?q=1", headers={"Authorization": "Bearer abc"})
        >>> copy = redacted_response(Response(404, json={"title": "Not Found"}, request=req))
        >>> copy.request.headers["authorization"], copy.status_code, copy.json()["title"], str(copy.request.url)
        ('[redacted]', 404, 'Not Found', 'https://x.test/r?q=%E2%80%A6')
    """
    return detach_response(response).build()


def is_in_process(client: AsyncClient) -> bool:
    """True when every transport of ``client`` answers in process (ASGI app or mock): no byte leaves the machine.

    Examples:
        >>> is_in_process(AsyncClient(transport=MockTransport(lambda r: Response(204))))
        True
        >>> is_in_process(AsyncClient())
        False
    """
    in_process = (ASGITransport, MockTransport)
    # httpx2 keeps the default transport and the mounted ones in private attributes (stable since httpx 0.18).
    transports = [getattr(client, "_transport", None)]
    transports += list(getattr(client, "_mounts", {}).values())
    return all(t is None or isinstance(t, in_process) for t in transports) and transports[0] is not None


# Reasons OpenSSL gives for a handshake that will fail the same way every time (a setup problem, not a blip).
_TLS_CONFIG_REASONS = frozenset({
    "CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER", "UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION",
    "NO_PROTOCOLS_AVAILABLE", "NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE", "SSLV3_ALERT_HANDSHAKE_FAILURE",
    "TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE", "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "TLSV1_UNRECOGNIZED_NAME", "UNSAFE_LEGACY_RENEGOTIATION_DISABLED", "DH_KEY_TOO_SMALL", "CA_MD_TOO_WEAK",
    "EE_KEY_TOO_SMALL", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE",
})


def tls_configuration_problem(exc: BaseException) -> str | None:
    """What is wrong when ``exc`` (an httpx2 connect error) comes from a TLS setup problem, else None.

    Certificate verification failures (self-signed, unknown CA, expired, wrong host name) and protocol
    mismatches (plain HTTP on an HTTPS port, no common TLS version or cipher) fail the same way on every
    attempt: retrying them only delays the error.

    Examples:
        >>> import ssl
        >>> err = httpx2.ConnectError("boom")
        >>> err.__cause__ = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate")
        >>> tls_configuration_problem(err)
        'certificate verify failed: self-signed certificate'
        >>> tls_configuration_problem(httpx2.ConnectError("connection refused")) is None
        True
    """
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack and len(seen) < 32:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            detail = getattr(current, "verify_message", None)
            return f"certificate verify failed: {detail}" if detail else (current.strerror or str(current))
        if isinstance(current, ssl.CertificateError):
            return str(current)
        if isinstance(current, ssl.SSLError) and not isinstance(
            current, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError, ssl.SSLWantReadError,
                      ssl.SSLWantWriteError)
        ) and (current.reason or "") in _TLS_CONFIG_REASONS:
            return f"{current.reason}: {current}"
        stack.extend((current.__cause__, current.__context__))
    return None
