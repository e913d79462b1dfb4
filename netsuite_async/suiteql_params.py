"""Client-side binding of ``?`` placeholders in SuiteQL.

NetSuite's REST SuiteQL endpoint has no bind parameters, so values must be rendered into the query text.
This module does that safely: every value becomes a literal whose content can never leave the literal, and
``?`` characters inside string literals, quoted identifiers and comments are left alone.

Examples:
    >>> from netsuite_async.suiteql_params import bind
    >>> bind("SELECT id FROM customer WHERE email = ? AND id IN ?", ["o'neil@x.test", [1, 2]])
    "SELECT id FROM customer WHERE email = 'o''neil@x.test' AND id IN (1, 2)"
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import numbers
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["Token", "bind", "number_text", "placeholder_positions", "render_literal", "tokenize"]

# Oracle's q-quote literals (q'[...]') pair these opening delimiters with a different closing one.
_Q_CLOSERS = {"[": "]", "(": ")", "{": "}", "<": ">"}


@dataclass(frozen=True)
class Token:
    """One lexical piece of a SuiteQL text: ``kind`` is "code", "string", "ident", "comment" or "param".

    Examples:
        >>> [t.kind for t in tokenize("a = ? -- why?")]
        ['code', 'param', 'code', 'comment']
    """

    kind: str
    text: str
    start: int


def tokenize(query: str) -> Iterator[Token]:
    """Split ``query`` into code, literals, comments and placeholders.

    Raises ValueError for an unterminated string literal, quoted identifier or block comment, because a
    query that cannot be split with certainty cannot be bound safely.

    Examples:
        >>> [t.text for t in tokenize("x = '?' AND y = ?") if t.kind == "param"]
        ['?']
    """
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, not {type(query).__name__}")
    i = 0
    n = len(query)
    code_start = 0

    def flush(end: int) -> Iterator[Token]:
        if end > code_start:
            yield Token("code", query[code_start:end], code_start)

    while i < n:
        ch = query[i]
        nxt = query[i + 1] if i + 1 < n else ""
        if ch == "'" or (ch in "qQ" and nxt == "'" and _starts_word(query, i)) or (
            ch in "nN" and _starts_word(query, i) and query[i + 1 : i + 3].lower() == "q'"
        ):
            yield from flush(i)
            end = _scan_string(query, i)
            yield Token("string", query[i:end], i)
            i = code_start = end
        elif ch == '"':
            yield from flush(i)
            end = query.find('"', i + 1)
            if end < 0:
                raise ValueError(f"unterminated quoted identifier starting at position {i}")
            yield Token("ident", query[i : end + 1], i)
            i = code_start = end + 1
        elif ch == "-" and nxt == "-":
            yield from flush(i)
            end = query.find("\n", i)
            end = n if end < 0 else end
            yield Token("comment", query[i:end], i)
            i = code_start = end
        elif ch == "/" and nxt == "*":
            yield from flush(i)
            end = query.find("*/", i + 2)
            if end < 0:
                raise ValueError(f"unterminated comment starting at position {i}")
            yield Token("comment", query[i : end + 2], i)
            i = code_start = end + 2
        elif ch == "?":
            yield from flush(i)
            yield Token("param", "?", i)
            i = code_start = i + 1
        else:
            i += 1
    yield from flush(n)


def _starts_word(query: str, i: int) -> bool:
    # "q'" is a q-quote only when q is not the tail of an identifier such as "freq'".
    return i == 0 or not (query[i - 1].isalnum() or query[i - 1] in "_$#")


def _scan_string(query: str, i: int) -> int:
    """Return the index just past the string literal starting at ``i``."""
    n = len(query)
    if query[i] in "nN" and query[i + 1] in "qQ":
        i += 1
    if query[i] in "qQ":
        if i + 2 >= n:
            raise ValueError(f"unterminated q-quoted literal starting at position {i}")
        opener = query[i + 2]
        closer = _Q_CLOSERS.get(opener, opener)
        end = query.find(closer + "'", i + 3)
        if end < 0:
            raise ValueError(f"unterminated q-quoted literal starting at position {i}")
        return end + 2
    j = i + 1
    while j < n:
        if query[j] == "'":
            if j + 1 < n and query[j + 1] == "'":
                j += 2
                continue
            return j + 1
        j += 1
    raise ValueError(f"unterminated string literal starting at position {i}")


def placeholder_positions(query: str) -> list[int]:
    """Offsets of the ``?`` placeholders in ``query`` (outside literals and comments).

    Examples:
        >>> placeholder_positions("a = ? /* ? */ AND b = '?' AND c = ?")
        [4, 34]
    """
    return [t.start for t in tokenize(query) if t.kind == "param"]


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def number_text(value: object) -> str | None:
    """The plain decimal text of a real number, read by value; None when ``value`` is not a number.

    Accepts ``int``, ``float``, ``Decimal`` and their subclasses, and anything registered as
    ``numbers.Real`` (numpy scalars, ``Fraction``). The text comes from the number's value through the base
    types' own methods, never from the object's ``repr``/``str``/``__format__`` (a subclass could make those
    say anything), has no exponent, and is checked to be ``-?digits[.digits]``. ``bool`` is not a number here.
    Non-finite values raise ValueError.

    Examples:
        >>> number_text(1e-7), number_text(-3), number_text("3")
        ('0.0000001', '-3', None)
    """
    if type(value) is int:
        return int.__repr__(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = int.__repr__(value)
    elif isinstance(value, numbers.Integral):
        index = value.__index__()
        if not isinstance(index, int):
            raise TypeError(f"{type(value).__name__}.__index__ did not return an int")
        text = int.__repr__(index)
    elif isinstance(value, decimal.Decimal):
        exact = decimal.Decimal(value)  # the base type, whatever a subclass overrides
        if not exact.is_finite():
            raise ValueError(f"cannot bind non-finite number {decimal.Decimal.__str__(exact)}")
        text = decimal.Decimal.__format__(exact, "f")
    elif isinstance(value, (float, numbers.Real)):
        number = value if isinstance(value, float) else float(value)
        if not isinstance(number, float):
            raise TypeError(f"{type(value).__name__}.__float__ did not return a float")
        if not math.isfinite(number):
            raise ValueError(f"cannot bind non-finite number {float.__repr__(number)}")
        # Plain positional notation from the shortest repr of the double itself: no exponent to misread.
        text = decimal.Decimal.__format__(decimal.Decimal(float.__repr__(number)), "f")
    else:
        return None
    if text.startswith("-0") and _PLAIN_NUMBER.fullmatch(text) and not text.strip("-0."):
        text = text[1:]  # -0 and -0.0 are zero
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"cannot render {type(value).__name__} as a plain number")
    return text


def _number(text: str) -> str:
    # A negative literal is parenthesised so "x -?" can never become the comment "x --5".
    return f"({text})" if text.startswith("-") else text


def render_literal(value: object) -> str:
    """Render one Python value as a SuiteQL literal.

    Supported: ``None`` → NULL, bool → 'T'/'F', any finite real number (int, float, Decimal, their subclasses,
    numpy scalars; rendered by value, see `number_text`), str (quotes doubled, NUL refused),
    date → TO_DATE, datetime → TO_TIMESTAMP (aware values converted to UTC), list/tuple → ``(a, b)``.
    Anything else raises TypeError; non-finite numbers, NUL characters and empty lists raise ValueError.

    Examples:
        >>> render_literal("it's")
        "'it''s'"
        >>> render_literal(-3)
        '(-3)'
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "'T'" if value else "'F'"
    number = number_text(value)
    if number is not None:
        return _number(number)
    if isinstance(value, str):
        text = str.__str__(value)
        if "\x00" in text:
            raise ValueError("cannot bind a string containing a NUL character")
        return "'" + text.replace("'", "''") + "'"
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        if value.microsecond:
            stamp = value.strftime("%Y-%m-%d %H:%M:%S.%f")
            return f"TO_TIMESTAMP('{stamp}', 'YYYY-MM-DD HH24:MI:SS.FF6')"
        return f"TO_TIMESTAMP('{value.strftime('%Y-%m-%d %H:%M:%S')}', 'YYYY-MM-DD HH24:MI:SS')"
    if isinstance(value, _dt.date):
        return f"TO_DATE('{value.isoformat()}', 'YYYY-MM-DD')"
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError("cannot bind an empty list: 'IN ()' is not valid SuiteQL")
        parts = []
        for item in value:
            if isinstance(item, (list, tuple)):
                raise TypeError("nested lists cannot be bound")
            parts.append(render_literal(item))
        return "(" + ", ".join(parts) + ")"
    raise TypeError(
        f"cannot bind a value of type {type(value).__name__}; use str, int, float, Decimal, bool, "
        "date, datetime, None or a list/tuple of those"
    )


def bind(query: str, params: Sequence[object] | None) -> str:
    """Return ``query`` with each ``?`` placeholder replaced by the rendered literal of its parameter.

    ``params=None`` returns the query unchanged. A placeholder count different from ``len(params)`` raises
    ValueError; every value is validated before anything is returned, so nothing is sent on bad input.

    Examples:
        >>> bind("SELECT id FROM customer WHERE id > ? -- ids after ?", [100])
        'SELECT id FROM customer WHERE id > 100 -- ids after ?'
    """
    if params is None:
        for _ in tokenize(query):  # a generator: consume it, so unterminated literals are refused here too
            pass
        return query
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence):
        raise TypeError("params must be a list or tuple of values, one per '?' placeholder")
    tokens = list(tokenize(query))
    count = sum(1 for t in tokens if t.kind == "param")
    if count != len(params):
        raise ValueError(
            f"the query has {count} '?' placeholder(s) but {len(params)} parameter(s) were given"
        )
    values = iter(params)
    out = [render_literal(next(values)) if t.kind == "param" else t.text for t in tokens]
    return "".join(out)
