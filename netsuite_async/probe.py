"""Learn how a real account behaves where NetSuite's documentation is silent (``netsuite-async probe``).

`probe` sends a small, bounded set of requests through a `NetSuiteClient` (so under
its governor, with its auth and retries) and reports which variant of each undocumented behaviour the account
shows (see ``docs/netsuite-behaviour.md``). `ProbeResult.save` writes an emulator dialect file that
``netsuite-async emulator serve --dialect FILE``, ``FakeNetSuite(dialect=FILE)`` and the pytest marker accept,
so offline tests run against an emulator that behaves like the account.

Read-only by default (safe on production); each check is bounded in requests and rows (it jumps to offsets near
the cap and never scans a table):

* governanceLimits: the account limit, the unallocated limit, the integration's own share, or "not permitted";
* SuiteQL past the 100,000-row cap on a table with more rows than that (``COUNT(*)`` finds one): ``totalResults``
  true or capped, ``hasMore`` on the page at offset 99,000, the answer at offset 100,000;
* the same for a record collection, plus the 1,000-page limit (one page of one record at offset 1,000);
* the account's date format for record filters: the same day written three ways, only one of which each format
  accepts.

With ``writes=True`` (refused on a production account id unless ``allow_production_writes=True``): one
asynchronous create with an idempotency key, the same request again (the repeated-key answer), a synchronous
2026.1 batch read of the new record, and its deletion as a one-item 2026.1 collection batch (which tells whether
collections are enabled; a plain delete otherwise). Task id style, ``Location`` on a create's task result and
the progress words come from those jobs. Everything created is deleted before `probe` returns, errors
included.

Examples:
    >>> r = ProbeResult(account="1234567_SB1", suiteql_total="capped", date_format="D/M/YYYY")
    >>> r.dialect().suiteql_total, r.dialect().date_format
    ('capped', 'D/M/YYYY')
    >>> "suiteql_total" in r.measured_fields()
    True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anyio

# The checks live in private modules (issue 16): _probe_checks (read-only), _probe_writes, _probe_parse (readers).
from netsuite_async._call_options import renamed
from netsuite_async._checks import is_int
from netsuite_async._probe_checks import _PAGE, _Prober
from netsuite_async._probe_writes import _Writer
from netsuite_async.errors import NetSuiteError, ProductionWriteError
from netsuite_async.identifiers import validate_record_type

if TYPE_CHECKING:
    from netsuite_async._http import AsyncClient, Response
    from netsuite_async.account import Account
    from netsuite_async.testing._dialect import Dialect
    from netsuite_async.transport import Params

__all__ = [
    "DEFAULT_LIST_TYPES",
    "DEFAULT_TABLES",
    "NETSUITE_CAP",
    "ProbeResult",
    "ProductionWriteError",
    "is_production",
    "load_date_format",
    "probe",
]

#: NetSuite's cap on the rows of one SuiteQL query and the records of one collection listing.
NETSUITE_CAP = 100_000
#: SuiteQL tables that usually hold more than 100,000 rows, tried in order with ``COUNT(*)``.
DEFAULT_TABLES: tuple[str, ...] = ("transactionline", "transaction", "systemnote", "customer", "item", "contact")
#: Record types whose SuiteQL table has the same name, tried in order for the record-collection checks.
DEFAULT_LIST_TYPES: tuple[str, ...] = ("customer", "contact", "employee", "vendor", "partner")

_DONE_WORDS = frozenset({"succeeded", "failed", "complete", "completed"})



class ProbeClient(Protocol):
    """What `probe` needs of a client (a `NetSuiteClient` has it): ``account``, ``http`` and ``request``."""

    account: Account
    http: AsyncClient

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send a raw request (`NetSuiteClient.request`)."""
        ...


def is_production(account_id: str) -> bool:
    """True unless the id is a sandbox (``_SB1``), a release preview (``_RP``) or a test drive (``TSTDRV…``).

    Examples:
        >>> is_production("1234567"), is_production("1234567_SB1"), is_production("1234567-sb2")
        (True, False, False)
    """
    from netsuite_async.account import Account

    canonical = Account.parse(account_id).account_id
    return not ("_SB" in canonical or canonical.endswith("_RP") or canonical.startswith("TSTDRV"))


@dataclass
class ProbeResult:
    """What `probe` measured; ``None`` where a check was not run or not measurable (see ``notes``).

    ``to_json()`` holds no secret and no record data (no ids, no field values).

    Examples:
        >>> ProbeResult(account="1", task_ids="global").to_json()["task_ids"]
        'global'
    """

    account: str
    writes: bool = False
    requests: int = 0
    governance: str | None = None  # "ok", "not permitted" or "unreadable"
    concurrency_limit: int | None = None
    unallocated_limit: int | None = None
    integration_limit: int | None = None
    integration_limit_type: str | None = None
    suiteql_table: str | None = None
    suiteql_total: str | None = None  # "true" or "capped"
    suiteql_has_more_at_cap: bool | None = None
    suiteql_past_cap: str | None = None  # "refuse" or "empty"
    list_record_type: str | None = None
    list_total: str | None = None
    list_has_more_at_cap: bool | None = None
    list_past_cap: str | None = None
    list_page_limit: int | str | None = None  # 1000, or "none" (no page limit)
    date_format: str | None = None
    task_ids: str | None = None  # "per-job" or "global"
    create_result_location: bool | None = None
    progress_words: list[str] = field(default_factory=list)
    idempotency_conflict_status: int | None = None
    collections: bool | None = None
    sync_batch_read: bool | None = None
    cleaned_up: bool | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``--json`` output).

        Examples:
            >>> ProbeResult(account="1", requests=12).to_json()["requests"]
            12
        """
        return asdict(self)

    def measured_fields(self) -> list[str]:
        """The dialect fields this result measured (the others are written with their strictest variant).

        Examples:
            >>> ProbeResult(account="1", list_page_limit="none").measured_fields()
            ['list_max_pages']
        """
        return sorted(self._dialect_values())

    def _dialect_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("suiteql_total", "suiteql_has_more_at_cap", "suiteql_past_cap", "list_total",
                     "list_has_more_at_cap", "list_past_cap", "date_format", "task_ids", "create_result_location",
                     "idempotency_conflict_status", "sync_batch_read"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.list_page_limit is not None:
            out["list_max_pages"] = None if self.list_page_limit == "none" else self.list_page_limit
        word = self.progress_word
        if word is not None:
            out["progress_word"] = word
        return out

    @property
    def progress_word(self) -> str | None:
        """The word an unfinished job showed (``processing`` wins over ``pending``), or None if none was seen.

        Examples:
            >>> ProbeResult(account="1", progress_words=["pending", "succeeded"]).progress_word
            'pending'
        """
        unfinished = [w for w in self.progress_words if w not in _DONE_WORDS]
        if "processing" in unfinished:
            return "processing"
        if "pending" in unfinished:
            return "pending"
        return None

    def dialect(self) -> Dialect:
        """The emulator dialect: each measured field as measured, every other field at its strictest variant.

        Examples:
            >>> ProbeResult(account="1", task_ids="per-job").dialect().task_ids
            'per-job'
        """
        from netsuite_async.testing._dialect import Dialect

        values = self._dialect_values()
        return Dialect.strictest().replace(**{k: v for k, v in values.items() if _fits(k, v)})

    def file_data(self) -> dict[str, Any]:
        """What `save` writes: ``{"dialect": {...}, "probe": {...}}``.

        Examples:
            >>> sorted(ProbeResult(account="1").file_data())
            ['dialect', 'probe']
        """
        probe_part = self.to_json()
        probe_part["measured_fields"] = self.measured_fields()
        probe_part["emulator_flags"] = self.emulator_flags()
        return {"dialect": self.dialect().to_dict(), "probe": probe_part}

    def save(self, path: str | Path) -> None:
        """Write the dialect file (JSON) for ``emulator serve --dialect``, ``FakeNetSuite(dialect=...)`` and
        the pytest marker; the ``probe`` part keeps the measurements and is ignored by those.

        Examples:
            >>> import tempfile, os
            >>> from netsuite_async.testing import Dialect
            >>> p = os.path.join(tempfile.mkdtemp(), "account.json")
            >>> ProbeResult(account="1", task_ids="global").save(p)
            >>> Dialect.load(p).task_ids
            'global'
        """
        Path(path).write_text(json.dumps(self.file_data(), indent=2) + "\n", encoding="utf-8")

    def emulator_flags(self) -> list[str]:
        """``emulator serve`` flags for what a dialect file cannot carry (limits, collections).

        Examples:
            >>> ProbeResult(account="1", concurrency_limit=15, unallocated_limit=10).emulator_flags()
            ['--concurrency', '15', '--allocated-to-others', '5']
        """
        flags: list[str] = []
        if self.concurrency_limit is not None:
            flags += ["--concurrency", str(self.concurrency_limit)]
            own = self.integration_limit if self.integration_limit_type == "integrationSpecific" else None
            if own is not None:
                flags += ["--integration-limit", str(own)]
            if self.unallocated_limit is not None:
                others = self.concurrency_limit - (own or 0) - self.unallocated_limit
                if others > 0:
                    flags += ["--allocated-to-others", str(others)]
        if self.collections is False:
            flags.append("--no-batch-collections")
        return flags

    def rows(self) -> list[tuple[str, str]]:
        """``(check, answer)`` pairs for the readable table.

        Examples:
            >>> dict(ProbeResult(account="1", suiteql_total="true").rows())["SuiteQL totalResults past the cap"]
            'true'
        """

        def show(value: Any) -> str:
            if value is None:
                return "not measured"
            if isinstance(value, bool):
                return "yes" if value else "no"
            if isinstance(value, list):
                return ", ".join(str(v) for v in value) or "none seen"
            return str(value)

        return [
            ("account", self.account),
            ("governanceLimits", show(self.governance)),
            ("account concurrency limit", show(self.concurrency_limit)),
            ("unallocated limit", show(self.unallocated_limit)),
            ("integration's own limit", show(self.integration_limit) if self.integration_limit_type
             == "integrationSpecific" else ("none (uses the unallocated limit)" if self.governance == "ok"
                                            else "not measured")),
            ("SuiteQL table", show(self.suiteql_table)),
            ("SuiteQL totalResults past the cap", show(self.suiteql_total)),
            ("SuiteQL hasMore at offset 99,000", show(self.suiteql_has_more_at_cap)),
            ("SuiteQL offset 100,000", show(self.suiteql_past_cap)),
            ("record type listed", show(self.list_record_type)),
            ("list totalResults past the cap", show(self.list_total)),
            ("list hasMore at offset 99,000", show(self.list_has_more_at_cap)),
            ("list offset 100,000", show(self.list_past_cap)),
            ("list page limit", show(self.list_page_limit)),
            ("record-filter date format", show(self.date_format)),
            ("async task ids", show(self.task_ids)),
            ("create task result has Location", show(self.create_result_location)),
            ("job progress words seen", show(self.progress_words) if self.writes else "not measured"),
            ("repeated idempotency key status", show(self.idempotency_conflict_status)),
            ("2026.1 collection batches", show(self.collections)),
            ("synchronous batch read accepted", show(self.sync_batch_read)),
            ("everything created was deleted", show(self.cleaned_up)),
            ("requests sent", str(self.requests)),
        ]


def _fits(name: str, value: Any) -> bool:
    from netsuite_async.testing._dialect import dialect_fields

    for f in dialect_fields():
        if f.name == name:
            return name == "list_max_pages" or value in f.choices
    return False


def load_date_format(path: str | Path) -> str | None:
    """The account date format in a dialect file, when it was measured (``None`` when the probe could not).

    A file written by hand (no ``probe`` part) is trusted as is. Raises ``ValueError`` for an unreadable file.

    Examples:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "account.json")
        >>> ProbeResult(account="1", date_format="D/M/YYYY").save(p)
        >>> load_date_format(p)
        'D/M/YYYY'
        >>> ProbeResult(account="1").save(p)
        >>> load_date_format(p) is None
        True
    """
    from netsuite_async.testing._dialect import Dialect

    dialect = Dialect.load(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # pragma: no cover - Dialect.load read it a moment ago
        raise ValueError(f"cannot read dialect file {str(path)!r}: {exc}") from None
    part = data.get("probe") if isinstance(data, Mapping) else None
    if isinstance(part, Mapping) and "date_format" not in (part.get("measured_fields") or []):
        return None
    return dialect.date_format


async def probe(
    client: ProbeClient,
    *,
    table: str | None = None,
    record_type: str | None = None,
    writes: bool = False,
    allow_production_writes: bool = False,
    write_type: str = "customer",
    write_body: Mapping[str, Any] | None = None,
    cap: int = NETSUITE_CAP,
    poll_interval: float = 1.0,
    job_deadline: float = 300.0,
    job_timeout: float | None = None,
) -> ProbeResult:
    """Measure how this account answers where NetSuite's documentation is silent.

    Args:
        client: an open `NetSuiteClient` (its governor, auth and retries are used).
        table: the SuiteQL table for the cap checks (default: the first of `DEFAULT_TABLES` with more
            than ``cap`` rows).
        record_type: the record type for the collection checks (default: ``table`` when it is one of
            `DEFAULT_LIST_TYPES`, else the first of them with more than ``cap`` records).
        writes: also run the write checks (one asynchronous create, deleted afterwards).
        allow_production_writes: permit ``writes`` on a production account id.
        write_type, write_body: the record created by the write checks (``companyName`` and a unique
            ``externalId`` are always set for a customer; add the fields your account requires).
        cap: NetSuite's 100,000-row cap; change it only against an emulator with a scaled cap.
        poll_interval, job_deadline: first delay between job status polls (growing to 10 s), and the most to wait.
        job_timeout: the old name of ``job_deadline`` (deprecated).

    Raises:
        ProductionWriteError: ``writes`` on a production account without ``allow_production_writes``, before any
            request is sent.

    Examples:
        ```python
        async with NetSuiteClient("1234567_SB1", auth=auth) as ns:
            result = await probe(ns, writes=True)
        result.save("account-dialect.json")
        ```
    """
    if table is not None:
        validate_record_type(table)
    if record_type is not None:
        validate_record_type(record_type)
    validate_record_type(write_type)
    if not is_int(cap) or cap < 2 * _PAGE:
        raise ValueError(f"cap must be an int >= {2 * _PAGE}, not {cap!r}")
    if write_body is not None and not isinstance(write_body, Mapping):
        raise TypeError("write_body must be a mapping of record fields")
    job_deadline = renamed("job_timeout", job_timeout, "job_deadline", job_deadline, 300.0)
    account = client.account.account_id
    if writes and is_production(account) and not allow_production_writes:
        raise ProductionWriteError(
            f"{account} is a production account id: the write checks create and delete one {write_type}. Run them "
            "on a sandbox, or pass allow_production_writes=True (CLI: --allow-production-writes)"
        )
    result = ProbeResult(account=account, writes=writes)
    prober = _Prober(client, result, cap)
    counter = _RequestCounter(client)
    with counter:
        try:
            await prober.governance()
            await prober.suiteql_cap([table] if table else DEFAULT_TABLES)
            list_types: list[str] = []
            if record_type:
                list_types = [record_type]
            elif table and table.lower() in DEFAULT_LIST_TYPES:
                list_types = [table.lower(), *[t for t in DEFAULT_LIST_TYPES if t != table.lower()]]
            else:
                list_types = list(DEFAULT_LIST_TYPES)
            await prober.list_cap(list_types)
            await prober.date_format(record_type or "customer")
            if writes:
                body = dict(write_body or {})
                if write_type == "customer":
                    body.setdefault("companyName", "netsuite-async probe (safe to delete)")
                writer = _Writer(prober, write_type, body, poll_interval, job_deadline)
                try:
                    await writer.run()
                finally:
                    # Clean up even when cancelled or failing, but bounded: a dead network must not hang here.
                    with anyio.CancelScope(shield=True) as scope:
                        scope.deadline = anyio.current_time() + job_deadline + 120
                        try:
                            await writer.clean_up()
                        except NetSuiteError as exc:
                            result.cleaned_up = False
                            prober.note(f"writes: clean-up failed ({type(exc).__name__}: {exc}); look for a "
                                        f"{write_type} with externalId {writer.external_id} and delete it")
                    if scope.cancelled_caught:
                        result.cleaned_up = False
                        prober.note(f"writes: clean-up timed out; look for a {write_type} with externalId "
                                    f"{writer.external_id} and delete it")
        finally:
            result.requests = counter.count
    return result


class _RequestCounter:
    """Counts the HTTP requests sent through the client's connection pool while active (retries included)."""

    def __init__(self, client: ProbeClient) -> None:
        self.client = client
        self.count = 0

    async def _hook(self, request: Any) -> None:
        self.count += 1

    def __enter__(self) -> _RequestCounter:
        self.client.http.event_hooks["request"].append(self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        hooks = self.client.http.event_hooks["request"]
        if self._hook in hooks:
            hooks.remove(self._hook)
