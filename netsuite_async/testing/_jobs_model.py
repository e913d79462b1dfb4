"""The async-job service's data: jobs, tasks, scripted task failures, and the helpers that build them.

Examples:
    >>> TaskFailure(lambda req: req.method == "POST", times=2).times
    2
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import anyio

from netsuite_async.testing._app import REST_PREFIX, EmuRequest, EmuResponse, ns_error
from netsuite_async.testing._faults import Matcher

__all__ = ["MAX_COLLECTION_ITEMS", "Dispatch", "TaskFailure"]

#: Most items one 2026.1 batch request may carry.
MAX_COLLECTION_ITEMS = 100

Dispatch = Callable[[EmuRequest], Awaitable[EmuResponse]]

_COLLECTION_PATH = re.compile(REST_PREFIX + r"/record/v1/([A-Za-z][A-Za-z0-9_]*)/?\Z")
_STRIPPED_HEADERS = ("prefer", "x-netsuite-idempotency-key", "content-length")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Task:
    id: str
    request: EmuRequest | None
    """The inner request; None when the item could not be turned into one (``response`` says why)."""
    response: EmuResponse | None = None
    start: str | None = None
    end: str | None = None
    single: bool = False
    """True for the one task of a plain (non-collection) asynchronous request."""

    @property
    def completed(self) -> bool:
        return self.response is not None

    def progress(self, unfinished: str) -> str:
        if self.response is None:
            return unfinished
        return "succeeded" if self.response.status < 400 else "failed"


@dataclass
class _Job:
    id: str
    key: str | None
    tasks: list[_Task]
    polls_left: int
    running: anyio.Event | None = None
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def progress(self, unfinished: str) -> str:
        if not self.done:
            return unfinished
        return "succeeded" if all(t.progress(unfinished) == "succeeded" for t in self.tasks) else "failed"

    def task(self, task_id: str) -> _Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)


def _is_collection_content_type(value: str | None) -> bool:
    if not value:
        return False
    parts = [p.strip().lower() for p in value.split(";")]
    if parts[0] != "application/vnd.oracle.resource+json":
        return False
    return any(p.replace(" ", "") == "type=collection" for p in parts[1:])


def _inner_headers(req: EmuRequest) -> dict[str, str]:
    return {k: v for k, v in req.headers.items() if k not in _STRIPPED_HEADERS}


@dataclass
class TaskFailure:
    """A scripted per-task failure: the next ``times`` tasks whose inner request matches fail (None: forever).

    Made by `JobManager.script_task_failure` (``emu.jobs.script_task_failure("POST /record/v1/customer",
    times=3)``); ``times`` counts the uses left.

    Examples:
        >>> TaskFailure(lambda req: req.method == "POST", times=2).times
        2
    """

    match: Matcher
    times: int | None = 1
    status: int = 500


def _check_count(count: int) -> EmuResponse | None:
    if count == 0:
        return ns_error(400, "INVALID_CONTENT", "A batch request must carry at least one item.")
    if count > MAX_COLLECTION_ITEMS:
        return ns_error(
            400,
            "INVALID_CONTENT",
            f"A batch request may carry at most {MAX_COLLECTION_ITEMS} items; this one has {count}.",
        )
    return None


def _id_segment(rid: str) -> str:
    if rid.startswith("eid:"):
        return "eid:" + quote(rid[4:], safe="")
    return rid


def _failed_task(tid: str, detail: str, n: int) -> _Task:
    return _Task(
        id=tid,
        request=None,
        response=ns_error(400, "INVALID_CONTENT", detail, path=f"items[{n}]"),
        start=_now(),
        end=_now(),
    )
