"""The default, in-process governor: a FIFO slot pool whose size adapts to NetSuite's 429s.

Why adaptive: the account's limit is shared by every integration and process using it, so the configured
ceiling is an upper bound, not a promise. The limit itself is :class:`~netsuite_async.governor._aimd.
LimitController` (slow start from NetSuite's floor of 5, one cut to the in-flight estimate on a 429, rare
probing above a level that failed); this module is the actuator around it:

* **Slots, first come first served.** A caller that finds a free slot and nobody queued takes it at once (no
  event, no lock); otherwise it queues, and released slots are handed to the queue's head.
* **The in-flight estimate.** When a 429 arrives, the attempts still in flight (abandoned ghosts included, the
  refused one not) are what the account holds for this client right now.
* **Ghost slots.** NetSuite keeps running a request whose client went away. An attempt whose slot is left by an
  exception (cancelled, timed out, connection dropped) without a recorded outcome may still be running there, so
  its slot stays counted for about the recent median latency (the attempt's own age before any latency is known,
  at most ``max_ghost`` seconds) and is then released. Without it, a storm of cancellations frees every slot at
  once, the next requests meet the still-running ones and get real 429s, and the limit is cut for nothing.
  An outcome recorded explicitly (FAILURE for "never reached NetSuite") releases the slot at once.
* **Refused slots cool down.** A 429 says the account is full; it frees a slot only when a request running there
  ends. The refused attempt's slot is kept for half the recent median latency, so a client squeezed to a small
  share asks about twice per latency instead of once per network round trip. After a slow-start burst it costs
  little: the attempts still running end about then anyway.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

import anyio

from netsuite_async.governor._aimd import LimitController
from netsuite_async.governor.base import AimdSettings, GovernorStats, Outcome

__all__ = ["AdaptiveGovernor"]

_LATENCY_SAMPLES = 64


class _Waiter:
    __slots__ = ("event", "granted", "permit")

    def __init__(self, permit: _Permit) -> None:
        self.event = anyio.Event()
        self.granted = False
        self.permit = permit


class _Permit:
    __slots__ = ("_gov", "_outcome", "generation", "seq", "started")

    def __init__(self, gov: AdaptiveGovernor) -> None:
        self._gov = gov
        self._outcome: Outcome | None = None
        self.generation = 0
        self.seq = 0
        self.started = 0.0

    def record(self, outcome: Outcome) -> None:
        if self._outcome is None:
            self._outcome = outcome

    async def __aenter__(self) -> _Permit:
        await self._gov._acquire(self)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        outcome = self._outcome
        if outcome is None:
            # Left by an exception with nothing recorded: cancelled or failed while NetSuite may be running it.
            self._gov._release(self, None if exc_type is not None else Outcome.FAILURE)
        else:
            self._gov._release(self, outcome)


class AdaptiveGovernor:
    """An in-process adaptive governor (the default when ``concurrency=`` is an int, a tier or ``"auto"``).

    Args:
        ceiling: the most slots ever granted at once (the account's or the integration's limit).
        adaptive: False grants exactly ``ceiling`` slots, no slow start, no cuts (ghost slots still apply).
        initial: where slow start begins (default NetSuite's floor, 5, or the ceiling when lower).
        probe_slowdown: how much slower the limit grows past the level that last failed (see ``_aimd``).
        probe_memory: seconds after the last 429 at which that level is forgotten.
        max_ghost: the longest a ghost slot is kept, in seconds.
        clock: a monotonic clock in seconds for latencies and the 429 memory (tests pass a fake one; ghost
            timers also follow the event loop's clock).
        backoff_ratio: accepted for compatibility with earlier versions; the cut now goes to the in-flight
            estimate instead of a fixed ratio.

    Examples:
        >>> import anyio
        >>> async def main() -> int:
        ...     gov = AdaptiveGovernor(15)
        ...     async with gov.slot() as permit:
        ...         permit.record(Outcome.SUCCESS)
        ...     return gov.stats().acquired
        >>> anyio.run(main)
        1
    """

    def __init__(
        self,
        ceiling: int,
        *,
        adaptive: bool = True,
        initial: int | None = None,
        probe_slowdown: float = 8.0,
        probe_memory: float = 60.0,
        max_ghost: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        backoff_ratio: float = 0.7,
    ) -> None:
        settings = AimdSettings(
            adaptive=adaptive, initial=initial, probe_slowdown=probe_slowdown, probe_memory=probe_memory,
            backoff_ratio=backoff_ratio,
        )
        if max_ghost < 0:
            raise ValueError("max_ghost must be >= 0")
        self._ctl = LimitController.from_settings(ceiling, settings)
        self._limit = self._ctl.limit  # cached: read on every grant
        self._clock = clock
        self._max_ghost = max_ghost
        self._in_flight = 0  # live attempts + ghosts
        self._live: dict[int, float] = {}  # seq -> grant time of the attempts holding a slot (in_flight - ghosts)
        # Heap of (expires at [event loop clock], seq, still running at NetSuite?): abandoned attempts (running) and
        # refused ones cooling down (not running).
        self._ghosts: list[tuple[float, int, bool]] = []
        self._waiters: deque[_Waiter] = deque()
        self._timer: _Waiter | None = None  # the waiter whose wait also times the next ghost's expiry
        self._timer_deadline = math.inf
        self._latencies: deque[float] = deque(maxlen=_LATENCY_SAMPLES)
        self._seq = 0
        self._acquired = 0
        self._limited = 0

    # -- public API -------------------------------------------------------------------------------------------
    def slot(self) -> _Permit:
        """Hold one slot for one HTTP attempt: ``async with gov.slot() as permit: ...``."""
        return _Permit(self)

    def stats(self) -> GovernorStats:
        """Limit, ceiling, in flight (ghosts included), waiting, acquired, 429s seen, cuts and ghosts, now."""
        if self._ghosts:
            self._reap(anyio.current_time())
        return GovernorStats(
            limit=self._limit,
            ceiling=self._ctl.ceiling,
            in_flight=self._in_flight,
            waiting=len(self._waiters),
            acquired=self._acquired,
            limited=self._limited,
            cuts=self._ctl.cuts,
            ghosts=len(self._ghosts),
        )

    @property
    def limit(self) -> int:
        """Slots granted at once right now."""
        return self._limit

    @property
    def controller(self) -> LimitController:
        """The limit's state machine (read-only use: slow start, failed level, generation).

        Examples:
            >>> AdaptiveGovernor(15).controller.slow_start
            True
        """
        return self._ctl

    def median_latency(self) -> float | None:
        """The median duration of recent answered attempts, in seconds (None before the first answer).

        Examples:
            >>> AdaptiveGovernor(5).median_latency() is None
            True
        """
        if not self._latencies:
            return None
        ordered = sorted(self._latencies)
        return ordered[len(ordered) // 2]

    def set_ceiling(self, ceiling: int) -> None:
        """Change the ceiling (NetSuite just told the real share). The limit keeps its level, capped by the new
        ceiling; slow start carries on toward it unless a 429 already ended it."""
        self._ctl.set_ceiling(ceiling)
        self._limit = self._ctl.limit
        self._wake()

    async def aclose(self) -> None:
        """Nothing to release for the in-process governor."""

    def __repr__(self) -> str:
        s = self.stats()
        return (f"AdaptiveGovernor(limit={s.limit}, ceiling={s.ceiling}, in_flight={s.in_flight}, "
                f"waiting={s.waiting}, ghosts={s.ghosts})")

    # -- mechanics --------------------------------------------------------------------------------------------
    def _grant(self, permit: _Permit) -> None:
        self._seq += 1
        seq = self._seq
        permit.seq = seq
        permit.generation = self._ctl.generation
        permit.started = self._clock()
        self._live[seq] = permit.started
        self._in_flight += 1
        self._acquired += 1

    async def _acquire(self, permit: _Permit) -> None:
        if self._ghosts:
            self._reap(anyio.current_time())
        if not self._waiters and self._in_flight < self._limit:
            self._grant(permit)
            # A checkpoint keeps one hot caller from starving the event loop, as a real wait would not.
            try:
                await anyio.lowlevel.checkpoint()
            except BaseException:
                self._free(permit)
                raise
            return
        waiter = _Waiter(permit)
        self._waiters.append(waiter)
        try:
            while True:
                if self._ghosts and self._timer is None and self._waiters and self._waiters[0] is waiter:
                    # Ghosts expire by the clock, not by a release: the head of the queue waits with a deadline.
                    self._timer = waiter
                    self._timer_deadline = deadline = self._ghosts[0][0]
                    try:
                        with anyio.CancelScope(deadline=deadline):
                            await waiter.event.wait()
                    finally:
                        if self._timer is waiter:
                            self._timer = None
                else:
                    await waiter.event.wait()
                if waiter.granted:
                    return
                # Woken to time the ghosts, or the ghost deadline passed: reap, then wait again.
                waiter.event = anyio.Event()
                self._reap(anyio.current_time())
                if waiter.granted:
                    return
        except BaseException:
            if waiter.granted:
                # Granted and cancelled in the same breath: the request was never sent; hand the slot on.
                self._free(permit)
            else:
                self._waiters.remove(waiter)
                self._rearm()
            raise

    def _free(self, permit: _Permit) -> None:
        """Give a slot back that was granted but never used for a request."""
        del self._live[permit.seq]
        self._in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        waiters = self._waiters
        limit = self._limit
        while waiters and self._in_flight < limit:
            waiter = waiters.popleft()
            waiter.granted = True
            self._grant(waiter.permit)
            waiter.event.set()
        self._rearm()

    def _rearm(self) -> None:
        # The queue's head must time the next ghost expiry: nudge it when nobody does, or when a ghost now expires
        # before the deadline it waits for (it wakes, sees it was not granted, and waits again with a deadline).
        if not self._ghosts or not self._waiters:
            return
        timer = self._timer
        if timer is None:
            head = self._waiters[0]
            if not head.granted:
                head.event.set()
        elif self._ghosts[0][0] < self._timer_deadline and not timer.granted:
            timer.event.set()

    def _reap(self, now: float) -> None:
        ghosts = self._ghosts
        freed = False
        while ghosts and ghosts[0][0] <= now:
            heapq.heappop(ghosts)
            self._in_flight -= 1
            freed = True
        if freed:
            self._wake()

    def _release(self, permit: _Permit, outcome: Outcome | None) -> None:
        seq = permit.seq
        ctl = self._ctl
        busy = self._in_flight >= self._limit or bool(self._waiters)
        del self._live[seq]
        if outcome is Outcome.SUCCESS:
            now = self._clock()
            self._latencies.append(now - permit.started)
            if busy:
                ctl.on_success(now, busy=True)
            self._limit = ctl.limit
        elif outcome is Outcome.LIMITED:
            self._limited += 1
            if ctl.adaptive:
                ctl.on_limited(self._clock(), generation=permit.generation, estimate=self._running(permit))
                self._limit = ctl.limit
            # The account was full: it frees a slot only when one of the requests running there ends. Asking
            # again at once (the next queued caller would) is a 429 per network round trip; the refused slot
            # cools down for half the median latency instead. After a slow-start overshoot this costs little:
            # the attempts still running end about then.
            median = self.median_latency()
            if median is not None and self._max_ghost > 0:
                hold = min(median / 2, self._max_ghost)
                heapq.heappush(self._ghosts, (anyio.current_time() + hold, seq, False))
                self._rearm()
                return
        elif outcome is None:
            # Abandoned in flight: NetSuite may still be running it. Keep the slot as a ghost for a while.
            median = self.median_latency()
            hold = min(self._max_ghost, median if median is not None else self._clock() - permit.started)
            if hold > 0:
                heapq.heappush(self._ghosts, (anyio.current_time() + hold, seq, True))
                self._rearm()
                return
        self._in_flight -= 1
        self._wake()

    def _running(self, refused: _Permit) -> int:
        """This client's attempts that were running at NetSuite when ``refused`` was turned away: live ones and
        abandoned ghosts. A live attempt sent more than 1.5 median latencies before the refused one has most
        likely been answered already, its answer not yet read (a busy event loop): it is not counted."""
        median = self.median_latency()
        if median is None:
            live = len(self._live)
        else:
            cutoff = refused.started - 1.5 * median
            live = sum(1 for started in self._live.values() if started >= cutoff)
        return live + sum(1 for _, _, running in self._ghosts if running)
