"""The probe's write checks (split out of ``probe.py``, issue 16), run only with ``probe(writes=True)``.

`_Writer` creates one record asynchronously with an idempotency key, repeats the request (the repeated-key
answer), follows the jobs to their tasks and results (task id style, ``Location`` on a create's result, the
progress words), reads the record with a synchronous batch read, and deletes everything it created
(`_Writer.clean_up`, which ``probe.py`` runs whatever happens).

Examples:
    >>> _Writer.__name__
    '_Writer'
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio

from netsuite_async._links import (
    job_id_in_location,
    job_path,
    link_href,
    record_in_location,
    rest_path,
    task_id_in_href,
)
from netsuite_async._probe_parse import _items, _json
from netsuite_async.errors import APIError

if TYPE_CHECKING:
    from netsuite_async._http import Response
    from netsuite_async._probe_checks import _Prober

__all__: list[str] = []


class _Writer:
    """The write checks; remembers every record it created so that they can be deleted whatever happens."""

    def __init__(self, prober: _Prober, record_type: str, body: Mapping[str, Any], poll_interval: float,
                 job_timeout: float) -> None:
        self.p = prober
        self.record_type = record_type
        self.body = dict(body)
        self.poll_interval = poll_interval
        self.job_timeout = job_timeout
        self.external_id = f"netsuite-async-probe-{uuid.uuid4().hex[:16]}"
        self.created: set[str] = set()
        self.task_id_votes: list[str] = []
        # A create job whose end was not seen may still create its record after the clean-up.
        self.unfinished_create = False

    async def run(self) -> None:
        r = self.p.result
        key = str(uuid.uuid4())
        body = {**self.body, "externalId": self.external_id}
        headers = {"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": key}
        path = f"/record/v1/{self.record_type}"
        first = await self.p.send("POST", path, json_body=body, headers=headers, idempotent=True)
        if isinstance(first, APIError):
            self.p.note(f"writes: the asynchronous create was refused ({first.status_code} "
                        f"{first.error_code or ''}); pass --write-body with the fields your account requires")
            return
        job = job_path(first.headers.get("location"))
        if job is None:
            self.p.note("writes: the asynchronous create answered without a job Location")
            return
        await self.follow(job, create=True)
        # The same request again: NetSuite must answer with the earlier job, not a second record.
        again = await self.p.send("POST", path, json_body=body, headers=headers, idempotent=True)
        if isinstance(again, APIError):
            if again.error_code == "IDEMPOTENCY_ERROR" or again.status_code in (400, 409):
                r.idempotency_conflict_status = again.status_code
                if job_path(again.response.headers.get("location") if again.response is not None else None) != job:
                    self.p.note("writes: the repeated-key answer did not carry the earlier job's Location")
        else:
            self.p.note("writes: a repeated idempotency key was accepted as a new job (the record may have been "
                        "created twice; the probe deletes it)")
            second = job_path(again.headers.get("location"))
            if second is not None:
                await self.follow(second, create=True)
        await self.batch_read()

    async def follow(self, job: str, *, create: bool) -> None:
        """Poll a job to its end (bounded), then read its tasks and their results."""
        r = self.p.result
        done = False
        with anyio.move_on_after(self.job_timeout):
            for attempt in range(10_000):
                status = await self.p.send("GET", job)
                if isinstance(status, APIError):
                    self.p.note(f"writes: job status answered {status.status_code}")
                    self.unfinished_create = self.unfinished_create or create
                    return
                doc = _json(status)
                word = doc.get("progress") if isinstance(doc, Mapping) else None
                if isinstance(word, str) and word not in r.progress_words:
                    r.progress_words.append(word)
                if isinstance(doc, Mapping) and doc.get("completed") is True:
                    done = True
                    break
                await anyio.sleep(min(self.poll_interval * (1.5 ** min(attempt, 8)), 10.0))
        if not done:
            self.p.note(f"writes: a job did not finish within {self.job_timeout:.0f} s")
            if create:
                self.unfinished_create = True
                await self.find_by_external_id()
            return
        listing = await self.p.send("GET", f"{job}/task")
        tasks = [] if isinstance(listing, APIError) else _items(_json(listing))
        job_id = job_id_in_location(job)
        for item in tasks:
            href = link_href(item, "self")
            if href is None:
                continue
            task_path = rest_path(href)
            task_id = task_id_in_href(href)
            if task_id is not None:
                self.task_id_votes.append("per-job" if task_id == "1" and job_id != "1" else
                                          "global" if task_id != "1" else "")
            task = await self.p.send("GET", task_path)
            result_path = rest_path(link_href(_json(task), "related") or f"{task_path}/result") if not isinstance(
                task, APIError) else f"{task_path}/result"
            result = await self.p.send("GET", result_path)
            if create:
                await self.read_create_result(result)
        votes = {v for v in self.task_id_votes if v}
        r.task_ids = votes.pop() if len(votes) == 1 else r.task_ids
        if not tasks:
            self.p.note("writes: a finished job listed no tasks")

    async def read_create_result(self, result: Response | APIError) -> None:
        r = self.p.result
        if isinstance(result, APIError):
            self.p.note(f"writes: the create's task result answered {result.status_code}")
            await self.find_by_external_id()
            return
        location = result.headers.get("location")
        if r.create_result_location is None:
            r.create_result_location = bool(location)
        found = record_in_location(location)
        record_id = found[1] if found is not None else None
        if record_id and record_id.isdigit():
            self.created.add(record_id)
        else:
            await self.find_by_external_id()

    async def find_by_external_id(self) -> None:
        answer = await self.p.send("GET", f"/record/v1/{self.record_type}/eid:{self.external_id}",
                                   params=[("fields", "id")])
        if not isinstance(answer, APIError):
            doc = _json(answer)
            if isinstance(doc, Mapping) and doc.get("id") is not None:
                self.created.add(str(doc["id"]))

    async def batch_read(self) -> None:
        if not self.created:
            return
        record_id = sorted(self.created)[0]
        answer = await self.p.send("GET", f"/record/v1/{self.record_type}",
                                   params=[("ids", record_id), ("expandRecords", "true")])
        self._sync_read = not isinstance(answer, APIError)

    _sync_read: bool | None = None

    async def clean_up(self) -> None:
        """Delete everything created: a one-item collection batch first (it measures collections), else plainly."""
        r = self.p.result
        await self.find_by_external_id()
        remaining = sorted(self.created)
        if remaining:
            batch = await self.p.send(
                "DELETE", f"/record/v1/{self.record_type}", params=[("ids", ",".join(remaining))],
                headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": str(uuid.uuid4())}, idempotent=True,
            )
            if isinstance(batch, APIError):
                r.collections = False if batch.status_code == 400 else None
                # Delete one by one, asynchronously: each job is one more sample of the task id style.
                for record_id in remaining:
                    single = await self.p.send(
                        "DELETE", f"/record/v1/{self.record_type}/{record_id}",
                        headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": str(uuid.uuid4())},
                        idempotent=True,
                    )
                    job = None if isinstance(single, APIError) else job_path(single.headers.get("location"))
                    if job is not None:
                        await self.follow(job, create=False)
            else:
                r.collections = True
                job = job_path(batch.headers.get("location"))
                if job is not None:
                    await self.follow(job, create=False)
        if r.collections is not None and self._sync_read is not None:
            r.sync_batch_read = self._sync_read if r.collections else None
            if not r.collections:
                self.p.note("synchronous batch read not measured: collections are off")
        for record_id in remaining:
            check = await self.p.send("GET", f"/record/v1/{self.record_type}/{record_id}", params=[("fields", "id")])
            if isinstance(check, APIError) and check.status_code == 404:
                continue
            gone = await self.p.send("DELETE", f"/record/v1/{self.record_type}/{record_id}")
            if isinstance(gone, APIError) and gone.status_code != 404:
                self.p.note(f"writes: could not delete {self.record_type} {record_id} ({gone.status_code}); "
                            "delete it by hand")
        left = await self.p.send("GET", f"/record/v1/{self.record_type}/eid:{self.external_id}",
                                 params=[("fields", "id")])
        r.cleaned_up = isinstance(left, APIError) and left.status_code == 404 and not self.unfinished_create
        if not r.cleaned_up:
            self.p.note(f"writes: a {self.record_type} with externalId {self.external_id} is left, or may still be "
                        "created by a job the probe could not follow: look it up later and delete it by hand")
