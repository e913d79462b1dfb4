"""Where a SuiteQL query's order comes from: `order_key` finds the first key of its top-level ORDER BY.

The ORDER BY is found outside strings, comments and subqueries; `SuiteQL` uses it to decide whether a result
that spans pages can be read in a unique order. Re-exported by `netsuite_async.suiteql`.

Examples:
    >>> order_key("SELECT id FROM customer ORDER BY id DESC").descending
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netsuite_async._limits import ROW_CAP
from netsuite_async.errors import SuiteQLCapError
from netsuite_async.suiteql_params import tokenize

__all__ = ["OrderKey", "order_key"]


@dataclass(frozen=True)
class OrderKey:
    """The first sort key of a query's top-level ORDER BY.

    ``expression`` is the text as written (``c.id``), ``column`` the output column it names (``id``),
    ``descending`` its direction, ``inner`` the query without the ORDER BY clause.
    """

    expression: str
    column: str
    descending: bool
    inner: str


_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_KEY_EXPR = re.compile(
    r"^\s*(?P<expr>(?:[A-Za-z_][\w$#]*\.)?(?P<col>[A-Za-z_][\w$#]*))\s*(?P<dir>asc|desc)?"
    r"(?:\s+nulls\s+(?:first|last))?\s*$",
    re.IGNORECASE,
)
_TAIL = re.compile(r"\b(fetch|offset|limit)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _OrderBy:
    """A query's top-level ORDER BY: where it starts, its terms (masked text) and whether a limit follows it."""

    start: int
    terms: tuple[str, ...]
    limited: bool
    text: str


def _order_by(query: str) -> _OrderBy | None:
    flat = _top_level(query)
    matches = list(_ORDER_BY.finditer(flat))
    if not matches:
        return None
    clause = flat[matches[-1].end() :]
    tail = _TAIL.search(clause)
    terms = clause[: tail.start()] if tail else clause
    return _OrderBy(
        start=matches[-1].start(),
        terms=tuple(t.replace("\0", "?") for t in terms.split(",")),
        limited=tail is not None,
        text=query[matches[-1].end() :].strip(),
    )


def _top_level(query: str) -> str:
    # Code text at parenthesis depth 0, with literals and comments masked, so "ORDER BY" in a subquery or a
    # string is never mistaken for the query's own.
    masked: list[str] = []
    depth = 0
    for tok in tokenize(query):
        if tok.kind != "code":
            masked.append(" " * len(tok.text) if tok.kind == "comment" else "\0" * len(tok.text))
            continue
        for ch in tok.text:
            if ch == "(":
                depth += 1
            masked.append(ch if depth == 0 else "\0")
            if ch == ")":
                depth -= 1
    return "".join(masked)


def _term_column(term: str) -> tuple[str, str, bool] | None:
    """``(expression, column, descending)`` of an ORDER BY term naming a column, else None."""
    m = _KEY_EXPR.match(term)
    if m is None:
        return None
    return m.group("expr"), m.group("col").lower(), (m.group("dir") or "").lower() == "desc"


def order_key(query: str, key: str = "id") -> OrderKey:
    """Find the query's top-level ``ORDER BY`` and check that it orders by ``key`` first.

    Raises `SuiteQLCapError` saying what is missing when the query cannot be keyset-paged on ``key``.

    Examples:
        >>> order_key("SELECT id, email FROM customer ORDER BY id").inner
        'SELECT id, email FROM customer'
    """
    found = _order_by(query)
    if found is None:
        raise SuiteQLCapError(
            f"the query has more rows than NetSuite's {ROW_CAP:,}-row cap and no ORDER BY: add "
            f"'ORDER BY {key}' (a unique key) so it can be continued by keyset"
        )
    if found.limited:
        raise SuiteQLCapError(
            "the query limits its own rows (FETCH/OFFSET after ORDER BY) and passes the cap: "
            "remove the limit or page it yourself"
        )
    first = _term_column(found.terms[0])
    if first is None or first[1] != key.lower():
        raise SuiteQLCapError(
            f"the query passes NetSuite's {ROW_CAP:,}-row cap and is not ordered by {key!r} first "
            f"(it says ORDER BY {found.text}): order by a unique key first, or pass key=<that column>"
        )
    return OrderKey(expression=first[0], column=first[1], descending=first[2], inner=query[: found.start].rstrip())
