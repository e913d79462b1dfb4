"""The emulator's SuiteQL endpoint: ``POST /services/rest/query/v1/suiteql``.

Runs a subset of SuiteQL (Oracle flavoured SQL) on the emulator's SQLite store, by a small translator of our
own (no sqlglot: the emulator stays dependency-free). What the real service does, strictly:

- only SELECT; ``Prefer: transient`` required; body ``{"q": "..."}``;
- ``limit`` 1..1000 (default 1000), ``offset`` ≥ 0 and a multiple of ``limit``;
- at most 100,000 rows per query (``EmulatorConfig.max_results``): ``offset + limit > 100000`` is refused with
  400 ``INVALID_PARAMETER`` (the exact wording of NetSuite's own refusal is not documented; the emulator refuses
  earlier rather than later, so clients that pass here pass there);
- where NetSuite's documentation is silent, the dialect (``EmulatorConfig.dialect``) decides: ``suiteql_total``
  (``totalResults`` the true count or capped at the cap), ``suiteql_has_more_at_cap`` (``hasMore`` on the page
  that reaches the cap while more rows exist), ``suiteql_past_cap`` (a page past the cap refused, or answered
  with no rows: a page across the cap is then cut at the cap) and ``unstable_order`` (rows the query's ORDER BY
  does not tell apart, or every row without an ORDER BY, come back in a new order on every request; an ORDER BY
  the emulator can prove unique, on output columns, stays stable);
- lower-case column names, every value a string, NULL columns left out of the row;
- ``links`` (self, first, previous, next, last), ``count``, ``hasMore``, ``offset``, ``totalResults``.

Supported Oracle-isms: ``NVL``, ``NVL2``, ``DECODE``, ``TO_DATE``, ``TO_TIMESTAMP``, ``TO_CHAR``,
``TO_NUMBER``, ``SYSDATE``/``SYSTIMESTAMP``, ``BUILTIN.DF`` (the raw value: the emulator has no display
names), ``||``, ``MINUS``, ``FROM DUAL``, ``FETCH FIRST|NEXT n ROWS ONLY``, ``OFFSET n ROWS``, q-quoted
literals, and ``ROWNUM <= n`` in the outermost WHERE of a query without ORDER BY at that level. Anything
else Oracle-only (``(+)`` joins, CONNECT BY, PIVOT, other BUILTIN functions, ...) is answered with 400
``INVALID_PARAMETER`` naming what the emulator lacks.

Dates are stored as ISO-8601 UTC strings (``2024-01-02T03:04:05.000Z``); TO_DATE/TO_TIMESTAMP produce the
same shape, so comparisons work as text.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from netsuite_async.suiteql_params import tokenize
from netsuite_async.testing._suiteql_functions import _plain, install_functions

if TYPE_CHECKING:
    pass

__all__ = ["MAX_LIMIT", "ROW_CAP", "SuiteQLError", "install_functions", "run_query", "translate"]

MAX_LIMIT = 1000
ROW_CAP = 100_000
PATH = "/query/v1/suiteql"


class SuiteQLError(ValueError):
    """A query the emulator refuses (not SELECT, bad syntax, or a feature it lacks)."""


# ------------------------------------------------------------------------------------------------ translation

_FORBIDDEN = {
    "(+)": "Oracle (+) outer joins (use LEFT OUTER JOIN)",
    "CONNECT BY": "hierarchical queries (CONNECT BY)",
    "START WITH": "hierarchical queries (START WITH)",
    "PIVOT": "PIVOT",
    "UNPIVOT": "UNPIVOT",
    "MODEL": "the MODEL clause",
}
_WRITE_WORDS = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|DROP|CREATE|ALTER|TRUNCATE|ATTACH|DETACH|PRAGMA|VACUUM|GRANT|REINDEX)\b",
    re.IGNORECASE,
)
_PLACEHOLDER = "\x01{}\x01"
_PLACEHOLDER_RE = re.compile("\x01(\\d+)\x01")


def translate(query: str) -> str:
    """Translate a SuiteQL SELECT into SQLite, or raise `SuiteQLError` saying what is wrong.

    Examples:
        ```python
        translate("SELECT NVL(email, 'none') FROM customer WHERE ROWNUM <= 5")
        # "SELECT NVL(email, 'none') FROM customer WHERE 1=1 LIMIT 5"
        ```
    """
    try:
        tokens = list(tokenize(query))
    except ValueError as exc:
        raise SuiteQLError(f"Invalid search query: {exc}.") from None
    literals: list[str] = []
    parts: list[str] = []
    for tok in tokens:
        if tok.kind == "comment":
            parts.append(" ")
        elif tok.kind == "param":
            raise SuiteQLError("Invalid search query: '?' is not valid SuiteQL (no bind parameters over REST).")
        elif tok.kind in ("string", "ident"):
            literals.append(_sqlite_literal(tok.text) if tok.kind == "string" else tok.text.lower())
            parts.append(_PLACEHOLDER.format(len(literals) - 1))
        else:
            parts.append(tok.text)
    code = "".join(parts).strip()
    if not re.match(r"select\b", code, re.IGNORECASE):
        raise SuiteQLError("Invalid search query: only SELECT statements are supported by SuiteQL.")
    if ";" in code.rstrip(";") or code.endswith(";"):
        raise SuiteQLError("Invalid search query: one statement only, without ';'.")
    m = _WRITE_WORDS.search(code)
    if m:
        raise SuiteQLError(f"Invalid search query: {m.group(1).upper()} is not allowed: SuiteQL only reads.")
    upper = re.sub(r"\s+", " ", code.upper())
    for needle, what in _FORBIDDEN.items():
        if re.search(r"(?<![\w])" + re.escape(needle).replace(r"\ ", r"\s+") + r"(?![\w])", upper) or (
            needle == "(+)" and re.search(r"\(\s*\+\s*\)", code)
        ):
            raise SuiteQLError(f"Invalid search query: the emulator lacks {what}.")
    for fn in re.findall(r"\bBUILTIN\s*\.\s*(\w+)", code, re.IGNORECASE):
        if fn.upper() != "DF":
            raise SuiteQLError(f"Invalid search query: the emulator lacks BUILTIN.{fn.upper()}.")
    code = re.sub(r"\bBUILTIN\s*\.\s*DF\s*\(", "BUILTIN_DF(", code, flags=re.IGNORECASE)
    code = re.sub(r"\bSYS(?:DATE|TIMESTAMP)\b(?!\s*\()", "SYSDATE_()", code, flags=re.IGNORECASE)
    code = re.sub(r"\bFROM\s+DUAL\b", "", code, flags=re.IGNORECASE)
    code = re.sub(r"\bMINUS\b", "EXCEPT", code, flags=re.IGNORECASE)
    code = re.sub(
        r"\bOFFSET\s+(\d+)\s+ROWS?\s+FETCH\s+(?:FIRST|NEXT)\s+(\d+)\s+ROWS?\s+ONLY\b",
        r"LIMIT \2 OFFSET \1",
        code,
        flags=re.IGNORECASE,
    )
    code = re.sub(r"\bFETCH\s+(?:FIRST|NEXT)\s+(\d+)\s+ROWS?\s+ONLY\b", r"LIMIT \1", code, flags=re.IGNORECASE)
    code = re.sub(r"\bOFFSET\s+(\d+)\s+ROWS?\b", r"LIMIT -1 OFFSET \1", code, flags=re.IGNORECASE)
    code = _rownum(code)
    # TRANSACTION is a keyword in SQLite but a table (and a transactionline column) in SuiteQL.
    code = re.sub(r"\btransaction\b", '"transaction"', code, flags=re.IGNORECASE)
    return _PLACEHOLDER_RE.sub(lambda m: literals[int(m.group(1))], code)


def _sqlite_literal(text: str) -> str:
    """Oracle string literal (plain, N'', q'[..]') → a plain SQLite literal."""
    if text[:1] in "nN" and len(text) > 1 and text[1] in "'qQ":
        text = text[1:]
    if text[:1] in "qQ":
        body = text[3:-2]
        return "'" + body.replace("'", "''") + "'"
    return text


def _depth0(code: str) -> str:
    """``code`` with everything inside parentheses blanked, so only the outermost level is searched."""
    out = []
    depth = 0
    for ch in code:
        if ch == "(":
            depth += 1
        out.append(ch if depth == 0 else " ")
        if ch == ")":
            depth -= 1
    return "".join(out)


def _rownum(code: str) -> str:
    if not re.search(r"\bROWNUM\b", code, re.IGNORECASE):
        return code
    top = _depth0(code)
    m = re.search(r"\bROWNUM\s*(<=|<|=)\s*(\d+)", top, re.IGNORECASE)
    rest = top[: m.start()] + top[m.end() :] if m else top
    if (
        m is None
        or re.search(r"\bROWNUM\b", rest, re.IGNORECASE)
        or re.search(r"\bROWNUM\b", code[: m.start()] + code[m.end() :], re.IGNORECASE)
        or re.search(r"\bORDER\s+BY\b", rest, re.IGNORECASE)
        or re.search(r"\bLIMIT\b", rest, re.IGNORECASE)
    ):
        raise SuiteQLError(
            "Invalid search query: the emulator supports ROWNUM only as 'ROWNUM <= n' in the outermost WHERE "
            "of a query without ORDER BY at that level (use FETCH FIRST n ROWS ONLY)."
        )
    op, n = m.group(1), int(m.group(2))
    limit = {"<=": n, "<": max(n - 1, 0), "=": 1 if n == 1 else 0}[op]
    return code[: m.start()] + "1=1" + code[m.end() :] + f" LIMIT {limit}"


# ------------------------------------------------------------------------------------------------ execution

_READ_ONLY_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
_RECURSIVE = getattr(sqlite3, "SQLITE_RECURSIVE", 33)


def _authorizer(action: int, *_: Any) -> int:
    # Belt and braces behind the SELECT-only check: the store's connection is shared with the record service.
    return sqlite3.SQLITE_OK if action in _READ_ONLY_ACTIONS or action == _RECURSIVE else sqlite3.SQLITE_DENY


class _CountCache:
    """Counts per (query, data version): a paged read asks the same count once per page."""

    def __init__(self, size: int = 256) -> None:
        self._data: OrderedDict[tuple[str, int], int] = OrderedDict()
        self._size = size
        #: Whether a query's ORDER BY tells every row apart, per (query, data version).
        self.unique: OrderedDict[tuple[str, int], bool] = OrderedDict()

    def get(self, key: tuple[str, int]) -> int | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: tuple[str, int], value: int) -> None:
        self._data[key] = value
        if len(self._data) > self._size:
            self._data.popitem(last=False)


def run_query(
    conn: sqlite3.Connection,
    query: str,
    limit: int,
    offset: int,
    cache: _CountCache | None = None,
    *,
    tie_seed: int | None = None,
) -> tuple[list[dict[str, str]], int]:
    """Run a SuiteQL query: one page of rows (strings, lower-case names, NULLs left out) and the total.

    ``tie_seed`` (the ``unstable_order`` dialect) makes rows the query's ORDER BY does not tell apart (all rows
    of a query without ORDER BY) come back in an order drawn from that seed: a new seed per request, as NetSuite
    may do, so offset paging over a non-unique order drops and repeats rows.

    Examples:
        ```python
        rows, total = run_query(emu.store.connection, "SELECT id FROM customer ORDER BY id", 10, 0)
        ```
    """
    sql = translate(query)
    key = (sql, conn.total_changes)
    conn.set_authorizer(_authorizer)
    try:
        total = cache.get(key) if cache is not None else None
        if total is None:
            total = int(conn.execute(f"SELECT COUNT(*) FROM ({sql})").fetchone()[0])  # noqa: S608 - translated
            if cache is not None:
                cache.put(key, total)
        page_sql = sql
        if tie_seed is not None:
            conn.create_function("_EMU_TIE", 0, random.Random(tie_seed).random, deterministic=False)
            page_sql = _unstable(conn, sql, total, cache)
        cur = conn.execute(f"SELECT * FROM ({page_sql}) LIMIT ? OFFSET ?", (limit, offset))  # noqa: S608
        # Columns starting with "_" are the store's internals (the record document), not record fields.
        names = [d[0].lower() for d in cur.description]
        rows = [
            {name: _plain(v) for name, v in zip(names, values, strict=True) if v is not None and name[0] != "_"}
            for values in cur.fetchall()
        ]
    except sqlite3.Error as exc:
        raise SuiteQLError(_explain(exc)) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise SuiteQLError(f"Invalid search query: {exc}.") from None
    finally:
        conn.set_authorizer(None)
    return rows, total


# ------------------------------------------------------------------------------------------------ unstable order

_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_TERM_TAIL = re.compile(r"\s+(?:collate\s+\w+|asc|desc|nulls\s+(?:first|last))\s*$", re.IGNORECASE)
_TERM_COLUMN = re.compile(r'^(?:(?:\w+|"[^"]+")\s*\.\s*)?(\w+|"[^"]+")$')


def _unstable(conn: sqlite3.Connection, sql: str, total: int, cache: _CountCache | None) -> str:
    """``sql`` with ties of its top-level ORDER BY (every row, without one) broken by ``_EMU_TIE()``.

    An ORDER BY whose terms are output columns that tell every row apart is left alone: a unique order is
    stable in NetSuite too (and keeps SQLite's index use). Anything the emulator cannot prove unique gets the
    random tie-break, which changes nothing where the order happens to be unique anyway.
    """
    top = _depth0(_SQL_LITERAL.sub(lambda m: "\0" * len(m.group()), sql))
    found = list(re.finditer(r"\border\s+by\b", top, re.IGNORECASE))
    if not found:
        return f"SELECT * FROM ({sql}) ORDER BY _EMU_TIE()"  # noqa: S608 - translated SQL
    m = found[-1]
    tail = re.search(r"\blimit\b", top[m.end() :], re.IGNORECASE)
    end = m.end() + tail.start() if tail else len(sql)
    terms: list[str] = []
    start = m.end()
    for i in range(m.end(), end + 1):
        if i == end or top[i] == ",":
            terms.append(sql[start:i].strip())
            start = i + 1
    if _order_is_unique(conn, sql, terms, total, cache):
        return sql
    if re.search(r"\b(?:union|except|intersect)\b", top[: m.start()], re.IGNORECASE):
        # A compound query's ORDER BY names result columns, which the wrapping view has too.
        return f"SELECT * FROM ({sql[: m.start()]}) ORDER BY {', '.join(terms)}, _EMU_TIE() {sql[end:]}"  # noqa: S608
    return f"{sql[:end].rstrip()}, _EMU_TIE() {sql[end:]}"


def _order_is_unique(
    conn: sqlite3.Connection, sql: str, terms: list[str], total: int, cache: _CountCache | None
) -> bool:
    key = (sql, conn.total_changes)
    known = cache.unique.get(key) if cache is not None else None
    if known is not None:
        return known
    names = [d[0].lower() for d in conn.execute(f"SELECT * FROM ({sql}) LIMIT 0").description]  # noqa: S608
    columns: list[str] = []
    for term in terms:
        text = term
        while _TERM_TAIL.search(text):
            text = _TERM_TAIL.sub("", text)
        if text.isdigit() and 1 <= int(text) <= len(names):
            name = names[int(text) - 1]
        else:
            cm = _TERM_COLUMN.match(text.strip())
            if cm is None:
                columns = []
                break
            name = cm.group(1).strip('"').lower()
        if names.count(name) != 1:
            columns = []
            break
        columns.append('"' + name + '"')
    unique = False
    if columns:
        distinct = conn.execute(
            f"SELECT COUNT(*) FROM (SELECT DISTINCT {', '.join(columns)} FROM ({sql}))"  # noqa: S608
        ).fetchone()[0]
        unique = int(distinct) == total
    if cache is not None:
        cache.unique[key] = unique
        if len(cache.unique) > 256:
            cache.unique.popitem(last=False)
    return unique


_DETAIL = "Invalid search query. Detailed unprocessed description follows. Search error:"


def _explain(exc: sqlite3.Error) -> str:
    msg = str(exc)
    m = re.match(r"no such table: (?:main\.)?(\w+)", msg)
    if m:
        return f"{_DETAIL} Record '{m.group(1)}' was not found."
    m = re.match(r"no such column: (.+)", msg)
    if m:
        return f"{_DETAIL} Field '{m.group(1)}' was not found."
    m = re.match(r"no such function: (\w+)", msg)
    if m:
        return f"Invalid search query: the emulator lacks the function {m.group(1).upper()}."
    if "not authorized" in msg:
        return "Invalid search query: only reading is allowed."
    return f"{_DETAIL} {msg}."
