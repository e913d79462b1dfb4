"""The emulator's HTTP layer: a plain ASGI app, a small router, and request/response helpers.

No web framework: the emulator must serve thousands of requests per second on one core, and run under
asyncio and trio alike (httpx2's ``ASGITransport`` drives it in process on either).

What other emulator modules plug into
-------------------------------------
``EmuRequest`` (one per HTTP request)
    ``method`` (upper case), ``path`` (the full URL path, e.g. ``/services/rest/record/v1/customer/1``),
    ``query`` (list of decoded ``(key, value)`` pairs, order kept), ``raw_query`` (the query string as
    sent), ``headers`` (dict, lower-case names; a repeated header keeps its last value), ``body`` (bytes),
    ``scheme`` and ``host`` (from the Host header), ``path_params`` (filled by the router), ``auth`` (set by
    the auth layer, ``None`` before), ``route`` (the matched `Route`, or ``None``).
    Methods: ``json()`` (parsed body; raises `BadJSON`), ``param(name, default=None)`` (first query
    value), ``params(name)`` (every value), ``base_url`` (``scheme://host``), ``url`` (absolute URL with
    the query string).
``EmuResponse(status, headers: dict[str, str], body: bytes)``
    helpers `json_response`, `no_content` (``location=``), `ns_error` (NetSuite's error
    document and content type), `restlet_error` (the RESTlet error shape), `html_response`.
``Router``
    ``router.add(method, pattern, handler, *, name=None, public=False)``. ``pattern`` is a full path
    (``/services/rest/...`` or ``/app/...``) or a path under ``/services/rest`` (``/record/v1/{type}``).
    ``{name}`` matches one path segment, ``{name:path}`` the rest of the path. Exact patterns win; then
    patterns are tried in registration order. ``public=True`` routes skip authentication and governance.
    ``await router.dispatch(req)`` runs the matching handler only (no auth, governance, latency or faults):
    the async-job machinery replays inner requests through it. Handlers are ``async def h(req) ->
    EmuResponse``.
``EmulatorApp(emu)``
    the ASGI callable; the request pipeline lives in ``Emulator.handle`` (see ``_emulator.py``).

Examples:
    ```python
    router = Router()
    async def hello(req: EmuRequest) -> EmuResponse:
        return json_response({"hello": req.path_params["name"]})
    router.add("GET", "/demo/v1/hello/{name}", hello)     # served at /services/rest/demo/v1/hello/x
    ```
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsuite_async.testing._emulator import Emulator

__all__ = [
    "ERROR_CONTENT_TYPE",
    "REST_PREFIX",
    "BadJSON",
    "EmuRequest",
    "EmuResponse",
    "EmulatorApp",
    "Handler",
    "Route",
    "Router",
    "html_response",
    "json_response",
    "no_content",
    "ns_error",
    "restlet_error",
]

REST_PREFIX = "/services/rest"
ERROR_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=error"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
_ERROR_TYPES = {
    400: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
    401: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
    403: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4",
    404: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5",
    405: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6",
    409: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.10",
    415: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.16",
    429: "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    500: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1",
}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class BadJSON(ValueError):
    """The request body is not valid JSON (handlers answer 400 INVALID_CONTENT).

    Examples:
        ```python
        try:
            body = req.json()
        except BadJSON:
            return ns_error(400, "INVALID_CONTENT", "Invalid JSON")
        ```
    """


@dataclass
class EmuRequest:
    """One HTTP request as the emulator's handlers see it.

    Examples:
        ```python
        req = EmuRequest("GET", "/services/rest/record/v1/customer/1", [("fields", "email")], {}, b"")
        assert req.param("fields") == "email"
        ```
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    raw_query: str = ""
    scheme: str = "http"
    path_params: dict[str, str] = field(default_factory=dict)
    auth: Any = None
    route: Route | None = None
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    @property
    def host(self) -> str:
        """The Host header (what the client addressed).

        Examples:
            ```python
            assert req.host == "emulator.test"
            ```
        """
        return self.headers.get("host", "localhost")

    @property
    def base_url(self) -> str:
        """``scheme://host`` of this request; links in answers are built on it.

        Examples:
            ```python
            href = req.base_url + "/services/rest/record/v1/customer/1"
            ```
        """
        return f"{self.scheme}://{self.host}"

    @property
    def url(self) -> str:
        """The absolute URL, query string included.

        Examples:
            ```python
            assert req.url.endswith("?fields=email")
            ```
        """
        q = f"?{self.raw_query}" if self.raw_query else ""
        return f"{self.base_url}{self.path}{q}"

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``.

        Examples:
            ```python
            limit = req.param("limit", "1000")
            ```
        """
        for k, v in self.query:
            if k == name:
                return v
        return default

    def params(self, name: str) -> list[str]:
        """Every value of query parameter ``name``.

        Examples:
            ```python
            assert req.params("ids") == ["1,2"]
            ```
        """
        return [v for k, v in self.query if k == name]

    def json(self) -> Any:
        """The body parsed as JSON (cached); raises `BadJSON` when it is not.

        Examples:
            ```python
            body = req.json()
            ```
        """
        if not self._json_done:
            try:
                self._json = json.loads(self.body) if self.body else None
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadJSON(str(exc)) from None
            self._json_done = True
        return self._json

    def copy(self) -> EmuRequest:
        """A shallow copy (the async-job machinery replays copies of requests).

        Examples:
            ```python
            inner = req.copy(); inner.headers.pop("prefer", None)
            ```
        """
        return EmuRequest(
            method=self.method,
            path=self.path,
            query=list(self.query),
            headers=dict(self.headers),
            body=self.body,
            raw_query=self.raw_query,
            scheme=self.scheme,
            auth=self.auth,
        )


@dataclass
class EmuResponse:
    """An HTTP answer: status, headers (lower-case names preferred) and body bytes.

    Examples:
        ```python
        resp = EmuResponse(204, {"location": "http://emulator.test/services/rest/record/v1/customer/7"})
        ```
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON (tests and job results use it).

        Examples:
            ```python
            assert json_response({"a": 1}).json() == {"a": 1}
            ```
        """
        return json.loads(self.body) if self.body else None


def json_response(
    data: Any, status: int = 200, *, headers: dict[str, str] | None = None, content_type: str | None = None
) -> EmuResponse:
    """A JSON answer.

    Examples:
        ```python
        return json_response({"items": []})
        ```
    """
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h = {"content-type": content_type or JSON_CONTENT_TYPE}
    if headers:
        h.update(headers)
    return EmuResponse(status, h, body)


def no_content(location: str | None = None, *, headers: dict[str, str] | None = None) -> EmuResponse:
    """204 No Content, with ``Location`` for creates, upserts and transforms.

    Examples:
        ```python
        return no_content(location=f"{req.base_url}/services/rest/record/v1/customer/{new_id}")
        ```
    """
    h: dict[str, str] = {}
    if location is not None:
        h["location"] = location
    if headers:
        h.update(headers)
    return EmuResponse(204, h, b"")


def ns_error(
    status: int,
    code: str,
    detail: str,
    path: str | None = None,
    query_param: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> EmuResponse:
    """NetSuite's REST error document (``o:errorDetails``) with its content type.

    Examples:
        ```python
        return ns_error(400, "INVALID_PARAMETER", "Invalid limit.", query_param="limit")
        ```
    """
    item: dict[str, str] = {"detail": detail, "o:errorCode": code}
    if path is not None:
        item["o:errorPath"] = path
    if query_param is not None:
        item["o:errorQueryParam"] = query_param
    doc = {
        "type": _ERROR_TYPES.get(status, "https://www.rfc-editor.org/rfc/rfc9110.html"),
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "o:errorDetails": [item],
    }
    return json_response(doc, status, headers=headers, content_type=ERROR_CONTENT_TYPE)


def restlet_error(status: int, code: str, message: str) -> EmuResponse:
    """A RESTlet error: ``{"error": {"code": ..., "message": ...}}`` (RESTlets do not use o:errorDetails).

    Examples:
        ```python
        return restlet_error(400, "SSS_REQUEST_LIMIT_EXCEEDED", "Request limit exceeded.")
        ```
    """
    return json_response({"error": {"code": code, "message": message}}, status)


def html_response(status: int, title: str, text: str) -> EmuResponse:
    """An HTML page, the kind a proxy or load balancer answers with.

    Examples:
        ```python
        return html_response(502, "502 Bad Gateway", "The upstream server did not answer.")
        ```
    """
    page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    return EmuResponse(status, {"content-type": "text/html; charset=UTF-8"}, page.encode("utf-8"))


Handler = Callable[[EmuRequest], Awaitable[EmuResponse]]
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(:path)?\}")


@dataclass
class Route:
    """One registered route.

    Examples:
        ```python
        route = router.add("GET", "/record/v1/{type}", handler, name="record.list")
        ```
    """

    method: str
    pattern: str
    handler: Handler
    name: str
    public: bool = False
    regex: re.Pattern[str] | None = None


def _full_pattern(pattern: str) -> str:
    if not pattern.startswith("/"):
        raise ValueError(f"route pattern must start with '/': {pattern!r}")
    if pattern.startswith((REST_PREFIX + "/", "/app/")) or pattern == REST_PREFIX:
        return pattern
    return REST_PREFIX + pattern


def _compile(pattern: str) -> re.Pattern[str] | None:
    if "{" not in pattern:
        return None
    out = []
    pos = 0
    for m in _PARAM.finditer(pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out) + r"\Z")


class Router:
    """Maps (method, path) to handlers; see the module docstring for the pattern syntax.

    Examples:
        ```python
        router = Router()
        router.add("GET", "/system/v1/governanceLimits", handler, name="governance")
        route, params = router.match("GET", "/services/rest/system/v1/governanceLimits")
        ```
    """

    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], Route] = {}
        self._exact_paths: set[str] = set()
        self._patterns: list[Route] = []

    def add(
        self, method: str, pattern: str, handler: Handler, *, name: str | None = None, public: bool = False
    ) -> Route:
        """Register ``handler`` for ``method`` on ``pattern``; returns the route.

        Examples:
            ```python
            router.add("POST", "/query/v1/suiteql", run_suiteql, name="suiteql")
            ```
        """
        full = _full_pattern(pattern)
        route = Route(method.upper(), full, handler, name or f"{method.upper()} {full}", public, _compile(full))
        if route.regex is None:
            self._exact[(route.method, full)] = route
            self._exact_paths.add(full)
        else:
            self._patterns.append(route)
        return route

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Find the route: ``(route, path_params, path_known)``; ``path_known`` tells 405 from 404.

        Examples:
            ```python
            route, params, known = router.match("GET", "/services/rest/record/v1/customer/1")
            ```
        """
        route = self._exact.get((method, path))
        if route is not None:
            return route, {}, True
        known = path in self._exact_paths
        for r in self._patterns:
            m = r.regex.match(path) if r.regex is not None else None
            if m is None:
                continue
            if r.method == method:
                params = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                return r, params, True
            known = True
        return None, {}, known

    def resolve(self, req: EmuRequest) -> EmuResponse | None:
        """Attach the route and path params to ``req``; an error answer when nothing matches.

        Examples:
            ```python
            problem = router.resolve(req)
            ```
        """
        route, params, known = self.match(req.method, req.path)
        if route is None:
            if known:
                return ns_error(405, "INVALID_REQUEST", f"Method {req.method} is not allowed on {req.path}.")
            return ns_error(404, "NONEXISTENT_ID", f"The path {req.path} does not exist.")
        req.route = route
        req.path_params = params
        return None

    async def dispatch(self, req: EmuRequest) -> EmuResponse:
        """Run the handler for ``req`` alone: no auth, governance, latency or faults.

        Examples:
            ```python
            response = await router.dispatch(inner_request)
            ```
        """
        if req.route is None or req.route.method != req.method:
            problem = self.resolve(req)
            if problem is not None:
                return problem
        assert req.route is not None
        try:
            return await req.route.handler(req)
        except BadJSON as exc:
            return ns_error(400, "INVALID_CONTENT", f"The request body is not valid JSON: {exc}")


class DroppedConnection(ConnectionError):
    """Raised by the app to emulate a dropped connection when no transport-level error class is at hand.

    Examples:
        ```python
        raise DroppedConnection("fault: drop")
        ```
    """


def _drop_exception() -> BaseException:
    # Through httpx2's ASGITransport the app's exception reaches the client as is; raising the client
    # library's own "remote protocol error" makes it look exactly like a connection that was cut.
    try:
        from netsuite_async import _http

        cls = getattr(_http, "RemoteProtocolError", None) or getattr(_http.httpx2, "RemoteProtocolError", None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            return cls("Server disconnected without sending a response.")
    except ImportError:  # pragma: no cover - the foundation always ships _http
        pass
    return DroppedConnection("Server disconnected without sending a response.")


class EmulatorApp:
    """The ASGI application; ``Emulator.app`` is one of these.

    Examples:
        ```python
        transport = httpx2.ASGITransport(app=EmulatorApp(emu))
        ```
    """

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            headers[k.decode("latin-1").lower()] = v.decode("latin-1")
        raw_query = scope.get("query_string", b"").decode("latin-1")
        query = urllib.parse.parse_qsl(raw_query, keep_blank_values=True) if raw_query else []
        req = EmuRequest(
            method=scope["method"].upper(),
            # Match on the path as sent: decoding first would turn an external id's "%2F" into a separator.
            path=scope.get("raw_path", scope["path"].encode()).decode("latin-1") or scope["path"],
            query=query,
            headers=headers,
            body=b"".join(chunks),
            raw_query=raw_query,
            scheme=scope.get("scheme", "http"),
        )
        response = await self.emu.handle(req)
        if response is None:
            # A "drop" fault: start an answer that promises a body, then break off. Over a socket the
            # server closes the connection mid-response; in process the exception reaches the client.
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise _drop_exception()
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
        raw_headers.append((b"content-length", str(len(response.body)).encode("ascii")))
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": response.body})
