"""The Oracle functions SuiteQL queries use, as SQLite functions (NVL, DECODE, TO_DATE, TO_CHAR, ...).

Examples:
    ```python
    install_functions(emu.store.connection)
    ```
"""

from __future__ import annotations

import datetime as _dt
import re
import sqlite3
from collections.abc import Callable
from typing import Any

__all__ = ["install_functions"]

_FMT_TOKENS = re.compile(r'HH24|HH12|HH|YYYY|YY|MONTH|MON|MM|DD|DY|MI|SS|FF[1-9]?|AM|PM|"[^"]*"|.', re.IGNORECASE)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


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


_STRP = {
    "YYYY": "%Y",
    "YY": "%y",
    "MM": "%m",
    "DD": "%d",
    "HH24": "%H",
    "HH12": "%I",
    "HH": "%I",
    "MI": "%M",
    "SS": "%S",
    "MON": "%b",
    "MONTH": "%B",
    "DY": "%a",
    "AM": "%p",
    "PM": "%p",
}


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
