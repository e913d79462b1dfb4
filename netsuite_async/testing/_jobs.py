"""The emulator's asynchronous requests and 2026.1 batch ("collection") requests.

What it emulates (see docs/batch.md for the client side):

* Any request with ``Prefer: respond-async`` is answered ``202 Accepted`` with ``Preference-Applied:
  respond-async`` and a *relative* ``Location: /services/rest/async/v1/job/{id}`` (as in NetSuite's help).
  The inner request (the same request without the ``Prefer`` and idempotency headers) is applied through the
  router's plain ``dispatch`` the first time the job is looked at (any GET on it), after ``pending_polls``
  status polls have answered that it is not finished. Lazy application keeps tests deterministic: no
  background task, no timing. ``run_pending()`` applies every job nobody has polled yet.
* ``X-NetSuite-Idempotency-Key``: must be a UUID (else ``400 INVALID_PARAMETER``; stricter than NetSuite
  documents, which only shows UUIDs). A key seen before is answered ``IDEMPOTENCY_ERROR`` with the
  ``Location`` of the earlier job and nothing is applied, whatever the new request's body is.
* Collections: ``Content-Type: application/vnd.oracle.resource+json; type=collection`` with ``{"items":
  [...]}`` on ``POST|PUT|PATCH /record/v1/{type}``, or ``DELETE /record/v1/{type}?ids=1,2,eid:X``; 1 to 100
  items; one task per item, listed in item order. POST creates each item; PUT upserts by each item's
  ``externalId`` (required); PATCH updates by ``id`` (wins) or ``externalId``. An item that cannot be
  addressed becomes a failed task (``400 INVALID_CONTENT`` with ``o:errorPath items[i]``); a malformed
  request as a whole (not an object with an ``items`` list, 0 or > 100 items, a record id in the path) is
  refused at once with ``400 INVALID_CONTENT`` and no job.
* When ``emu.config.batch_collections`` is False the account "does not have the feature": every collection
  request is refused synchronously with ``400 INVALID_CONTENT`` (``400 INVALID_PARAMETER`` with
  ``o:errorQueryParam: ids`` for a collection DELETE), no job is created and the idempotency key is not
  consumed. NetSuite does not document how it refuses; a synchronous 4xx that applies nothing is the reading
  a client can rely on, and the client treats any such refusal as "feature unavailable".
* A job's ``progress`` is ``succeeded`` when every task succeeded, else ``failed``; each task has its own
  ``progress`` and its result is the inner request's own answer (``204`` + ``Location`` for a create, the
  error document for a refused item). The result of a task that has not run is ``404 NONEXISTENT_ID``.

Where NetSuite's documentation is silent the answers follow ``emu.config.dialect`` (``_dialect.Dialect``):

* ``task_ids``: ``"per-job"`` numbers a job's tasks ``1..n``; ``"global"`` draws job and task ids from one
  account-wide counter: a single request's one task has the job's own id, a batch's tasks take the next ``n``
  ids (so they never start at 1). Either way the task listing is in item order, each with a ``self`` link.
* ``create_result_location``: False strips ``Location`` from the result of a create (an inner ``POST``,
  which includes transforms): ``204`` with neither ``Location`` nor body.
* ``progress_word``: what an unfinished job or task says (``pending`` or ``processing``).
* ``idempotency_conflict_status``: the status of ``IDEMPOTENCY_ERROR`` (400 or 409), always with the earlier
  job's ``Location``.
* ``sync_batch_read`` (read by ``_records``): False refuses ``GET /record/v1/{type}?ids=...`` unless it runs as
  the task of an asynchronous job; `JobManager.is_task_request` tells the record service which.

Per-task transient failures (``task_failure_probability``, `JobManager.script_task_failure`): a task
picked to fail answers ``500 UNEXPECTED_ERROR`` ("nothing was saved") and its inner request is **not** applied;
the job ends ``failed``. This is the failure NetSuite reports for one item of a batch that a client should send
again (with a fresh idempotency key: the old key leads back to the failed job). It is separate from
``emu.faults``, which act on HTTP requests, not on the work a job does.

Routes (under ``/services/rest``, served by ``_jobs_routes.py``):
```text
GET /async/v1/job/{id}                       job status
GET /async/v1/job/{id}/task                  the job's tasks (a collection: items with self links)
GET /async/v1/job/{id}/task/{tid}            task status, with a ``related`` link to its result
GET /async/v1/job/{id}/task/{tid}/result     the inner request's answer, status and headers included
```

Examples:
    ```python
    emu.jobs.pending_polls = 2        # every job answers "pending" to its first two status polls
    emu.jobs.job_count                # jobs created so far
    emu.jobs.task_failure_probability = 0.05   # 5% of tasks fail with 500 UNEXPECTED_ERROR, nothing saved
    emu.jobs.script_task_failure("POST /record/v1/customer", times=2)
    ```
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio

from netsuite_async.testing._app import (
    REST_PREFIX,
    EmuRequest,
    EmuResponse,
    ns_error,
)
from netsuite_async.testing._faults import Matcher, _matcher
from netsuite_async.testing._jobs_model import (
    _COLLECTION_PATH,
    MAX_COLLECTION_ITEMS,
    Dispatch,
    TaskFailure,
    _check_count,
    _failed_task,
    _id_segment,
    _inner_headers,
    _is_collection_content_type,
    _Job,
    _now,
    _Task,
)

if TYPE_CHECKING:
    from netsuite_async.testing._state import EmulatorState

__all__ = ["MAX_COLLECTION_ITEMS", "JobManager", "TaskFailure"]


class JobManager:
    """The emulator's async-job service: ``handle_async`` for ``Prefer: respond-async`` (routes: ``_jobs_routes``).

    Examples:
        ```python
        manager = JobManager(emu)
        response = await manager.handle_async(req, router.dispatch)   # 202 + Location
        ```
    """

    def __init__(self, emu: EmulatorState) -> None:
        self.emu = emu
        self._jobs: dict[str, _Job] = {}
        self._by_key: dict[str, str] = {}
        self._next_id = 1
        self._dispatch: Dispatch | None = None
        # ids of the inner requests being applied right now as the task of a job (see is_task_request).
        self._running_requests: set[int] = set()
        self._rng = random.Random(emu.config.rng_seed + 2)
        #: Status polls that answer "not finished" before a job runs (0: the first look runs it).
        self.pending_polls = 0
        #: Collection requests refused because the feature is off (for tests and benchmarks).
        self.collections_refused = 0
        #: Requests answered IDEMPOTENCY_ERROR (a repeated key).
        self.idempotent_replays = 0
        #: Probability that a task fails with 500 UNEXPECTED_ERROR before anything is applied (seeded RNG).
        self.task_failure_probability = 0.0
        #: Scripted per-task failures, consumed in order (see script_task_failure).
        self.task_failures: list[TaskFailure] = []
        #: Tasks failed on purpose (scripted or by probability).
        self.task_failures_injected = 0

    # -- introspection -----------------------------------------------------------------------------------

    @property
    def job_count(self) -> int:
        """How many jobs were created.

        Examples:
            ```python
            assert emu.jobs.job_count == 1
            ```
        """
        return len(self._jobs)

    @property
    def _unfinished(self) -> str:
        word: str = self.emu.config.dialect.progress_word
        return word

    def job_progress(self, job_id: str) -> str | None:
        """A job's progress (the dialect's unfinished word, ``succeeded`` or ``failed``), or None if unknown.

        Examples:
            ```python
            assert emu.jobs.job_progress("1") == "succeeded"
            ```
        """
        job = self._jobs.get(job_id)
        return None if job is None else job.progress(self._unfinished)

    def task_ids(self, job_id: str) -> list[str]:
        """The ids of a job's tasks in item order ([] for an unknown job).

        Examples:
            ```python
            emu.jobs.task_ids("7")      # ['1', '2'] per job, or e.g. ['8', '9'] with task_ids="global"
            ```
        """
        job = self._jobs.get(job_id)
        return [] if job is None else [t.id for t in job.tasks]

    def is_task_request(self, req: EmuRequest) -> bool:
        """True while ``req`` is being applied as the task of an asynchronous job (not sent synchronously).

        Examples:
            ```python
            if not emu.jobs.is_task_request(req): ...   # a synchronous request
            ```
        """
        return id(req) in self._running_requests

    def script_task_failure(
        self, match: str | Matcher | None = None, times: int | None = 1, *, status: int = 500
    ) -> TaskFailure:
        """Make the next ``times`` tasks whose inner request matches fail with ``status`` ``UNEXPECTED_ERROR``.

        ``match`` is as for ``emu.faults.script``: None (any task), ``"METHOD /path-prefix"`` or a predicate on
        the inner request (for a collection, one item's own request, e.g. ``POST /record/v1/customer``). The
        failed task applies nothing; the same item sent again in a new job is not affected unless another
        failure matches it.

        Examples:
            ```python
            emu.jobs.script_task_failure("POST /record/v1/customer", times=2)
            ```
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if not 500 <= status <= 599:
            raise ValueError("a task failure status must be a 5xx")
        failure = TaskFailure(_matcher(match), times, status)
        self.task_failures.append(failure)
        return failure

    def _pick_task_failure(self, req: EmuRequest) -> int | None:
        for i, failure in enumerate(self.task_failures):
            if failure.match(req):
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times == 0:
                        del self.task_failures[i]
                return failure.status
        if self.task_failure_probability and self._rng.random() < self.task_failure_probability:
            return 500
        return None

    async def run_pending(self) -> int:
        """Apply every job that has not run yet (as if NetSuite's processors caught up); returns how many.

        Examples:
            ```python
            await emu.jobs.run_pending()
            ```
        """
        count = 0
        for job in list(self._jobs.values()):
            if not job.done:
                await self._run(job)
                count += 1
        return count

    # -- submitting --------------------------------------------------------------------------------------

    async def handle_async(self, req: EmuRequest, dispatch: Dispatch) -> EmuResponse:
        """Answer a ``Prefer: respond-async`` request: 202 + job Location, or an error, nothing applied yet.

        Examples:
            ```python
            response = await manager.handle_async(req, router.dispatch)
            ```
        """
        self._dispatch = dispatch
        key = req.headers.get("x-netsuite-idempotency-key")
        if key is not None:
            try:
                key = str(uuid.UUID(key.strip()))
            except ValueError:
                return ns_error(400, "INVALID_PARAMETER", "The X-NetSuite-Idempotency-Key header must be a UUID.")
            earlier = self._by_key.get(key)
            if earlier is not None:
                self.idempotent_replays += 1
                return ns_error(
                    int(self.emu.config.dialect.idempotency_conflict_status),
                    "IDEMPOTENCY_ERROR",
                    'A request with the same idempotency key is already submitted. See the "Location" header '
                    "for a link to the previously submitted job.",
                    headers={"location": self._job_location(earlier), "preference-applied": "respond-async"},
                )
        tasks_or_error = self._build_tasks(req)
        if isinstance(tasks_or_error, EmuResponse):
            return tasks_or_error
        job_id = str(self._next_id)
        self._next_id += 1
        self._number_tasks(job_id, tasks_or_error)
        job = _Job(id=job_id, key=key, tasks=tasks_or_error, polls_left=self.pending_polls)
        self._jobs[job_id] = job
        if key is not None:
            self._by_key[key] = job_id
        return EmuResponse(
            202,
            {
                "location": self._job_location(job_id),
                "preference-applied": "respond-async",
                "content-type": "application/json",
            },
            b"",
        )

    @staticmethod
    def _job_location(job_id: str) -> str:
        return f"{REST_PREFIX}/async/v1/job/{job_id}"

    def _number_tasks(self, job_id: str, tasks: list[_Task]) -> None:
        """Give the tasks their ids, in item order, as the dialect says NetSuite numbers them."""
        if self.emu.config.dialect.task_ids == "per-job":
            for n, task in enumerate(tasks):
                task.id = str(n + 1)
            return
        # "global": one account-wide sequence shared with job ids. A single request's task is the job itself.
        if len(tasks) == 1 and tasks[0].single:
            tasks[0].id = job_id
            return
        for task in tasks:
            task.id = str(self._next_id)
            self._next_id += 1

    def _build_tasks(self, req: EmuRequest) -> list[_Task] | EmuResponse:
        collection_body = _is_collection_content_type(req.headers.get("content-type"))
        collection_delete = (
            req.method == "DELETE" and _COLLECTION_PATH.match(req.path) is not None and bool(req.params("ids"))
        )
        if not (collection_body or collection_delete):
            inner = req.copy()
            inner.headers = _inner_headers(req)
            return [_Task(id="1", request=inner, single=True)]
        if not self.emu.config.batch_collections:
            self.collections_refused += 1
            if collection_delete and not collection_body:
                return ns_error(
                    400,
                    "INVALID_PARAMETER",
                    "Invalid query parameter 'ids': batch operations are not enabled for this account.",
                    query_param="ids",
                )
            return ns_error(
                400,
                "INVALID_CONTENT",
                "Batch operations are not enabled for this account: the content type "
                "'application/vnd.oracle.resource+json; type=collection' is not accepted.",
            )
        match = _COLLECTION_PATH.match(req.path)
        if match is None:
            return ns_error(
                400, "INVALID_CONTENT", "Batch operations are accepted on a record type only (no record id)."
            )
        record_type = match.group(1)
        if req.method == "DELETE":
            return self._delete_tasks(req, record_type)
        if req.method not in ("POST", "PUT", "PATCH"):
            return ns_error(405, "INVALID_REQUEST", f"Method {req.method} is not allowed for a batch operation.")
        try:
            body = json.loads(req.body) if req.body else None
        except (ValueError, UnicodeDecodeError):
            return ns_error(400, "INVALID_CONTENT", "The request body is not valid JSON.")
        items = body.get("items") if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            return ns_error(400, "INVALID_CONTENT", "A batch request body must be an object with an 'items' list.")
        problem = _check_count(len(items))
        if problem is not None:
            return problem
        return [self._item_task(req, record_type, n, item) for n, item in enumerate(items)]

    def _delete_tasks(self, req: EmuRequest, record_type: str) -> list[_Task] | EmuResponse:
        ids = [part.strip() for value in req.params("ids") for part in value.split(",")]
        if any(not part for part in ids):
            return ns_error(400, "INVALID_PARAMETER", "Invalid query parameter 'ids'.", query_param="ids")
        problem = _check_count(len(ids))
        if problem is not None:
            return problem
        tasks = []
        for n, rid in enumerate(ids):
            segment = _id_segment(rid)
            inner = self._inner(req, "DELETE", f"{REST_PREFIX}/record/v1/{record_type}/{segment}", None)
            tasks.append(_Task(id=str(n + 1), request=inner))
        return tasks

    def _item_task(self, req: EmuRequest, record_type: str, n: int, item: Any) -> _Task:
        tid = str(n + 1)
        if not isinstance(item, Mapping):
            return _failed_task(tid, f"Item {n} of the batch is not a JSON object.", n)
        base = f"{REST_PREFIX}/record/v1/{record_type}"
        body = dict(item)
        if req.method == "POST":
            return _Task(id=tid, request=self._inner(req, "POST", base, body))
        if req.method == "PUT":
            ext = body.pop("externalId", None)
            if not isinstance(ext, str) or not ext:
                return _failed_task(tid, f"Item {n} of a PUT batch needs an externalId.", n)
            body.pop("id", None)
            return _Task(id=tid, request=self._inner(req, "PUT", f"{base}/eid:{quote(ext, safe='')}", body))
        # PATCH: the internal id wins over the external id when both are given.
        rid = body.pop("id", None)
        if rid is not None:
            text = str(rid)
            if not text.isdigit() or int(text) <= 0:
                return _failed_task(tid, f"Item {n} of the batch has an invalid id {rid!r}.", n)
            return _Task(id=tid, request=self._inner(req, "PATCH", f"{base}/{int(text)}", body))
        ext = body.pop("externalId", None)
        if not isinstance(ext, str) or not ext:
            return _failed_task(tid, f"Item {n} of a PATCH batch needs an id or an externalId.", n)
        return _Task(id=tid, request=self._inner(req, "PATCH", f"{base}/eid:{quote(ext, safe='')}", body))

    @staticmethod
    def _inner(req: EmuRequest, method: str, path: str, body: Any) -> EmuRequest:
        headers = _inner_headers(req)
        payload = b""
        if body is not None:
            payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            headers["content-type"] = "application/json"
        else:
            headers.pop("content-type", None)
        return EmuRequest(
            method=method,
            path=path,
            query=[],
            headers=headers,
            body=payload,
            raw_query="",
            scheme=req.scheme,
            auth=req.auth,
        )

    # -- running -----------------------------------------------------------------------------------------

    async def _run(self, job: _Job) -> None:
        if job.done:
            return
        if job.running is not None:
            # Another poll is applying it right now: wait for that, never apply twice.
            await job.running.wait()
            return
        job.running = anyio.Event()
        try:
            dispatch = self._dispatch
            for task in job.tasks:
                if task.response is not None:
                    continue
                task.start = _now()
                if task.request is None or dispatch is None:
                    task.response = ns_error(500, "UNEXPECTED_ERROR", "The task could not be run.")
                elif (status := self._pick_task_failure(task.request)) is not None:
                    self.task_failures_injected += 1
                    task.response = ns_error(
                        status,
                        "UNEXPECTED_ERROR",
                        "An unexpected error occurred while processing the task. Nothing was saved.",
                    )
                else:
                    marker = id(task.request)
                    self._running_requests.add(marker)
                    try:
                        task.response = self._as_dialect(task.request, await dispatch(task.request))
                    except Exception as exc:  # an emulator bug must not leave the job pending forever
                        task.response = ns_error(500, "UNEXPECTED_ERROR", f"An unexpected error occurred: {exc}")
                    finally:
                        self._running_requests.discard(marker)
                task.end = _now()
            job.done = True
        finally:
            event, job.running = job.running, None
            event.set()

    def _as_dialect(self, inner: EmuRequest, response: EmuResponse) -> EmuResponse:
        """A create's result without Location when the dialect says NetSuite gives none."""
        if inner.method == "POST" and response.status == 204 and not self.emu.config.dialect.create_result_location:
            headers = {k: v for k, v in response.headers.items() if k.lower() != "location"}
            return EmuResponse(response.status, headers, b"")
        return response

    async def _look(self, req: EmuRequest, *, status_poll: bool) -> _Job | EmuResponse:
        job = self._jobs.get(req.path_params.get("job_id", ""))
        if job is None:
            return ns_error(
                404, "NONEXISTENT_ID", f"The asynchronous job {req.path_params.get('job_id')!r} does not exist."
            )
        if not job.done:
            if job.polls_left > 0:
                if status_poll:
                    job.polls_left -= 1
            else:
                await self._run(job)
        return job
