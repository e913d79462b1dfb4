"""RESTlets: ``/app/site/hosting/restlet.nl?script=…&deploy=…`` served by Python handlers.

A handler is ``handler(method, params, body)`` (plain or ``async``): ``params`` holds the query parameters
other than ``script`` and ``deploy``; ``body`` is the parsed JSON for ``application/json``, the text otherwise,
``None`` for GET/DELETE. It returns what the script would: a dict/list (sent as JSON), a string (sent as is),
``None`` (empty body), or an `EmuResponse` for full control. Raising
`RestletError` answers like an uncaught ``N/error``: 400 with ``{"error": {"code", "message"}}``; any
other exception answers 500 ``UNEXPECTED_ERROR`` in that shape. A script that catches its own error and
returns it still answers 200, as in NetSuite.

POST and PUT need ``Content-Type`` exactly ``application/json``, ``application/xml`` or ``text/plain``
(parameters like ``; charset=utf-8`` allowed, case-sensitive); anything else is 415. Unknown script/deploy:
400 ``SSS_INVALID_SCRIPTLET_ID``. Built in: ``customscript_echo`` deploy ``1`` echoes method, params and body.

Examples:
    ```python
    async def totals(method, params, body):
        return {"sum": sum(body["values"])}
    fake.emulator.restlets.register("customscript_totals", "1", totals)
    ```
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from netsuite_async.testing._app import EmuRequest, EmuResponse, Router, restlet_error

if TYPE_CHECKING:
    from netsuite_async.testing._state import EmulatorState

__all__ = ["RESTLET_PATH", "RestletError", "RestletRegistry", "register"]

RESTLET_PATH = "/app/site/hosting/restlet.nl"
_ALLOWED_TYPES = ("application/json", "application/xml", "text/plain")
RestletHandler = Callable[[str, dict[str, str], Any], Any]


class RestletError(Exception):
    """Raise in a handler to answer like an uncaught SuiteScript error (400).

    Examples:
        ```python
        raise RestletError("INVALID_INPUT", "values is required")
        ```
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


async def _echo(method: str, params: dict[str, str], body: Any) -> Any:
    return {"method": method, "params": params, "body": body}


class RestletRegistry:
    """The RESTlet deployments of the emulated account (``emu.restlets``).

    Examples:
        ```python
        emu.restlets.register("customscript_x", "1", lambda method, params, body: {"ok": True})
        ```
    """

    def __init__(self, emu: EmulatorState) -> None:
        self.emu = emu
        self._handlers: dict[tuple[str, str], RestletHandler] = {}
        self.register("customscript_echo", "1", _echo)

    def register(self, script: str | int, deploy: str | int, handler: RestletHandler) -> None:
        """Deploy ``handler`` as script ``script`` deployment ``deploy`` (ids or numbers).

        Examples:
            ```python
            emu.restlets.register("customscript_orders", "customdeploy1", handler)
            ```
        """
        if not callable(handler):
            raise TypeError("handler must be callable as handler(method, params, body)")
        self._handlers[(str(script), str(deploy))] = handler

    def unregister(self, script: str | int, deploy: str | int) -> None:
        """Remove a deployment.

        Examples:
            ```python
            emu.restlets.unregister("customscript_orders", "customdeploy1")
            ```
        """
        self._handlers.pop((str(script), str(deploy)), None)

    async def handle(self, req: EmuRequest) -> EmuResponse:
        """Run the deployed handler for one request.

        Examples:
            ```python
            response = await emu.restlets.handle(req)
            ```
        """
        script, deploy = req.param("script"), req.param("deploy")
        handler = self._handlers.get((script or "", deploy or ""))
        if handler is None:
            return restlet_error(
                400, "SSS_INVALID_SCRIPTLET_ID", "That Suitelet is invalid, disabled, or no longer exists."
            )
        raw_type = req.headers.get("content-type")
        media = (raw_type or "").split(";", 1)[0].strip()
        body: Any = None
        if req.method in ("POST", "PUT"):
            if media not in _ALLOWED_TYPES:
                return restlet_error(
                    415,
                    "INVALID_CONTENT_TYPE",
                    "Invalid content type. You can only use application/json, application/xml or text/plain.",
                )
            text = req.body.decode("utf-8", "replace")
            if media == "application/json":
                try:
                    body = json.loads(text) if text else None
                except ValueError:
                    return restlet_error(400, "SYNTAX_ERROR", "SyntaxError: Unexpected token in JSON.")
            else:
                body = text
        params = {k: v for k, v in req.query if k not in ("script", "deploy")}
        try:
            result = handler(req.method, params, body)
            if inspect.isawaitable(result):
                result = await result
        except RestletError as err:
            return restlet_error(err.status, err.code, err.message)
        except Exception as exc:  # a script's uncaught error is the script's answer, not the emulator's crash
            return restlet_error(500, "UNEXPECTED_ERROR", f"{type(exc).__name__}: {exc}")
        if isinstance(result, EmuResponse):
            return result
        out_type = media if media in _ALLOWED_TYPES else "application/json"
        if result is None:
            return EmuResponse(200, {"content-type": out_type}, b"")
        if isinstance(result, str):
            return EmuResponse(200, {"content-type": out_type}, result.encode("utf-8"))
        payload = json.dumps(result, separators=(",", ":")).encode("utf-8")
        return EmuResponse(200, {"content-type": "application/json"}, payload)


def register(router: Router, state: EmulatorState) -> None:
    """Serve the RESTlet URL for every method, answered by ``state.restlets``.

    Examples:
        ```python
        register(router, emu)
        ```
    """
    for method in ("GET", "POST", "PUT", "DELETE"):
        router.add(method, RESTLET_PATH, state.restlets.handle, name="restlet")
