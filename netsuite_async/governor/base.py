"""The governor's protocol and types: `Governor`, `Permit`, `Outcome`, `GovernorStats`, `ServiceTier`, and the
one `AimdSettings` object the local and the Redis governors both take their adaptive-limit parameters from.

Nothing here imports a governor implementation, so ``local`` and ``redis`` depend on this module and the package
``__init__`` re-exports both without a cycle.

Examples:
    >>> from netsuite_async.governor.base import ServiceTier
    >>> ServiceTier.PREMIUM.with_suitecloud_plus(1).limit
    25
"""

from __future__ import annotations

import enum
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from netsuite_async._checks import is_int

__all__ = [
    "AimdSettings",
    "Governor",
    "GovernorStats",
    "Outcome",
    "Permit",
    "ServiceTier",
]


class Outcome(enum.Enum):
    """How one HTTP attempt went, as far as the governor cares.

    Examples:
        >>> Outcome.LIMITED.value
        'limited'
    """

    SUCCESS = "success"
    """NetSuite answered (any status except the concurrency-limit one)."""
    LIMITED = "limited"
    """NetSuite refused the request for being over the concurrency limit (429)."""
    FAILURE = "failure"
    """No usable answer and nothing left running at NetSuite (e.g. the connection was never made): says
    nothing about the limit, and the slot is free at once. A slot left by an exception with *no* outcome
    recorded (cancelled or timed out while the request may be running at NetSuite) may instead be kept counted
    for a while by the governor: a *ghost slot*."""


@runtime_checkable
class Permit(Protocol):
    """A held slot. ``record`` tells the governor the attempt's outcome (at most once; default FAILURE).

    Left normally with nothing recorded, the outcome is FAILURE. Left by an exception with nothing recorded, the
    attempt was abandoned while NetSuite may still be running it; `AdaptiveGovernor` keeps such a slot as
    a ghost for about the recent median latency.

    Examples:
        >>> async def attempt(gov: "Governor") -> None:
        ...     async with gov.slot() as permit:
        ...         permit.record(Outcome.SUCCESS)
    """

    def record(self, outcome: Outcome) -> None:
        """Report the attempt's outcome."""
        ...


@dataclass(frozen=True)
class GovernorStats:
    """A snapshot of a governor.

    Examples:
        >>> GovernorStats(limit=5, ceiling=5, in_flight=0, waiting=0, acquired=0, limited=0, cuts=0).limit
        5
    """

    limit: int
    """Slots currently granted at once (adapts between 1 and ``ceiling``)."""
    ceiling: int
    """The configured maximum (the account's or integration's limit)."""
    in_flight: int
    """Slots held now."""
    waiting: int
    """Callers waiting for a slot now."""
    acquired: int
    """Slots granted since creation."""
    limited: int
    """Attempts NetSuite refused for the concurrency limit (429s seen)."""
    cuts: int
    """Times the limit was cut (once per congestion episode)."""
    ghosts: int = 0
    """Of ``in_flight``, slots kept after their attempt ended: abandoned in flight (cancelled, timed out) while
    NetSuite may still be running it, or refused with a 429 and cooling down. Each is released after about the
    recent median latency."""


@runtime_checkable
class Governor(Protocol):
    """What the transport needs from a concurrency governor.

    Examples:
        >>> async def send_one(gov: Governor) -> None:
        ...     async with gov.slot() as permit:   # one HTTP attempt happens here
        ...         permit.record(Outcome.SUCCESS)
    """

    def slot(self) -> AbstractAsyncContextManager[Permit]:
        """Wait for and hold one slot for one HTTP attempt; released on every exit path."""
        ...

    def stats(self) -> GovernorStats:
        """A snapshot: limit, ceiling, in flight, waiting, acquired, 429s seen, cuts."""
        ...

    def set_ceiling(self, ceiling: int) -> None:
        """Change the maximum (used by ``concurrency="auto"`` once NetSuite told the real limit)."""
        ...

    async def aclose(self) -> None:
        """Release resources (connections, background tasks)."""
        ...


@dataclass(frozen=True)
class AimdSettings:
    """The adaptive limit's parameters and their checks, in one place for every governor.

    `AdaptiveGovernor` and ``RedisGovernor`` take these as keyword arguments and build one of these from them,
    so both validate the same way, and both build their `LimitController` (``governor/_aimd.py``) from it: the
    local governor keeps one per process, the Redis governor runs one on the state it keeps in Redis.

    Attributes:
        adaptive: False keeps the limit at the ceiling whatever happens.
        initial: where slow start begins (None: NetSuite's floor, 5, or the ceiling when lower); for the Redis
            governor, where a new key's shared limit begins.
        probe_slowdown: how much slower the limit grows past the level that last failed (>= 1).
        max_probe_slowdown: the cap on that slowdown as repeated probes at one level fail (None:
            ``16 * probe_slowdown``).
        probe_memory: seconds after the last 429 at which the failed level is forgotten (>= 0 here;
            `LimitController`, which both governors run, needs it > 0).
        backoff_ratio: accepted for compatibility (between 0 and 1) and unused: both governors cut to the
            in-flight estimate instead of by a fixed ratio.

    Examples:
        >>> AimdSettings(probe_slowdown=20.0).max_slowdown
        320.0
        >>> AimdSettings(backoff_ratio=1.5)
        Traceback (most recent call last):
        ...
        ValueError: backoff_ratio must be between 0 and 1
    """

    adaptive: bool = True
    initial: int | None = None
    probe_slowdown: float = 8.0
    max_probe_slowdown: float | None = None
    probe_memory: float = 60.0
    backoff_ratio: float = 0.7

    def __post_init__(self) -> None:
        if not 0.0 < self.backoff_ratio < 1.0:
            raise ValueError("backoff_ratio must be between 0 and 1")
        if self.probe_slowdown < 1.0 or self.max_slowdown < self.probe_slowdown:
            raise ValueError("probe_slowdown must be >= 1 and max_probe_slowdown >= probe_slowdown")
        if self.probe_memory < 0:
            raise ValueError("probe_memory must be >= 0")
        initial = self.initial
        if initial is not None and (not is_int(initial) or initial < 1):
            raise ValueError(f"initial must be an int >= 1, got {initial!r}")

    @property
    def max_slowdown(self) -> float:
        """``max_probe_slowdown``, or ``16 * probe_slowdown`` when not set.

        Examples:
            >>> AimdSettings().max_slowdown
            128.0
        """
        if self.max_probe_slowdown is None:
            return self.probe_slowdown * 16.0
        return self.max_probe_slowdown


@dataclass(frozen=True)
class ServiceTier:
    """A NetSuite service tier and its SuiteCloud Plus licences → the account's concurrency limit.

    Base limits (NetSuite help, "Concurrency Governance"): Standard/shared and development accounts 5,
    Premium (Tier 1) 15, Enterprise (Tier 2) 20, Ultimate 20; each SuiteCloud Plus licence adds 10.
    Sandboxes share their production account's tier.

    Examples:
        >>> ServiceTier.PREMIUM.limit
        15
        >>> ServiceTier.PREMIUM.with_suitecloud_plus(5).limit
        65
        >>> ServiceTier.from_name("tier2").limit
        20
    """

    name: str
    base: int
    suitecloud_plus: int = 0

    STANDARD: ClassVar[ServiceTier]
    SHARED: ClassVar[ServiceTier]
    DEVELOPMENT: ClassVar[ServiceTier]
    PREMIUM: ClassVar[ServiceTier]
    TIER1: ClassVar[ServiceTier]
    ENTERPRISE: ClassVar[ServiceTier]
    TIER2: ClassVar[ServiceTier]
    ULTIMATE: ClassVar[ServiceTier]

    def __post_init__(self) -> None:
        if self.base < 1:
            raise ValueError("a tier's base limit must be at least 1")
        if not isinstance(self.suitecloud_plus, int) or self.suitecloud_plus < 0:
            raise ValueError("suitecloud_plus must be a non-negative int (number of SuiteCloud Plus licences)")

    @property
    def limit(self) -> int:
        """Concurrent requests allowed: base + 10 per SuiteCloud Plus licence."""
        return self.base + 10 * self.suitecloud_plus

    def with_suitecloud_plus(self, licences: int) -> ServiceTier:
        """The same tier with ``licences`` SuiteCloud Plus licences."""
        return ServiceTier(self.name, self.base, licences)

    @classmethod
    def from_name(cls, name: str, suitecloud_plus: int = 0) -> ServiceTier:
        """Look a tier up by name: standard, shared, development, premium, tier1, enterprise, tier2, ultimate.

        Examples:
            >>> ServiceTier.from_name("Premium", suitecloud_plus=1).limit
            25
        """
        key = name.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
        table = {
            "standard": 5, "shared": 5, "development": 5, "dev": 5,
            "premium": 15, "tier1": 15, "enterprise": 20, "tier2": 20, "ultimate": 20,
        }
        if key not in table:
            raise ValueError(f"unknown service tier {name!r}; expected one of {', '.join(sorted(table))}")
        return cls(key, table[key], suitecloud_plus)


ServiceTier.STANDARD = ServiceTier("standard", 5)
ServiceTier.SHARED = ServiceTier("shared", 5)
ServiceTier.DEVELOPMENT = ServiceTier("development", 5)
ServiceTier.PREMIUM = ServiceTier("premium", 15)
ServiceTier.TIER1 = ServiceTier("tier1", 15)
ServiceTier.ENTERPRISE = ServiceTier("enterprise", 20)
ServiceTier.TIER2 = ServiceTier("tier2", 20)
ServiceTier.ULTIMATE = ServiceTier("ultimate", 20)

