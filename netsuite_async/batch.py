"""Bulk writes, exactly once: ``ns.batch.create / update / upsert / delete``.

Guarantees, for any input and any failure along the way:

* **one result per input, in input order** — `BatchResult` is a sequence of `BatchItemResult`
  ``(index, ok, ref, error)``; nothing raises mid-batch (only bad input, refused *before* any request);
* **nothing applied twice** — every write goes out as an asynchronous request carrying an idempotency key made
  once per chunk or item and reused on every retry; NetSuite answers a repeated key with the earlier job
  (``IDEMPOTENCY_ERROR`` + ``Location``) instead of applying it again;
* **nothing lost** — a write whose outcome could not be learned is reported as failed with the reason, and a
  checkpointed run resolves it on restart under the same key;
* **every success names its own record** — a chunk's tasks are matched to its items by their place in
  NetSuite's task listing (never by guessing from task ids, which NetSuite numbers per job on some accounts and
  across the account on others) and the match is checked against what the results say; a create whose result
  names no record is still reported applied, with the id looked up by ``externalId`` when the item has one;
* **transient task failures are sent again** — an item whose task failed with a 5xx (``UNEXPECTED_ERROR``:
  nothing was saved) is sent again as its own asynchronous request with a fresh idempotency key, at most
  ``5`` times per run; a 4xx is final and reported with NetSuite's error details.

How: items are cut into chunks (``chunk_size`` ≤ 100). When the account accepts 2026.1 batch ("collection")
requests, a chunk is one request and each of its tasks answers for one item. The first chunk probes the
feature; if the account refuses collection requests (a synchronous 4xx that applies nothing) the client
remembers it (``ns.batch.collections_supported``) and sends single asynchronous requests instead. Work runs in
an anyio task group with at most ``2 × the governor's ceiling`` units in flight; the transport holds a governor
slot for each HTTP attempt, so the account's concurrency limit is respected however large the batch.

Examples:
    ```python
    result = await ns.batch.create("customer", [{"companyName": f"ACME {n}"} for n in range(5000)],
                                   checkpoint="customers.ckpt")
    print(result.succeeded, result.failed)
    for item in result.failures:
        print(item.index, item.error)
    ```
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from netsuite_async._checks import is_int, positive_number
from netsuite_async.batch_checkpoint import BatchCheckpoint
from netsuite_async.batch_engine import _ROUNDS as _ROUNDS  # the retry budget (retry.py) counts on it
from netsuite_async.batch_engine import MAX_CHUNK_SIZE, OPERATIONS, Operation, _Engine, _prepare
from netsuite_async.batch_engine import TRANSIENT_RESENDS as TRANSIENT_RESENDS
from netsuite_async.batch_files import read_jsonl, run_batch_file
from netsuite_async.batch_files import write_failures as write_failures
from netsuite_async.batch_results import BatchItemResult, BatchProgress, BatchResult
from netsuite_async.batch_results import ProgressCallback as ProgressCallback
from netsuite_async.errors import BatchOutcomeUnknownError
from netsuite_async.errors import _rebuild_unknown as _rebuild_unknown  # pickles made before the move
from netsuite_async.identifiers import validate_record_type
from netsuite_async.jobs import Jobs
from netsuite_async.telemetry import traced

if TYPE_CHECKING:
    from netsuite_async.records import Records
    from netsuite_async.transport import Transport

__all__ = [
    "DEFAULT_JOB_DEADLINE",
    "MAX_CHUNK_SIZE",
    "Batch",
    "BatchItemResult",
    "BatchOptions",
    "BatchOutcomeUnknownError",
    "BatchProgress",
    "BatchResult",
    "Operation",
    "read_jsonl",
    "run_batch_file",
]

#: Seconds a batch waits for one job to finish unless ``job_deadline=`` says otherwise.
DEFAULT_JOB_DEADLINE = 600.0


class BatchOptions(TypedDict, total=False):
    """The keyword options of every batch call (`Batch.create`, ``update``, ``upsert``, ``delete``, ``run``).

    - ``chunk_size``: items per request, 1 to 100 (default 100).
    - ``on_progress``: called with a `BatchProgress` as items finish.
    - ``checkpoint``: a file path (created, or resumed if it exists) or an open `BatchCheckpoint`.
    - ``use_collections``: None probes the account; False forces single requests; True skips the probe's memory
      (a refusal still falls back).
    - ``job_deadline``: seconds to wait for one job to finish (default 600), per job and per polling round:
      a total for that job, not for the batch (a batch has no overall deadline: it ends when every item has an
      outcome).
    - ``timeout``: the per-attempt read timeout (seconds) of every request the batch sends: submissions, job
      polls and task results.
    - ``headers``: merged over the client's default headers for every request the batch sends.
    - ``job_timeout``: the old name of ``job_deadline`` (deprecated; same meaning).

    Examples:
        >>> options: BatchOptions = {"chunk_size": 50, "job_deadline": 300.0}
        >>> sorted(options)
        ['chunk_size', 'job_deadline']
    """

    chunk_size: int
    on_progress: ProgressCallback | None
    checkpoint: str | os.PathLike[str] | BatchCheckpoint | None
    use_collections: bool | None
    job_deadline: float
    timeout: float | None
    headers: Mapping[str, str] | None
    job_timeout: float | None


class _Learned:
    """Whether the account accepts collection requests; shared by a `Batch` and the copies per-call options make
    of it (``_call_options.py``), so a call made with ``timeout=``/``headers=`` teaches the client too."""

    __slots__ = ("collections",)

    def __init__(self) -> None:
        self.collections: bool | None = None


class Batch:
    """``ns.batch``: create, update, upsert or delete many records of one type, exactly once.

    Every call takes the keyword options of `BatchOptions` (``chunk_size``, ``on_progress``, ``checkpoint``,
    ``use_collections``, ``job_deadline``, and the per-call ``timeout`` and ``headers``).

    Examples:
        ```python
        result = await ns.batch.upsert("customer", [{"externalId": "C-1", "companyName": "ACME"}])
        assert result.ok
        ```
    """

    def __init__(self, transport: Transport, jobs: Jobs, records: Records) -> None:
        self._transport = transport
        self._jobs = jobs
        self._records = records
        self._learned = _Learned()

    @property
    def _collections(self) -> bool | None:
        # Read and written by the engine (batch_engine.py); kept in the shared _Learned.
        return self._learned.collections

    @_collections.setter
    def _collections(self, value: bool | None) -> None:
        self._learned.collections = value

    @property
    def collections_supported(self) -> bool | None:
        """Whether this account accepts 2026.1 collection requests (None: not probed yet).

        Examples:
            ```python
            if ns.batch.collections_supported is False: print("single requests only")
            ```
        """
        return self._collections

    @traced("batch.create", type_arg=0)
    async def create(
        self, record_type: str, items: Iterable[Mapping[str, Any]], **options: Unpack[BatchOptions]
    ) -> BatchResult:
        """Create one record per item (each a record body).

        Examples:
            ```python
            result = await ns.batch.create("customer", [{"companyName": "A"}, {"companyName": "B"}])
            result[1].ref.id
            ```
        """
        return await self._run("create", record_type, items, options)

    @traced("batch.update", type_arg=0)
    async def update(
        self, record_type: str, items: Iterable[Mapping[str, Any]], **options: Unpack[BatchOptions]
    ) -> BatchResult:
        """Update records: each item carries ``id`` (internal id, wins) or ``externalId`` plus the fields.

        Examples:
            ```python
            await ns.batch.update("customer", [{"id": 7, "comments": "vip"}])
            ```
        """
        return await self._run("update", record_type, items, options)

    @traced("batch.upsert", type_arg=0)
    async def upsert(
        self, record_type: str, items: Iterable[Mapping[str, Any]], **options: Unpack[BatchOptions]
    ) -> BatchResult:
        """Create or update by external id: each item carries ``externalId`` plus the fields.

        Examples:
            ```python
            await ns.batch.upsert("customer", [{"externalId": "C-1", "companyName": "ACME"}])
            ```
        """
        return await self._run("upsert", record_type, items, options)

    @traced("batch.delete", type_arg=0)
    async def delete(
        self, record_type: str, items: Iterable[int | str | Mapping[str, Any]], **options: Unpack[BatchOptions]
    ) -> BatchResult:
        """Delete records: items are internal ids, ``"eid:X"`` strings, or mappings with ``id``/``externalId``.

        Examples:
            ```python
            await ns.batch.delete("customer", [7, 8, "eid:C-1"])
            ```
        """
        return await self._run("delete", record_type, items, options)

    @traced("batch.run", type_arg=1)
    async def run(
        self, op: Operation, record_type: str, items: Iterable[Any], **options: Unpack[BatchOptions]
    ) -> BatchResult:
        """Run operation ``op`` over ``items``; what `create` and friends do.

        Examples:
            ```python
            result = await ns.batch.run("create", "customer", rows)
            ```
        """
        return await self._run(op, record_type, items, options)

    async def _run(self, op: Operation, record_type: str, items: Iterable[Any], options: BatchOptions) -> BatchResult:
        # timeout= and headers= were applied by the decorator (this object is then the call's own copy);
        # job_timeout= was renamed to job_deadline= there too.
        unknown = sorted(set(options) - BatchOptions.__optional_keys__)
        if unknown:
            raise TypeError(f"unexpected batch option(s) {', '.join(unknown)}; see BatchOptions")
        chunk_size = options.get("chunk_size", MAX_CHUNK_SIZE)
        on_progress = options.get("on_progress")
        checkpoint = options.get("checkpoint")
        use_collections = options.get("use_collections")
        job_deadline = options.get("job_deadline", DEFAULT_JOB_DEADLINE)
        if op not in OPERATIONS:
            raise ValueError(f"unknown batch operation {op!r}; use one of {', '.join(OPERATIONS)}")
        validate_record_type(record_type)
        if isinstance(items, (str, bytes, Mapping)):
            raise TypeError("items must be a sequence of items, not a single string or mapping")
        if not is_int(chunk_size):
            raise TypeError("chunk_size must be an int")
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_SIZE}, got {chunk_size}")
        positive_number("job_deadline", job_deadline)
        materialised = list(items)
        prepared = [_prepare(op, record_type, i, item) for i, item in enumerate(materialised)]
        own_checkpoint = False
        cp: BatchCheckpoint | None
        if checkpoint is None or isinstance(checkpoint, BatchCheckpoint):
            cp = checkpoint
        else:
            cp = BatchCheckpoint.open(checkpoint, op=op, record_type=record_type, items=materialised,
                                      chunk_size=chunk_size)
            own_checkpoint = True
        if cp is not None and (cp.op != op or cp.record_type != record_type or cp.count != len(prepared)):
            raise ValueError(f"checkpoint {cp.path} was written for another batch")
        try:
            engine = _Engine(self, op, record_type, prepared, cp.chunk_size if cp else chunk_size, cp,
                             on_progress, use_collections, job_deadline)
            return await engine.execute()
        finally:
            if own_checkpoint and cp is not None:
                cp.close()

