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
from collections import deque
from collections.abc import Iterator
from typing import Any

import anyio

from netsuite_async.testing import (
    _auth,
    _governance,
    _jobs_routes,
    _metadata_routes,
    _records_routes,
    _restlets,
    _suiteql_routes,
)
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
from netsuite_async.testing._auth import EmulatorAuth
from netsuite_async.testing._auth_credentials import EmulatorCredentials
from netsuite_async.testing._clock import WriteClock
from netsuite_async.testing._config import EmulatorConfig, canonical_account
from netsuite_async.testing._counters import Counters, LogEntry
from netsuite_async.testing._faults import FaultKind, Faults, Matcher, ScriptedFault
from netsuite_async.testing._governance import LIMIT_DETAIL, ConcurrencyGate
from netsuite_async.testing._jobs import JobManager
from netsuite_async.testing._records_domain import RecordService
from netsuite_async.testing._restlets import RestletRegistry
from netsuite_async.testing._seed import seed_base
from netsuite_async.testing._state import EmulatorState, RouteRegistration
from netsuite_async.testing._store import Store

__all__ = [
    "ROUTE_MODULES",
    "Counters",
    "Emulator",
    "EmulatorConfig",
    "EmulatorState",
    "FaultKind",
    "Faults",
    "LogEntry",
    "Matcher",
    "ScriptedFault",
    "WriteClock",
    "canonical_account",
]

RESTLET_PATH = "/app/site/hosting/restlet.nl"

#: Every route module's ``register(router, state)``, in registration order (the metadata catalog before the
#: record service, whose paths look alike; the job service's collection routes before the record routes).
ROUTE_MODULES: tuple[RouteRegistration, ...] = (
    _auth.register,
    _governance.register,
    _metadata_routes.register,
    _restlets.register,
    _jobs_routes.register,
    _suiteql_routes.register,
    _records_routes.register,
)


class Emulator:
    """One emulated NetSuite account: store, auth, counters, faults, routes and the ASGI ``app``.

    Examples:
        ```python
        emu = Emulator(EmulatorConfig(concurrency=5))
        transport = httpx2.ASGITransport(app=emu.app)
        ```
    """

    def __init__(self, config: EmulatorConfig | None = None, *, credentials: Any = None) -> None:
        self.config = config or EmulatorConfig()
        self.rng = random.Random(self.config.rng_seed)
        self.counters = Counters()
        self.request_log: deque[LogEntry] = deque(maxlen=self.config.request_log_size)
        self.faults = Faults(random.Random(self.config.rng_seed + 1))
        self.gate = ConcurrencyGate(self.config.integration_limit or self.config.unallocated)
        self.clock = WriteClock()
        self.store: Store = Store(self.clock)
        seed_base(self)
        self._payload_hashes: set[str] = set()
        self.router = Router()
        self.auth: EmulatorAuth = EmulatorAuth(self, credentials=credentials)
        self.credentials: EmulatorCredentials = self.auth.credentials
        self.restlets: RestletRegistry = RestletRegistry(self)
        self.jobs: JobManager = JobManager(self)
        self.records: RecordService = RecordService(self)
        for register in ROUTE_MODULES:
            register(self.router, self)
        self.app = EmulatorApp(self)

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
