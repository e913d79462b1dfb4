"""The async-job routes: job status, its tasks, one task, and a task's result; and batch paths reached directly.

Routes (under ``/services/rest``):
```text
GET /async/v1/job/{id}                       job status
GET /async/v1/job/{id}/task                  the job's tasks (a collection: items with self links)
GET /async/v1/job/{id}/task/{tid}            task status, with a ``related`` link to its result
GET /async/v1/job/{id}/task/{tid}/result     the inner request's answer, status and headers included
```

Examples:
    ```python
    register(router, emu)     # the job routes answer for emu.jobs
    ```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netsuite_async.testing._app import EmuRequest, EmuResponse, Handler, Router, json_response, ns_error
from netsuite_async.testing._jobs_model import _Job, _Task

if TYPE_CHECKING:
    from netsuite_async.testing._jobs import JobManager
    from netsuite_async.testing._state import EmulatorState

__all__ = ["JobRoutes", "register"]


class JobRoutes:
    """The job, task and result endpoints as named handler methods over one `JobManager`.

    Examples:
        ```python
        for method, pattern, handler, name in JobRoutes(emu.jobs).routes():
            router.add(method, pattern, handler, name=name)
        ```
    """

    def __init__(self, jobs: JobManager) -> None:
        self.jobs = jobs

    def routes(self) -> list[tuple[str, str, Handler, str]]:
        """The (method, pattern, handler, name) rows, in registration order.

        Collection updates, upserts and deletes address the record type itself. The route must exist for the
        pipeline to reach ``handle_async``; reached directly (no Prefer: respond-async) it refuses the request.

        Examples:
            ```python
            names = [name for _, _, _, name in JobRoutes(emu.jobs).routes()]
            ```
        """
        rows: list[tuple[str, str, Handler, str]] = [
            ("GET", "/async/v1/job/{job_id}", self.get_job, "async.job"),
            ("GET", "/async/v1/job/{job_id}/task", self.get_tasks, "async.tasks"),
            ("GET", "/async/v1/job/{job_id}/task/{task_id}", self.get_task, "async.task"),
            ("GET", "/async/v1/job/{job_id}/task/{task_id}/result", self.get_result, "async.result"),
        ]
        for method in ("PATCH", "PUT", "DELETE"):
            rows.append((method, "/record/v1/{type}", self.sync_collection, f"record.batch.{method.lower()}"))
        return rows

    async def sync_collection(self, req: EmuRequest) -> EmuResponse:
        if not self.jobs.emu.config.batch_collections:
            self.jobs.collections_refused += 1
            return ns_error(400, "INVALID_CONTENT", "Batch operations are not enabled for this account.")
        return ns_error(
            400,
            "INVALID_CONTENT",
            "Batch operations are executed asynchronously: send them with the header Prefer: respond-async.",
        )

    async def get_job(self, req: EmuRequest) -> EmuResponse:
        job = await self.jobs._look(req, status_poll=True)
        if isinstance(job, EmuResponse):
            return job
        href = f"{req.base_url}{self.jobs._job_location(job.id)}"
        return json_response(
            {
                "links": [{"rel": "self", "href": href}],
                "completed": job.done,
                "id": job.id,
                "progress": job.progress(self.jobs._unfinished),
                "task": {"links": [{"rel": "self", "href": f"{href}/task"}]},
            }
        )

    async def get_tasks(self, req: EmuRequest) -> EmuResponse:
        job = await self.jobs._look(req, status_poll=False)
        if isinstance(job, EmuResponse):
            return job
        href = f"{req.base_url}{self.jobs._job_location(job.id)}/task"
        try:
            limit = int(req.param("limit", "1000") or "1000")
            offset = int(req.param("offset", "0") or "0")
        except ValueError:
            return ns_error(400, "INVALID_PARAMETER", "Invalid limit or offset.", query_param="limit")
        if limit < 1 or limit > 1000 or offset < 0:
            return ns_error(400, "INVALID_PARAMETER", "Invalid limit or offset.", query_param="limit")
        page = job.tasks[offset : offset + limit]
        return json_response(
            {
                "links": [{"rel": "self", "href": href}],
                "count": len(page),
                "hasMore": offset + len(page) < len(job.tasks),
                "items": [{"links": [{"rel": "self", "href": f"{href}/{t.id}"}]} for t in page],
                "offset": offset,
                "totalResults": len(job.tasks),
            }
        )

    def _task(self, job: _Job, req: EmuRequest) -> _Task | EmuResponse:
        tid = req.path_params.get("task_id", "")
        task = job.task(tid)
        if task is not None:
            return task
        return ns_error(404, "NONEXISTENT_ID", f"The task {tid!r} of job {job.id} does not exist.")

    async def get_task(self, req: EmuRequest) -> EmuResponse:
        job = await self.jobs._look(req, status_poll=False)
        if isinstance(job, EmuResponse):
            return job
        task = self._task(job, req)
        if isinstance(task, EmuResponse):
            return task
        href = f"{req.base_url}{self.jobs._job_location(job.id)}/task/{task.id}"
        doc: dict[str, Any] = {
            "links": [{"rel": "related", "href": f"{href}/result"}, {"rel": "self", "href": href}],
            "completed": task.completed,
            "id": task.id,
            "progress": task.progress(self.jobs._unfinished),
        }
        if task.start:
            doc["startTime"] = task.start
        if task.end:
            doc["endTime"] = task.end
        return json_response(doc)

    async def get_result(self, req: EmuRequest) -> EmuResponse:
        job = await self.jobs._look(req, status_poll=False)
        if isinstance(job, EmuResponse):
            return job
        task = self._task(job, req)
        if isinstance(task, EmuResponse):
            return task
        if task.response is None:
            return ns_error(404, "NONEXISTENT_ID", f"The task {task.id} of job {job.id} has no result yet.")
        return EmuResponse(task.response.status, dict(task.response.headers), task.response.body)


def register(router: Router, state: EmulatorState) -> None:
    """Add the job, task and result routes of ``state.jobs``.

    Examples:
        ```python
        register(router, emu)
        ```
    """
    for method, pattern, handler, name in JobRoutes(state.jobs).routes():
        router.add(method, pattern, handler, name=name)
