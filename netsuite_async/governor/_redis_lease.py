"""What `RedisGovernor` holds between its Redis calls: a lease (one held slot), the report every Lua script
answers with (with the `LimitController` state stored in Redis), plus the small Redis helpers the token cache
shares (URL redaction, the asyncio check).

The lease/ticket protocol itself (reserve, claim, renew, give back) runs in ``governor/_redis_lua.py``; the
governor's loop around it in ``governor/redis.py``.

Examples:
    >>> r = _Report.parse([1, 0, 5, 5, 1, 0, 1, 0, 0, 2000, 0, 1_700_000_000_000, 3, 0, -1,
    ...                    b"5.5", b"0", b"1", None, b"0.0", b"8.0"])
    >>> r.in_flight, r.state.value, r.state.failed_level
    (1, 5.5, None)
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis

from netsuite_async._checks import is_int, is_number
from netsuite_async.errors import GovernorUnavailableError
from netsuite_async.governor._aimd import ControllerState, LimitController
from netsuite_async.governor.base import AimdSettings, Outcome, ServiceTier

__all__ = ["redact_redis_url"]

logger = logging.getLogger("netsuite_async.governor.redis")

_LATENCY_SAMPLES = 64  # as AdaptiveGovernor
_WRITE_ATTEMPTS = 8  # compare-and-set tries for one observation (each lost try means another process's won)
_OUTCOME_WORDS = {Outcome.SUCCESS: "success", Outcome.LIMITED: "limited", Outcome.FAILURE: "failure"}


def redact_redis_url(url: str) -> str:
    """``url`` without its password, for logs, reprs and error messages.

    Examples:
        >>> redact_redis_url("redis://user:s3cret@cache:6379/0")
        'redis://user:***@cache:6379/0'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable redis url>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def _describe_client(client: Any) -> str:
    try:
        kwargs = client.connection_pool.connection_kwargs
        if "path" in kwargs:
            return f"unix://{kwargs['path']}"
        return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
    except AttributeError:
        return type(client).__name__


def _require_asyncio() -> None:
    try:
        import sniffio
    except ImportError:  # pragma: no cover - sniffio ships with anyio's usual installs
        return
    try:
        library = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return
    if library != "asyncio":
        raise RuntimeError(
            f"netsuite-async's Redis support needs asyncio (redis-py's asyncio client), but this code runs on "
            f"{library}; use AdaptiveGovernor and MemoryTokenCache, or run on asyncio"
        )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class _Report:
    granted: bool
    generation: int
    limit: int
    ceiling: int
    in_flight: int
    queued: int
    acquired: int
    limited: int
    cuts: int
    next_expiry_ms: int  # ms until the oldest lease lapses; -1 when no lease is held
    ghosts: int  # ghost and cooling slots, every process's
    now_ms: int  # Redis's clock
    version: int  # of the controller state below (0: never written)
    busy: bool  # RELEASE: every slot was taken or someone queued before this slot came back
    estimate: int  # RELEASE of a 429: the attempts running at NetSuite then; else -1
    state: ControllerState | None  # the stored controller state; None before its first write

    @classmethod
    def parse(cls, raw: Sequence[Any]) -> _Report:
        n = [int(x) for x in raw[:15]]
        value, slow, generation, bad_level, bad_at, slowdown = raw[15:21]
        state = None
        if value is not None:
            state = ControllerState(
                ceiling=n[3], value=float(_text(value)), slow_start=_text(slow) == "1",
                generation=int(_text(generation)), cuts=n[8],
                failed_level=None if bad_level is None else int(_text(bad_level)),
                failed_at=float(_text(bad_at)), slowdown=float(_text(slowdown)),
            )
        return cls(bool(n[0]), n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8], n[9], n[10], n[11], n[12],
                   bool(n[13]), n[14], state)


def _encode_state(state: ControllerState, limit: int) -> list[str | int]:
    """SET_STATE's arguments for ``state`` (floats by ``repr``, so they come back exactly)."""
    bad = "" if state.failed_level is None else str(state.failed_level)
    return [repr(state.value), "1" if state.slow_start else "0", state.generation, state.cuts, bad,
            repr(state.failed_at), repr(state.slowdown), state.ceiling, limit]


def _check_number(name: str, value: object, low: float) -> float:
    if not is_number(value) or not value >= low:
        raise ValueError(f"{name} must be a number of seconds >= {low:g}, got {value!r}")
    return float(value)


def _check_options(
    limit: object, key: object, lease_ttl: object, ticket_ttl: object, poll_interval: object,
    op_timeout: object, max_ghost: object,
) -> tuple[int, float, float, float, float]:
    """`RedisGovernor`'s checks of its plain arguments: (limit, lease_ttl, ticket_ttl, poll_interval, max_ghost)."""
    if isinstance(limit, ServiceTier):
        limit = limit.limit
    if not is_int(limit) or limit < 1:
        raise ValueError(f"limit must be an int >= 1 or a ServiceTier, got {limit!r}")
    if not isinstance(key, str) or not key.strip():
        raise ValueError("key must be a non-empty string naming the shared pool, e.g. the account id")
    if any(c in key for c in "{}\r\n"):
        raise ValueError("key must not contain braces or line breaks (it becomes a Redis hash tag)")
    lease = _check_number("lease_ttl", lease_ttl, 0.1)
    ticket = _check_number("ticket_ttl", ticket_ttl, 0.1)
    poll = ticket / 4 if poll_interval is None else poll_interval
    if not is_number(poll) or not 0.01 <= poll <= ticket / 2:
        raise ValueError(
            f"poll_interval must be between 0.01 s and ticket_ttl / 2 = {ticket / 2:g} s (a waiter "
            f"heartbeats its ticket once per poll_interval), got {poll!r}"
        )
    if not isinstance(op_timeout, (int, float)) or not op_timeout > 0:
        raise ValueError(f"op_timeout must be > 0 seconds, got {op_timeout!r}")
    return limit, lease, ticket, float(poll), _check_number("max_ghost", max_ghost, 0.0)


def _unavailable_error(where: str, exc: BaseException) -> GovernorUnavailableError:
    reason = type(exc).__name__ if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
    return GovernorUnavailableError(
        f"the shared governor's Redis at {where} is unreachable ({reason}); no slot can be granted "
        "safely. Pass fallback=AdaptiveGovernor(...) to RedisGovernor to run on a local limit meanwhile"
    )


def _connect(redis: object, op_timeout: float) -> tuple[aioredis.Redis, str, bool]:
    """(client, where for messages, whether the governor owns the client) for a URL or a client."""
    if isinstance(redis, str):
        if not redis.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis must be a redis://, rediss:// or unix:// URL, or a redis.asyncio client")
        # No socket timeout: BLPOP legitimately blocks; every call is bounded by anyio.fail_after instead.
        client = aioredis.Redis.from_url(redis, socket_connect_timeout=op_timeout, health_check_interval=30)
        return client, redact_redis_url(redis), True
    if hasattr(redis, "register_script") and hasattr(redis, "blpop"):
        return redis, _describe_client(redis), False  # type: ignore[return-value]
    raise TypeError(f"redis must be a URL or a redis.asyncio.Redis client, got {type(redis).__name__}")


class _Lease:
    __slots__ = ("generation", "lost", "outcome", "started", "ticket")

    def __init__(self, ticket: str, generation: int, started: float = 0.0) -> None:
        self.ticket = ticket
        self.generation = generation
        self.started = started
        self.outcome: Outcome | None = None
        self.lost = False

    def record(self, outcome: Outcome) -> None:
        if self.outcome is None:
            self.outcome = outcome


class _Adaptation:
    """A `RedisGovernor`'s side of the shared adaptive limit: this process's latencies (the ghost and cooling
    holds and the in-flight estimate's window, as in `AdaptiveGovernor`) and `LimitController` run on the state
    a script read from Redis, written back by compare-and-set."""

    __slots__ = ("_clock", "_latencies", "max_ghost", "settings")

    def __init__(self, settings: AimdSettings, max_ghost: float, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.max_ghost = max_ghost
        self._clock = clock
        self._latencies: deque[float] = deque(maxlen=_LATENCY_SAMPLES)

    def now(self) -> float:
        return self._clock()

    def start_limit(self, ceiling: int) -> int:
        """Where a new key's limit starts: the controller's own choice (slow start from NetSuite's floor)."""
        return LimitController.from_settings(ceiling, self.settings).limit

    def median(self) -> float | None:
        if not self._latencies:
            return None
        ordered = sorted(self._latencies)
        return ordered[len(ordered) // 2]

    def release_args(self, lease: _Lease, *, abandoned: bool) -> tuple[str, int, int]:
        """RELEASE's outcome word, ms to keep the slot, and the estimate's window in ms, as `AdaptiveGovernor`
        decides them: an abandoned attempt is kept for the median latency (its age before any is known), a
        refused one cools down for half of it; attempts claimed over 1.5 median latencies before a refused one
        are not counted as running."""
        outcome = lease.outcome
        median = self.median()
        hold = 0.0
        if outcome is Outcome.SUCCESS:
            self._latencies.append(self._clock() - lease.started)
        elif outcome is Outcome.LIMITED:
            if median is not None:
                hold = min(median / 2, self.max_ghost)
        elif abandoned:
            hold = min(self.max_ghost, median if median is not None else self._clock() - lease.started)
        word = "ghost" if outcome is None and abandoned else _OUTCOME_WORDS[outcome or Outcome.FAILURE]
        window_ms = -1 if median is None else round(1.5 * median * 1000)
        return word, math.ceil(hold * 1000) if hold > 0 else 0, window_ms

    async def decide(
        self,
        report: _Report,
        observe: Callable[[LimitController, float], object],
        write: Callable[[list[str | int | float]], Awaitable[_Report]],
        *,
        force: bool = False,
    ) -> None:
        """Apply one observation to the shared limit: `LimitController` loaded from the state ``report`` read,
        ``observe(controller, Redis's clock in s)``, and the new state written back (``write``: SET_STATE) only
        if nobody wrote since (compare-and-set on its version); after a lost race the observation is applied
        to the state that won. ``force`` writes even an unchanged state when none is stored yet."""
        for _ in range(_WRITE_ATTEMPTS):
            ctl = LimitController.from_settings(report.ceiling, self.settings)
            if report.state is not None:
                ctl.restore(report.state)
            before = ctl.state()
            observe(ctl, report.now_ms / 1000)
            after = ctl.state()
            if after == before and not (force and report.state is None):
                return
            report = await write([report.version, *_encode_state(after, ctl.limit)])
            if report.granted:
                return
        logger.warning("the shared limit changed under %d tries in a row; one observation was dropped",
                       _WRITE_ATTEMPTS)
