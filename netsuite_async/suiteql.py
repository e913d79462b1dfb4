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

import math
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import anyio
import anyio.abc
from pydantic import BaseModel, ConfigDict, Field

from netsuite_async._limits import MAX_PAGE_SIZE, ROW_CAP
from netsuite_async.errors import NetSuiteError, SuiteQLCapError, SuiteQLOrderError
from netsuite_async.models import Link
from netsuite_async.suiteql_order import OrderKey, _order_by, _term_column, _top_level, order_key
from netsuite_async.suiteql_params import bind
from netsuite_async.telemetry import traced, traced_iter

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


@dataclass(frozen=True)
class _Plan:
    """How a query that spans several pages is read: by offset over ``paged`` (its order unique on ``key``)
    and, past the cap, by keyset when ``keyset`` is known."""

    paged: str
    counted: str
    keyset: OrderKey | None
    keyset_problem: str


def _plan(query: str, key: str, key_selected: bool) -> _Plan:
    """Decide how to read a query whose rows span pages, or raise `SuiteQLOrderError` (before any row)."""
    found = _order_by(query)
    if found is None:
        if not key_selected:
            raise SuiteQLOrderError(
                "the query spans several pages and has no ORDER BY: NetSuite may return its rows in a different "
                "order on every page, which drops and repeats rows. Select a unique key and order by it "
                "(e.g. 'SELECT id, ... ORDER BY id'), or pass key=<a unique column the query selects>"
            )
        if re.search(r"\b(?:fetch|rownum|offset|limit)\b", _top_level(query), re.IGNORECASE):
            raise SuiteQLOrderError(
                "the query spans several pages and limits its own rows (FETCH FIRST, ROWNUM, OFFSET) without an "
                "ORDER BY: which rows it keeps is not defined, so each page could come from a different set. "
                f"Order it by a unique key (ORDER BY {key}) before limiting it"
            )
        # No order was asked for: read the rows in key order, the one order that pages safely.
        imposed = OrderKey(expression=key, column=key, descending=False, inner=query)
        return _Plan(paged=_over(imposed, "*", None, key), counted=query, keyset=imposed, keyset_problem="")
    columns = [_term_column(t) for t in found.terms]
    if not any(c is not None and c[1] == key for c in columns):
        raise SuiteQLOrderError(
            f"the query spans several pages and its ORDER BY ({found.text}) does not include the unique key "
            f"{key!r}: rows that tie come back in a different order on every page, which drops and repeats "
            f"rows. Add the key as the last ORDER BY term (ORDER BY {found.text}, {key}), or pass "
            "key=<a unique column the ORDER BY names>"
        )
    inner = query[: found.start].rstrip()
    try:
        ordering: OrderKey | None = order_key(query, key)
        problem = ""
    except SuiteQLCapError as exc:
        ordering, problem = None, str(exc)
    if ordering is not None and not key_selected:
        ordering, problem = None, (
            f"the query passes NetSuite's {ROW_CAP:,}-row cap and does not select its key column {key!r}: "
            "select it so the query can be continued by keyset"
        )
    return _Plan(paged=query, counted=query if found.limited else inner, keyset=ordering, keyset_problem=problem)


@dataclass(frozen=True)
class _PageRequest:
    query: str
    offset: int
    limit: int


@dataclass
class _Window:
    lo: int  # inclusive
    hi: int  # exclusive
    rows: int = 0


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


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class SuiteQL:
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
        from netsuite_async.transport import RequestSpec

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
        if not _is_int(page_size) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, not {page_size!r}")
        if max_rows is not None and (not _is_int(max_rows) or max_rows < 0):
            raise ValueError(f"max_rows must be a non-negative int or None, not {max_rows!r}")
        if window is not None and (not _is_int(window) or window < 1):
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

    async def _rows(
        self,
        query: str,
        page_size: int,
        max_rows: int | None,
        key: str,
        window: int,
        on_total: Callable[[int], None] | None = None,
    ) -> AsyncGenerator[Row, None]:
        if max_rows == 0:
            return
        remaining = math.inf if max_rows is None else max_rows
        first = await self._fetch(_PageRequest(query, 0, page_size))
        if on_total is not None:
            on_total(first.total_results)
        whole = not first.has_more and first.total_results <= len(first.items) and page_size < self.row_cap
        if len(first.items) >= remaining or whole:
            # One page holds every row wanted (and it does not reach the cap, where hasMore and totalResults
            # may stop short): no second request, so no order between pages to trust.
            for row in first.items[: int(min(len(first.items), remaining))]:
                yield row
            return
        key_selected = bool(first.items) and key in first.items[0]
        plan = _plan(query, key, key_selected)
        probe = _probe_query(plan.counted, key if key_selected else None)
        cap_rows = (self.row_cap // page_size) * page_size
        reuse = first if plan.paged == query else None

        def checked(page: SuiteQLPage) -> tuple[int, int | None, int | None]:
            n, distinct, lo, hi = _probe_result(page, key_selected)
            if distinct is not None and distinct != n:
                raise SuiteQLOrderError(
                    f"the key {key!r} is not unique in the query's rows ({n:,} rows, {distinct:,} distinct "
                    "non-null values): paging would drop and repeat rows. Order by a unique column and pass "
                    "key=<it>, or add one (e.g. the line's id) as the last ORDER BY term"
                )
            if on_total is not None:
                on_total(n)
            return n, lo, hi

        if first.total_results < cap_rows:
            # Below the cap totalResults is the true count under every reading, so the pages are planned from
            # it at once; the count query (is the key unique?) runs alongside them and is checked before any
            # row is yielded.
            async with aclosing(
                self._offset_rows(
                    plan.paged, reuse, page_size, cap_rows, window, remaining, first.total_results, key,
                    (probe, checked),
                )
            ) as rows:
                async for row in rows:
                    yield row
            return
        # totalResults reached the cap: it may be capped, and hasMore at the cap may say false. The count tells
        # how many rows there really are, and whether the key tells them apart.
        n, lo, hi = checked(await self._fetch(probe))
        if min(n, remaining) <= cap_rows:
            async with aclosing(
                self._offset_rows(plan.paged, reuse, page_size, cap_rows, window, remaining, n, key)
            ) as rows:
                async for row in rows:
                    yield row
            return
        if plan.keyset is None:
            raise SuiteQLCapError(plan.keyset_problem)
        async with aclosing(
            self._keyset_rows(plan.keyset, page_size, cap_rows, window, remaining, (lo, hi, n))
        ) as rows:
            async for row in rows:
                yield row

    async def _offset_rows(
        self,
        query: str,
        first: SuiteQLPage | None,
        page_size: int,
        cap_rows: int,
        window: int,
        remaining: float,
        total: int,
        key: str,
        check: tuple[_PageRequest, Callable[[SuiteQLPage], object]] | None = None,
    ) -> AsyncGenerator[Row, None]:
        # Planned from the counted total, never from hasMore (it may say false at the cap). ``first`` (page 0,
        # already read) and every other row wait until ``check`` (the count query) has passed.
        start = 0 if first is None else page_size
        end = int(min(total, remaining, cap_rows))
        reqs = [_PageRequest(query, off, page_size) for off in range(start, end, page_size)]
        jobs = ([check[0]] if check is not None else []) + reqs
        pending = first
        last = first
        async with aclosing(self._in_order(jobs, window)) as pages:
            async for page in pages:
                if check is not None:
                    check[1](page)  # raises before any row when the order cannot be trusted
                    check = None
                    continue
                if pending is not None:
                    for row in pending.items[: int(min(len(pending.items), remaining))]:
                        yield row
                    remaining -= len(pending.items)
                    pending = None
                    if remaining <= 0:
                        return
                for row in page.items[: int(min(len(page.items), remaining))]:
                    yield row
                remaining -= len(page.items)
                last = page
                if remaining <= 0:
                    return
        if pending is not None:
            for row in pending.items[: int(min(len(pending.items), remaining))]:
                yield row
            remaining -= len(pending.items)
        # Rows added since the count: keep going one page at a time while NetSuite says there are more.
        offset = (reqs[-1].offset if reqs else start - page_size) + page_size
        while last is not None and last.has_more and remaining > 0:
            if offset + page_size > cap_rows:
                raise SuiteQLCapError(
                    f"the query grew past NetSuite's {ROW_CAP:,}-row cap while it was read; order it by a "
                    f"unique key ({key!r}) so it can be continued by keyset"
                )
            last = await self._fetch(_PageRequest(query, offset, page_size))
            for row in last.items[: int(min(len(last.items), remaining))]:
                yield row
            remaining -= len(last.items)
            offset += page_size

    async def _keyset_rows(
        self,
        ordering: OrderKey,
        page_size: int,
        cap_rows: int,
        window: int,
        remaining: float,
        stats: tuple[int | None, int | None, int],
    ) -> AsyncGenerator[Row, None]:
        col = ordering.column
        lo, hi, n = stats
        if lo is None or hi is None:
            # Not an integer key: no range to split, so walk it one page at a time.
            async with aclosing(self._sequential_keyset(ordering, page_size, remaining)) as rows:
                async for row in rows:
                    yield row
            return
        windows = await self._plan_windows(ordering, lo, hi + 1, n, cap_rows, window)
        if ordering.descending:
            windows.reverse()
        direction = " DESC" if ordering.descending else ""
        reqs: list[_PageRequest] = []
        planned = 0
        for w in windows:
            q = _over(ordering, "*", f"{col} >= {w.lo} AND {col} < {w.hi}", f"{col}{direction}")
            for off in range(0, w.rows, page_size):
                if planned >= remaining:
                    break
                reqs.append(_PageRequest(q, off, page_size))
                planned += page_size
        last_key: int | None = None
        async with aclosing(self._in_order(reqs, window)) as pages:
            async for page in pages:
                for row in page.items:
                    k = _int_or_none(row.get(col))
                    # The key is unique and ordered, so a key not past the last one is a row already yielded
                    # (rows shifted between pages while the query was read).
                    if k is not None and last_key is not None:
                        behind = k >= last_key if ordering.descending else k <= last_key
                        if behind:
                            continue
                    last_key = k
                    yield row
                    remaining -= 1
                    if remaining <= 0:
                        return
        # Rows added beyond the windows planned (new keys above the old maximum).
        if remaining > 0 and last_key is not None and not ordering.descending:
            async with aclosing(
                self._sequential_keyset(ordering, page_size, remaining, after=str(last_key))
            ) as rows:
                async for row in rows:
                    yield row

    async def _plan_windows(
        self, ordering: OrderKey, lo: int, hi: int, n: int, cap_rows: int, width: int
    ) -> list[_Window]:
        """Split [lo, hi) into key windows holding at most ``cap_rows`` rows each (counted, not guessed)."""
        col = ordering.column
        # Aim at half the cap so a skewed key range rarely needs a second split.
        parts = max(1, math.ceil(n / (cap_rows / 2)))
        step = max(1, math.ceil((hi - lo) / parts))
        pending = [_Window(a, min(a + step, hi)) for a in range(lo, hi, step)]
        done: list[_Window] = []
        while pending:
            queries = [
                _PageRequest(_over(ordering, "COUNT(*) AS n", f"{col} >= {w.lo} AND {col} < {w.hi}"), 0, 1)
                for w in pending
            ]
            counted: list[_Window] = []
            i = 0
            async with aclosing(self._in_order(queries, width)) as pages:
                async for page in pages:
                    w = pending[i]
                    i += 1
                    w.rows = (_int_or_none(page.items[0].get("n")) or 0) if page.items else 0
                    counted.append(w)
            pending = []
            for w in counted:
                if w.rows > cap_rows and w.hi - w.lo > 1:
                    mid = w.lo + (w.hi - w.lo) // 2
                    pending += [_Window(w.lo, mid), _Window(mid, w.hi)]
                elif w.rows > cap_rows:
                    raise SuiteQLCapError(f"key {col!r} is not unique: {w.rows} rows share the value {w.lo}")
                elif w.rows:
                    done.append(w)
        done.sort(key=lambda w: w.lo)
        return done

    async def _sequential_keyset(
        self, ordering: OrderKey, page_size: int, remaining: float, after: str | None = None
    ) -> AsyncGenerator[Row, None]:
        col = ordering.column
        op = "<" if ordering.descending else ">"
        direction = " DESC" if ordering.descending else ""
        while remaining > 0:
            where = None if after is None else f"{col} {op} {_key_literal(after)}"
            page = await self._fetch(
                _PageRequest(_over(ordering, "*", where, f"{col}{direction}"), 0, page_size)
            )
            for row in page.items[: int(min(len(page.items), remaining))]:
                yield row
            remaining -= len(page.items)
            if not page.items or not page.has_more:
                return
            after = str(page.items[-1].get(col))

    async def _in_order(self, reqs: Sequence[_PageRequest], width: int) -> AsyncGenerator[SuiteQLPage, None]:
        """Fetch ``reqs`` concurrently (``width`` pages started and not yet consumed at most), in order."""
        async with aclosing(_ordered([partial(self._fetch, r) for r in reqs], width)) as pages:
            async for page in pages:
                yield page


def _probe_query(query: str, key: str | None) -> _PageRequest:
    """One row: the query's true row count and, with ``key``, its distinct non-null keys and range."""
    select = "COUNT(*) AS n"
    if key is not None:
        select += f", COUNT(DISTINCT {key}) AS d, MIN({key}) AS lo, MAX({key}) AS hi"
    return _PageRequest(f"SELECT {select} FROM ({query})", 0, 1)  # noqa: S608 - key is a checked column name


def _probe_result(page: SuiteQLPage, with_key: bool) -> tuple[int, int | None, int | None, int | None]:
    info = page.items[0] if page.items else {}
    n = _int_or_none(info.get("n"))
    if n is None:
        raise NetSuiteError(f"counting the query's rows answered {info!r}, not a count")
    distinct = (_int_or_none(info.get("d")) or 0) if with_key else None
    return n, distinct, _int_or_none(info.get("lo")), _int_or_none(info.get("hi"))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _over(ordering: OrderKey, select: str, where: str | None = None, order: str | None = None) -> str:
    """A query over the user's query as an inline view; every piece is a validated column or an int."""
    text = f"SELECT {select} FROM ({ordering.inner})"  # noqa: S608 - inner is the caller's own bound query
    if where:
        text += f" WHERE {where}"
    if order:
        text += f" ORDER BY {order}"
    return text


def _key_literal(value: str) -> str:
    if re.fullmatch(r"-?\d+", value):
        return value if not value.startswith("-") else f"({value})"
    return "'" + value.replace("'", "''") + "'"


async def _ordered(jobs: Sequence[Callable[[], Awaitable[T]]], width: int) -> AsyncGenerator[T, None]:
    """Run ``jobs`` concurrently, at most ``width`` started and not yet consumed, yielding results in order.

    Workers never raise into the task group: a failure is stored and re-raised when its turn comes, so the
    consumer is never cancelled while it holds a row (the generator is suspended at ``yield`` then).
    """
    if not jobs:
        return
    results: dict[int, tuple[bool, Any]] = {}
    ready: dict[int, anyio.Event] = {}
    slots = anyio.Semaphore(width)

    async def worker(i: int, job: Callable[[], Awaitable[T]]) -> None:
        try:
            results[i] = (True, await job())
        except Exception as exc:
            results[i] = (False, exc)
        ready.setdefault(i, anyio.Event()).set()

    async def producer(tg: anyio.abc.TaskGroup) -> None:
        for i, job in enumerate(jobs):
            await slots.acquire()
            tg.start_soon(worker, i, job)

    failure: BaseException | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(producer, tg)
        try:
            for i in range(len(jobs)):
                await ready.setdefault(i, anyio.Event()).wait()
                del ready[i]
                ok, value = results.pop(i)
                if not ok:
                    failure = value
                    break
                try:
                    yield value
                except GeneratorExit:
                    # Closed by the consumer: stop the workers; re-raising inside the task group would
                    # come out wrapped in an exception group.
                    break
                slots.release()
        finally:
            tg.cancel_scope.cancel()
    if failure is not None:
        raise failure


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
    if not _is_int(limit) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be an int from 1 to {MAX_PAGE_SIZE}, not {limit!r}")
    if not _is_int(offset) or offset < 0:
        raise ValueError(f"offset must be a non-negative int, not {offset!r}")
    if offset % limit:
        raise ValueError(f"offset ({offset}) must be a multiple of limit ({limit}), as NetSuite requires")
    if offset + limit > cap:
        raise SuiteQLCapError(
            f"offset + limit ({offset + limit}) passes NetSuite's {cap:,}-row cap; use stream() with "
            "ORDER BY a unique key instead"
        )
