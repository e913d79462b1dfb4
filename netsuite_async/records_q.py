"""The ``q`` filter language of record lists: `Q`, `where`, and how values and dates are rendered.

``client.records.list(record_type, q=...)`` takes a `Q` (or a raw ``q`` string); this module builds and renders
them. Everything here is re-exported by `netsuite_async.records`.

Examples:
    >>> str(Q("email").start_with("ap@") & Q("isInactive").is_(False))
    'email START_WITH "ap@" AND isInactive IS false'
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from netsuite_async.errors import DateFormatRequiredError
from netsuite_async.identifiers import validate_field_name
from netsuite_async.suiteql_params import number_text

__all__ = ["DATE_FORMATS", "OPERATORS", "Q", "QValue", "check_date_format", "format_q_date", "where"]


# ----------------------------------------------------------------------------------------------------------
# The q filter builder
# ----------------------------------------------------------------------------------------------------------

_OPERATORS_NO_VALUE = frozenset({"EMPTY", "EMPTY_NOT"})
_OPERATORS_TWO_VALUES = frozenset({"BETWEEN", "BETWEEN_NOT", "WITHIN", "WITHIN_NOT"})
_OPERATORS_MANY_VALUES = frozenset({"ANY_OF", "ANY_OF_NOT"})
_OPERATORS_ONE_VALUE = frozenset(
    {
        f"{base}{suffix}"
        for base in (
            "IS",
            "EQUAL",
            "GREATER",
            "GREATER_OR_EQUAL",
            "LESS",
            "LESS_OR_EQUAL",
            "CONTAIN",
            "START_WITH",
            "END_WITH",
            "AFTER",
            "BEFORE",
            "ON",
            "ON_OR_AFTER",
            "ON_OR_BEFORE",
        )
        for suffix in ("", "_NOT")
    }
)
OPERATORS = _OPERATORS_NO_VALUE | _OPERATORS_ONE_VALUE | _OPERATORS_TWO_VALUES | _OPERATORS_MANY_VALUES

QValue = str | int | float | Decimal | bool | _dt.date

#: The account date formats a ``q`` date can be rendered in (NetSuite's date format preference).
DATE_FORMATS: tuple[str, ...] = ("M/D/YYYY", "D/M/YYYY", "YYYY-MM-DD")


def check_date_format(date_format: object) -> str | None:
    """Validate an account date format setting (``None``: not configured).

    Examples:
        >>> check_date_format("d/m/yyyy")
        'D/M/YYYY'
        >>> check_date_format(None) is None
        True
    """
    if date_format is None:
        return None
    if not isinstance(date_format, str):
        raise TypeError(f"date_format must be a str or None, not {type(date_format).__name__}")
    canonical = date_format.strip().upper()
    if canonical not in DATE_FORMATS:
        raise ValueError(
            f"unknown date_format {date_format!r}: use one of {', '.join(DATE_FORMATS)} (the account's date format "
            "preference, Home > Set Preferences > General > Date Format)"
        )
    return canonical


def format_q_date(day: _dt.date, date_format: str | None) -> str:
    """A date as NetSuite reads it in a ``q`` filter of an account with this date format.

    Raises `DateFormatRequiredError` when ``date_format`` is None: NetSuite reads
    ``q`` dates only in the account's format, so the client does not guess.

    Examples:
        >>> import datetime
        >>> format_q_date(datetime.date(2024, 12, 31), "M/D/YYYY")
        '12/31/2024'
        >>> format_q_date(datetime.date(2024, 12, 31), "D/M/YYYY")
        '31/12/2024'
        >>> format_q_date(datetime.date(2024, 1, 5), "YYYY-MM-DD")
        '2024-01-05'
    """
    if isinstance(day, _dt.datetime) or not isinstance(day, _dt.date):
        raise TypeError(f"expected a datetime.date, not {type(day).__name__}")
    fmt = check_date_format(date_format)
    if fmt is None:
        raise DateFormatRequiredError()
    if fmt == "M/D/YYYY":
        return f"{day.month}/{day.day}/{day.year:04d}"
    if fmt == "D/M/YYYY":
        return f"{day.day}/{day.month}/{day.year:04d}"
    return day.isoformat()


def _render_value(value: object) -> str | _dt.date:
    # bool before int: True is an int.
    if isinstance(value, bool):
        return "true" if value else "false"
    # Numbers by value (int/float/Decimal subclasses, numpy scalars), never by their repr or __format__.
    try:
        number = number_text(value)
    except ValueError:
        raise ValueError("q value is not a finite number") from None
    if number is not None:
        return number
    if isinstance(value, _dt.datetime):
        raise TypeError(
            "q dates are compared by day in the account's date format; pass a datetime.date, or a string "
            "already formatted the way your NetSuite user preferences expect"
        )
    if isinstance(value, _dt.date):
        # Kept as a date: it is written in the account's date format when the filter is sent (Q.render).
        return value
    if isinstance(value, str):
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise ValueError(f"q value {value!r} contains control characters")
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    raise TypeError(f"unsupported q value type {type(value).__name__}: {value!r}")


_Part = str | _dt.date


def _join(parts: Sequence[_Part], sep: str) -> tuple[_Part, ...]:
    out: list[_Part] = []
    for i, part in enumerate(parts):
        if i:
            out.append(sep)
        out.append(part)
    return tuple(out)


class Q:
    """A safely rendered ``q`` filter for `Records.list`.

    ``Q("field")`` starts a condition; an operator method completes it; ``&`` / ``|`` combine conditions and
    add the parentheses needed for precedence. Field names are validated and values quoted and escaped, so
    user input can be used as a value without changing the filter's meaning. ``str(q)`` is the text sent.

    Strings are sent in double quotes with ``\\`` and ``"`` backslash-escaped (NetSuite does not document an
    escape; the built-in emulator implements this one), numbers bare, booleans ``true``/``false`` and
    `datetime.date` in the account's date format (``NetSuiteClient(date_format=...)``, e.g. ``"12/31/2024"``
    for M/D/YYYY). A filter with a date has no text until that format is known: ``q.render(date_format)`` gives
    it, and ``str(q)`` raises `DateFormatRequiredError` rather than guess.

    Examples:

        >>> str(Q("email").start_with("ap@") & (Q("balance").greater(100) | Q("isInactive").is_(True)))
        'email START_WITH "ap@" AND (balance GREATER 100 OR isInactive IS true)'
        >>> str(Q("companyName").is_('Acme "Best" Inc'))
        'companyName IS "Acme \\\\"Best\\\\" Inc"'
        >>> import datetime
        >>> Q("dateCreated").on_or_after(datetime.date(2024, 12, 31)).render("D/M/YYYY")
        'dateCreated ON_OR_AFTER "31/12/2024"'
    """

    __slots__ = ("_field", "_kind", "_parts")

    def __init__(self, field: str) -> None:
        self._field = validate_field_name(field)
        self._parts: tuple[_Part, ...] | None = None
        self._kind: Literal["field", "cond", "and", "or"] = "field"

    @classmethod
    def _make(cls, parts: tuple[_Part, ...], kind: Literal["cond", "and", "or"]) -> Q:
        q = cls.__new__(cls)
        q._field = ""
        q._parts = parts
        q._kind = kind
        return q

    @property
    def has_dates(self) -> bool:
        """True when the filter holds a `datetime.date` (its text then needs the account's date format).

        Examples:
            >>> import datetime
            >>> Q("dateCreated").after(datetime.date(2024, 1, 1)).has_dates, Q("id").equal(1).has_dates
            (True, False)
        """
        return any(isinstance(p, _dt.date) for p in self._parts or ())

    def render(self, date_format: str | None = None) -> str:
        """The filter's text, with dates written in ``date_format`` (one of `DATE_FORMATS`).

        Raises `DateFormatRequiredError` when the filter holds a date and
        ``date_format`` is None.

        Examples:
            >>> import datetime
            >>> Q("dateCreated").before(datetime.date(2024, 2, 1)).render("M/D/YYYY")
            'dateCreated BEFORE "2/1/2024"'
        """
        if self._kind == "field" or self._parts is None:
            raise TypeError(f"Q({self._field!r}) has no operator yet")
        return "".join(
            f'"{format_q_date(p, date_format)}"' if isinstance(p, _dt.date) else p for p in self._parts
        )

    def op(self, operator: str, *values: QValue) -> Q:
        """Complete the condition with any operator NetSuite knows (``"GREATER_OR_EQUAL_NOT"`` …).

        Examples:

            >>> str(Q("id").op("ANY_OF", 1, 2, 3))
            'id ANY_OF [1, 2, 3]'
        """
        if self._kind != "field":
            raise TypeError("an operator applies to Q('field'), not to a finished condition")
        name = operator.upper() if isinstance(operator, str) else operator
        if name not in OPERATORS:
            raise ValueError(f"unknown q operator {operator!r}; expected one of {sorted(OPERATORS)}")
        rendered = [_render_value(v) for v in values]
        head = f"{self._field} {name}"
        parts: tuple[_Part, ...]
        if name in _OPERATORS_NO_VALUE:
            if rendered:
                raise ValueError(f"{name} takes no value")
            parts = (head,)
        elif name in _OPERATORS_TWO_VALUES:
            if len(rendered) != 2:
                raise ValueError(f"{name} takes exactly two values")
            parts = (f"{head} [", rendered[0], ", ", rendered[1], "]")
        elif name in _OPERATORS_MANY_VALUES:
            if not rendered:
                raise ValueError(f"{name} needs at least one value")
            parts = (f"{head} [", *_join(rendered, ", "), "]")
        else:
            if len(rendered) != 1:
                raise ValueError(f"{name} takes exactly one value")
            parts = (f"{head} ", rendered[0])
        return Q._make(parts, "cond")

    # One method per operator family; the _NOT forms via op() or `not_=True`.
    def is_(self, value: QValue, *, not_: bool = False) -> Q:
        """``field IS value`` (booleans, strings). Example: ``Q("isInactive").is_(False)``."""
        return self.op("IS_NOT" if not_ else "IS", value)

    def equal(self, value: QValue, *, not_: bool = False) -> Q:
        """``field EQUAL value`` (numbers). Example: ``Q("balance").equal(0)``."""
        return self.op("EQUAL_NOT" if not_ else "EQUAL", value)

    def greater(self, value: QValue) -> Q:
        """``field GREATER value``. Example: ``Q("balance").greater(100)``."""
        return self.op("GREATER", value)

    def greater_or_equal(self, value: QValue) -> Q:
        """``field GREATER_OR_EQUAL value``. Example: ``Q("id").greater_or_equal(10)``."""
        return self.op("GREATER_OR_EQUAL", value)

    def less(self, value: QValue) -> Q:
        """``field LESS value``. Example: ``Q("balance").less(0)``."""
        return self.op("LESS", value)

    def less_or_equal(self, value: QValue) -> Q:
        """``field LESS_OR_EQUAL value``. Example: ``Q("id").less_or_equal(99)``."""
        return self.op("LESS_OR_EQUAL", value)

    def between(self, low: QValue, high: QValue, *, not_: bool = False) -> Q:
        """``field BETWEEN [low, high]``. Example: ``Q("id").between(1, 42)``."""
        return self.op("BETWEEN_NOT" if not_ else "BETWEEN", low, high)

    def any_of(self, *values: QValue, not_: bool = False) -> Q:
        """``field ANY_OF [v1, v2, …]``. Example: ``Q("id").any_of(1, 2, 3)``."""
        return self.op("ANY_OF_NOT" if not_ else "ANY_OF", *values)

    def contain(self, value: str, *, not_: bool = False) -> Q:
        """``field CONTAIN "value"``. Example: ``Q("companyName").contain("acme")``."""
        return self.op("CONTAIN_NOT" if not_ else "CONTAIN", value)

    def start_with(self, value: str, *, not_: bool = False) -> Q:
        """``field START_WITH "value"``. Example: ``Q("email").start_with("ap@")``."""
        return self.op("START_WITH_NOT" if not_ else "START_WITH", value)

    def end_with(self, value: str, *, not_: bool = False) -> Q:
        """``field END_WITH "value"``. Example: ``Q("email").end_with("@acme.example")``."""
        return self.op("END_WITH_NOT" if not_ else "END_WITH", value)

    def empty(self, *, not_: bool = False) -> Q:
        """``field EMPTY``. Example: ``Q("email").empty(not_=True)``."""
        return self.op("EMPTY_NOT" if not_ else "EMPTY")

    def after(self, value: QValue) -> Q:
        """``field AFTER date``. Example: ``Q("dateCreated").after(datetime.date(2024, 1, 1))``."""
        return self.op("AFTER", value)

    def before(self, value: QValue) -> Q:
        """``field BEFORE date``. Example: ``Q("dateCreated").before(datetime.date(2024, 1, 1))``."""
        return self.op("BEFORE", value)

    def on(self, value: QValue) -> Q:
        """``field ON date``. Example: ``Q("dateCreated").on(datetime.date(2024, 1, 1))``."""
        return self.op("ON", value)

    def on_or_after(self, value: QValue) -> Q:
        """``field ON_OR_AFTER date``. Example: ``Q("lastModifiedDate").on_or_after(day)``."""
        return self.op("ON_OR_AFTER", value)

    def on_or_before(self, value: QValue) -> Q:
        """``field ON_OR_BEFORE date``. Example: ``Q("lastModifiedDate").on_or_before(day)``."""
        return self.op("ON_OR_BEFORE", value)

    def _combine(self, other: object, joiner: Literal["and", "or"]) -> Q:
        if not isinstance(other, Q):
            raise TypeError(f"only Q conditions combine with &/|, not {type(other).__name__}")
        parts: list[_Part] = []
        for i, side in enumerate((self, other)):
            if side._kind == "field" or side._parts is None:
                raise TypeError(f"Q({side._field!r}) has no operator yet; e.g. Q({side._field!r}).is_(...)")
            if i:
                parts.append(f" {joiner.upper()} ")
            # Only a mixed join needs parentheses: AND binds tighter than OR in NetSuite's filter, and
            # parenthesising every OR group keeps the meaning obvious to a reader of the URL.
            if side._kind not in ("cond", joiner):
                parts.extend(("(", *side._parts, ")"))
            else:
                parts.extend(side._parts)
        return Q._make(tuple(parts), joiner)

    def __and__(self, other: Q) -> Q:
        return self._combine(other, "and")

    def __or__(self, other: Q) -> Q:
        return self._combine(other, "or")

    def __str__(self) -> str:
        return self.render(None)

    def __repr__(self) -> str:
        if self._kind == "field" or self._parts is None:
            return f"Q({self._field!r})"
        text = "".join(f"<date {p.isoformat()}>" if isinstance(p, _dt.date) else p for p in self._parts)
        return f"Q<{text}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Q):
            return NotImplemented
        return (self._kind, self._field, self._parts) == (other._kind, other._field, other._parts)

    def __hash__(self) -> int:
        return hash((self._kind, self._field, self._parts))


def where(field: str, operator: str, *values: QValue) -> Q:
    """Build one ``q`` condition: ``where("email", "START_WITH", "ap@")``; combine with ``&`` and ``|``.

    Examples:

        >>> str(where("id", "BETWEEN", 1, 42) & where("email", "EMPTY_NOT"))
        'id BETWEEN [1, 42] AND email EMPTY_NOT'
    """
    return Q(field).op(operator, *values)


def _q_text(q: Q | str | None, date_format: str | None = None) -> str | None:
    if q is None:
        return None
    if isinstance(q, Q):
        return q.render(date_format)
    if isinstance(q, str):
        if not q.strip():
            raise ValueError("q must not be empty; pass None for no filter")
        return q
    raise TypeError(f"q must be a Q, a str or None, not {type(q).__name__}")
