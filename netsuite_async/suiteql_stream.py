"""The SuiteQL stream engine: how ``SuiteQL.stream`` reads a query that spans pages (offset pages below the
100,000-row cap, keyset windows past it), and the count query it trusts instead of ``totalResults``.

`_Streaming` is a part of `netsuite_async.suiteql.SuiteQL` (one of its bases), kept here so that the namespace
(arguments, one page, counting) and the paging machinery each read as one concern. Pages are fetched
concurrently and yielded in order through `netsuite_async._tasks.ordered`; the governor bounds the requests in
flight, the window the pages held in memory.

Examples:
    >>> _probe_query("SELECT id FROM customer", "id").query
    'SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d, MIN(id) AS lo, MAX(id) AS hi FROM (SELECT id FROM customer)'
    >>> _key_literal("-5"), _key_literal("O'Brien")
    ('(-5)', "'O''Brien'")
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from netsuite_async._limits import ROW_CAP
from netsuite_async._tasks import ordered
from netsuite_async.errors import NetSuiteError, SuiteQLCapError, SuiteQLOrderError
from netsuite_async.suiteql_order import OrderKey, _order_by, _term_column, _top_level, order_key

if TYPE_CHECKING:
    from netsuite_async.suiteql import SuiteQLPage

Row = dict[str, Any]


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


class _Streaming:
    """The paging part of `netsuite_async.suiteql.SuiteQL` (see the module docstring)."""

    if TYPE_CHECKING:  # defined by SuiteQL
        row_cap: int

        async def _fetch(self, req: _PageRequest, *, keep_links: bool = False) -> SuiteQLPage: ...

    async def _rows(
        self,
        query: str,
        page_size: int,
        max_rows: int | None,
        key: str,
        window: int,
        on_total: Callable[[int], None] | None = None,
    ) -> AsyncGenerator[Row, None]:
        """Every row of the bound ``query`` (the engine behind ``SuiteQL.stream``, which checked the arguments)."""
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
        async with aclosing(ordered([partial(self._fetch, r) for r in reqs], width)) as pages:
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


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


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
