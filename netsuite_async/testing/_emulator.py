"""The emulator's state and request pipeline: config, counters, request log, latency and faults.

One `Emulator` is one NetSuite account. Its ``handle(req)`` runs every request through, in order:

1. count it (``counters.requests``, per-route counts) — the request log entry is written when it ends;
2. route lookup (404/405 in NetSuite's error format for unknown paths);
3. authentication: ``await emu.auth.authenticate(req)`` (401 ``INVALID_LOGIN``), skipped on public routes;
4. governance: over the concurrency limit -> 429 ``CONCURRENCY_LIMIT_EXCEEDED`` at once (RESTlets: 400
   ``SSS_REQUEST_LIMIT_EXCEEDED``); the slot is held until the answer is ready, released on every path;
5. latency: fixed + uniform jitter, per route name if configured;
6. faults: scripted first, then by probability (seeded RNG);
7. ``Prefer: respond-async`` -> ``await emu.jobs.handle_async(req, emu.router.dispatch)``;
8. the route handler.

Examples:
    ```python
    emu = Emulator(EmulatorConfig(concurrency=3, latency=0.01))
    emu.faults.script(match="POST /record/v1/customer", kind="error_after")
    print(emu.counters.snapshot())
    ```
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import anyio

from netsuite_async.testing._app import (
    REST_PREFIX,
    EmulatorApp,
    EmuRequest,
    EmuResponse,
    Router,
    html_response,
    ns_error,
    restlet_error,
)
from netsuite_async.testing._dialect import Dialect
from netsuite_async.testing._governance import LIMIT_DETAIL, ConcurrencyGate

if TYPE_CHECKING:
    from netsuite_async.testing._store import Store

__all__ = [
    "Counters",
    "Emulator",
    "EmulatorConfig",
    "FaultKind",
    "Faults",
    "LogEntry",
    "ScriptedFault",
]

RESTLET_PATH = "/app/site/hosting/restlet.nl"
FaultKind = Literal["error_before", "error_after", "slow", "drop", "html"]
_FAULT_KINDS: tuple[str, ...] = ("error_before", "error_after", "slow", "drop", "html")


def canonical_account(value: str) -> str:
    """``1234567-sb1`` -> ``1234567_SB1`` (the foundation's parser when available).

    Examples:
        ```python
        assert canonical_account("1234567-sb1") == "1234567_SB1"
        ```
    """
    try:
        from netsuite_async.account import Account

        return Account.parse(value).account_id
    except ImportError:  # pragma: no cover - the foundation always ships account.py
        return value.strip().upper().replace("-", "_")


@dataclass
class EmulatorConfig:
    """Everything that shapes one emulated account.

    ``route_latency`` maps a route name (``"record.get"``, ``"suiteql"``, …; see ``emu.router``) to
    ``(fixed, jitter)`` seconds, overriding ``latency``/``jitter`` for that route.

    Examples:
        ```python
        config = EmulatorConfig(account="1234567_SB1", concurrency=5, latency=0.02, jitter=0.01)
        ```
    """

    account: str = "1234567_SB1"
    concurrency: int = 5
    latency: float = 0.0
    jitter: float = 0.0
    route_latency: dict[str, tuple[float, float]] = field(default_factory=dict)
    batch_collections: bool = True
    governance_readable: bool = True
    integration_limit: int | None = None
    #: Slots the administrator gave to *other* integrations (Integration Governance page). They are not
    #: available to this integration: governanceLimits reports ``accountUnallocatedConcurrencyLimit`` =
    #: ``concurrency - integration_limit - allocated_to_others``, and a client without a share of its own is
    #: admitted only up to that unallocated limit.
    allocated_to_others: int = 0
    rng_seed: int = 0
    request_log_size: int = 1000
    slow_fault_seconds: float = 120.0
    max_results: int = 100_000
    #: How the emulator answers where NetSuite's documentation is silent (see ``_dialect.Dialect``). A Dialect,
    #: a dict of its fields, ``"strictest"``, or a dialect file path; normalised to a Dialect.
    dialect: Dialect = field(default_factory=Dialect)

    def __post_init__(self) -> None:
        self.account = canonical_account(self.account)
        self.dialect = Dialect.coerce(self.dialect)
        if not isinstance(self.concurrency, int) or isinstance(self.concurrency, bool) or self.concurrency < 1:
            raise ValueError(f"concurrency must be an int >= 1, got {self.concurrency!r}")
        if self.latency < 0 or self.jitter < 0:
            raise ValueError("latency and jitter must be >= 0")
        if self.integration_limit is not None and not 1 <= self.integration_limit <= self.concurrency:
            raise ValueError("integration_limit must be between 1 and concurrency")
        others = self.allocated_to_others
        if isinstance(others, bool) or not isinstance(others, int) or others < 0:
            raise ValueError(f"allocated_to_others must be an int >= 0, got {others!r}")
        if (self.integration_limit or 0) + others > self.concurrency - (0 if self.integration_limit else 1):
            raise ValueError(
                "integration_limit + allocated_to_others must leave room in concurrency (an integration without "
                "a share of its own needs at least 1 unallocated slot)"
            )

    @property
    def unallocated(self) -> int:
        """The account's limit minus every integration-specific share (``accountUnallocatedConcurrencyLimit``).

        Examples:
            ```python
            assert EmulatorConfig(concurrency=20, allocated_to_others=5).unallocated == 15
            ```
        """
        return self.concurrency - (self.integration_limit or 0) - self.allocated_to_others


@dataclass
class Counters:
    """What tests assert on. ``snapshot()`` gives a plain dict.

    Examples:
        ```python
        assert fake.emulator.counters.max_in_flight <= 5
        ```
    """

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    limited: int = 0
    writes: int = 0
    duplicate_writes: int = 0
    auth_failures: int = 0
    faults: int = 0
    per_route: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> dict[str, Any]:
        """A copy as a dict.

        Examples:
            ```python
            before = emu.counters.snapshot()
            ```
        """
        return {
            "requests": self.requests,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "limited": self.limited,
            "writes": self.writes,
            "duplicate_writes": self.duplicate_writes,
            "auth_failures": self.auth_failures,
            "faults": self.faults,
            "per_route": dict(self.per_route),
        }

    def reset(self) -> None:
        """Zero every counter except ``in_flight`` (requests may be running).

        Examples:
            ```python
            emu.counters.reset()
            ```
        """
        in_flight = self.in_flight
        self.__init__()  # type: ignore[misc]
        self.in_flight = in_flight


@dataclass(frozen=True)
class LogEntry:
    """One finished request in the bounded request log.

    Examples:
        ```python
        assert emu.request_log[-1].status == 204
        ```
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    auth: str | None
    duration: float
    route: str | None
    fault: str | None = None


Matcher = Callable[[EmuRequest], bool]


@dataclass
class ScriptedFault:
    """A fault waiting for matching requests (``times`` left; ``None`` = forever).

    Examples:
        ```python
        emu.faults.script(match="GET /record/v1/customer/", kind="html", times=2)
        ```
    """

    match: Matcher
    kind: FaultKind
    times: int | None = 1
    status: int = 500
    apply: bool = False
    seconds: float | None = None


def _matcher(match: str | Matcher | None) -> Matcher:
    if match is None:
        return lambda req: True
    if callable(match):
        return match
    text = match.strip()
    method: str | None = None
    if " " in text:
        method, text = text.split(" ", 1)
        method = method.upper()
        text = text.strip()
    prefix = text if text.startswith((REST_PREFIX, "/app/")) else REST_PREFIX + text

    def matches(req: EmuRequest) -> bool:
        return (method is None or req.method == method) and req.path.startswith(prefix)

    return matches


class Faults:
    """Injected failures, scripted for particular requests or random with a seeded RNG.

    Kinds: ``error_before`` (5xx, nothing applied), ``error_after`` (the request is applied, then 500),
    ``slow`` (sleeps ``seconds``, default ``config.slow_fault_seconds``, then answers; ``apply=False`` answers
    500 without applying), ``drop`` (the connection breaks; ``apply=True`` applies the request first),
    ``html`` (a proxy's HTML 502 page; nothing applied).

    Examples:
        ```python
        emu.faults.script(match="POST /record/v1/customer", kind="error_after")
        emu.faults.set_probability("error_before", 0.05)
        ```
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.scripted: list[ScriptedFault] = []
        self.probabilities: dict[FaultKind, float] = {}
        self.injected: Counter[str] = Counter()

    def script(
        self,
        match: str | Matcher | None = None,
        kind: FaultKind = "error_before",
        times: int | None = 1,
        *,
        status: int = 500,
        apply: bool | None = None,
        seconds: float | None = None,
    ) -> ScriptedFault:
        """Fail the next ``times`` requests that match.

        ``match``: ``None`` (any request), ``"METHOD /path-prefix"`` or ``"/path-prefix"`` (paths under
        ``/services/rest`` unless they start with ``/services/rest`` or ``/app/``), or a predicate on the
        request.

        Examples:
            ```python
            emu.faults.script(match="POST /record/v1/customer", kind="drop", apply=True)
            ```
        """
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(_FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if not 500 <= status <= 599:
            raise ValueError("a fault status must be a 5xx")
        default_apply = kind in ("error_after", "slow")
        fault = ScriptedFault(_matcher(match), kind, times, status, default_apply if apply is None else apply, seconds)
        self.scripted.append(fault)
        return fault

    def set_probability(self, kind: FaultKind, probability: float) -> None:
        """Make ``kind`` happen to each request with this probability (0 turns it off).

        Examples:
            ```python
            emu.faults.set_probability("html", 0.01)
            ```
        """
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if probability:
            self.probabilities[kind] = probability
        else:
            self.probabilities.pop(kind, None)

    def clear(self) -> None:
        """Forget every scripted fault and probability.

        Examples:
            ```python
            emu.faults.clear()
            ```
        """
        self.scripted.clear()
        self.probabilities.clear()

    def pick(self, req: EmuRequest) -> ScriptedFault | None:
        """The fault for this request, if any (consumes one use of a scripted fault).

        Examples:
            ```python
            fault = emu.faults.pick(req)
            ```
        """
        for i, fault in enumerate(self.scripted):
            if fault.match(req):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        del self.scripted[i]
                self.injected[fault.kind] += 1
                return fault
        for kind, p in self.probabilities.items():
            if self._rng.random() < p:
                self.injected[kind] += 1
                return ScriptedFault(
                    lambda r: True,
                    kind,
                    None,
                    500,
                    kind in ("error_after", "slow"),
                )
        return None


class _FallbackJobs:
    """Used until the async-job machinery (``_jobs.py``) is present."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def handle_async(self, req: EmuRequest, dispatch: Any) -> EmuResponse:
        return ns_error(400, "INVALID_REQUEST", "Asynchronous requests are not available in this emulator.")

    def register(self, router: Router) -> None:
        return None


def _iso_ms(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{round(ts * 1000) % 1000:03d}Z"


class WriteClock:
    """Timestamps for ``dateCreated``/``lastModifiedDate``: real time, strictly increasing per write.

    Two writes within one millisecond get timestamps one millisecond apart, so SuiteQL polling on
    ``lastmodifieddate`` can never see two writes with one value.

    Examples:
        ```python
        clock = WriteClock(); a = clock.next(); b = clock.next(); assert a < b
        ```
    """

    def __init__(self) -> None:
        self._last_ms = 0

    def bump_to(self, iso: str) -> None:
        """Never hand out a time before ``iso`` (seed data may sit in the future relative to it).

        Examples:
            ```python
            clock.bump_to("2024-01-01T00:00:00.000Z")
            ```
        """
        import calendar

        base = calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))
        ms = base * 1000 + int(iso[20:23] or 0)
        self._last_ms = max(self._last_ms, ms)

    def next(self) -> str:
        """The next write's timestamp (ISO-8601 UTC, millisecond precision).

        Examples:
            ```python
            now = clock.next()
            ```
        """
        ms = max(int(time.time() * 1000), self._last_ms + 1)
        self._last_ms = ms
        return _iso_ms(ms / 1000)


class Emulator:
    """One emulated NetSuite account: store, auth, counters, faults, routes and the ASGI ``app``.

    Examples:
        ```python
        emu = Emulator(EmulatorConfig(concurrency=5))
        transport = httpx2.ASGITransport(app=emu.app)
        ```
    """

    def __init__(self, config: EmulatorConfig | None = None, *, credentials: Any = None) -> None:
        from netsuite_async.testing import _governance, _metadata, _records, _restlets
        from netsuite_async.testing._store import Store

        self.config = config or EmulatorConfig()
        self.rng = random.Random(self.config.rng_seed)
        self.counters = Counters()
        self.request_log: deque[LogEntry] = deque(maxlen=self.config.request_log_size)
        self.faults = Faults(random.Random(self.config.rng_seed + 1))
        self.gate = ConcurrencyGate(self.config.integration_limit or self.config.unallocated)
        self.clock = WriteClock()
        self.store: Store = Store(self.clock)
        from netsuite_async.testing._seed import seed_base

        seed_base(self)
        self._payload_hashes: set[str] = set()
        self.router = Router()
        self.records: Any = None  # the RecordService, set by _records.register

        from netsuite_async.testing._auth import EmulatorAuth

        self.auth: Any = EmulatorAuth(self, credentials=credentials)
        self.credentials: Any = self.auth.credentials
        self.auth.register(self.router)
        _governance.register(self.router, self)
        _metadata.register(self.router, self)
        self.restlets = _restlets.RestletRegistry(self)
        self.restlets.register_routes(self.router)
        self.jobs: Any = self._make_jobs()
        self.jobs.register(self.router)
        self._register_suiteql()
        _records.register(self.router, self)
        self.app = EmulatorApp(self)

    def _make_jobs(self) -> Any:
        try:
            from netsuite_async.testing._jobs import JobManager
        except ImportError:
            return _FallbackJobs(self)
        return JobManager(self)

    def _register_suiteql(self) -> None:
        try:
            from netsuite_async.testing import _suiteql
        except ImportError:
            return
        _suiteql.register(self.router, self)

    # ----------------------------------------------------------------- bookkeeping for handlers
    def record_write(self, record_type: str | None = None, body: Any = None, *, create: bool = False) -> None:
        """Count one applied write; a create whose (type, canonical body) was seen before is a duplicate.

        Examples:
            ```python
            emu.record_write("customer", body, create=True)
            ```
        """
        self.counters.writes += 1
        if create and record_type is not None:
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
            digest = hashlib.sha256(f"{record_type.lower()}\n{canonical}".encode()).hexdigest()
            if digest in self._payload_hashes:
                self.counters.duplicate_writes += 1
            else:
                self._payload_hashes.add(digest)

    def log_entries(self, method: str | None = None, path_prefix: str | None = None) -> Iterator[LogEntry]:
        """Request-log entries filtered by method and path prefix (under ``/services/rest`` by default).

        Examples:
            ```python
            posts = list(emu.log_entries("POST", "/record/v1/customer"))
            ```
        """
        prefix = None
        if path_prefix is not None:
            prefix = path_prefix if path_prefix.startswith((REST_PREFIX, "/app/")) else REST_PREFIX + path_prefix
        for e in self.request_log:
            if (method is None or e.method == method.upper()) and (prefix is None or e.path.startswith(prefix)):
                yield e

    # ----------------------------------------------------------------- the pipeline
    async def handle(self, req: EmuRequest) -> EmuResponse | None:
        """Run one request through the pipeline; ``None`` means "drop the connection".

        Examples:
            ```python
            response = await emu.handle(req)
            ```
        """
        started = time.perf_counter()
        counters = self.counters
        counters.requests += 1
        fault_kind: str | None = None
        response: EmuResponse | None = None
        try:
            problem = self.router.resolve(req)
            if problem is not None:
                response = problem
                return response
            route = req.route
            assert route is not None
            counters.per_route[route.name] += 1
            if route.public:
                response = await self.router.dispatch(req)
                return response
            problem = await self.auth.authenticate(req)
            if problem is not None:
                response = problem
                return response
            gate = self.gate
            if not gate.try_enter():
                counters.limited += 1
                if req.path == RESTLET_PATH:
                    response = restlet_error(400, "SSS_REQUEST_LIMIT_EXCEEDED", LIMIT_DETAIL)
                else:
                    response = ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", LIMIT_DETAIL)
                return response
            counters.in_flight = gate.in_flight
            counters.max_in_flight = gate.max_in_flight
            try:
                response, fault_kind = await self._inside_slot(req, route.name)
                return response
            finally:
                gate.leave()
                counters.in_flight = gate.in_flight
        finally:
            self.request_log.append(
                LogEntry(
                    req.method,
                    req.path,
                    tuple(req.query),
                    response.status if response is not None else 0,
                    getattr(req.auth, "kind", None),
                    time.perf_counter() - started,
                    req.route.name if req.route is not None else None,
                    fault_kind,
                )
            )

    async def _inside_slot(self, req: EmuRequest, route_name: str) -> tuple[EmuResponse | None, str | None]:
        config = self.config
        fixed, jitter = config.route_latency.get(route_name, (config.latency, config.jitter))
        delay = fixed + (self.rng.uniform(0.0, jitter) if jitter else 0.0)
        if delay > 0:
            await anyio.sleep(delay)
        fault = self.faults.pick(req) if (self.faults.scripted or self.faults.probabilities) else None
        if fault is not None:
            self.counters.faults += 1
            return await self._apply_fault(req, fault), fault.kind
        return await self._run(req), None

    async def _run(self, req: EmuRequest) -> EmuResponse:
        prefer = req.headers.get("prefer")
        if prefer is not None and "respond-async" in prefer.lower():
            result: EmuResponse = await self.jobs.handle_async(req, self.router.dispatch)
            return result
        return await self.router.dispatch(req)

    async def _apply_fault(self, req: EmuRequest, fault: ScriptedFault) -> EmuResponse | None:
        kind = fault.kind
        if kind == "error_before":
            return ns_error(fault.status, "UNEXPECTED_ERROR", "An unexpected error occurred.")
        if kind == "html":
            return html_response(502, "502 Bad Gateway", "The proxy server received an invalid response.")
        if kind == "error_after":
            await self._run(req)
            return ns_error(fault.status, "UNEXPECTED_ERROR", "An unexpected error occurred.")
        if kind == "slow":
            await anyio.sleep(fault.seconds if fault.seconds is not None else self.config.slow_fault_seconds)
            if fault.apply:
                return await self._run(req)
            return ns_error(fault.status, "UNEXPECTED_ERROR", "An unexpected error occurred.")
        # drop
        if fault.apply:
            await self._run(req)
        return None
