"""Reading many records at once: ``client.records.get_many`` (the 2026.1 batch read, else bounded single reads).

`_ManyReads` is a part of `Records` (it is one of its bases); it is kept here so that the record service reads
as one concern per file. Ids go in chunks of 100 through the batch read (sent synchronously, or as an
asynchronous job where the account serves it so); an account without it is read with concurrent ``get`` calls.

Examples:
    >>> _id_key("eid:ACME-1"), _id_key(7)
    ('eid:ACME-1', 'id:7')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from netsuite_async._tasks import run_bounded
from netsuite_async.errors import (
    APIError,
    BadRequestError,
    ErrorDetail,
    NetSuiteError,
    NotFoundError,
    ServerError,
)
from netsuite_async.identifiers import (
    EXTERNAL_ID_PREFIX,
    RecordId,
    external_id_segment,
    ids_param,
    is_external_id,
    record_path,
    validate_field_names,
    validate_internal_id,
    validate_record_type,
)
from netsuite_async.records_q import (
    OPERATORS as OPERATORS,
)
from netsuite_async.records_q import (
    QValue as QValue,
)
from netsuite_async.telemetry import traced
from netsuite_async.transport import RequestSpec

if TYPE_CHECKING:
    from netsuite_async._http import Response
    from netsuite_async.jobs import Jobs
    from netsuite_async.records import PropertyNameValidation

# Ids per 2026.1 batch read. The documented batch write limit is 100 records; the read limit is not
# documented, so stay at the stricter number.
_BATCH_READ_SIZE = 100
_UNSUPPORTED = object()
# How many asynchronous jobs one batch read may take when their tasks fail with a 5xx.
_BATCH_READ_JOB_TRIES = 4
# Concurrent get() calls in the fallback path. The governor decides how many reach NetSuite; this only bounds
# the number of waiting tasks.
_FALLBACK_WORKERS = 32


class _Learned:
    """What ``get_many`` learned about the account, shared by a `Records` and the copies that per-call options
    make of it (``_call_options.py``), so a call made with ``timeout=``/``headers=`` teaches the client too."""

    __slots__ = ("batch_read", "batch_read_async")

    def __init__(self) -> None:
        # None until the first get_many() learns whether the account has the 2026.1 batch read.
        self.batch_read: bool | None = None
        # True once the account refused the batch read sent synchronously and served it as an async job.
        self.batch_read_async = False


class _ManyReads:
    """The ``get_many`` part of `Records` (see the module docstring)."""

    _learned: _Learned

    @property
    def _batch_read(self) -> bool | None:
        return self._learned.batch_read

    @_batch_read.setter
    def _batch_read(self, value: bool | None) -> None:
        self._learned.batch_read = value

    @property
    def _batch_read_async(self) -> bool:
        return self._learned.batch_read_async

    @_batch_read_async.setter
    def _batch_read_async(self, value: bool) -> None:
        self._learned.batch_read_async = value

    if TYPE_CHECKING:  # defined by Records
        _jobs: Jobs

        def _headers(self, property_name_validation: PropertyNameValidation | str | None) -> dict[str, str]: ...

        async def _send(self, spec: RequestSpec) -> Response: ...

        async def get(
            self, record_type: str, record_id: RecordId | None = None, *, fields: Sequence[str] | None = None
        ) -> dict[str, Any]: ...

    @traced("records.get_many", type_arg=0)
    async def get_many(
        self,
        record_type: str,
        ids: Iterable[RecordId],
        *,
        fields: Sequence[str] | None = None,
        missing: Literal["none", "raise"] = "none",
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any] | None]:
        """Read many records; the result has one entry per input id, in input order.

        On accounts with the 2026.1 batch read (``GET /{type}?ids=…&expandRecords=true``) ids go 100 per
        request; an account that refuses the batch read sent synchronously gets it as an asynchronous job
        (``Prefer: respond-async``, the way public implementations send it); otherwise (learned once per client)
        each record is read with its own ``get``, concurrently, with the governor deciding how many run at once.
        A record that does not exist gives ``None`` in its slot, or with ``missing="raise"`` a
        `NotFoundError` for the first one.

        Examples:
            ```python
            a, b, gone = await ns.records.get_many("customer", [1, "eid:CUST-2", 999999], fields=["email"])
            assert gone is None
            ```
        """
        validate_record_type(record_type)
        if missing not in ("none", "raise"):
            raise ValueError(f"missing must be 'none' or 'raise', not {missing!r}")
        if isinstance(ids, str | bytes):
            raise TypeError(f"ids must be a list of ids, not a single string: {ids!r}")
        wanted = list(ids)
        keys = [_id_key(i) for i in wanted]  # validates every id before anything is sent
        field_list = validate_field_names(fields) if fields is not None else None
        if not wanted:
            return []
        results: list[dict[str, Any] | None] = [None] * len(wanted)
        found = [False] * len(wanted)

        chunks = [
            list(range(i, min(i + _BATCH_READ_SIZE, len(wanted)))) for i in range(0, len(wanted), _BATCH_READ_SIZE)
        ]
        if self._batch_read is not False:
            first = chunks[0]
            supported = await self._batch_chunk(record_type, wanted, keys, first, field_list, results, found)
            if supported:
                self._batch_read = True
                await _run_pool(
                    [
                        _bind_batch(self, record_type, wanted, keys, chunk, field_list, results, found)
                        for chunk in chunks[1:]
                    ]
                )
            else:
                self._batch_read = False
        if self._batch_read is False:
            await _run_pool(
                [_bind_get(self, record_type, wanted[i], i, field_list, results, found) for i in range(len(wanted))]
            )
        if missing == "raise":
            for index, ok in enumerate(found):
                if not ok:
                    path = record_path(record_type, wanted[index])
                    raise NotFoundError(
                        "GET",
                        path,
                        404,
                        details=[ErrorDetail(f"Record {wanted[index]!r} of type {record_type!r} was not found.")],
                    )
        return results

    async def _batch_chunk(
        self,
        record_type: str,
        wanted: list[RecordId],
        keys: list[str],
        chunk: list[int],
        fields: list[str] | None,
        results: list[dict[str, Any] | None],
        found: list[bool],
    ) -> bool:
        """Read one chunk with the batch read; False when the account turns out not to support it."""
        params: list[tuple[str, str]] = [
            ("ids", ids_param(wanted[i] for i in chunk)),
            ("expandRecords", "true"),
        ]
        if fields is not None:
            wanted_fields = list(fields)
            # The answer is matched to external ids through externalId, so it must be in the answer.
            if "externalId" not in wanted_fields and any(keys[i].startswith("eid:") for i in chunk):
                wanted_fields.append("externalId")
            params.append(("fields", ",".join(wanted_fields)))
        data = await self._batch_read_answer(record_type, params)
        if data is _UNSUPPORTED:
            return False
        items = data.get("items") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            if self._batch_read is None:
                return False
            raise NetSuiteError(f"batch read of {record_type!r} answered without an items list")
        # An account without the feature may ignore expandRecords and list references only.
        if self._batch_read is None and items and all(set(item) <= {"links", "id"} for item in items):
            return False
        by_key: dict[str, dict[str, Any]] = {}
        for item in items:
            if not isinstance(item, Mapping):
                continue
            record = dict(item)
            if record.get("id") is not None:
                by_key[f"id:{record['id']}"] = record
            if record.get("externalId") is not None:
                by_key[f"eid:{record['externalId']}"] = record
        for i in chunk:
            hit = by_key.get(keys[i])
            if hit is not None:
                results[i] = hit
                found[i] = True
        return True

    async def _batch_read_answer(self, record_type: str, params: list[tuple[str, str]]) -> Any:
        """The batch read's answer document, or ``_UNSUPPORTED`` when the account has no batch read at all."""
        if self._batch_read_async:
            return await self._batch_read_job(record_type, params)
        try:
            response = await self._send(
                RequestSpec(method="GET", path=record_path(record_type), params=params, headers=self._headers(None))
            )
        except BadRequestError as err:
            if not _rejects_batch_read(err):
                raise
            if self._batch_read_async:
                # A concurrent call learned meanwhile that this account reads batches asynchronously only.
                return await self._batch_read_job(record_type, params)
            if self._batch_read is True:
                raise
            if self._batch_read is False:
                return _UNSUPPORTED  # a concurrent call learned meanwhile that there is no batch read
            # Some accounts serve the batch read only asynchronously (NetSuite does not document a synchronous
            # one): try that before reading record by record.
            try:
                data = await self._batch_read_job(record_type, params)
            except APIError:
                return _UNSUPPORTED
            self._batch_read_async = True
            return data
        return response.json()

    async def _batch_read_job(self, record_type: str, params: list[tuple[str, str]]) -> Any:
        # A read is safe to repeat: a job whose task failed with a 5xx (nothing done) is simply submitted again.
        for attempt in range(_BATCH_READ_JOB_TRIES):
            job = await self._jobs.submit("GET", record_path(record_type), params=dict(params))
            try:
                return (await job.wait()).body
            except ServerError:
                if attempt == _BATCH_READ_JOB_TRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get_one(
        self,
        record_type: str,
        record_id: RecordId,
        index: int,
        fields: list[str] | None,
        results: list[dict[str, Any] | None],
        found: list[bool],
    ) -> None:
        try:
            results[index] = await self.get(record_type, record_id, fields=fields)
            found[index] = True
        except NotFoundError:
            results[index] = None


def _id_key(record_id: RecordId) -> str:
    if is_external_id(record_id):
        assert isinstance(record_id, str)
        bare = record_id[len(EXTERNAL_ID_PREFIX) :]
        external_id_segment(bare)  # validation only
        return f"eid:{bare}"
    return f"id:{validate_internal_id(record_id)}"


def _rejects_batch_read(err: BadRequestError) -> bool:
    params = {d.error_query_param for d in err.details if d.error_query_param}
    if params & {"ids", "expandRecords"}:
        return True
    # Without a named parameter, only an unknown-parameter style code says "feature missing".
    return not params and err.error_code in {
        "INVALID_PARAMETER",
        "INVALID_QUERY_PARAMETER",
        "UNSUPPORTED_FEATURE",
    }


def _bind_batch(
    records: _ManyReads,
    record_type: str,
    wanted: list[RecordId],
    keys: list[str],
    chunk: list[int],
    fields: list[str] | None,
    results: list[dict[str, Any] | None],
    found: list[bool],
) -> Any:
    async def run() -> None:
        await records._batch_chunk(record_type, wanted, keys, chunk, fields, results, found)

    return run


def _bind_get(
    records: _ManyReads,
    record_type: str,
    record_id: RecordId,
    index: int,
    fields: list[str] | None,
    results: list[dict[str, Any] | None],
    found: list[bool],
) -> Any:
    async def run() -> None:
        await records._get_one(record_type, record_id, index, fields, results, found)

    return run


async def _run_pool(jobs: list[Any]) -> None:
    """Run zero-argument coroutine functions, at most `_FALLBACK_WORKERS` at once (`netsuite_async._tasks`); the
    first failure cancels the rest and is raised as itself. ``records.sublist(expand=True)`` uses it too."""
    await run_bounded(jobs, _FALLBACK_WORKERS)
