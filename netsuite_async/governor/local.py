"""The default, in-process governor: a FIFO slot pool whose size adapts to NetSuite's 429s (AIMD).

Why adaptive: the account's limit is shared by every integration and process using it, so the configured
ceiling is an upper bound, not a promise. The algorithm, in the spirit of Netflix's concurrency-limits:

* **Start at the ceiling.** A well-sized client never sees a 429 and never pays for adaptation.
* **Multiplicative decrease, once per congestion episode.** A 429 cuts the limit by ``backoff_ratio``. Every
  permit carries the *generation* it was granted in; a 429 on a permit granted before the latest cut belongs to
  the episode that was already answered and does not cut again (a burst of twenty 429s is one signal, not
  twenty).
* **Additive increase, only while the limit is used.** A success grows the limit by ``1/limit`` (about one slot
  per round trip) only when the governor is actually full (slots all taken or callers waiting): an idle or
  app-limited client learns nothing about the account's capacity, so it does not grow.
* **Probe carefully above a level that failed.** After a 429 at level *n*, growth above *n-1* is
  ``probe_slowdown`` times slower, so a client that found the account's real share re-probes it rarely instead of
  oscillating. The memory fades after ``probe_memory`` seconds without a 429, so capacity freed by other
  integrations is reclaimed.
* Never above the ceiling, never below 1. Slots are handed out first come, first served.
"""

from __future__ import annotations

import math
from collections import deque
from types import TracebackType

import anyio

from netsuite_async.governor import GovernorStats, Outcome

__all__ = ["AdaptiveGovernor"]


class _Waiter:
    __slots__ = ("event", "generation", "granted")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.granted = False
        self.generation = 0


class _Permit:
    __slots__ = ("_gov", "_outcome", "generation")

    def __init__(self, gov: AdaptiveGovernor, generation: int) -> None:
        self._gov = gov
        self.generation = generation
        self._outcome: Outcome | None = None

    def record(self, outcome: Outcome) -> None:
        if self._outcome is None:
            self._outcome = outcome

    async def __aenter__(self) -> _Permit:
        # The generation is the one current when the slot was *granted*: a waiter woken before a cut but resumed
        # after it still belongs to the episode that cut, so its 429 must not cut again.
        self.generation = await self._gov._acquire()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._gov._release(self, self._outcome or Outcome.FAILURE)


class AdaptiveGovernor:
    """An in-process AIMD governor (the default when ``concurrency=`` is an int, a tier or ``"auto"``).

    Example:
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
        backoff_ratio: float = 0.7,
        probe_slowdown: float = 20.0,
        probe_memory: float = 60.0,
    ) -> None:
        if not isinstance(ceiling, int) or isinstance(ceiling, bool) or ceiling < 1:
            raise ValueError(f"ceiling must be an int >= 1, got {ceiling!r}")
        if not 0.0 < backoff_ratio < 1.0:
            raise ValueError("backoff_ratio must be between 0 and 1")
        if probe_slowdown < 1.0:
            raise ValueError("probe_slowdown must be >= 1")
        self._ceiling = ceiling
        self._limit = float(ceiling)
        self._adaptive = adaptive
        self._ratio = backoff_ratio
        self._probe_slowdown = probe_slowdown
        self._probe_memory = probe_memory
        self._in_flight = 0
        self._waiters: deque[_Waiter] = deque()
        self._generation = 0
        self._acquired = 0
        self._limited = 0
        self._cuts = 0
        self._bad_level: int | None = None  # the level at which the last 429 happened
        self._bad_level_at = 0.0

    # -- public API -------------------------------------------------------------------------------------------
    def slot(self) -> _Permit:
        """Hold one slot for one HTTP attempt: ``async with gov.slot() as permit: ...``."""
        return _Permit(self, self._generation)

    def stats(self) -> GovernorStats:
        """Limit, ceiling, in flight, waiting, acquired, 429s seen and cuts, now."""
        return GovernorStats(
            limit=self.limit,
            ceiling=self._ceiling,
            in_flight=self._in_flight,
            waiting=len(self._waiters),
            acquired=self._acquired,
            limited=self._limited,
            cuts=self._cuts,
        )

    @property
    def limit(self) -> int:
        """Slots granted at once right now."""
        return max(1, min(self._ceiling, math.floor(self._limit)))

    def set_ceiling(self, ceiling: int) -> None:
        """Change the ceiling; the current limit moves to it (NetSuite just told us the real share)."""
        if not isinstance(ceiling, int) or isinstance(ceiling, bool) or ceiling < 1:
            raise ValueError(f"ceiling must be an int >= 1, got {ceiling!r}")
        self._ceiling = ceiling
        self._limit = float(ceiling)
        self._bad_level = None
        self._wake()

    async def aclose(self) -> None:
        """Nothing to release for the in-process governor."""

    def __repr__(self) -> str:
        s = self.stats()
        return f"AdaptiveGovernor(limit={s.limit}, ceiling={s.ceiling}, in_flight={s.in_flight}, waiting={s.waiting})"

    # -- mechanics --------------------------------------------------------------------------------------------
    async def _acquire(self) -> int:
        if not self._waiters and self._in_flight < self.limit:
            generation = self._generation
            self._in_flight += 1
            self._acquired += 1
            # A checkpoint keeps one hot caller from starving the event loop, as a real wait would not.
            try:
                await anyio.lowlevel.checkpoint()
            except BaseException:
                self._in_flight -= 1
                self._wake()
                raise
            return generation
        waiter = _Waiter()
        self._waiters.append(waiter)
        try:
            await waiter.event.wait()
        except BaseException:
            if waiter.granted:
                # Granted and cancelled in the same breath: hand the slot on.
                self._in_flight -= 1
                self._wake()
            else:
                self._waiters.remove(waiter)
            raise
        return waiter.generation

    def _wake(self) -> None:
        limit = self.limit
        while self._waiters and self._in_flight < limit:
            waiter = self._waiters.popleft()
            waiter.granted = True
            waiter.generation = self._generation
            self._in_flight += 1
            self._acquired += 1
            waiter.event.set()

    def _release(self, permit: _Permit, outcome: Outcome) -> None:
        busy = self._in_flight >= self.limit or bool(self._waiters)
        self._in_flight -= 1
        if outcome is Outcome.LIMITED:
            self._limited += 1
            if self._adaptive and permit.generation >= self._generation:
                self._cut()
        elif outcome is Outcome.SUCCESS and self._adaptive and busy and self._limit < self._ceiling:
            self._grow()
        self._wake()

    def _cut(self) -> None:
        self._bad_level = self.limit
        self._bad_level_at = anyio.current_time()
        self._limit = max(1.0, self._limit * self._ratio)
        self._generation += 1
        self._cuts += 1

    def _grow(self) -> None:
        step = 1.0 / max(self._limit, 1.0)
        if self._bad_level is not None:
            if anyio.current_time() - self._bad_level_at > self._probe_memory:
                self._bad_level = None
            elif self._limit + step >= self._bad_level - 1:
                step /= self._probe_slowdown
        self._limit = min(float(self._ceiling), self._limit + step)
