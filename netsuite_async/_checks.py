"""The one check of "an int, not a bool" and its two common uses (issue 16).

``True`` is an ``int`` to Python, so ``isinstance(x, int)`` lets ``page_size=True`` through as 1. Every option
of the library that takes a count or a number of seconds refuses a bool; the checks live here so that they read
the same everywhere (the emulator under ``testing/`` uses them too). Each caller keeps its own error message
where it has one; `positive_int` and `positive_number` raise the two messages several options share.

Examples:
    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    >>> positive_int("batch_size", 500)
    500
"""

from __future__ import annotations

from typing import TypeGuard

__all__: list[str] = []


def is_int(value: object) -> TypeGuard[int]:
    """True for an ``int`` that is not a ``bool``.

    Examples:
        >>> is_int(0), is_int(False), is_int("1")
        (True, False, False)
    """
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """True for an ``int`` or ``float`` that is not a ``bool`` (NaN and infinities included).

    Examples:
        >>> is_number(1.5), is_number(2), is_number(True), is_number("1")
        (True, True, False, False)
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def positive_int(name: str, value: object) -> int:
    """``value`` when it is an int of at least 1, else ``ValueError("<name> must be a positive int, not …")``.

    Examples:
        >>> positive_int("save_every", 0)
        Traceback (most recent call last):
        ...
        ValueError: save_every must be a positive int, not 0
    """
    if not is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive int, not {value!r}")
    return value


def positive_number(name: str, value: object) -> int | float:
    """``value`` when it is a number above zero, else ``ValueError`` naming it as a number of seconds.

    NaN is refused (it is not above zero); infinity passes, as "no limit" (``math.inf``).

    Examples:
        >>> positive_number("ttl", 3600)
        3600
        >>> positive_number("poll_interval", float("nan"))
        Traceback (most recent call last):
        ...
        ValueError: poll_interval must be a positive number of seconds, not nan
    """
    if not is_number(value) or not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return value
