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
from typing import TYPE_CHECKING, Any

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
    "MAX_CHUNK_SIZE",
    "Batch",
    "BatchItemResult",
    "BatchOutcomeUnknownError",
    "BatchProgress",
    "BatchResult",
    "Operation",
    "read_jsonl",
    "run_batch_file",
]


class Batch:
    """``ns.batch``: create, update, upsert or delete many records of one type, exactly once.

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
        self._collections: bool | None = None

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
        self,
        record_type: str,
        items: Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = MAX_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | BatchCheckpoint | None = None,
        use_collections: bool | None = None,
        job_timeout: float = 600.0,
    ) -> BatchResult:
        """Create one record per item (each a record body).

        ``checkpoint``: a file path (created, or resumed if it exists) or an open `BatchCheckpoint`.
        ``use_collections``: None probes the account; False forces single requests; True skips the probe's
        memory (a refusal still falls back). ``job_timeout``: seconds to wait for one job.

        Examples:
            ```python
            result = await ns.batch.create("customer", [{"companyName": "A"}, {"companyName": "B"}])
            result[1].ref.id
            ```
        """
        return await self.run("create", record_type, items, chunk_size=chunk_size, on_progress=on_progress,
                               checkpoint=checkpoint, use_collections=use_collections, job_timeout=job_timeout)

    @traced("batch.update", type_arg=0)
    async def update(
        self,
        record_type: str,
        items: Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = MAX_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | BatchCheckpoint | None = None,
        use_collections: bool | None = None,
        job_timeout: float = 600.0,
    ) -> BatchResult:
        """Update records: each item carries ``id`` (internal id, wins) or ``externalId`` plus the fields.

        Examples:
            ```python
            await ns.batch.update("customer", [{"id": 7, "comments": "vip"}])
            ```
        """
        return await self.run("update", record_type, items, chunk_size=chunk_size, on_progress=on_progress,
                               checkpoint=checkpoint, use_collections=use_collections, job_timeout=job_timeout)

    @traced("batch.upsert", type_arg=0)
    async def upsert(
        self,
        record_type: str,
        items: Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = MAX_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | BatchCheckpoint | None = None,
        use_collections: bool | None = None,
        job_timeout: float = 600.0,
    ) -> BatchResult:
        """Create or update by external id: each item carries ``externalId`` plus the fields.

        Examples:
            ```python
            await ns.batch.upsert("customer", [{"externalId": "C-1", "companyName": "ACME"}])
            ```
        """
        return await self.run("upsert", record_type, items, chunk_size=chunk_size, on_progress=on_progress,
                               checkpoint=checkpoint, use_collections=use_collections, job_timeout=job_timeout)

    @traced("batch.delete", type_arg=0)
    async def delete(
        self,
        record_type: str,
        items: Iterable[int | str | Mapping[str, Any]],
        *,
        chunk_size: int = MAX_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | BatchCheckpoint | None = None,
        use_collections: bool | None = None,
        job_timeout: float = 600.0,
    ) -> BatchResult:
        """Delete records: items are internal ids, ``"eid:X"`` strings, or mappings with ``id``/``externalId``.

        Examples:
            ```python
            await ns.batch.delete("customer", [7, 8, "eid:C-1"])
            ```
        """
        return await self.run("delete", record_type, items, chunk_size=chunk_size, on_progress=on_progress,
                               checkpoint=checkpoint, use_collections=use_collections, job_timeout=job_timeout)

    @traced("batch.run", type_arg=1)
    async def run(
        self,
        op: Operation,
        record_type: str,
        items: Iterable[Any],
        *,
        chunk_size: int = MAX_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | BatchCheckpoint | None = None,
        use_collections: bool | None = None,
        job_timeout: float = 600.0,
    ) -> BatchResult:
        """Run operation ``op`` over ``items``; what `create` and friends call.

        Examples:
            ```python
            result = await ns.batch.run("create", "customer", rows)
            ```
        """
        if op not in OPERATIONS:
            raise ValueError(f"unknown batch operation {op!r}; use one of {', '.join(OPERATIONS)}")
        validate_record_type(record_type)
        if isinstance(items, (str, bytes, Mapping)):
            raise TypeError("items must be a sequence of items, not a single string or mapping")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
            raise TypeError("chunk_size must be an int")
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_SIZE}, got {chunk_size}")
        if not job_timeout > 0:
            raise ValueError("job_timeout must be positive")
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
                             on_progress, use_collections, job_timeout)
            return await engine.execute()
        finally:
            if own_checkpoint and cp is not None:
                cp.close()

