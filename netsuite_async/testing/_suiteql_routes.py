"""The SuiteQL route, ``POST /services/rest/query/v1/suiteql``: paging, the row cap and the dialect's choices.

Examples:
    ```python
    register(router, emu)
    ```
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from typing import TYPE_CHECKING

from netsuite_async.testing._app import EmuRequest, EmuResponse, Router, json_response, ns_error
from netsuite_async.testing._suiteql import MAX_LIMIT, PATH, ROW_CAP, SuiteQLError, _CountCache, run_query
from netsuite_async.testing._suiteql_functions import install_functions

if TYPE_CHECKING:
    from netsuite_async.testing._state import EmulatorState

__all__ = ["SuiteQLRoutes", "register"]


def _int_param(req: EmuRequest, name: str, default: int) -> int | EmuResponse:
    raw = req.param(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,9}", raw):
        return ns_error(400, "INVALID_PARAMETER", f"Invalid value for the parameter '{name}': {raw}.", query_param=name)
    return int(raw)


class SuiteQLRoutes:
    """The SuiteQL endpoint as a named handler, with its per-emulator count cache and request numbering.

    Examples:
        ```python
        router.add("POST", PATH, SuiteQLRoutes(emu).suiteql, name="suiteql")
        ```
    """

    def __init__(self, emu: EmulatorState) -> None:
        self.emu = emu
        self._cache = _CountCache()
        self._installed: set[int] = set()
        self._requests = itertools.count()

    async def suiteql(self, req: EmuRequest) -> EmuResponse:
        prefer = req.headers.get("prefer", "")
        if "transient" not in [p.strip().lower() for p in prefer.split(",")]:
            return ns_error(400, "INVALID_HEADER", "SuiteQL requests must carry the header 'Prefer: transient'.")
        limit = _int_param(req, "limit", MAX_LIMIT)
        if isinstance(limit, EmuResponse):
            return limit
        offset = _int_param(req, "offset", 0)
        if isinstance(offset, EmuResponse):
            return offset
        if not 1 <= limit <= MAX_LIMIT:
            return ns_error(
                400,
                "INVALID_PARAMETER",
                f"Invalid value for the parameter 'limit'. The value must be between 1 and {MAX_LIMIT}.",
                query_param="limit",
            )
        if offset % limit:
            return ns_error(
                400,
                "INVALID_PARAMETER",
                "Invalid value for the parameter 'offset'. The offset must be a multiple of the limit.",
                query_param="offset",
            )
        cap = int(getattr(self.emu.config, "max_results", ROW_CAP))
        dialect = self.emu.config.dialect
        if offset + limit > cap and dialect.suiteql_past_cap == "refuse":
            return ns_error(
                400,
                "INVALID_PARAMETER",
                f"Invalid value for the parameter 'offset'. A query can "
                f"return at most {cap} results: offset + limit must not exceed {cap}.",
                query_param="offset",
            )
        try:
            body = req.json()
        except ValueError:
            return ns_error(400, "INVALID_CONTENT", "The request body is not valid JSON.")
        q = body.get("q") if isinstance(body, dict) else None
        if not isinstance(q, str) or not q.strip():
            return ns_error(400, "INVALID_CONTENT", "The request body must be an object with the query in 'q'.")
        conn: sqlite3.Connection = self.emu.store.connection
        if id(conn) not in self._installed:
            install_functions(conn)
            self._installed.add(id(conn))
        tie_seed = None
        if dialect.unstable_order:
            # A new order per request (reproducible from the emulator's seed and the request number).
            tie_seed = self.emu.config.rng_seed * 1_000_003 + next(self._requests)
        try:
            # Past the cap ("empty" dialect) no row is read; a page across the cap is cut at the cap.
            rows, total = run_query(conn, q, max(0, min(limit, cap - offset)), offset, self._cache, tie_seed=tie_seed)
        except SuiteQLError as exc:
            return ns_error(400, "INVALID_PARAMETER", str(exc), query_param="q")
        base = f"{req.base_url}/services/rest{PATH}"

        def link(rel: str, off: int) -> dict[str, str]:
            return {"rel": rel, "href": f"{base}?limit={limit}&offset={off}"}

        reachable = min(total, cap)
        has_more = offset + len(rows) < reachable
        if total > cap and offset < cap <= offset + limit:
            # The last page before the cap while more rows exist: public code reads hasMore here both ways.
            has_more = dialect.suiteql_has_more_at_cap
        if dialect.suiteql_total == "capped":
            total = reachable
        last = max(0, min((total - 1) // limit * limit if total else 0, (cap - limit) // limit * limit))
        links = [link("self", offset), link("first", 0)]
        if offset > 0:
            links.append(link("previous", max(0, offset - limit)))
        if has_more:
            links.append(link("next", offset + limit))
        links.append(link("last", last))
        return json_response(
            {
                "links": links,
                "count": len(rows),
                "hasMore": has_more,
                "items": [{"links": [], **row} for row in rows],
                "offset": offset,
                "totalResults": total,
            }
        )


def register(router: Router, emu: EmulatorState) -> None:
    """Add ``POST /services/rest/query/v1/suiteql`` to the emulator's router.

    Examples:
        ```python
        register(emu.router, emu)
        ```
    """
    router.add("POST", PATH, SuiteQLRoutes(emu).suiteql, name="suiteql")
