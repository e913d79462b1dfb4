"""The emulator's configuration: one `EmulatorConfig` per emulated account (limits, latency, dialect, seed).

Examples:
    ```python
    config = EmulatorConfig(concurrency=3, latency=0.01)
    ```
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netsuite_async._checks import is_int
from netsuite_async.testing._dialect import Dialect

__all__ = ["EmulatorConfig", "canonical_account"]


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
        if not is_int(self.concurrency) or self.concurrency < 1:
            raise ValueError(f"concurrency must be an int >= 1, got {self.concurrency!r}")
        if self.latency < 0 or self.jitter < 0:
            raise ValueError("latency and jitter must be >= 0")
        if self.integration_limit is not None and not 1 <= self.integration_limit <= self.concurrency:
            raise ValueError("integration_limit must be between 1 and concurrency")
        others = self.allocated_to_others
        if not is_int(others) or others < 0:
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
