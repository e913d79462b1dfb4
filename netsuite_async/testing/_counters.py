"""What the emulator observes for tests: request counters and the bounded request log.

Examples:
    ```python
    print(emu.counters.snapshot())
    ```
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Counters", "LogEntry"]


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
