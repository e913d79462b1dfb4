"""The account's concurrency limit as a first-class object.

A `Governor` hands out *slots*; the transport holds one for exactly one HTTP attempt and reports how it
went (`Outcome`). `AdaptiveGovernor` is the default, in-process one;
``netsuite_async.governor.redis.RedisGovernor`` shares one limit across processes (extra ``redis``).

Examples:
    >>> from netsuite_async.governor import AdaptiveGovernor, ServiceTier
    >>> gov = AdaptiveGovernor(ServiceTier.PREMIUM.with_suitecloud_plus(1).limit)
    >>> gov.stats().ceiling, gov.stats().limit    # slow start from NetSuite's floor of 5 toward the ceiling
    (25, 5)
"""

from __future__ import annotations

import enum
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

__all__ = [
    "AdaptiveGovernor",
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

from netsuite_async.governor.local import AdaptiveGovernor  # noqa: E402  (needs the names above)
