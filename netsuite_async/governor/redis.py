"""One concurrency limit shared by every process and machine using a NetSuite account, kept in Redis.

NetSuite enforces one pool of concurrent requests per account, shared by every worker, job and scheduler. An
in-process governor cannot see the others; `RedisGovernor` can. Each slot is a *lease* in Redis:

* taken and given back by Lua scripts that read Redis's own clock (``TIME``), so the decision is atomic and no
  process's clock matters;
* renewed while held (a small task next to each held slot renews it every ``lease_ttl / 4``), and reclaimed
  when its holder dies: a SIGKILLed worker's slots return to the pool within ``lease_ttl`` (2 s by default);
* handed to *live* waiters first come, first served (a ticket queue in a sorted set). A waiting caller
  heartbeats its ticket every ``ticket_ttl / 4``; a ticket not renewed for ``ticket_ttl`` (1 s by default) is
  dropped. A slot handed to a ticket is only reserved until the waiter claims it, and goes to the next live
  waiter if it does not claim it by the time its ticket would have lapsed. A waiter is woken by a push to its
  own list (``BLPOP``), not by polling; its heartbeat doubles as the check in case a wake-up was lost;
* adaptive for everyone, by `AdaptiveGovernor`'s algorithm: the limit is `LimitController`'s, its state kept in
  Redis. A script gives a slot back and measures, in the same atomic step, what the controller needs (was the
  pool busy; how many attempts, every process's, were running at NetSuite when a 429 came back); this process
  runs the controller and writes the new state back by compare-and-set on its version, re-applying its
  observation to the winner's state after a lost race. So a fleet decides as one local governor would;
* with ghost and cooling slots as in `AdaptiveGovernor`, kept as leases, so they lapse even if their process dies.

redis-py's asyncio client runs on asyncio only, so this governor does too. Key names hold no secrets:
``{<key>}:`` + ``leases``, ``queue``, ``tickets``, ``state``, ``started``, ``ghosts``, ``cooling``, ``grant:<ticket>``.
"""

from __future__ import annotations

import itertools
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any

import anyio
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from netsuite_async._checks import is_int
from netsuite_async.errors import GovernorUnavailableError
from netsuite_async.governor import _redis_lua as lua
from netsuite_async.governor._aimd import LimitController
from netsuite_async.governor._redis_lease import (
    _Adaptation,
    _check_options,
    _connect,
    _Lease,
    _Report,
    _require_asyncio,
    _unavailable_error,
    redact_redis_url,
)
from netsuite_async.governor.base import AimdSettings, GovernorStats, Outcome, Permit, ServiceTier
from netsuite_async.governor.local import AdaptiveGovernor

__all__ = ["GovernorUnavailableError", "RedisGovernor", "redact_redis_url"]

logger = logging.getLogger("netsuite_async.governor.redis")

class RedisGovernor:
    """A `Governor` whose slots are leases in Redis, shared by every process.

    Args:
        redis: a Redis URL (``redis://host:6379/0``, ``rediss://…``, ``unix://…``) or a
            ``redis.asyncio.Redis`` client. A client you pass stays yours (`aclose` leaves it open);
            one made from a URL is closed.
        key: names the shared pool; every process sharing one NetSuite account must use the same key (e.g. the
            account id). Holds no secret.
        limit: the account's (or this integration's) concurrency limit, an int or a
            `ServiceTier`. The ceiling is shared: each governor declares its
            ``limit`` on its first Redis call (the latest declaration wins) and then follows the stored one.
        lease_ttl: seconds a held slot's lease lives without renewal: the longest a dead (SIGKILLed) worker's
            slots stay taken. Renewed every ``lease_ttl / 4`` while held, so a holder whose event loop is
            blocked for more than about ``3/4 * lease_ttl`` can lose its lease (a warning is logged).
        ticket_ttl: seconds a waiting caller's ticket lives without a heartbeat: the longest a dead worker's
            queued callers can be handed slots. A slot handed to a ticket and not claimed by the time the
            ticket would have lapsed (at least ``ticket_ttl / 4``) goes to the next live waiter.
        poll_interval: the waiter's heartbeat: the longest it waits without a Redis call (which refreshes its
            ticket and catches a lost wake-up). Default ``ticket_ttl / 4``; at most ``ticket_ttl / 2``.
        op_timeout: seconds for one Redis round trip before Redis counts as unreachable.
        fallback: an `AdaptiveGovernor` to use (with a logged warning) while
            Redis is unreachable; without one, such calls raise `GovernorUnavailableError`.
        fallback_retry: seconds to stay on the fallback before trying Redis again.
        adaptive, initial, probe_slowdown, probe_memory: the adaptive limit's settings, as for
            ``AdaptiveGovernor`` (same defaults, checked by the same `AimdSettings`). The shared limit starts at
            ``initial`` (NetSuite's floor, 5, or the ceiling when lower) the first time the key is used.
        max_ghost: the longest an abandoned or refused attempt's slot is kept, in seconds (0: never kept).
        clock: a monotonic clock in seconds for this process's latencies (tests pass a fake one); the probe
            memory and the leases follow Redis's clock.
        backoff_ratio: accepted for compatibility with earlier versions; a cut now goes to the in-flight
            estimate, as in ``AdaptiveGovernor``.

    Timings at the defaults (``lease_ttl=2``, ``ticket_ttl=1``), after a worker is SIGKILLed: its queued
    tickets are dropped within 1 s, a slot already reserved for one of them is handed on within 1.25 s, and
    the slots it held come back within 2 s (waiters re-check right when the oldest lease would lapse, so a
    freed slot is reused at once). A waiting caller costs one Redis call per 0.25 s, a held slot one per
    0.5 s; an uncontended slot costs two round trips, as before (see docs/scaling-out.md).

    Examples:
        >>> gov = RedisGovernor("redis://localhost:6379/0", key="1234567", limit=15)
        >>> (gov.lease_ttl, gov.ticket_ttl)
        (2.0, 1.0)

        With a client (``auth`` as usual; needs a running Redis and NetSuite):

        >>> from netsuite_async import NetSuiteClient                    # doctest: +SKIP
        >>> async with NetSuiteClient(account="1234567", auth=auth, governor=gov) as ns:  # doctest: +SKIP
        ...     await ns.records.get("customer", 1)
    """

    def __init__(
        self,
        redis: str | aioredis.Redis,
        *,
        key: str,
        limit: int | ServiceTier,
        lease_ttl: float = 2.0,
        ticket_ttl: float = 1.0,
        poll_interval: float | None = None,
        op_timeout: float = 5.0,
        fallback: AdaptiveGovernor | None = None,
        fallback_retry: float = 5.0,
        adaptive: bool = True,
        initial: int | None = None,
        probe_slowdown: float = 8.0,
        probe_memory: float = 60.0,
        max_ghost: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        backoff_ratio: float = 0.7,
    ) -> None:
        limit, lease_ttl, ticket_ttl, poll_interval, max_ghost = _check_options(
            limit, key, lease_ttl, ticket_ttl, poll_interval, op_timeout, max_ghost
        )
        if fallback is not None and not hasattr(fallback, "slot"):
            raise TypeError("fallback must be a Governor such as AdaptiveGovernor(...)")
        aimd = AimdSettings(
            adaptive=adaptive, initial=initial, probe_slowdown=probe_slowdown, probe_memory=probe_memory,
            backoff_ratio=backoff_ratio,
        )
        self._adapt = _Adaptation(aimd, max_ghost, clock)
        # The controller's own checks too (probe_memory > 0), and the limit a new key starts from.
        self._start = self._adapt.start_limit(limit)
        self._redis, self._where, self._owns_client = _connect(redis, op_timeout)

        self._key = key
        self._ceiling = limit
        self._ceiling_mode = "1"  # declare this process's ceiling on first contact
        self._lease_ms = max(1, round(lease_ttl * 1000))
        self._lease_ttl = float(lease_ttl)
        self._ticket_ms = max(1, round(ticket_ttl * 1000))
        self._ticket_ttl = float(ticket_ttl)
        self._poll = float(poll_interval)
        self._op_timeout = float(op_timeout)
        self._fallback = fallback
        self._fallback_retry = fallback_retry
        self._fallback_until = -math.inf
        self._ghost_until: list[float] = []  # this process's ghost and cooling slots (time.monotonic), for stats
        self._declare_lock = anyio.Lock()
        tag = f"{{{key}}}"
        self._keys = [f"{tag}:{name}" for name in ("leases", "queue", "tickets", "state", "started", "ghosts",
                                                    "cooling")]
        self._grant_prefix = f"{tag}:grant:"
        self._ticket_prefix = secrets.token_hex(6)
        self._ticket_seq = itertools.count(1)
        self._acquire_script = self._redis.register_script(lua.ACQUIRE)
        self._release_script = self._redis.register_script(lua.RELEASE)
        self._renew_script = self._redis.register_script(lua.RENEW)
        self._peek_script = self._redis.register_script(lua.PEEK)
        self._state_script = self._redis.register_script(lua.SET_STATE)
        self._closed = False
        # A process can never hold more than the ceiling, so more of its callers than that queueing in Redis
        # would only cost a blocked connection each; the rest wait here, in order.
        self._gate = anyio.CapacityLimiter(limit)
        # What this process saw last, for the synchronous stats().
        self._shared_limit = self._start
        self._shared_cuts = 0
        self._in_flight = 0
        self._waiting = 0
        self._acquired = 0
        self._limited = 0

    # -- public API ------------------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """The name of the shared pool."""
        return self._key

    @property
    def lease_ttl(self) -> float:
        """Seconds a held slot's lease survives without renewal (it is renewed every ``lease_ttl / 4``)."""
        return self._lease_ttl

    @property
    def ticket_ttl(self) -> float:
        """Seconds a waiting caller's ticket survives without a heartbeat (sent every ``poll_interval``)."""
        return self._ticket_ttl

    def slot(self) -> AbstractAsyncContextManager[Permit]:
        """Hold one shared slot for one HTTP attempt: ``async with gov.slot() as permit: ...``.

        Raises `GovernorUnavailableError` when Redis cannot be reached (unless a fallback is set).

        Examples:
            >>> async def attempt(gov: RedisGovernor) -> None:
            ...     async with gov.slot() as permit:
            ...         permit.record(Outcome.SUCCESS)
        """
        return self._slot()

    def stats(self) -> GovernorStats:
        """This process's view: the shared limit, ceiling and cuts as of the last Redis round trip; in flight
        (its ghost and cooling slots included, as in ``AdaptiveGovernor``), waiting, acquired and 429s seen count
        this process only (see `shared_stats` for the whole pool).

        Examples:
            >>> RedisGovernor("redis://localhost:6379/0", key="acct", limit=5).stats().limit
            5
        """
        if self._fallback is not None and self._on_fallback():
            return self._fallback.stats()
        now = time.monotonic()
        self._ghost_until = ghosts = [t for t in self._ghost_until if t > now]
        return GovernorStats(limit=self._shared_limit, ceiling=self._ceiling, in_flight=self._in_flight + len(ghosts),
                             waiting=self._waiting, acquired=self._acquired, limited=self._limited,
                             cuts=self._shared_cuts, ghosts=len(ghosts))

    def median_latency(self) -> float | None:
        """The median duration of this process's recent answered attempts, in seconds (None before the first).

        Examples:
            >>> RedisGovernor("redis://localhost:6379/0", key="acct", limit=5).median_latency() is None
            True
        """
        return self._adapt.median()

    async def shared_stats(self) -> GovernorStats:
        """The whole pool, read from Redis: in flight and waiting across every process, slots granted,
        429s recorded and cuts since the key was created.

        Examples:
            >>> async def show(gov: RedisGovernor) -> None:
            ...     s = await gov.shared_stats()
            ...     print(f"{s.in_flight}/{s.limit} in flight, {s.waiting} waiting")
        """
        _require_asyncio()
        await self._declare()
        report = await self._eval(self._peek_script, [])
        return GovernorStats(limit=report.limit, ceiling=report.ceiling, in_flight=report.in_flight,
                             waiting=report.queued, acquired=report.acquired, limited=report.limited,
                             cuts=report.cuts, ghosts=report.ghosts)

    def set_ceiling(self, ceiling: int) -> None:
        """Change the shared maximum for every process (written before this process's next Redis call): the
        shared limit keeps its level, capped by the new ceiling, and slow start carries on toward it unless a
        429 already ended it, as with ``AdaptiveGovernor.set_ceiling`` (the same `LimitController.set_ceiling`).

        Examples:
            >>> gov = RedisGovernor("redis://localhost:6379/0", key="acct", limit=5)
            >>> gov.set_ceiling(25); gov.stats().ceiling
            25
        """
        if not is_int(ceiling) or ceiling < 1:
            raise ValueError(f"ceiling must be an int >= 1, got {ceiling!r}")
        self._set_local_ceiling(ceiling)
        self._shared_limit = min(self._shared_limit, ceiling)
        self._ceiling_mode = "2"
        if self._fallback is not None:
            self._fallback.set_ceiling(ceiling)

    async def aclose(self) -> None:
        """Close the Redis connection (when made from a URL) and the fallback governor.

        Leases still held elsewhere in this process are given back by their own slots; new slots are refused.

        Examples:
            >>> async def done(gov: RedisGovernor) -> None:
            ...     await gov.aclose()
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            with anyio.CancelScope(shield=True):
                await self._redis.aclose()
        if self._fallback is not None:
            await self._fallback.aclose()

    async def __aenter__(self) -> RedisGovernor:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"RedisGovernor(redis={self._where!r}, key={self._key!r}, limit={self._shared_limit}, "
            f"ceiling={self._ceiling}, in_flight={self._in_flight}, waiting={self._waiting})"
        )

    # -- the slot --------------------------------------------------------------------------------------------
    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[Permit]:
        if self._closed:
            raise RuntimeError("this RedisGovernor is closed")
        _require_asyncio()
        borrower = object()
        self._waiting += 1
        try:
            await self._gate.acquire_on_behalf_of(borrower)
        finally:
            self._waiting -= 1
        try:
            async with self._governed() as permit:
                yield permit
        finally:
            self._gate.release_on_behalf_of(borrower)

    @asynccontextmanager
    async def _governed(self) -> AsyncIterator[Permit]:
        lease: _Lease | None = None
        if not self._on_fallback():
            try:
                lease = await self._acquire()
            except GovernorUnavailableError as exc:
                if self._fallback is None:
                    raise
                self._fallback_until = anyio.current_time() + self._fallback_retry
                logger.warning(
                    "Redis at %s is unreachable (%s); using the local fallback governor for %.0f s",
                    self._where, exc, self._fallback_retry,
                )
        if lease is None:
            assert self._fallback is not None
            async with self._fallback.slot() as permit:
                yield permit
            return

        self._in_flight += 1
        body_error: BaseException | None = None
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._keep_alive, lease)
                try:
                    yield lease
                except BaseException as exc:
                    # Re-raised below, outside the task group: callers see it, not an ExceptionGroup.
                    body_error = exc
                finally:
                    tg.cancel_scope.cancel()
            if body_error is not None:
                raise body_error
        finally:
            self._in_flight -= 1
            # Shielded: a cancelled caller must still return its slot and report its 429; bounded: an
            # unreachable Redis must not hang the caller (the lease then lapses by itself within lease_ttl).
            with anyio.move_on_after(2 * self._op_timeout, shield=True) as scope:
                await self._finish(lease, abandoned=body_error is not None)
            if scope.cancelled_caught:
                logger.warning("giving a slot back timed out; it lapses within %.1f s", self._lease_ttl)

    def _on_fallback(self) -> bool:
        return self._fallback is not None and anyio.current_time() < self._fallback_until

    async def _finish(self, lease: _Lease, *, abandoned: bool) -> None:
        """Give ``lease`` back, keeping it as a ghost or cooling slot as `AdaptiveGovernor` would, and apply its
        outcome to the shared limit."""
        outcome = lease.outcome
        if outcome is Outcome.LIMITED:
            self._limited += 1
        word, hold_ms, window_ms = self._adapt.release_args(lease, abandoned=abandoned)
        try:
            report = await self._eval(self._release_script, [lease.ticket, word, hold_ms, window_ms])
            if report.granted and hold_ms:
                self._ghost_until.append(time.monotonic() + hold_ms / 1000)
            if not self._adapt.settings.adaptive:
                return
            if outcome is Outcome.SUCCESS and report.busy:
                await self._decide(report, lambda ctl, now: ctl.on_success(now, busy=True))
            elif outcome is Outcome.LIMITED:
                generation, estimate = lease.generation, report.estimate
                await self._decide(
                    report, lambda ctl, now: ctl.on_limited(now, generation=generation, estimate=estimate)
                )
        except GovernorUnavailableError as exc:
            logger.warning("could not give a slot back or update the shared limit (%s); a slot lapses "
                           "within %.1f s", exc, self._lease_ttl)

    async def _decide(
        self, report: _Report, observe: Callable[[LimitController, float], object], *, force: bool = False
    ) -> None:
        await self._adapt.decide(report, observe, lambda args: self._eval(self._state_script, args), force=force)

    async def _declare(self) -> None:
        """Write this process's ceiling into the shared state on first contact (the latest declaration wins;
        an unchanged one leaves the state alone) and after `set_ceiling`, by ``LimitController.set_ceiling``."""
        if self._ceiling_mode == "0":
            return
        async with self._declare_lock:
            mode, ceiling = self._ceiling_mode, self._ceiling
            if mode == "0":
                return

            def declare(ctl: LimitController, now: float) -> None:
                if mode == "2" or ctl.ceiling != ceiling:
                    ctl.set_ceiling(ceiling)

            await self._decide(await self._eval(self._peek_script, []), declare, force=True)
            if self._ceiling_mode == mode:
                self._ceiling_mode = "0"

    async def _acquire(self) -> _Lease:
        await self._declare()
        ticket = f"{self._ticket_prefix}:{next(self._ticket_seq)}"
        self._waiting += 1
        try:
            report = await self._eval(self._acquire_script, [ticket])
            generation = report.generation
            while not report.granted:
                wait = self._poll
                if report.next_expiry_ms >= 0:
                    # Re-check right when the oldest lease would lapse: a dead holder's slot is reclaimed
                    # within lease_ttl, not lease_ttl + poll_interval.
                    wait = min(wait, report.next_expiry_ms / 1000 + 0.005)
                popped = await self._wait_for_grant(ticket, max(wait, 0.01))
                # Either way ACQUIRE again: after a wake-up it claims the slot reserved for this ticket (a
                # grant not claimed in time went to the next waiter, and this ticket queues again); after a
                # timeout it is the ticket's heartbeat.
                report = await self._eval(self._acquire_script, [ticket])
                generation = report.generation if popped is None else min(popped, report.generation)
        except BaseException:
            # Cancelled or failed while queued: withdraw the ticket, and give back a slot granted meanwhile.
            with anyio.move_on_after(self._op_timeout, shield=True):
                try:
                    await self._eval(self._release_script, [ticket, "abandon", 0, -1])
                except GovernorUnavailableError as exc:
                    logger.warning("could not withdraw a ticket (%s); it lapses within %.1f s", exc,
                                   self._ticket_ttl)
            raise
        finally:
            self._waiting -= 1
        self._acquired += 1
        return _Lease(ticket, generation, self._adapt.now())

    async def _wait_for_grant(self, ticket: str, seconds: float) -> int | None:
        try:
            with anyio.fail_after(seconds + self._op_timeout):
                popped = await self._redis.blpop([self._grant_prefix + ticket], timeout=seconds)
        except (RedisError, OSError, TimeoutError) as exc:
            raise _unavailable_error(self._where, exc) from exc
        if popped is None:
            return None
        value = popped[1]
        return int(value.decode() if isinstance(value, bytes) else value)

    async def _keep_alive(self, lease: _Lease) -> None:
        interval = self._lease_ttl / 4
        while True:
            await anyio.sleep(interval)
            try:
                report = await self._eval(self._renew_script, [lease.ticket])
            except GovernorUnavailableError as exc:
                logger.warning(
                    "could not renew a lease (%s); it lapses in under %.1f s", exc, self._lease_ttl
                )
                continue
            if not report.granted:
                lease.lost = True
                logger.warning(
                    "a lease on %r expired while held (was the event loop blocked for more than "
                    "lease_ttl=%.1f s?); the shared limit may be exceeded until this attempt ends",
                    self._key, self._lease_ttl,
                )
                return

    # -- Redis -----------------------------------------------------------------------------------------------
    async def _eval(self, script: Any, extra: list[str | int | float]) -> _Report:
        # The ceiling and starting limit are what the scripts use while no state is stored yet.
        args = [self._grant_prefix, self._ceiling, self._start, self._lease_ms, self._ticket_ms, *extra]
        try:
            with anyio.fail_after(self._op_timeout):
                raw = await script(keys=self._keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise _unavailable_error(self._where, exc) from exc
        report = _Report.parse(raw)
        self._shared_limit = report.limit
        if report.ceiling != self._ceiling and self._ceiling_mode == "0":
            # Another process declared a new ceiling: follow it (a pending declaration of ours wins instead).
            self._set_local_ceiling(report.ceiling)
        self._shared_cuts = report.cuts
        return report

    def _set_local_ceiling(self, ceiling: int) -> None:
        self._ceiling = ceiling
        self._start = self._adapt.start_limit(ceiling)
        self._gate.total_tokens = ceiling
