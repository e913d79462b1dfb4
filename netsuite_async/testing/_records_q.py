"""The record service's ``q`` filter language: a parser that turns ``q`` into an SQL WHERE clause.

Dates only in the account's date format (``Dialect.date_format``); unknown fields, operators that do not fit the
field's type and syntax errors raise `QueryError` (the routes answer 400 ``INVALID_PARAMETER``).

Examples:
    ```python
    where, params = parse_q('email START_WITH "a"', lookup("customer"), {"email"})
    ```
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

from netsuite_async.testing._metadata import FieldSpec, RecordType

__all__ = ["QueryError", "parse_q"]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLS = {"true": True, "false": False}


class QueryError(ValueError):
    """A ``q`` expression that cannot be parsed or does not fit the record type.

    Examples:
        ```python
        with pytest.raises(QueryError): parse_q("email START_WITH", lookup("customer"), set())
        ```
    """


_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[()\[\],])|(?P<word>[^\s()\[\],"]+))')
_STRING_OPS = {"IS", "CONTAIN", "START_WITH", "END_WITH"}
_NUMBER_OPS = {"EQUAL", "GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL", "BETWEEN"}
_DATE_OPS = {"AFTER", "BEFORE", "ON", "ON_OR_AFTER", "ON_OR_BEFORE", "WITHIN"}
_ANY_OPS = {"EMPTY", "ANY_OF"}
_ALL_OPS = _STRING_OPS | _NUMBER_OPS | _DATE_OPS | _ANY_OPS


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"unexpected character at position {pos}")
        pos = m.end()
        if m.group("str") is not None:
            raw = m.group("str")[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", raw)))
        elif m.group("punct") is not None:
            out.append(("punct", m.group("punct")))
        else:
            out.append(("word", m.group("word")))
    return out


_SLASH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _to_date(value: str, date_format: str = "M/D/YYYY") -> str:
    """A ``q`` date in the account's date format (``Dialect.date_format``) as ``YYYY-MM-DD``.

    NetSuite reads record-filter dates with the account's date format preference only: a date written another
    way is refused (``2024-12-31`` on an M/D/YYYY account, ``12/31/2024`` on a D/M/YYYY account), and so is a
    day or month out of range for the format. ``1/2/2024`` is valid in both slash formats and means January 2
    or February 1 depending on the account.
    """
    if date_format == "YYYY-MM-DD":
        if _DATE_RE.match(value):
            try:
                return _dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise QueryError(f"invalid date {value!r} for the date format {date_format}") from None
    else:
        m = _SLASH_DATE_RE.match(value)
        if m:
            first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            month, day = (first, second) if date_format == "M/D/YYYY" else (second, first)
            try:
                return _dt.date(year, month, day).isoformat()
            except ValueError:
                raise QueryError(f"invalid date {value!r} for the date format {date_format}") from None
    raise QueryError(f"invalid date {value!r}: this account's date format is {date_format}")


class _QParser:
    def __init__(self, text: str, rt: RecordType, columns: set[str], date_format: str = "M/D/YYYY") -> None:
        self.toks = _tokens(text)
        self.date_format = date_format
        self.pos = 0
        self.rt = rt
        self.columns = columns
        self.params: list[Any] = []

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise QueryError("unexpected end of the expression")
        self.pos += 1
        return tok

    def is_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1].upper() in words

    def parse(self) -> str:
        if not self.toks:
            raise QueryError("empty expression")
        sql = self.expr()
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return sql

    def expr(self) -> str:
        parts = [self.term()]
        while self.is_word("OR"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def term(self) -> str:
        parts = [self.factor()]
        while self.is_word("AND"):
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def factor(self) -> str:
        tok = self.peek()
        if tok == ("punct", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("punct", ")"):
                raise QueryError("missing ')'")
            return f"({inner})"
        return self.condition()

    def value(self) -> tuple[str, str]:
        tok = self.take()
        if tok[0] == "punct":
            raise QueryError(f"expected a value, found {tok[1]!r}")
        return tok

    def values(self) -> list[tuple[str, str]]:
        if self.peek() == ("punct", "["):
            self.take()
            out = [self.value()]
            while self.peek() == ("punct", ","):
                self.take()
                out.append(self.value())
            if self.take() != ("punct", "]"):
                raise QueryError("missing ']'")
            return out
        out = [self.value()]
        while self.peek() == ("punct", ","):
            self.take()
            out.append(self.value())
        return out

    def condition(self) -> str:
        kind, name = self.take()
        if kind != "word":
            raise QueryError(f"expected a field name, found {name!r}")
        spec = self.rt.field(name)
        column = name.lower()
        if column == "id":
            spec = FieldSpec("id", "integer")
        elif spec is None:
            if column not in self.columns:
                raise QueryError(f"unknown field {name!r}")
            spec = FieldSpec(name, "string")
        if spec.kind in ("sublist", "object") or column not in self.columns:
            raise QueryError(f"the field {name!r} cannot be used in a filter")
        kind, op = self.take()
        op = op.upper()
        negate = op.endswith("_NOT")
        base = op[:-4] if negate else op
        if kind != "word" or base not in _ALL_OPS:
            raise QueryError(f"unknown operator {op!r}")
        col = f'"{column}"'
        fk = spec.kind
        if base == "EMPTY":
            sql = f"({col} IS NULL OR {col} = '')"
            return f"NOT {sql}" if negate else sql
        numeric = fk in ("integer", "number", "ref")
        dated = fk in ("date", "datetime")
        if base in _STRING_OPS and not (fk in ("string", "enum", "boolean") or (base == "IS" and numeric)):
            raise QueryError(f"operator {base} does not apply to the field {name!r}")
        if base in _NUMBER_OPS and not numeric:
            raise QueryError(f"operator {base} does not apply to the field {name!r}")
        if base in _DATE_OPS and not dated:
            raise QueryError(f"operator {base} does not apply to the field {name!r}")
        vals = self.values() if base in ("ANY_OF", "BETWEEN", "WITHIN") else [self.value()]
        conv = [self.convert(v, spec, base) for v in vals]
        sql = self.render(col, base, conv, dated)
        return f"({col} IS NULL OR NOT {sql})" if negate else sql

    def convert(self, tok: tuple[str, str], spec: FieldSpec, op: str) -> Any:
        kind, text = tok
        fk = spec.kind
        if fk == "boolean":
            if text.lower() not in _BOOLS:
                raise QueryError(f"{spec.name} takes true or false")
            return "T" if _BOOLS[text.lower()] else "F"
        if fk in ("integer", "number", "ref"):
            try:
                number = float(text)
            except ValueError:
                if fk == "ref" and kind == "str":
                    return text
                raise QueryError(f"{spec.name} takes a number, not {text!r}") from None
            if not math.isfinite(number):
                raise QueryError(f"{spec.name} takes a finite number")
            return int(number) if number.is_integer() else number
        if fk in ("date", "datetime"):
            return _to_date(text, self.date_format)
        if op in ("CONTAIN", "START_WITH", "END_WITH"):
            return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return text

    def render(self, col: str, op: str, vals: list[Any], dated: bool) -> str:
        target = f"substr({col}, 1, 10)" if dated else col
        p = self.params
        if op in ("BETWEEN", "WITHIN"):
            if len(vals) != 2:
                raise QueryError(f"{op} takes two values")
            p.extend(vals)
            return f"({target} >= ? AND {target} <= ?)"
        if op == "ANY_OF":
            p.extend(vals)
            return f"({target} IN ({','.join('?' * len(vals))}))"
        if len(vals) != 1:
            raise QueryError(f"{op} takes one value")
        p.append(vals[0])
        simple = {
            "EQUAL": "=",
            "GREATER": ">",
            "GREATER_OR_EQUAL": ">=",
            "LESS": "<",
            "LESS_OR_EQUAL": "<=",
            "AFTER": ">",
            "BEFORE": "<",
            "ON": "=",
            "ON_OR_AFTER": ">=",
            "ON_OR_BEFORE": "<=",
        }
        if op in simple:
            return f"({target} {simple[op]} ?)"
        if op == "IS":
            return f"({col} = ? COLLATE NOCASE)"
        pattern = {"CONTAIN": "'%' || ? || '%'", "START_WITH": "? || '%'", "END_WITH": "'%' || ?"}[op]
        return f"({col} LIKE {pattern} ESCAPE '\\')"


def parse_q(text: str, rt: RecordType, columns: set[str], date_format: str = "M/D/YYYY") -> tuple[str, list[Any]]:
    """Translate a ``q`` filter into an SQL WHERE clause and its parameters.

    Dates must be written in ``date_format`` (the account's preference, ``emu.config.dialect.date_format``).

    Examples:
        ```python
        where, params = parse_q('email START_WITH "a" AND id GREATER 5', lookup("customer"), {"email", "id"})
        ```
    """
    parser = _QParser(text, rt, columns, date_format)
    return parser.parse(), parser.params
