"""Asynchronous requests: submit any REST request as a NetSuite job and wait for its result.

NetSuite runs a request with ``Prefer: respond-async`` in the background and answers ``202 Accepted`` with
``Location: /services/rest/async/v1/job/{id}``. The job, its tasks and each task's result are then read with
plain GETs:
```text
GET /async/v1/job/{id}                  {completed, progress: pending|processing|succeeded|failed, task: {links}}
GET /async/v1/job/{id}/task             {items: [{links: [{rel: self, href: …/task/{tid}}]}], hasMore, …}
GET /async/v1/job/{id}/task/{tid}       {completed, progress, links: [related → …/result]}
GET /async/v1/job/{id}/task/{tid}/result   the operation's own answer (204 + Location for a create)
```

Where NetSuite's documentation is silent this module assumes nothing (see docs/netsuite-behaviour.md):

* task ids are read from the listing's ``self`` links and matched to items by their place in the listing
  (NetSuite lists tasks in item order). Ids are numbered per job on some accounts and unique across the
  account on others (a single request's task then has the job's id), so a number is never turned into an item;
* a job is finished only when it says ``completed`` and its progress is ``succeeded`` or ``failed``: any other
  word (``pending``, ``processing``, one a later release adds) means "not finished yet";
* a repeated idempotency key is answered ``IDEMPOTENCY_ERROR`` with the earlier job's ``Location`` with status
  400 or 409: both lead back to the earlier job;
* a create's task result may carry no ``Location`` (then ``JobResult.ref`` is None: nothing is guessed).

Why this module matters: NetSuite honours ``X-NetSuite-Idempotency-Key`` on asynchronous requests only. A key is
made once per logical request and sent on every attempt, so an asynchronous write is safe to retry after any
failure: a repeated key is answered ``IDEMPOTENCY_ERROR`` (400 or 409) with the ``Location`` of the earlier job, which
`Jobs.submit` turns back into that `Job`.

Examples:
    ```python
    job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "ACME"})
    result = await job.wait(deadline=300)
    result.ref.id          # the new customer's internal id, from the task result's Location
    ```
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio

from netsuite_async._async_requests import new_idempotency_key as new_idempotency_key
from netsuite_async._async_requests import validate_idempotency_key as validate_idempotency_key
from netsuite_async._async_requests import validate_method
from netsuite_async._call_options import deadline_first
from netsuite_async._jsonbody import encode_json_body
from netsuite_async._links import is_id
from netsuite_async._tasks import run_bounded
from netsuite_async.errors import APIError, JobTasksMismatchError, JobTimeoutError, NetSuiteError
from netsuite_async.jobs_results import FINISHED_PROGRESS as FINISHED_PROGRESS
from netsuite_async.jobs_results import (
    JobResult,
    JobStatus,
    TaskOutcome,
    _error_location,
    _job_id_from_location,
    _job_result,
    _job_status,
    _task_id,
)
from netsuite_async.jobs_results import Progress as Progress
from netsuite_async.jobs_results import record_ref_from_location as record_ref_from_location
from netsuite_async.telemetry import traced
from netsuite_async.transport import RequestSpec

if TYPE_CHECKING:
    from netsuite_async._http import Response
    from netsuite_async.transport import Transport

__all__ = [
    "COLLECTION_CONTENT_TYPE",
    "IDEMPOTENCY_HEADER",
    "Job",
    "JobResult",
    "JobStatus",
    "JobTimeoutError",
    "Jobs",
    "TaskOutcome",
    "new_idempotency_key",
    "validate_idempotency_key",
]

#: The header NetSuite reads the idempotency key from (honoured on asynchronous requests only).
IDEMPOTENCY_HEADER = "X-NetSuite-Idempotency-Key"
#: Content type of a 2026.1 homogeneous batch ("collection") request body ``{"items": [...]}``.
COLLECTION_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=collection"


class Job:
    """A submitted asynchronous request. Poll it with `status`, or `wait` for its result.

    ``reused`` is True when NetSuite recognised the idempotency key and handed back an earlier job.

    Examples:
        ```python
        job = await ns.jobs.submit("PATCH", "/record/v1/customer/7", json={"comments": "vip"})
        status = await job.status()          # JobStatus(id=…, completed=…, progress=…)
        result = await job.wait(deadline=60)  # JobResult(status_code=204, ref=…, body=None)
        ```

    Every method takes ``timeout=`` (per-attempt read timeout, seconds) and ``headers=`` for the requests of that
    call (its polls and task reads); the wait methods' total is ``deadline=``.
    """

    def __init__(
        self,
        transport: Transport,
        job_id: str,
        *,
        idempotency_key: str | None = None,
        reused: bool = False,
        poll_interval: float = 0.25,
        max_poll_interval: float = 5.0,
    ) -> None:
        self._transport = transport
        self.id = job_id
        self.idempotency_key = idempotency_key
        self.reused = reused
        self._poll_interval = poll_interval
        self._max_poll_interval = max_poll_interval

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, reused={self.reused})"

    @property
    def path(self) -> str:
        """The job's path under ``/services/rest``."""
        return f"/async/v1/job/{self.id}"

    async def _get(self, path: str, params: Mapping[str, str | int] | None = None) -> Response:
        return await self._transport.send(RequestSpec(method="GET", path=path, params=params))

    @traced("jobs.status")
    async def status(self, *, timeout: float | None = None, headers: Mapping[str, str] | None = None) -> JobStatus:
        """Read the job's state once.

        Examples:
            ```python
            if (await job.status()).completed: ...
            ```
        """
        return _job_status((await self._get(self.path)).json(), self.id, f"job {self.id}")

    # deadline bounds the polling, which a caller cannot express with fail_after without losing the
    # JobTimeoutError that names the job. Until one release ago it was called timeout (see deadline_first).
    @traced("jobs.wait_completed")
    @deadline_first
    async def wait_completed(
        self,
        deadline: float | None = 600.0,
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> JobStatus:
        """Poll until the job has finished (exponential backoff with jitter, never a busy loop).

        Finished means `JobStatus.finished`: an unknown progress word keeps polling. Raises
        `JobTimeoutError` when ``deadline`` seconds pass first (the job keeps running); None waits as long as
        it takes. ``timeout`` is each poll's per-attempt read timeout.

        Examples:
            ```python
            status = await job.wait_completed(deadline=120)
            ```
        """
        if deadline is not None and (isinstance(deadline, bool) or not deadline > 0):
            raise ValueError("deadline must be positive or None")
        interval = self._poll_interval
        try:
            with anyio.fail_after(deadline):
                while True:
                    status = await self.status()
                    if status.finished:
                        return status
                    # Jitter spreads the polls of many jobs submitted together.
                    await anyio.sleep(interval * (0.5 + random.random() / 2))
                    interval = min(interval * 1.6, self._max_poll_interval)
        except TimeoutError:
            raise JobTimeoutError(self.id, deadline or 0.0) from None

    @traced("jobs.task_ids")
    async def task_ids(self, *, timeout: float | None = None, headers: Mapping[str, str] | None = None) -> list[str]:
        """The ids of the job's tasks (one per request, one per item of a batch), in NetSuite's listing order.

        Each id is read from the task's ``self`` link (or its ``id``); nothing is assumed about how NetSuite
        numbers them (``1..n`` per job on some accounts, account-wide on others).

        Examples:
            ```python
            ids = await job.task_ids()     # ['1'], or ['5120'] where task ids are unique across the account
            ```
        """
        ids: list[str] = []
        offset = 0
        # Bounded: a job holds at most a batch of tasks; the guard stops a server that never says hasMore=false.
        for _ in range(1000):
            params: dict[str, str | int] | None = {"offset": offset} if offset else None
            data = (await self._get(f"{self.path}/task", params)).json()
            items = data.get("items", []) if isinstance(data, Mapping) else []
            ids.extend(tid for tid in map(_task_id, items) if tid is not None)
            if not (isinstance(data, Mapping) and data.get("hasMore")) or not items:
                return ids
            offset += len(items)
        return ids

    @traced("jobs.task_result")
    async def task_result(
        self, task_id: str, *, timeout: float | None = None, headers: Mapping[str, str] | None = None
    ) -> JobResult:
        """The result of one task; a task that failed raises its typed NetSuite error (e.g. BadRequestError).

        Examples:
            ```python
            result = await job.task_result("1")
            ```
        """
        if not is_id(task_id):
            raise ValueError(f"invalid task id {task_id!r}")
        return _job_result(await self._get(f"{self.path}/task/{task_id}/result"))

    @traced("jobs.task_status")
    async def task_status(
        self, task_id: str, *, timeout: float | None = None, headers: Mapping[str, str] | None = None
    ) -> JobStatus:
        """Read one task's state (``completed``, ``progress``).

        Examples:
            ```python
            if (await job.task_status("1")).progress == "failed": ...
            ```
        """
        if not is_id(task_id):
            raise ValueError(f"invalid task id {task_id!r}")
        data = (await self._get(f"{self.path}/task/{task_id}")).json()
        return _job_status(data, task_id, f"task {task_id} of job {self.id}")

    @traced("jobs.task_outcome")
    async def task_outcome(
        self, task_id: str, *, timeout: float | None = None, headers: Mapping[str, str] | None = None
    ) -> TaskOutcome:
        """One task's result, or the error that *is* its result.

        A 4xx from the result endpoint is the task's own answer. A 5xx may be the task's own answer too
        (``UNEXPECTED_ERROR`` while applying it) or the result endpoint failing; the task's status tells them
        apart, and an endpoint failure is raised rather than reported as the task's outcome.

        Examples:
            ```python
            outcome = await job.task_outcome("1")
            print(outcome.ok, outcome.result or outcome.error)
            ```
        """
        try:
            return TaskOutcome(task_id, result=await self.task_result(task_id))
        except APIError as err:
            if err.status_code < 500:
                return TaskOutcome(task_id, error=err)
            if (await self.task_status(task_id)).progress.strip().lower() == "failed":
                return TaskOutcome(task_id, error=err)
            raise

    @traced("jobs.wait")
    @deadline_first
    async def wait(
        self,
        deadline: float | None = 600.0,
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> JobResult:
        """Wait for a single-request job and return its result; a failed task raises its typed error.

        ``deadline`` bounds the wait for the job to finish (`JobTimeoutError`); ``timeout`` is each request's
        per-attempt read timeout.

        Examples:
            ```python
            job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "ACME"})
            ref = (await job.wait(deadline=300)).ref
            ```
        """
        await self.wait_completed(deadline)
        tasks = await self.task_ids()
        if len(tasks) != 1:
            # A single request's job is its one task; anything else is not a single request's job.
            raise JobTasksMismatchError(self.id, expected=1, listed=len(tasks))
        outcome = await self.task_outcome(tasks[0])
        if outcome.error is not None:
            raise outcome.error
        assert outcome.result is not None
        return outcome.result

    @traced("jobs.wait_tasks")
    @deadline_first
    async def wait_tasks(
        self,
        deadline: float | None = 600.0,
        *,
        concurrency: int = 1,
        positions: Sequence[int] | None = None,
        expected: int | None = None,
        on_outcome: Callable[[int, TaskOutcome], Awaitable[None]] | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[int, TaskOutcome]:
        """Wait for the job, then collect task outcomes by item position.

        A task's own failure is captured in its `TaskOutcome`; a failure to *read* the job or a result
        (network, the endpoint's 5xx after retries) is raised, since it says nothing about the task.

        The ``k``-th task of NetSuite's listing answers for item ``k`` of the request (NetSuite lists tasks in
        item order); task ids are never turned into positions, because NetSuite numbers them per job on some
        accounts and across the account on others. ``expected`` (the number of items sent) makes a listing of
        another length, or one naming a task twice, raise `JobTasksMismatchError` instead of matching
        results to the wrong items. ``positions`` limits which results are read; ``concurrency`` how many are
        read at once. ``on_outcome(position, outcome)`` is awaited as each result is read (for progress), before
        the caller has checked the whole listing: it costs no request. ``deadline`` bounds the wait for the job to
        finish (`JobTimeoutError`); ``timeout`` is each request's per-attempt read timeout.

        Examples:
            ```python
            outcomes = await job.wait_tasks(concurrency=4)
            for position, outcome in sorted(outcomes.items()):
                print(position, outcome.ok)
            ```
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        await self.wait_completed(deadline)
        listed = await self.task_ids()
        if expected is not None and len(listed) != expected:
            raise JobTasksMismatchError(self.id, expected=expected, listed=len(listed))
        if len(set(listed)) != len(listed):
            raise JobTasksMismatchError(self.id, expected=expected if expected is not None else len(listed),
                                        listed=len(listed), reason="the listing names a task more than once")
        by_position: dict[int, str] = dict(enumerate(listed))
        wanted = sorted(by_position) if positions is None else [p for p in positions if p in by_position]
        outcomes: dict[int, TaskOutcome] = {}

        async def fetch(position: int) -> None:
            outcome = outcomes[position] = await self.task_outcome(by_position[position])
            if on_outcome is not None:
                await on_outcome(position, outcome)

        # At most `concurrency` reads at once, one after the other when 1; the first failure stops the rest.
        await run_bounded([partial(fetch, position) for position in wanted], concurrency)
        return outcomes


class Jobs:
    """``ns.jobs``: submit requests asynchronously, with an idempotency key reused on every retry.

    Examples:
        ```python
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "ACME"})
        result = await job.wait()
        same = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "ACME"},
                                    idempotency_key=job.idempotency_key)   # the same job, nothing created
        ```
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        #: First wait between status polls of a job (seconds); it grows 1.6x per poll up to max_poll_interval.
        self.poll_interval = 0.25
        #: Longest wait between two status polls (seconds).
        self.max_poll_interval = 5.0

    def _job(self, job_id: str, key: str | None = None, *, reused: bool = False) -> Job:
        # A call made with per-call options runs on a copy that remembers the resource's own transport: the Job
        # it hands back is bound to that one, so the options stay with the call (not the job's later polls).
        transport = self.__dict__.get("_home_transport", self._transport)
        return Job(transport, job_id, idempotency_key=key, reused=reused, poll_interval=self.poll_interval,
                   max_poll_interval=self.max_poll_interval)

    def get(self, job_id: str | int) -> Job:
        """A handle on an existing job, by id (no request is sent).

        Examples:
            ```python
            status = await ns.jobs.get("123456").status()
            ```
        """
        text = str(job_id)
        if not is_id(text):
            raise ValueError(f"invalid job id {text!r}")
        return self._job(text)

    @traced("jobs.submit")
    async def submit(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int | float | bool] | None = None,
        idempotency_key: str | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Job:
        """Send ``method path`` with ``Prefer: respond-async`` and return its `Job`.

        ``idempotency_key`` (a UUID) defaults to a fresh one; it is sent on every attempt, so retries after a
        lost answer never create a second job. ``content_type`` overrides the JSON body's content type (batch
        collections use `COLLECTION_CONTENT_TYPE`). ``headers`` and ``timeout`` (per attempt) apply to the
        submission only: the returned `Job`'s methods take their own.

        Examples:
            ```python
            job = await ns.jobs.submit("DELETE", "/record/v1/customer/7")
            ```
        """
        verb = validate_method(method)
        if not isinstance(path, str) or not path.startswith("/") or "?" in path or "#" in path:
            raise ValueError(f"path must start with '/' and carry no query string (use params=): {path!r}")
        key = new_idempotency_key() if idempotency_key is None else validate_idempotency_key(idempotency_key)
        all_headers: dict[str, str] = dict(headers or {})
        all_headers["Prefer"] = "respond-async"
        all_headers[IDEMPOTENCY_HEADER] = key
        content: bytes | None = None
        if json is not None:
            # Sent as bytes with an explicit content type: the collection media type must not be replaced by
            # the HTTP library's application/json default.
            content = encode_json_body(json)
            all_headers["Content-Type"] = content_type or "application/json"
        spec = RequestSpec(
            method=verb,
            path=path,
            params=dict(params) if params else None,
            content=content,
            headers=all_headers,
            idempotent=True,  # the key makes every attempt safe to repeat
        )
        try:
            response = await self._transport.send(spec)
        except APIError as err:
            location = _error_location(err)
            if err.error_code == "IDEMPOTENCY_ERROR" and location:
                return self._job(_job_id_from_location(location), key, reused=True)
            raise
        location = response.headers.get("location")
        if response.status_code != 202 or not location:
            raise NetSuiteError(
                f"{verb} {path} with Prefer: respond-async was answered {response.status_code} without a job "
                "Location; NetSuite should answer 202 Accepted"
            )
        return self._job(_job_id_from_location(location), key)

