"""Small readers of the probe's answers (split out of ``probe.py``, issue 16): JSON bodies, ``items`` and
numbers. Each tolerates a missing or odd value and returns ``None``/``[]``. Links and the ids in URLs are read
by ``_links.py``, like everywhere else in the library.

Examples:
    >>> _int("12"), _int(True), _items({"items": [1]})
    (12, None, [1])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__: list[str] = []


def _json(answer: Any) -> Any:
    try:
        return answer.json()
    except (ValueError, AttributeError):
        return None


def _items(body: Any) -> list[Any]:
    items = body.get("items") if isinstance(body, Mapping) else None
    return items if isinstance(items, list) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

