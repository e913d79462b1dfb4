"""Small readers of the probe's answers (split out of ``probe.py``, issue 16): JSON bodies, ``items``, numbers,
links and the REST paths of jobs and tasks. Each tolerates a missing or odd value and returns ``None``/``[]``.

Examples:
    >>> _job_path("https://1234567.suitetalk.api.netsuite.com/services/rest/async/v1/job/7")
    '/async/v1/job/7'
    >>> _int("12"), _int(True), _items({"items": [1]})
    (12, None, [1])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__: list[str] = []

_REST = "/services/rest"


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


def _link(doc: Any, rel: str) -> str | None:
    links = doc.get("links") if isinstance(doc, Mapping) else None
    for link in links or []:
        if isinstance(link, Mapping) and link.get("rel") == rel and isinstance(link.get("href"), str):
            return str(link["href"])
    return None


def _rest_path(href: str) -> str:
    """``https://host/services/rest/async/v1/job/1/task/1`` -> ``/async/v1/job/1/task/1``."""
    at = href.find(_REST)
    return href[at + len(_REST):] if at != -1 else href


def _job_path(location: str | None) -> str | None:
    if not location:
        return None
    path = _rest_path(location.strip())
    return path if "/async/v1/job/" in path else None
