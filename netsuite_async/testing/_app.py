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

import urllib.parse
from typing import TYPE_CHECKING, Any

from netsuite_async.testing._messages import (
    ERROR_CONTENT_TYPE,
    REST_PREFIX,
    BadJSON,
    EmuRequest,
    EmuResponse,
    html_response,
    json_response,
    no_content,
    ns_error,
    restlet_error,
)
from netsuite_async.testing._router import Handler, Route, Router

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
