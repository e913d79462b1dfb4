"""The adaptive limit as a pure state machine: slow start, one cut to the in-flight estimate, careful probing.

No I/O, no clock of its own, no locks: every method takes ``now`` (seconds on any monotonic clock) and the facts
the caller observed. `AdaptiveGovernor` drives one per process; a distributed
governor can drive the same object from its shared state (see ``docs/concurrency.md``).

The algorithm, and why:

* **Slow start from NetSuite's floor.** Every account allows at least 5 concurrent requests, so the limit starts
  at ``min(5, ceiling)`` and grows by one slot per success while the slots are in use: it doubles every round
  trip until it reaches the ceiling or meets the first 429. A limit that was right costs a fraction of one round
  trip; a limit that was four times too high costs one or two 429s instead of a burst.
* **One cut, to the in-flight estimate.** NetSuite refuses an over-limit request at once, so when a 429 arrives
  the requests this client still has in flight are what the account holds for us right now. The limit is set
  there (never above ``limit - 1``): one step to the right level, instead of several 0.7x steps that each cost
  their own 429s. Attempts of the same burst refused a moment later were counted but held nothing: each of their
  429s takes one slot off, and none counts as another cut (each grant carries the *generation* it was made
  in). Counting every attempt in flight, not only those sent before the refused one, matters: requests sent
  together over many connections reach NetSuite in any order.
* **Additive increase, only while the limit is used.** After slow start a success adds ``1/limit`` (about one
  slot per round trip), and only when every slot is taken or callers wait: an app-limited client learns
  nothing about the account and does not grow.
* **Probe rarely above a level that failed.** Growth past the level that last failed is ``probe_slowdown``
  times slower, and each further failure at the same level doubles that (up to ``max_probe_slowdown``), so a
  client holding its real share costs NetSuite one 429 after 8 round trips, then 16, 32, ... (at most one per
  128 round trips); a client whose neighbour left reclaims a level every 8 round trips. The
  memory fades ``probe_memory`` seconds after the last 429, so capacity freed by other integrations is
  reclaimed.
* Never above the ceiling, never below 1.

A governor supplies the rest: the in-flight estimate (its live attempts and abandoned ghosts when a 429
arrives), ghost and cooling slots, FIFO queueing. These rules are written here once: `AdaptiveGovernor` keeps
one controller for its process; ``RedisGovernor`` keeps the controller's `ControllerState` in Redis and applies
each observation by loading it (`restore`), calling the same `on_success` / `on_limited` / `set_ceiling`, and
writing the new `state` back as a compare-and-set, with the in-flight estimate counted over the leases of
every process (see ``docs/scaling-out.md``).

Examples:
    >>> lim = LimitController(20)
    >>> lim.limit                       # slow start begins at NetSuite's floor
    5
    >>> for _ in range(5):              # one round trip of five successes, all slots busy
    ...     lim.on_success(0.1, busy=True)
    >>> lim.limit
    10
    >>> lim.on_limited(0.2, generation=lim.generation, estimate=8)   # a 429 while 8 others are in flight
    True
    >>> lim.limit, lim.slow_start
    (8, False)
"""

from __future__ import annotations

import math
from typing import NamedTuple

from netsuite_async._checks import is_int
from netsuite_async.governor.base import AimdSettings

__all__ = ["NETSUITE_FLOOR", "ControllerState", "LimitController"]

#: The smallest concurrency limit NetSuite gives any account (Standard/shared tier, development accounts).
NETSUITE_FLOOR = 5


class ControllerState(NamedTuple):
    """Everything a `LimitController` remembers between observations (its parameters aside): what a governor
    that keeps the limit outside the process (the Redis governor) stores, and loads back with `restore`.

    Examples:
        >>> lim = LimitController(20)
        >>> lim.state().value, lim.state().slow_start
        (5.0, True)
        >>> other = LimitController(20)
        >>> other.restore(lim.state()); other.state() == lim.state()
        True
    """

    ceiling: int
    """The configured maximum."""
    value: float
    """The limit as a real number."""
    slow_start: bool
    """Still in slow start."""
    generation: int
    """Cuts so far, as the grant generation."""
    cuts: int
    """Times the limit was cut."""
    failed_level: int | None
    """The level that last failed (remembered), or None."""
    failed_at: float
    """When it failed (the caller's clock)."""
    slowdown: float
    """The current slowdown of growth near the failed level."""


class LimitController:
    """The adaptive concurrency limit (pure: the caller supplies the clock and the observations).

    Args:
        ceiling: the configured maximum (the account's or the integration's limit).
        adaptive: False keeps the limit at the ceiling whatever happens.
        initial: where slow start begins (default NetSuite's floor, 5, or the ceiling when lower).
        probe_slowdown: how much slower growth is past the level that last failed.
        max_probe_slowdown: the cap on that slowdown as repeated probes at one level fail.
        probe_memory: seconds after the last 429 at which the failed level is forgotten.

    Examples:
        >>> lim = LimitController(3)
        >>> lim.limit, lim.slow_start
        (3, False)
        >>> LimitController(15, adaptive=False).limit
        15
    """

    __slots__ = (
        "_bad_at",
        "_bad_level",
        "_base_slowdown",
        "_ceiling",
        "_max_slowdown",
        "_memory",
        "_slowdown",
        "adaptive",
        "cuts",
        "generation",
        "slow_start",
        "value",
    )

    def __init__(
        self,
        ceiling: int,
        *,
        adaptive: bool = True,
        initial: int | None = None,
        probe_slowdown: float = 8.0,
        max_probe_slowdown: float = 128.0,
        probe_memory: float = 60.0,
    ) -> None:
        if not is_int(ceiling) or ceiling < 1:
            raise ValueError(f"ceiling must be an int >= 1, got {ceiling!r}")
        if probe_memory <= 0:
            raise ValueError("probe_memory must be positive")
        # The shared checks (governor/base.py); backoff_ratio is kept for compatibility and unused.
        AimdSettings(adaptive=adaptive, initial=initial, probe_slowdown=probe_slowdown,
                     max_probe_slowdown=max_probe_slowdown, probe_memory=probe_memory)
        self._ceiling = ceiling
        self.adaptive = adaptive
        start = ceiling if not adaptive else min(ceiling, initial if initial is not None else NETSUITE_FLOOR)
        self.value = float(start)
        """The limit as a real number (growth adds fractions of a slot)."""
        self.slow_start = adaptive and start < ceiling
        """True until the first 429 or the ceiling: each success adds a whole slot."""
        self.generation = 0
        """Bumped by every cut; a 429 on a grant older than the latest cut belongs to an answered episode."""
        self.cuts = 0
        self._base_slowdown = probe_slowdown
        self._slowdown = probe_slowdown
        self._max_slowdown = max_probe_slowdown
        self._memory = probe_memory
        self._bad_level: int | None = None
        self._bad_at = 0.0

    @property
    def limit(self) -> int:
        """Slots to grant at once now: the value rounded down, between 1 and the ceiling.

        Examples:
            >>> LimitController(12).limit
            5
        """
        return max(1, min(self._ceiling, math.floor(self.value + 1e-9)))  # 1e-9: ten steps of 0.1 make 1

    @property
    def ceiling(self) -> int:
        """The configured maximum.

        Examples:
            >>> LimitController(12).ceiling
            12
        """
        return self._ceiling

    @property
    def failed_level(self) -> int | None:
        """The level at which the last (remembered) 429 happened, or None.

        Examples:
            >>> lim = LimitController(12, initial=12)
            >>> lim.on_limited(0.0, generation=0, estimate=9)
            True
            >>> lim.failed_level
            10
        """
        return self._bad_level

    def on_success(self, now: float, *, busy: bool) -> None:
        """An attempt was answered (not 429). ``busy``: every slot was taken or a caller waited when it ended.

        Examples:
            >>> lim = LimitController(8)
            >>> lim.on_success(0.0, busy=False)   # app-limited: nothing learned
            >>> lim.limit
            5
        """
        if not busy or not self.adaptive or self.value >= self._ceiling:
            return
        if self.slow_start:
            self.value += 1.0
            if self.value >= self._ceiling:
                self.value = float(self._ceiling)
                self.slow_start = False
            return
        step = 1.0 / max(self.value, 1.0)
        bad = self._bad_level
        if bad is not None:
            if now - self._bad_at > self._memory or self.value >= bad + 1:
                # Forgotten, or the level that failed has held long enough to grow past it: full speed again.
                self._forget()
            elif self.value + step >= bad - 1:
                step /= self._slowdown
        self.value = min(float(self._ceiling), self.value + step)

    def on_limited(self, now: float, *, generation: int, estimate: int) -> bool:
        """A 429 arrived. ``generation``: the one its slot was granted in; ``estimate``: this client's other
        attempts in flight now (abandoned ones NetSuite may still run included). Returns True on a cut.

        The first 429 of an episode cuts the limit to the estimate. Attempts of the same burst may have been
        refused too, their 429s a moment behind: each was counted in the estimate yet held nothing, so each such
        429 (granted before the cut) takes one slot off, without counting as another cut.

        Examples:
            >>> lim = LimitController(10, initial=10)
            >>> lim.on_limited(1.0, generation=0, estimate=8), lim.limit
            (True, 8)
            >>> lim.on_limited(1.0, generation=0, estimate=7), lim.limit   # same burst: one slot off, no new cut
            (False, 7)
        """
        if not self.adaptive:
            return False
        if generation < self.generation:
            if self.value > 1.0:
                self.value = max(1.0, float(math.floor(self.value + 1e-9)) - 1.0)
                self._bad_level = self.limit + 1
            return False
        level = self.limit
        new = max(1, min(estimate, level - 1))
        # The level that failed is one above what the account holds for us, not the limit itself: a slow-start
        # burst may have set that well above, and that number says nothing.
        failed = new + 1
        bad = self._bad_level
        if bad is not None and abs(failed - bad) <= 1 and now - self._bad_at <= self._memory:
            # The same level failed again: probe it half as often from now on.
            self._slowdown = min(self._max_slowdown, self._slowdown * 2.0)
        else:
            self._slowdown = self._base_slowdown
        self._bad_level = failed
        self._bad_at = now
        self.value = float(new)
        self.slow_start = False
        self.generation += 1
        self.cuts += 1
        return True

    @classmethod
    def from_settings(cls, ceiling: int, settings: AimdSettings) -> LimitController:
        """A controller for ``ceiling`` with the parameters of ``settings``.

        Examples:
            >>> LimitController.from_settings(20, AimdSettings(initial=8)).limit
            8
        """
        return cls(
            ceiling, adaptive=settings.adaptive, initial=settings.initial, probe_slowdown=settings.probe_slowdown,
            max_probe_slowdown=settings.max_slowdown, probe_memory=settings.probe_memory,
        )

    def set_ceiling(self, ceiling: int) -> None:
        """A new maximum (NetSuite told the real share): the limit keeps its level, capped by the new ceiling,
        and slow start resumes toward it unless a 429 already ended it.

        Examples:
            >>> lim = LimitController(5)
            >>> lim.set_ceiling(20)
            >>> lim.limit, lim.slow_start
            (5, True)
        """
        if not is_int(ceiling) or ceiling < 1:
            raise ValueError(f"ceiling must be an int >= 1, got {ceiling!r}")
        self._ceiling = ceiling
        if not self.adaptive:
            self.value = float(ceiling)
            return
        self.value = min(self.value, float(ceiling))
        self.slow_start = self.cuts == 0 and self.value < ceiling
        self._forget()

    def state(self) -> ControllerState:
        """What this controller remembers now, as a `ControllerState` (equal states decide alike).

        Examples:
            >>> LimitController(3).state().value
            3.0
        """
        return ControllerState(self._ceiling, self.value, self.slow_start, self.generation, self.cuts,
                               self._bad_level, self._bad_at, self._slowdown)

    def restore(self, state: ControllerState) -> None:
        """Continue from ``state`` (taken from a controller with the same parameters, maybe in another process).

        Examples:
            >>> lim = LimitController(20)
            >>> lim.restore(LimitController(20, initial=12).state()); lim.limit
            12
        """
        if not is_int(state.ceiling) or state.ceiling < 1:
            raise ValueError(f"ceiling must be an int >= 1, got {state.ceiling!r}")
        self._ceiling = state.ceiling
        self.value = float(state.value)
        self.slow_start = bool(state.slow_start)
        self.generation = int(state.generation)
        self.cuts = int(state.cuts)
        self._bad_level = state.failed_level
        self._bad_at = float(state.failed_at)
        self._slowdown = float(state.slowdown)

    def _forget(self) -> None:
        self._bad_level = None
        self._slowdown = self._base_slowdown

    def __repr__(self) -> str:
        return (f"LimitController(limit={self.limit}, ceiling={self._ceiling}, slow_start={self.slow_start}, "
                f"failed_level={self._bad_level})")
