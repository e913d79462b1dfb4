"""The emulator's router: path patterns with ``{name}`` / ``{name:path}`` segments, exact patterns first.

Examples:
    ```python
    router = Router()
    router.add("GET", "/demo/v1/hello/{name}", hello)     # served at /services/rest/demo/v1/hello/x
    ```
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from netsuite_async.testing._messages import REST_PREFIX, BadJSON, EmuRequest, EmuResponse, ns_error

__all__ = ["Handler", "Route", "Router"]

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
