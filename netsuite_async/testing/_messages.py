"""The emulator's request and response types and the answer helpers (NetSuite's error document, JSON, HTML).

Examples:
    ```python
    response = ns_error(404, "NONEXISTENT_ID", "Record type 'x' does not exist.")
    ```
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsuite_async.testing._router import Route

__all__ = [
    "ERROR_CONTENT_TYPE",
    "REST_PREFIX",
    "BadJSON",
    "EmuRequest",
    "EmuResponse",
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
