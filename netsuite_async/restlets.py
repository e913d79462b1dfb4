"""RESTlets (``/app/site/hosting/restlet.nl`` on the account's restlets host): ``client.restlets``.

A RESTlet is your own SuiteScript behind a URL. It shares the account's concurrency pool with REST and SOAP,
so its calls go through the same governor; NetSuite answers a RESTlet over the limit with
``400 SSS_REQUEST_LIMIT_EXCEEDED``, which the transport treats like a 429.

Examples:
    ```python
    out = await ns.restlets.call("customscript_orders", "customdeploy1", method="POST", json={"id": 7})
    ```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from netsuite_async._jsonbody import encode_json_body
from netsuite_async.identifiers import validate_deploy_id, validate_script_id
from netsuite_async.suiteql_params import number_text
from netsuite_async.telemetry import traced
from netsuite_async.transport import RequestSpec

if TYPE_CHECKING:
    from netsuite_async.transport import Transport

__all__ = ["RESTLET_LIMIT_ERROR_CODES", "RESTLET_PATH", "Restlets"]

RESTLET_PATH = "/app/site/hosting/restlet.nl"
#: o:errorCode values that mean "over the concurrency limit" on the restlets host.
RESTLET_LIMIT_ERROR_CODES: tuple[str, ...] = ("SSS_REQUEST_LIMIT_EXCEEDED",)

_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
_BODYLESS = frozenset({"GET", "DELETE"})
# NetSuite compares the Content-Type case-sensitively against exactly these (no charset parameter).
_CONTENT_TYPES = frozenset({"application/json", "application/xml", "text/plain"})
_RESERVED_PARAMS = frozenset({"script", "deploy"})

ParamValue = str | int | float | bool


def _render_param(key: object, value: object) -> tuple[str, str]:
    if not isinstance(key, str) or not key:
        raise ValueError(f"RESTlet parameter names must be non-empty strings, not {key!r}")
    if key.lower() in _RESERVED_PARAMS:
        raise ValueError(f"{key!r} is set from the script and deploy arguments; it cannot be a parameter")
    if isinstance(value, bool):
        return key, "true" if value else "false"
    if isinstance(value, str):
        return key, str.__str__(value)
    if isinstance(value, int | float):
        # By value: NaN/Infinity refused, a subclass's __str__ ignored.
        return key, number_text(value) or ""
    raise TypeError(f"RESTlet parameter {key!r} must be a str, int, float or bool, not {type(value).__name__}")


class Restlets:
    """``client.restlets``: call RESTlets, signed like every other request and counted by the governor.

    Examples:
        ```python
        hello = await ns.restlets.call("customscript_hello", 1, params={"name": "Zoë & co"})
        ```
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @traced("restlets.call")
    async def call(
        self,
        script: str | int,
        deploy: str | int,
        *,
        method: str = "GET",
        params: Mapping[str, ParamValue] | Sequence[tuple[str, ParamValue]] | None = None,
        json: Any = None,
        text: str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> Any:
        """Call a RESTlet and return its answer: parsed JSON for a JSON content type, else the text.

        ``script`` and ``deploy`` are numeric ids or script ids (``customscript_x`` / ``customdeploy_x``);
        they go first in the query string, then ``params`` in order. GET and DELETE take no body; POST and
        PUT send ``json`` (as ``application/json``) or ``text`` (as ``text/plain``; set ``Content-Type:
        application/xml`` in ``headers`` for XML). Every request carries a Content-Type, because NetSuite
        answers 415 without one, even for a GET. An empty answer gives ``None``.

        A POST is not repeated once it may have reached NetSuite (a RESTlet may do anything): such a failure
        raises `WriteOutcomeUnknownError`. Pass ``idempotent=True`` when your
        script is safe to run twice; PUT, GET and DELETE count as idempotent unless ``idempotent=False``.

        ``timeout`` is the per-attempt read timeout in seconds (``read_timeout`` is its old name, deprecated).

        Examples:
            ```python
            rows = await ns.restlets.call("customscript_report", "customdeploy1", params={"day": "2024-1-1"})
            ack = await ns.restlets.call(512, 1, method="POST", json={"orders": [1, 2]})
            ```
        """
        query = [("script", validate_script_id(script)), ("deploy", validate_deploy_id(deploy))]
        verb = method.upper() if isinstance(method, str) else method
        if verb not in _METHODS:
            raise ValueError(f"RESTlet method must be one of {sorted(_METHODS)}, not {method!r}")
        if params is not None:
            pairs = params.items() if isinstance(params, Mapping) else params
            if isinstance(pairs, str | bytes):
                raise TypeError("params must be a mapping or a sequence of (name, value) pairs")
            query.extend(_render_param(k, v) for k, v in pairs)
        if json is not None and text is not None:
            raise ValueError("pass json= or text=, not both")
        if verb in _BODYLESS and (json is not None or text is not None):
            raise ValueError(f"a RESTlet {verb} takes its arguments in params=, not in a body")

        sent_headers: dict[str, str] = {}
        content_type: str | None = None
        for name, value in (headers or {}).items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError("headers must map str to str")
            if name.lower() == "content-type":
                content_type = value
            elif name.lower() == "authorization":
                raise ValueError("the Authorization header is set by the client's auth; do not pass it")
            else:
                sent_headers[name] = value

        content: bytes | None = None
        if json is not None:
            content = encode_json_body(json)
            content_type = content_type or "application/json"
            if content_type != "application/json":
                raise ValueError(f"json= is sent as application/json, not {content_type!r}")
        elif text is not None:
            if not isinstance(text, str):
                raise TypeError(f"text must be a str, not {type(text).__name__}")
            content = text.encode("utf-8")
            content_type = content_type or "text/plain"
        content_type = content_type or "application/json"
        if content_type not in _CONTENT_TYPES:
            raise ValueError(
                f"RESTlet Content-Type must be exactly one of {sorted(_CONTENT_TYPES)}, not {content_type!r}"
            )
        sent_headers["Content-Type"] = content_type

        response = await self._transport.send(
            RequestSpec(
                method=verb,
                path=RESTLET_PATH,
                params=query,
                content=content,
                headers=sent_headers,
                host="restlets",
                idempotent=idempotent,
                timeout=timeout,
                limit_error_codes=RESTLET_LIMIT_ERROR_CODES,
                write_context={"restlet": f"script={query[0][1]}&deploy={query[1][1]}", "method": verb},
            )
        )
        if not response.content:
            return None
        answer_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if answer_type == "application/json" or answer_type.endswith("+json"):
            return response.json()
        return response.text
