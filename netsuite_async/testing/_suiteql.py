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

import datetime as _dt
import itertools
import random
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from netsuite_async.suiteql_params import tokenize
from netsuite_async.testing._app import EmuRequest, EmuResponse, Router, json_response, ns_error

if TYPE_CHECKING:
    from netsuite_async.testing._emulator import Emulator

__all__ = ["MAX_LIMIT", "ROW_CAP", "SuiteQLError", "register", "run_query", "translate"]

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


# ------------------------------------------------------------------------------------------------ functions

_FMT_TOKENS = re.compile(r'HH24|HH12|HH|YYYY|YY|MONTH|MON|MM|DD|DY|MI|SS|FF[1-9]?|AM|PM|"[^"]*"|.', re.IGNORECASE)


def _oracle_format(fmt: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for tok in _FMT_TOKENS.findall(fmt):
        up = tok.upper()
        if tok.startswith('"'):
            out.append(("lit", tok[1:-1]))
        elif up in ("HH24", "HH12", "HH", "YYYY", "YY", "MONTH", "MON", "MM", "DD", "DY", "MI", "SS", "AM", "PM"):
            out.append(("el", up))
        elif up.startswith("FF"):
            out.append(("ff", up[2:] or "9"))
        else:
            out.append(("lit", tok))
    return out


_STRP = {"YYYY": "%Y", "YY": "%y", "MM": "%m", "DD": "%d", "HH24": "%H", "HH12": "%I", "HH": "%I", "MI": "%M",
         "SS": "%S", "MON": "%b", "MONTH": "%B", "DY": "%a", "AM": "%p", "PM": "%p"}


def _parse_with(text: str, fmt: str) -> _dt.datetime:
    pattern = ""
    for kind, val in _oracle_format(fmt):
        if kind == "lit":
            pattern += val.replace("%", "%%")
        elif kind == "ff":
            pattern += "%f"
        else:
            pattern += _STRP[val]
    return _dt.datetime.strptime(text.strip(), pattern)


def _iso(value: _dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _from_iso(text: str) -> _dt.datetime | None:
    t = text.strip()
    t = t[:-1] if t.endswith(("Z", "z")) else t
    try:
        return _dt.datetime.fromisoformat(t)
    except ValueError:
        return None


def _to_date(text: Any, fmt: Any = None) -> str | None:
    if text is None:
        return None
    if fmt is None:
        parsed = _from_iso(str(text))
        if parsed is None:
            raise ValueError(f"TO_DATE: '{text}' does not match the default format YYYY-MM-DD")
        return _iso(parsed)
    return _iso(_parse_with(str(text), str(fmt)))


def _to_char(value: Any, fmt: Any = None) -> str | None:
    if value is None:
        return None
    if fmt is None:
        return _plain(value)
    parsed = _from_iso(str(value))
    if parsed is None:
        return _plain(value)
    out = ""
    for kind, val in _oracle_format(str(fmt)):
        if kind == "lit":
            out += val
        elif kind == "ff":
            out += f"{parsed.microsecond:06d}"[: int(val)].ljust(int(val), "0")
        elif val in ("AM", "PM"):
            out += parsed.strftime("%p")
        else:
            out += parsed.strftime(_STRP[val]).upper() if val in ("MON", "DY") else parsed.strftime(_STRP[val])
    return out


def _to_number(value: Any) -> float | int | None:
    if value is None:
        return None
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return float(text)


def _decode(*args: Any) -> Any:
    value, rest = args[0], list(args[1:])
    while len(rest) >= 2:
        search, result = rest.pop(0), rest.pop(0)
        if value == search or (value is None and search is None):
            return result
    return rest[0] if rest else None


def _sysdate() -> str:
    return _iso(_dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None))


_FUNCTIONS: list[tuple[str, int, Callable[..., Any]]] = [
    ("NVL", 2, lambda a, b: b if a is None else a),
    ("NVL2", 3, lambda a, b, c: c if a is None else b),
    ("DECODE", -1, _decode),
    ("TO_DATE", 1, _to_date),
    ("TO_DATE", 2, _to_date),
    ("TO_TIMESTAMP", 1, _to_date),
    ("TO_TIMESTAMP", 2, _to_date),
    ("TO_CHAR", 1, _to_char),
    ("TO_CHAR", 2, _to_char),
    ("TO_NUMBER", 1, _to_number),
    ("BUILTIN_DF", 1, lambda v: v),
    ("SYSDATE_", 0, _sysdate),
]


def install_functions(conn: sqlite3.Connection) -> None:
    """Add the Oracle functions the translator relies on to a SQLite connection (idempotent).

    Examples:
        ```python
        install_functions(emu.store.connection)
        ```
    """
    for name, nargs, fn in _FUNCTIONS:
        conn.create_function(name, nargs, fn, deterministic=name != "SYSDATE_")


# ------------------------------------------------------------------------------------------------ execution

_READ_ONLY_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
_RECURSIVE = getattr(sqlite3, "SQLITE_RECURSIVE", 33)


def _authorizer(action: int, *_: Any) -> int:
    # Belt and braces behind the SELECT-only check: the store's connection is shared with the record service.
    return sqlite3.SQLITE_OK if action in _READ_ONLY_ACTIONS or action == _RECURSIVE else sqlite3.SQLITE_DENY


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


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


# ------------------------------------------------------------------------------------------------ HTTP


def _int_param(req: EmuRequest, name: str, default: int) -> int | EmuResponse:
    raw = req.param(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,9}", raw):
        return ns_error(400, "INVALID_PARAMETER", f"Invalid value for the parameter '{name}': {raw}.",
                        query_param=name)
    return int(raw)


def register(router: Router, emu: Emulator) -> None:
    """Add ``POST /services/rest/query/v1/suiteql`` to the emulator's router.

    Examples:
        ```python
        _suiteql.register(emu.router, emu)
        ```
    """
    cache = _CountCache()
    installed: set[int] = set()
    requests = itertools.count()

    async def suiteql(req: EmuRequest) -> EmuResponse:
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
            return ns_error(400, "INVALID_PARAMETER", f"Invalid value for the parameter 'limit'. The value must "
                            f"be between 1 and {MAX_LIMIT}.", query_param="limit")
        if offset % limit:
            return ns_error(400, "INVALID_PARAMETER", "Invalid value for the parameter 'offset'. The offset "
                            "must be a multiple of the limit.", query_param="offset")
        cap = int(getattr(emu.config, "max_results", ROW_CAP))
        dialect = emu.config.dialect
        if offset + limit > cap and dialect.suiteql_past_cap == "refuse":
            return ns_error(400, "INVALID_PARAMETER", f"Invalid value for the parameter 'offset'. A query can "
                            f"return at most {cap} results: offset + limit must not exceed {cap}.",
                            query_param="offset")
        try:
            body = req.json()
        except ValueError:
            return ns_error(400, "INVALID_CONTENT", "The request body is not valid JSON.")
        q = body.get("q") if isinstance(body, dict) else None
        if not isinstance(q, str) or not q.strip():
            return ns_error(400, "INVALID_CONTENT", "The request body must be an object with the query in 'q'.")
        conn: sqlite3.Connection = emu.store.connection
        if id(conn) not in installed:
            install_functions(conn)
            installed.add(id(conn))
        tie_seed = None
        if dialect.unstable_order:
            # A new order per request (reproducible from the emulator's seed and the request number).
            tie_seed = emu.config.rng_seed * 1_000_003 + next(requests)
        try:
            # Past the cap ("empty" dialect) no row is read; a page across the cap is cut at the cap.
            rows, total = run_query(conn, q, max(0, min(limit, cap - offset)), offset, cache, tie_seed=tie_seed)
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
        return json_response({
            "links": links,
            "count": len(rows),
            "hasMore": has_more,
            "items": [{"links": [], **row} for row in rows],
            "offset": offset,
            "totalResults": total,
        })

    router.add("POST", PATH, suiteql, name="suiteql")
