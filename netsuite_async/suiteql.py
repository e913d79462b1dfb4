"""SuiteQL: pages, ordered parallel streaming, keyset windows past the 100,000-row cap.

NetSuite answers at most 1,000 rows per page and at most 100,000 rows per query. `SuiteQL` hides both:
``stream()`` fetches the first page, then the remaining pages concurrently (the governor bounds the requests
in flight; a window bounds the pages held in memory) and yields rows in the query's order. A query that would
pass the cap is continued by keyset on a unique ordered key: the key range is split into windows below the
cap, and the windows' pages run in parallel too.

What NetSuite answers at the cap (``totalResults`` true or capped, ``hasMore`` true or false, a page past it
refused or empty) is not documented, so the stream never relies on it: a result that spans pages is counted
with one ``COUNT(*)`` query, and read only in a unique order (ordered by the key, or, without an ORDER BY, in
key order); otherwise `SuiteQLOrderError` is raised before any row.

Examples:
    >>> async def emails(ns: "NetSuiteClient") -> list[str]:
    ...     rows = ns.suiteql.stream("SELECT id, email FROM customer WHERE id > ? ORDER BY id", params=[100])
    ...     return [row["email"] async for row in rows]
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field

from netsuite_async._checks import is_int
from netsuite_async._limits import MAX_PAGE_SIZE, ROW_CAP
from netsuite_async.errors import NetSuiteError, SuiteQLCapError
from netsuite_async.errors import SuiteQLOrderError as SuiteQLOrderError  # importable from here, as before
from netsuite_async.models import Link
from netsuite_async.suiteql_order import order_key
from netsuite_async.suiteql_params import bind
from netsuite_async.suiteql_stream import _PageRequest, _probe_query, _probe_result, _Streaming
from netsuite_async.telemetry import traced, traced_iter
from netsuite_async.transport import RequestSpec

if TYPE_CHECKING:
    from netsuite_async.transport import Transport

__all__ = [
    "MAX_PAGE_SIZE",
    "ROW_CAP",
    "RowStream",
    "SuiteQL",
    "SuiteQLCapError",
    "SuiteQLPage",
    "order_key",
]

#: Most pages held in memory by one stream, whatever the concurrency.
MAX_WINDOW = 64

SUITEQL_PATH = "/query/v1/suiteql"

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Row = dict[str, Any]


class SuiteQLPage(BaseModel):
    """One page of a SuiteQL answer. ``items`` are rows (``links`` removed unless asked to keep them).

    Examples:
        >>> page = SuiteQLPage.model_validate({"items": [{"id": "1"}], "hasMore": False, "totalResults": 1,
        ...                                    "offset": 0, "count": 1, "links": []})
        >>> page.items, page.has_more
        ([{'id': '1'}], False)
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    items: list[Row] = Field(default_factory=list)
    has_more: bool = Field(default=False, alias="hasMore")
    total_results: int = Field(default=0, alias="totalResults")
    offset: int = 0
    count: int = 0
    links: list[Link] = Field(default_factory=list)

class RowStream(Generic[T]):
    """An async iterator of rows that can also be used as an async context manager.

    Breaking out of ``async for`` leaves the background page fetches to the garbage collector; use
    ``async with`` (or `aclose`) to stop them at once.

    Examples:
        >>> async def first_match(ns: "NetSuiteClient") -> dict[str, Any] | None:
        ...     async with ns.suiteql.stream("SELECT id, email FROM customer ORDER BY id") as rows:
        ...         async for row in rows:
        ...             if row.get("email", "").endswith("@example.com"):
        ...                 return row  # leaving the block stops the page fetches at once
        ...     return None
    """

    def __init__(self, agen: AsyncIterator[T] | None = None) -> None:
        self._agen: AsyncIterator[T] = agen if agen is not None else _empty()
        #: NetSuite's ``totalResults`` for the query once the first page arrived (progress bars, ETA).
        self.total: int | None = None

    def _attach(self, agen: AsyncIterator[T]) -> None:
        self._agen = agen

    def __aiter__(self) -> AsyncIterator[T]:
        return self._agen

    async def __anext__(self) -> T:
        return await self._agen.__anext__()

    async def aclose(self) -> None:
        """Stop fetching and release everything the stream holds."""
        aclose = getattr(self._agen, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> RowStream[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _strip_links(item: Any) -> Row:
    if not isinstance(item, dict):
        raise NetSuiteError(f"unexpected SuiteQL item {item!r}: expected an object")
    return {k: v for k, v in item.items() if k != "links"}

class SuiteQL(_Streaming):
    """The ``client.suiteql`` namespace: ``page``, ``stream``, ``all`` and ``count``.

    Each takes ``timeout=`` (per-attempt read timeout, seconds) and ``headers=`` for every request of that call:
    a stream's pages, the parallel ones included, and its count query (docs/observability.md, "Per-call options").

    Examples:
        >>> async def active(ns: "NetSuiteClient") -> int:
        ...     return await ns.suiteql.count("SELECT id FROM customer WHERE isinactive = ?", params=[False])
    """

    #: Rows one query may page through (NetSuite: 100,000). Lower it to match an emulator configured so.
    row_cap: int = ROW_CAP

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    # -- one page -------------------------------------------------------------------------------------------

    @traced("suiteql.page")
    async def page(
        self,
        query: str,
        *,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
        params: Sequence[object] | None = None,
        keep_links: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SuiteQLPage:
        """Fetch one page (``limit`` ≤ 1000 rows from ``offset``, a multiple of ``limit``).

        Examples:
            >>> async def second_page(ns: "NetSuiteClient") -> SuiteQLPage:
            ...     return await ns.suiteql.page("SELECT id FROM customer ORDER BY id", limit=100, offset=100)
        """
        _check_page_args(limit, offset, self.row_cap)
        return await self._fetch(_PageRequest(_prepare(query, params), offset, limit), keep_links=keep_links)

    async def _fetch(self, req: _PageRequest, *, keep_links: bool = False) -> SuiteQLPage:
        spec = RequestSpec(
            method="POST",
            path=SUITEQL_PATH,
            params={"limit": req.limit, "offset": req.offset},
            json={"q": req.query},
            headers={"Prefer": "transient"},
            # SuiteQL only reads: a failed page may be sent again without changing anything.
            idempotent=True,
        )
        response = await self._transport.send(spec)
        page = SuiteQLPage.model_validate(response.json())
        if not keep_links:
            page.items = [_strip_links(item) for item in page.items]
        return page

    # -- counting and collecting ----------------------------------------------------------------------------

    @traced("suiteql.count")
    async def count(
        self,
        query: str,
        *,
        params: Sequence[object] | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Number of rows the query returns.

        One request reads NetSuite's ``totalResults``. Whether NetSuite reports the true count or caps it at
        100,000 is not documented, so a total that reaches the cap is checked with a second request
        (``SELECT COUNT(*) FROM (<query>)``), which is never capped.

        Examples:
            >>> async def customers(ns: "NetSuiteClient") -> int:
            ...     return await ns.suiteql.count("SELECT id FROM customer")
        """
        bound = _prepare(query, params)
        page = await self._fetch(_PageRequest(bound, 0, 1))
        if page.total_results < self.row_cap:
            return page.total_results
        n, _, _, _ = _probe_result(await self._fetch(_probe_query(bound, None)), False)
        return n

    @overload
    async def all(
        self,
        query: str,
        *,
        params: Sequence[object] | None = ...,
        page_size: int = ...,
        model: None = ...,
        max_rows: int | None = ...,
        key: str = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> list[Row]: ...

    @overload
    async def all(
        self,
        query: str,
        *,
        params: Sequence[object] | None = ...,
        page_size: int = ...,
        model: type[M],
        max_rows: int | None = ...,
        key: str = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> list[M]: ...

    @traced("suiteql.all")
    async def all(
        self,
        query: str,
        *,
        params: Sequence[object] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        model: type[M] | None = None,
        max_rows: int | None = None,
        key: str = "id",
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> list[Row] | list[M]:
        """Every row of the query as a list (see `stream`).

        Examples:
            >>> async def ids(ns: "NetSuiteClient") -> list[str]:
            ...     return [r["id"] for r in await ns.suiteql.all("SELECT id FROM customer ORDER BY id")]
        """
        if model is None:
            async with self.stream(
                query, params=params, page_size=page_size, max_rows=max_rows, key=key
            ) as rows:
                return [row async for row in rows]
        async with self.stream(
            query, params=params, page_size=page_size, model=model, max_rows=max_rows, key=key
        ) as ms:
            return [m async for m in ms]

    # -- streaming ------------------------------------------------------------------------------------------

    @overload
    def stream(
        self,
        query: str,
        *,
        params: Sequence[object] | None = ...,
        page_size: int = ...,
        model: None = ...,
        max_rows: int | None = ...,
        key: str = ...,
        window: int | None = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> RowStream[Row]: ...

    @overload
    def stream(
        self,
        query: str,
        *,
        params: Sequence[object] | None = ...,
        page_size: int = ...,
        model: type[M],
        max_rows: int | None = ...,
        key: str = ...,
        window: int | None = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> RowStream[M]: ...

    @traced_iter("suiteql.stream")
    def stream(
        self,
        query: str,
        *,
        params: Sequence[object] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        model: type[M] | None = None,
        max_rows: int | None = None,
        key: str = "id",
        window: int | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RowStream[Row] | RowStream[M]:
        """Every row of the query, in the query's order, each once.

        A result that fits the first page is that page. A result that spans pages must have a unique order:
        an ORDER BY that includes ``key`` (a unique column the query selects, default ``id``), or no ORDER BY
        at all (the rows are then read in ``key`` order); otherwise
        `SuiteQLOrderError` is raised before any row. One count query gives the
        true total (``totalResults`` may be capped) and checks that ``key`` is unique. The other pages are then
        fetched concurrently (the governor bounds requests in flight, ``window`` bounds pages held in memory:
        default twice the governor's ceiling, at most 64) and yielded in order. Past 100,000 rows the query
        must order by ``key`` first and select it: the key range is split into windows below the cap, fetched
        the same way. Otherwise `SuiteQLCapError` is raised before any row. ``model`` validates each row into a
        pydantic model (NetSuite's strings are coerced). Arguments are validated before any request.

        Examples:
            >>> async def dump(ns: "NetSuiteClient") -> None:
            ...     async for row in ns.suiteql.stream("SELECT id, email FROM customer ORDER BY id"):
            ...         print(row["id"], row["email"])
        """
        if not is_int(page_size) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, not {page_size!r}")
        if max_rows is not None and (not is_int(max_rows) or max_rows < 0):
            raise ValueError(f"max_rows must be a non-negative int or None, not {max_rows!r}")
        if window is not None and (not is_int(window) or window < 1):
            raise ValueError(f"window must be a positive int or None, not {window!r}")
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][\w$#]*", key):
            raise ValueError(f"key must be a column name, not {key!r}")
        if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError("model must be a pydantic BaseModel subclass")
        bound = _prepare(query, params)
        holder: RowStream[Any] = RowStream()

        def on_total(total: int) -> None:
            holder.total = total if max_rows is None else min(total, max_rows)

        rows = self._rows(bound, page_size, max_rows, key.lower(), window or self._default_window(), on_total)
        holder._attach(rows if model is None else _validated(rows, model))
        return holder

    def _default_window(self) -> int:
        try:
            ceiling = self._transport.governor.stats().ceiling
        except Exception:  # a governor that cannot report (e.g. its backend is down) gets a modest window
            ceiling = 4
        return max(2, min(MAX_WINDOW, 2 * ceiling))


async def _empty() -> AsyncGenerator[Any, None]:
    return
    yield  # an async generator that yields nothing


async def _validated(rows: AsyncIterator[Row], model: type[M]) -> AsyncGenerator[M, None]:
    async for row in rows:
        yield model.model_validate(row)


def _prepare(query: str, params: Sequence[object] | None) -> str:
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, not {type(query).__name__}")
    bound = bind(query, params).strip()
    if not bound:
        raise ValueError("query is empty")
    return bound


def _check_page_args(limit: int, offset: int, cap: int) -> None:
    if not is_int(limit) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be an int from 1 to {MAX_PAGE_SIZE}, not {limit!r}")
    if not is_int(offset) or offset < 0:
        raise ValueError(f"offset must be a non-negative int, not {offset!r}")
    if offset % limit:
        raise ValueError(f"offset ({offset}) must be a multiple of limit ({limit}), as NetSuite requires")
    if offset + limit > cap:
        raise SuiteQLCapError(
            f"offset + limit ({offset + limit}) passes NetSuite's {cap:,}-row cap; use stream() with "
            "ORDER BY a unique key instead"
        )
