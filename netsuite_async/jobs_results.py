"""What asynchronous jobs answer: `JobStatus`, `JobResult`, `TaskOutcome`, and reading them from responses.

Re-exported by `netsuite_async.jobs`.

Examples:
    >>> ref = record_ref_from_location("https://x/services/rest/record/v1/customer/7")
    >>> ref.type, ref.id
    ('customer', '7')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from netsuite_async._links import job_id_in_location, link_href, record_in_location, task_id_in_href
from netsuite_async.errors import APIError, NetSuiteError
from netsuite_async.models import RecordRef

if TYPE_CHECKING:
    from netsuite_async._http import Response

__all__ = ["FINISHED_PROGRESS", "JobResult", "JobStatus", "Progress", "TaskOutcome", "record_ref_from_location"]

Progress = Literal["pending", "succeeded", "failed"]

#: Progress words of a finished job or task; any other word (pending, processing, …) means "not finished".
FINISHED_PROGRESS = frozenset({"succeeded", "failed"})


@dataclass(frozen=True)
class JobStatus:
    """A job's state as NetSuite reports it.

    Examples:
        >>> JobStatus(id="7", completed=False, progress="pending").completed
        False
    """

    id: str
    completed: bool
    progress: str
    """``pending``/``processing``, ``succeeded`` or ``failed`` (kept as text: a later release may add values)."""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def finished(self) -> bool:
        """True when the job (or task) has ended: ``completed`` and progress ``succeeded`` or ``failed``.

        An unknown progress word means "not finished" (NetSuite has been seen answering ``pending`` and
        ``processing`` for running jobs); an answer without any progress word follows ``completed``.

        Examples:
            >>> JobStatus("7", completed=True, progress="succeeded").finished
            True
            >>> JobStatus("7", completed=True, progress="processing").finished
            False
            >>> JobStatus("7", completed=False, progress="processing").finished
            False
        """
        word = self.progress.strip().lower()
        if not word:
            return self.completed
        return word in FINISHED_PROGRESS and (self.completed or "completed" not in self.raw)


@dataclass(frozen=True)
class JobResult:
    """The answer of a finished task: what the synchronous request would have answered.

    ``ref`` is the record named by the ``Location`` header (creates, upserts, transforms), ``body`` the parsed
    JSON body when there is one (reads), ``status_code`` the task result's HTTP status.

    Examples:
        >>> JobResult(status_code=204, ref=None, body=None).status_code
        204
    """

    status_code: int
    ref: RecordRef | None
    body: Any
    location: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class TaskOutcome:
    """One task of a job: its id and either its result or the typed error NetSuite gave it.

    Examples:
        >>> TaskOutcome(task_id="1", result=JobResult(204, None, None)).ok
        True
    """

    task_id: str
    result: JobResult | None = None
    error: NetSuiteError | None = None

    @property
    def ok(self) -> bool:
        """True when the task succeeded."""
        return self.error is None


def _job_id_from_location(location: str) -> str:
    job_id = job_id_in_location(location)
    if job_id is None:
        raise NetSuiteError(f"cannot read an asynchronous job id from Location {location!r}")
    return job_id


def record_ref_from_location(location: str | None) -> RecordRef | None:
    """The record a ``Location`` header points at (``…/record/v1/customer/647`` → customer 647), else None.

    Examples:
        >>> ref = record_ref_from_location("https://x/services/rest/record/v1/customer/647")
        >>> (ref.type, ref.id)
        ('customer', '647')
    """
    found = record_in_location(location)
    return None if found is None else RecordRef(type=found[0], id=found[1], url=location)


def _job_status(data: Any, default_id: str, what: str) -> JobStatus:
    """The `JobStatus` of a job's or task's answer; ``what`` ("job 7") names it when the answer is no object."""
    if not isinstance(data, Mapping):
        raise NetSuiteError(f"unexpected answer for {what}: not a JSON object")
    return JobStatus(
        id=str(data.get("id", default_id)),
        completed=data.get("completed") is True,
        progress=str(data.get("progress") or ""),
        raw=data,
    )


def _parse_body(response: Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _job_result(response: Response) -> JobResult:
    location = response.headers.get("location")
    return JobResult(
        status_code=response.status_code,
        ref=record_ref_from_location(location),
        body=_parse_body(response),
        location=location,
        headers=dict(response.headers),
    )


def _task_id(item: Any) -> str | None:
    if not isinstance(item, Mapping):
        return None
    task_id = task_id_in_href(link_href(item, "self"))
    if task_id is not None:
        return task_id
    if item.get("id") is not None:
        return str(item["id"])
    return None


def _error_location(err: APIError) -> str | None:
    response = err.response
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("location")
    return value if isinstance(value, str) else None
