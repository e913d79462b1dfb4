"""Which tables a SuiteQL query reads, found with the project's SuiteQL tokenizer, failing closed.

An access policy lets an agent run SuiteQL only over tables it may read, so the tables must be known for
certain. `query_tables` finds every table named after ``FROM``, after any kind of ``JOIN`` or ``APPLY``,
after a comma in a ``FROM`` list, in subqueries at any depth, on both sides of ``UNION`` / ``INTERSECT`` /
``MINUS`` / ``EXCEPT``, and inside common table expressions (whose own names are not tables). String literals,
quoted identifiers, comments and ``?`` placeholders are told apart by
`netsuite_async.suiteql_params.tokenize`, so a keyword inside a literal or a comment never counts.

Anything it cannot classify with certainty raises `UnclassifiableQueryError` with the reason: a
statement that is not a ``SELECT``, a ``;``, a ``WITH`` anywhere but at the start, a parenthesised join, a
schema-qualified or database-linked name, a table function (``TABLE(…)``, ``LATERAL``), a literal or ``?``
where a table belongs, ``PIVOT``/``SAMPLE``/``PARTITION``/flashback clauses after a table, or a character
SuiteQL has no use for. Oracle's ``dual`` is not a table of the account and is left out.

Examples:
    >>> sorted(query_tables("SELECT c.id FROM customer c JOIN transaction t ON t.entity = c.id"))
    ['customer', 'transaction']
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from netsuite_async.suiteql_params import tokenize

__all__ = ["UnclassifiableQueryError", "query_tables"]


class UnclassifiableQueryError(ValueError):
    """A SuiteQL query whose tables cannot be found with certainty; ``reason`` says why.

    Examples:
        >>> try:
        ...     query_tables("SELECT id FROM customer; DELETE FROM customer")
        ... except UnclassifiableQueryError as exc:
        ...     print(exc.reason)
        a ';' (more than one statement) is not allowed
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot tell which tables this SuiteQL query reads: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class _Tok:
    kind: str  # "word", "qident", "punct", "op", "number", "string", "param"
    text: str  # words lower-cased, quoted identifiers without their quotes and lower-cased


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$#]*")
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?")
_OPS = re.compile(r"<>|!=|\^=|<=|>=|\|\||[=<>+\-*/%|]")
_PUNCT = "(),."

# Statements that change something, or run code: never part of a query.
_FORBIDDEN = frozenset({
    "insert", "update", "delete", "merge", "drop", "create", "alter", "truncate", "grant", "revoke", "exec",
    "execute", "begin", "declare", "call", "commit", "rollback", "into", "lock", "rename", "comment",
})
# What may follow a table (and its alias) in a FROM clause.
_AFTER_TABLE = frozenset({
    "where", "group", "order", "having", "union", "intersect", "minus", "except", "join", "inner", "left",
    "right", "full", "cross", "natural", "outer", "on", "using", "connect", "start", "fetch", "offset",
})
# Words that end a FROM list at their own depth.
_END_FROM = frozenset({
    "where", "group", "order", "having", "union", "intersect", "minus", "except", "connect", "start", "fetch",
    "offset", "select",
})
# Functions whose arguments use FROM without naming a table: EXTRACT(YEAR FROM d), TRIM(LEADING 'x' FROM s).
_FROM_FUNCTIONS = frozenset({"extract", "trim", "substring", "overlay"})
# Words that can never be an alias or a table name.
_RESERVED = _AFTER_TABLE | _END_FROM | _FORBIDDEN | frozenset({
    "from", "as", "with", "lateral", "table", "only", "pivot", "unpivot", "sample", "partition", "model",
    "apply", "and", "or", "not", "in", "is", "null", "like", "between", "exists", "case", "when", "then",
    "else", "end", "distinct", "all", "by", "asc", "desc", "window", "for", "versions", "of", "the",
})
_NOT_TABLES = frozenset({"dual"})


def _lex(query: str) -> list[_Tok]:
    try:
        pieces = list(tokenize(query))
    except ValueError as exc:
        raise UnclassifiableQueryError(str(exc)) from None
    out: list[_Tok] = []
    for piece in pieces:
        if piece.kind == "comment":
            continue
        if piece.kind == "string":
            out.append(_Tok("string", ""))
        elif piece.kind == "param":
            out.append(_Tok("param", "?"))
        elif piece.kind == "ident":
            name = piece.text[1:-1]
            if not name or '"' in name:
                raise UnclassifiableQueryError(f"unusable quoted identifier {piece.text!r}")
            out.append(_Tok("qident", name.lower()))
        else:
            out.extend(_lex_code(piece.text))
    return out


def _lex_code(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        m = _WORD.match(text, i)
        if m:
            out.append(_Tok("word", m.group().lower()))
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m:
            out.append(_Tok("number", m.group()))
            i = m.end()
            continue
        if ch in _PUNCT:
            out.append(_Tok("punct", ch))
            i += 1
            continue
        m = _OPS.match(text, i)
        if m:
            out.append(_Tok("op", m.group()))
            i = m.end()
            continue
        if ch == ";":
            raise UnclassifiableQueryError("a ';' (more than one statement) is not allowed")
        raise UnclassifiableQueryError(f"unexpected character {ch!r}")
    return out


@dataclass
class _Group:
    opener: str  # the word before "(" ("" when none)
    table_subquery: bool  # the "(" stands where a table belongs
    has_select: bool = False
    from_active: bool = False


class _Scanner:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.tables: set[str] = set()
        # CTE name -> index of its name token: visible from its own definition on (recursive CTEs included).
        self.ctes: dict[str, int] = {}

    def tok(self, i: int) -> _Tok | None:
        return self.toks[i] if i < len(self.toks) else None

    def is_word(self, i: int, *words: str) -> bool:
        t = self.tok(i)
        return t is not None and t.kind == "word" and t.text in words

    def is_punct(self, i: int, ch: str) -> bool:
        t = self.tok(i)
        return t is not None and t.kind == "punct" and t.text == ch

    # -- WITH at the very start ------------------------------------------------------------------------
    def read_with(self) -> None:
        i = 1
        while True:
            t = self.tok(i)
            if t is None or t.kind not in ("word", "qident") or (t.kind == "word" and t.text in _RESERVED):
                raise UnclassifiableQueryError("WITH must be followed by a query name")
            self.ctes.setdefault(t.text, i)
            i += 1
            if self.is_punct(i, "("):
                i = self.skip_group(i)
            if not self.is_word(i, "as") or not self.is_punct(i + 1, "("):
                raise UnclassifiableQueryError(f"expected AS ( after the query name {t.text!r}")
            i = self.skip_group(i + 1)
            if self.is_punct(i, ","):
                i += 1
                continue
            if self.is_word(i, "select") or self.is_punct(i, "("):
                return
            raise UnclassifiableQueryError("a WITH clause must be followed by its SELECT")

    def skip_group(self, i: int) -> int:
        """Index just past the ")" matching the "(" at ``i``."""
        depth = 0
        while i < len(self.toks):
            t = self.toks[i]
            if t.kind == "punct" and t.text == "(":
                depth += 1
            elif t.kind == "punct" and t.text == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise UnclassifiableQueryError("unbalanced parentheses")

    # -- the scan ----------------------------------------------------------------------------------------
    def scan(self) -> None:
        toks = self.toks
        first = next((t for t in toks if not (t.kind == "punct" and t.text == "(")), None)
        if first is None or first.kind != "word" or first.text not in ("select", "with"):
            raise UnclassifiableQueryError("only a SELECT query (optionally starting with WITH) is allowed")
        if toks[0].kind == "word" and toks[0].text == "with":
            self.read_with()
        elif first.text == "with":
            raise UnclassifiableQueryError("WITH is only understood at the start of the query")
        stack: list[_Group] = [_Group("", False)]
        i = 0
        while i < len(toks):
            t = toks[i]
            top = stack[-1]
            if t.kind == "punct" and t.text == "(":
                prev = toks[i - 1] if i > 0 else None
                opener = prev.text if prev is not None and prev.kind == "word" else ""
                stack.append(_Group(opener, table_subquery=False))
                i += 1
                continue
            if t.kind == "punct" and t.text == ")":
                if len(stack) == 1:
                    raise UnclassifiableQueryError("unbalanced parentheses")
                closed = stack.pop()
                i += 1
                if closed.table_subquery:
                    i = self.after_table(i, "a subquery")
                continue
            if t.kind == "word":
                word = t.text
                if word in _FORBIDDEN:
                    raise UnclassifiableQueryError(f"{word.upper()} is not part of a query")
                if word == "with" and i != 0 and not self.is_word(i - 1, "start"):
                    raise UnclassifiableQueryError("WITH is only understood at the start of the query")
                if word == "select":
                    top.has_select = True
                    top.from_active = False
                elif word == "from":
                    if not top.has_select and top.opener in _FROM_FUNCTIONS:
                        i += 1
                        continue
                    top.from_active = True
                    i = self.table_ref(i + 1, stack)
                    continue
                elif word in ("join", "apply"):
                    i = self.table_ref(i + 1, stack)
                    continue
                elif word in _END_FROM:
                    top.from_active = False
                elif word in ("lateral", "pivot", "unpivot"):
                    raise UnclassifiableQueryError(f"{word.upper()} is not supported")
            elif t.kind == "punct" and t.text == "," and top.from_active:
                i = self.table_ref(i + 1, stack)
                continue
            i += 1
        if len(stack) != 1:
            raise UnclassifiableQueryError("unbalanced parentheses")

    def table_ref(self, i: int, stack: list[_Group]) -> int:
        """Read what stands where a table belongs, at ``i``; return where scanning goes on."""
        t = self.tok(i)
        if t is None:
            raise UnclassifiableQueryError("the query ends where a table name belongs")
        if t.kind == "punct" and t.text == "(":
            if not self.is_word(i + 1, "select"):
                raise UnclassifiableQueryError(
                    "only a subquery may stand in parentheses where a table belongs (no parenthesised joins)"
                )
            stack.append(_Group("", table_subquery=True))
            return i + 1
        if t.kind == "param":
            raise UnclassifiableQueryError("a ? parameter stands where a table name belongs")
        if t.kind == "string":
            raise UnclassifiableQueryError("a string literal stands where a table name belongs")
        if t.kind == "qident" or (t.kind == "word" and t.text not in _RESERVED):
            if self.is_punct(i + 1, "."):
                raise UnclassifiableQueryError(f"qualified table names ({t.text}.…) are not supported")
            if self.is_punct(i + 1, "("):
                raise UnclassifiableQueryError(f"table functions ({t.text}(…)) are not supported")
            cte_at = self.ctes.get(t.text)
            if (cte_at is None or cte_at > i) and t.text not in _NOT_TABLES:
                self.tables.add(t.text)
            return self.after_table(i + 1, repr(t.text))
        raise UnclassifiableQueryError(f"{t.text.upper() or t.kind!s} stands where a table name belongs")

    def after_table(self, i: int, what: str) -> int:
        """Skip an optional alias after a table and check what follows is a known continuation."""
        if self.is_word(i, "as"):
            i += 1
            t = self.tok(i)
            if t is None or t.kind not in ("word", "qident") or (t.kind == "word" and t.text in _RESERVED):
                raise UnclassifiableQueryError(f"AS after {what} must be followed by an alias")
            i += 1
        else:
            t = self.tok(i)
            if t is not None and (t.kind == "qident" or (t.kind == "word" and t.text not in _RESERVED)):
                i += 1
        t = self.tok(i)
        if t is None or (t.kind == "punct" and t.text in "),") or (t.kind == "word" and t.text in _AFTER_TABLE):
            return i
        shown = t.text.upper() if t.kind == "word" else (t.text or t.kind)
        raise UnclassifiableQueryError(f"unexpected {shown!r} after {what}")


def query_tables(query: str) -> frozenset[str]:
    """The tables ``query`` reads, lower-cased; raise `UnclassifiableQueryError` when unsure.

    Examples:
        >>> sorted(query_tables('''
        ...     WITH recent AS (SELECT id FROM transaction WHERE trandate > ?)  -- FROM vendor (a comment)
        ...     SELECT c.id, 'FROM employee' FROM customer c, recent r WHERE c.id IN (SELECT entity FROM "Invoice")
        ...     UNION SELECT id, name FROM item
        ... '''))
        ['customer', 'invoice', 'item', 'transaction']
    """
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, not {type(query).__name__}")
    return _query_tables(query)


@functools.lru_cache(maxsize=1024)
def _query_tables(query: str) -> frozenset[str]:
    # Agents repeat the same query text with different ? parameters: the answer depends on the text alone.
    # An UnclassifiableQueryError is not cached (lru_cache caches only returns), so a bad query costs a scan.
    toks = _lex(query)
    if not toks:
        raise UnclassifiableQueryError("the query is empty")
    scanner = _Scanner(toks)
    scanner.scan()
    return frozenset(scanner.tables)
