"""How a batch runs: items (prepared in `netsuite_async.batch_items`) cut into chunks, sent as collection or single
asynchronous requests, matched to their tasks, resent on transient failures and checkpointed (`_Engine`); see
`netsuite_async.batch`. The units of work run in a `netsuite_async._tasks.TaskPool`.

Examples:
    >>> MAX_CHUNK_SIZE, OPERATIONS
    (100, ('create', 'update', 'upsert', 'delete'))
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio

from netsuite_async._tasks import TaskPool
from netsuite_async.batch_checkpoint import BatchCheckpoint, key_for
from netsuite_async.batch_items import OPERATIONS as OPERATIONS
from netsuite_async.batch_items import Operation as Operation
from netsuite_async.batch_items import _error_from_stored, _Item, _stored
from netsuite_async.batch_items import _prepare as _prepare  # batch.py prepares items through here
from netsuite_async.batch_progress import _Tally
from netsuite_async.batch_results import BatchItemResult, BatchResult, ProgressCallback
from netsuite_async.errors import (
    APIError,
    AuthenticationError,
    BatchOutcomeUnknownError,
    JobTasksMismatchError,
    NetSuiteError,
    NotFoundError,
    PermissionDeniedError,
)
from netsuite_async.identifiers import EXTERNAL_ID_PREFIX, record_path
from netsuite_async.jobs import COLLECTION_CONTENT_TYPE, Job, JobResult, Jobs, TaskOutcome
from netsuite_async.models import RecordRef

if TYPE_CHECKING:
    from netsuite_async.batch import Batch
    from netsuite_async.governor import Governor
    from netsuite_async.records import Records

__all__ = ["MAX_CHUNK_SIZE", "OPERATIONS", "TRANSIENT_RESENDS", "Operation"]

#: Most items NetSuite accepts in one collection request.
MAX_CHUNK_SIZE = 100

_SINGLE_METHOD = {"create": "POST", "update": "PATCH", "upsert": "PUT", "delete": "DELETE"}
_COLLECTION_METHOD = _SINGLE_METHOD
# A collection request refused with one of these statuses applied nothing: the account lacks the feature
# (or refuses this request shape), so the chunk is sent as single requests instead.
_REFUSAL_STATUSES = frozenset({400, 404, 405, 415})
_ROUNDS = 4
#: How many times one run sends an item again after its task failed with a 5xx (nothing saved).
TRANSIENT_RESENDS = 5
_ITEM_IN_PATH = re.compile(r"^items\[(\d+)\]")


class _Engine:
    """One batch run: scheduling, retries, result bookkeeping."""

    def __init__(
        self,
        batch: Batch,
        op: Operation,
        record_type: str,
        items: list[_Item],
        chunk_size: int,
        checkpoint: BatchCheckpoint | None,
        on_progress: ProgressCallback | None,
        use_collections: bool | None,
        job_deadline: float,
    ) -> None:
        self.batch = batch
        self.jobs: Jobs = batch._jobs
        self.records: Records = batch._records
        self.governor: Governor = batch._transport.governor
        self.op = op
        self.record_type = record_type
        self.items = items
        self.chunk_size = chunk_size
        self.cp = checkpoint
        self.use_collections = use_collections
        self.job_deadline = job_deadline
        self.tally = _Tally(len(items), on_progress)
        self.results = self.tally.results  # the same list: None until an item's outcome is final
        self._set = self.tally.set
        self.used_collections: bool | None = None
        self.abort: NetSuiteError | None = None
        self.probe_lock = anyio.Lock()
        self.sent_as_collection: set[int] = set(checkpoint.collection_chunks) if checkpoint is not None else set()
        # Items an earlier run sent again after a transient task failure: resumed under their latest key.
        self.resent: dict[int, int] = dict(checkpoint.resends) if checkpoint is not None else {}
        # Without a checkpoint the run id lives in memory only: keys still hold across retries within the run.
        self.run_id = checkpoint.run_id if checkpoint is not None else str(uuid.uuid4())
        ceiling = max(1, self.governor.stats().ceiling)
        # Twice the account's limit keeps every slot busy while each unit waits between its requests, and
        # bounds how many tasks exist however large the batch is.
        self.width = 2 * ceiling
        self.fetchers = max(1, min(ceiling, 8))
        # A unit (a chunk, or one item) holds one of the pool's slots while it talks to NetSuite; what it
        # starts next (resends, a chunk's fallback to singles) and its progress report run after the slot is
        # given back, so a full pool of units waiting to start more units cannot wedge it.
        self.pool = TaskPool(self.width)

    # -- bookkeeping -------------------------------------------------------------------------------------

    def _unknown(self, reason: str) -> BatchOutcomeUnknownError:
        return BatchOutcomeUnknownError(reason, checkpoint=self.cp.path if self.cp is not None else None)

    def _restore(self) -> None:
        cp = self.cp
        if cp is None:
            return
        method = _SINGLE_METHOD[self.op]
        for index, rid in cp.done.items():
            ref = RecordRef(type=self.record_type, id=rid) if rid else None
            note = None
            if ref is None and self.op != "delete":
                note = "applied in an earlier run; NetSuite named no record for it"
            self._set(BatchItemResult(index, True, ref, None, resumed=True, note=note))
        for index, stored in cp.failed.items():
            err = _error_from_stored(stored, method, self.items[index].single_path)
            self._set(BatchItemResult(index, False, None, err, resumed=True))
        if cp.single_mode and self.use_collections is None:
            self.use_collections = False

    def _ref_for(self, item: _Item, result: JobResult) -> RecordRef | None:
        if result.ref is not None:
            return RecordRef(type=self.record_type, id=result.ref.id, url=result.ref.url)
        if item.known_id is not None:
            return RecordRef(type=self.record_type, id=item.known_id)
        return None

    async def _finish_ok_many(self, done: Sequence[tuple[_Item, JobResult]], batch_records: list[Any]) -> None:
        """Report applied items; records NetSuite did not name are looked up by external id (one read each
        100 items), else reported applied with ``ref=None`` and a note. Never reported failed."""
        refs: dict[int, RecordRef | None] = {}
        notes: dict[int, str] = {}
        lookup: list[_Item] = []
        for item, result in done:
            ref = self._ref_for(item, result)
            refs[item.index] = ref
            if ref is None and self.op != "delete":
                if item.external_id is not None:
                    lookup.append(item)
                else:
                    notes[item.index] = (
                        "applied, but NetSuite's task result named no record (no Location) and the item has no "
                        "externalId to look it up by; give items an externalId to learn their ids"
                    )
        if lookup:
            keys = [EXTERNAL_ID_PREFIX + str(item.external_id) for item in lookup]
            try:
                found = await self._lookup(keys)
            except NetSuiteError as err:
                for item in lookup:
                    notes[item.index] = (
                        f"applied; NetSuite's task result named no record and the lookup by externalId "
                        f"{item.external_id!r} failed: {err}"
                    )
            else:
                for item, record in zip(lookup, found, strict=True):
                    rid = record.get("id") if isinstance(record, Mapping) else None
                    if rid is not None:
                        refs[item.index] = RecordRef(type=self.record_type, id=str(rid))
                    else:
                        notes[item.index] = (
                            f"applied; NetSuite's task result named no record and none was found by externalId "
                            f"{item.external_id!r}"
                        )
        for item, _ in done:
            ref = refs[item.index]
            self._set(BatchItemResult(item.index, True, ref, None, note=notes.get(item.index)))
            batch_records.append((item.index, ref.id if ref else None, None))

    async def _lookup(self, keys: list[str]) -> list[Any]:
        """The records named by ``eid:`` keys (None where there is none): one plain read for one key (the
        single-request path), the batch read for several."""
        if len(keys) == 1:
            try:
                return [await self.records.get(self.record_type, keys[0], fields=["externalId"])]
            except NotFoundError:
                return [None]
        return list(await self.records.get_many(self.record_type, keys, fields=["externalId"]))

    def _finish_error(self, item: _Item, error: NetSuiteError, batch_records: list[Any], *, definite: bool) -> None:
        self._set(BatchItemResult(item.index, False, None, error))
        stored = _stored(error) if definite else None
        if stored is not None:
            batch_records.append((item.index, None, stored))

    async def _read(self, index: int, outcome: TaskOutcome) -> None:
        """A task's answer for item ``index`` is in hand (not final yet): progress moves by one item. A
        transient failure is not an answer: the item is sent again."""
        if outcome.error is None or not _transient(outcome.error):
            self.tally.read(index)
            await self.tally.report()

    # -- scheduling --------------------------------------------------------------------------------------

    async def execute(self) -> BatchResult:
        self._restore()
        await self.tally.report()  # a resumed run starts from what its checkpoint holds
        n = len(self.items)
        chunks = math.ceil(n / self.chunk_size) if n else 0
        fallback = self.cp.fallback_chunks if self.cp is not None else set()
        # Chunks an earlier run sent as collections are resolved through their collection key, whatever the
        # account answers now: sending their items one by one could apply them a second time.
        sent_as_collection = self.sent_as_collection
        async with self.pool:
            # Items an earlier run already sent again (their first task failed, nothing was saved) go on under
            # their latest key; their chunk's job has nothing more to say about them.
            for index, attempt in sorted(self.resent.items()):
                if self.results[index] is None:
                    await self._spawn_singles([index], attempt=attempt)
            for c in range(chunks):
                indices = range(c * self.chunk_size, min(n, (c + 1) * self.chunk_size))
                pending = [i for i in indices if self.results[i] is None and i not in self.resent]
                if not pending:
                    continue
                if c not in fallback and (self._collection_wanted() or c in sent_as_collection):
                    await self.pool.start(partial(self._run_chunk, c, list(indices), pending),
                                          partial(self._after_chunk, pending))
                else:
                    await self._spawn_singles(pending)
        await self.tally.report()
        final = [r if r is not None else BatchItemResult(i, False, None, self._unknown("not run"))
                 for i, r in enumerate(self.results)]
        return BatchResult(final, used_collections=self.used_collections)

    def _collection_wanted(self) -> bool:
        if self.use_collections is False:
            return False
        if self.use_collections is True:
            return True
        return self.batch._collections is not False

    async def _spawn_singles(self, indices: Sequence[int], *, attempt: int = 0,
                             tries: int = TRANSIENT_RESENDS + 1) -> None:
        for i in indices:
            await self.pool.start(partial(self._run_single, self.items[i], attempt, tries), self._after_single)

    async def _after_chunk(self, pending: list[int], sent: tuple[bool, list[int]]) -> None:
        """What follows a chunk's `_run_chunk` (its slot given back): singles, resends, a progress report."""
        go_single, resend = sent
        if go_single:
            await self._spawn_singles([i for i in pending if self.results[i] is None])
            return
        if resend:
            # The chunk's task was the first try: TRANSIENT_RESENDS more, each under a key of its own.
            await self._spawn_singles(resend, attempt=1, tries=TRANSIENT_RESENDS)
        await self.tally.report()

    async def _after_single(self, _: None) -> None:
        await self.tally.report()

    # -- a chunk as one collection request ---------------------------------------------------------------

    async def _submit_collection(self, chunk: int, indices: list[int]) -> Job:
        if self.cp is not None:
            self.cp.record_collection(chunk)
        items = [self.items[i] for i in indices]
        key = key_for(self.run_id, self.op, self.record_type, "chunk", chunk)
        path = record_path(self.record_type)
        if self.op == "delete":
            ids = ",".join(item.delete_id or "" for item in items)
            return await self.jobs.submit("DELETE", path, params={"ids": ids}, idempotency_key=key)
        body = {"items": [item.collection_item for item in items]}
        return await self.jobs.submit(_COLLECTION_METHOD[self.op], path, json=body, idempotency_key=key,
                                      content_type=COLLECTION_CONTENT_TYPE)

    async def _run_chunk(self, chunk: int, indices: list[int], pending: list[int]) -> tuple[bool, list[int]]:
        """Send the chunk as one collection: (True, []) when the account refused it and singles must be used,
        else (False, the items whose task failed transiently and must be sent again)."""
        last: NetSuiteError | None = None
        job: Job | None = None
        for round_no in range(_ROUNDS):
            if self.abort is not None:
                last = self.abort
                break
            try:
                if self.batch._collections is None and self.use_collections is None:
                    # Probe with one chunk at a time until the account has answered, so a refusal costs one
                    # request, not one per chunk in flight.
                    async with self.probe_lock:
                        if self.abort is not None:
                            last = self.abort
                            break
                        if self.batch._collections is False and chunk not in self.sent_as_collection:
                            return self._fall_back(chunk), []
                        job = await self._submit_collection(chunk, indices)
                        self.batch._collections = True
                else:
                    job = await self._submit_collection(chunk, indices)
                self.used_collections = True
                break
            except APIError as err:
                if err.status_code in _REFUSAL_STATUSES:
                    self.batch._collections = False
                    return self._fall_back(chunk), []
                if isinstance(err, (AuthenticationError, PermissionDeniedError)):
                    self.abort = err
                last = err
            except NetSuiteError as err:
                last = err
            await _pause(round_no)
        if job is None:
            self._fail_all(pending, last)
            return False, []
        return False, await self._collect_chunk(job, indices, pending)

    def _fall_back(self, chunk: int) -> bool:
        if self.cp is not None:
            self.cp.record_single_mode()
            self.cp.record_fallback(chunk)
        return True

    def _mismatch(self, job: Job, indices: list[int], outcomes: Mapping[int, TaskOutcome]) -> str | None:
        """Why the listing cannot be in item order, judged by what the results themselves say; else None."""
        for position, outcome in outcomes.items():
            item = self.items[indices[position]]
            result = outcome.result
            if result is not None and result.ref is not None and item.known_id is not None \
                    and result.ref.id != item.known_id:
                return (f"task {outcome.task_id} (place {position} in the listing) names record "
                        f"{result.ref.id}, but item {item.index} addresses record {item.known_id}")
            error = outcome.error
            if isinstance(error, APIError):
                for detail in error.details:
                    match = _ITEM_IN_PATH.match(detail.error_path or "")
                    if match and int(match.group(1)) != position:
                        return (f"task {outcome.task_id} (place {position} in the listing) reports an error "
                                f"for {detail.error_path}")
        return None

    async def _collect_chunk(self, job: Job, indices: list[int], pending: list[int]) -> list[int]:
        """Read the chunk's task results; returns the items whose task failed transiently (to send again)."""
        wanted = set(pending)
        records: list[Any] = []
        resend: list[int] = []
        last: NetSuiteError | None = None
        for round_no in range(_ROUNDS):
            try:
                outcomes = await job.wait_tasks(self.job_deadline, concurrency=self.fetchers,
                                                positions=[indices.index(i) for i in pending],
                                                expected=len(indices),
                                                on_outcome=lambda p, o: self._read(indices[p], o))
            except JobTasksMismatchError as err:
                # Reading again gives the same listing: which task answers for which item stays unknown.
                self._fail_all(pending, err)
                break
            except NetSuiteError as err:
                last = err
                await _pause(round_no)
                continue
            problem = self._mismatch(job, indices, outcomes)
            if problem is not None:
                self._fail_all(pending, JobTasksMismatchError(job.id, expected=len(indices),
                                                              listed=len(indices), reason=problem))
                break
            applied: list[tuple[_Item, JobResult]] = []
            for position, outcome in sorted(outcomes.items()):
                item = self.items[indices[position]]
                if item.index not in wanted:
                    continue
                if outcome.error is not None:
                    if _transient(outcome.error):
                        resend.append(item.index)
                    else:
                        definite = isinstance(outcome.error, APIError)
                        self._finish_error(item, outcome.error, records, definite=definite)
                elif outcome.result is not None:
                    applied.append((item, outcome.result))
            await self._finish_ok_many(applied, records)
            missing = [i for i in pending if self.results[i] is None and i not in resend]
            if missing:
                self._fail_all(missing, self._unknown(f"job {job.id} has no task for {len(missing)} item(s)"))
            break
        else:
            self._fail_all(pending, last)
        if self.cp is not None and records:
            self.cp.record_many(records)
        return resend

    def _fail_all(self, indices: Iterable[int], error: NetSuiteError | None) -> None:
        if isinstance(error, BatchOutcomeUnknownError):
            reason = error
        else:
            reason = self._unknown(str(error) if error is not None else "no answer")
        for i in indices:
            if self.results[i] is None:
                err: NetSuiteError = error if isinstance(error, (AuthenticationError, PermissionDeniedError)) \
                    else reason
                self._set(BatchItemResult(i, False, None, err))

    # -- one item as one asynchronous request ------------------------------------------------------------

    def _key(self, item: _Item, attempt: int) -> str:
        # Attempt 0 is the item's first request; attempt k >= 1 is its k-th resend after a transient task
        # failure, under a key of its own (the earlier key leads back to the failed job).
        kind = "item" if attempt == 0 else f"resend{attempt}"
        return key_for(self.run_id, self.op, self.record_type, kind, item.index)

    async def _run_single(self, item: _Item, attempt: int = 0, tries: int = TRANSIENT_RESENDS + 1) -> None:
        """Send the item (``attempt`` 0) or send it again (``attempt`` >= 1) as one asynchronous request, at most
        ``tries`` times while its task keeps failing transiently (a resumed run's first try under an attempt's
        key reads back the job that attempt made, if it exists)."""
        records: list[Any] = []
        transient: NetSuiteError | None = None
        try:
            for _ in range(tries):
                if attempt and self.cp is not None:
                    # Written before the request goes out, so a restarted run follows the newest key.
                    self.cp.record_resend(item.index, attempt)
                transient = await self._single_attempt(item, self._key(item, attempt), records)
                if transient is None:
                    return
                attempt += 1
            # Every resend of this run failed transiently. Nothing was saved, but the item is left out of the
            # checkpoint's final outcomes so that a resumed run sends it again (under a newer key).
            if transient is not None:
                self._set(BatchItemResult(item.index, False, None, transient))
        finally:
            if self.cp is not None and records:
                self.cp.record_many(records)

    async def _single_attempt(self, item: _Item, key: str, records: list[Any]) -> NetSuiteError | None:
        """One request for the item under ``key``; returns the task's transient error, or None when the item's
        outcome (success, refusal or unknown) has been recorded."""
        method = _SINGLE_METHOD[self.op]
        last: NetSuiteError | None = None
        job: Job | None = None
        for round_no in range(_ROUNDS):
            if self.abort is not None and job is None:
                self._finish_error(item, self.abort, records, definite=False)
                return None
            if job is None:
                try:
                    job = await self.jobs.submit(method, item.single_path, json=item.single_body,
                                                 idempotency_key=key)
                    if self.used_collections is None:
                        self.used_collections = False
                except APIError as err:
                    if isinstance(err, (AuthenticationError, PermissionDeniedError)):
                        self.abort = err
                        self._finish_error(item, err, records, definite=False)
                        return None
                    if 400 <= err.status_code < 500 and err.status_code != 429:
                        # Refused at submission: nothing was applied, and sending it again changes nothing.
                        self._finish_error(item, err, records, definite=False)
                        return None
                    last = err
                except NetSuiteError as err:
                    last = err
            if job is not None:
                try:
                    # A single request's job is its one task, whatever id NetSuite gave it.
                    outcome = (await job.wait_tasks(self.job_deadline, positions=[0], expected=1,
                                                    on_outcome=lambda _, o: self._read(item.index, o))).get(0)
                except JobTasksMismatchError as err:
                    self._finish_error(item, self._unknown(str(err)), records, definite=False)
                    return None
                except NetSuiteError as err:
                    # The job exists but could not be read: its outcome is still open, read it again.
                    last = err
                else:
                    if outcome is None:
                        last = self._unknown(f"job {job.id} has no task")
                    elif outcome.error is not None:
                        if _transient(outcome.error):
                            return outcome.error
                        self._finish_error(item, outcome.error, records, definite=True)
                        return None
                    elif outcome.result is not None:
                        await self._finish_ok_many([(item, outcome.result)], records)
                        return None
            await _pause(round_no)
        if isinstance(last, BatchOutcomeUnknownError):
            self._finish_error(item, last, records, definite=False)
        else:
            self._finish_error(item, self._unknown(str(last)), records, definite=False)
        return None


def _transient(error: NetSuiteError) -> bool:
    """A task that failed with a 5xx (``UNEXPECTED_ERROR``): NetSuite saved nothing, sending it again is safe."""
    return isinstance(error, APIError) and error.status_code >= 500


async def _pause(round_no: int) -> None:
    # Between whole rounds (the transport already retried each request): a short, growing wait; none after
    # the last round, whose failure is final.
    if round_no < _ROUNDS - 1:
        await anyio.sleep(min(0.2 * (2**round_no), 5.0))
