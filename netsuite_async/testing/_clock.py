"""The write clock: ``dateCreated``/``lastModifiedDate`` timestamps, strictly increasing per write.

Examples:
    ```python
    clock = WriteClock(); assert clock.next() < clock.next()
    ```
"""

from __future__ import annotations

import time

__all__ = ["WriteClock"]


def _iso_ms(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{round(ts * 1000) % 1000:03d}Z"


class WriteClock:
    """Timestamps for ``dateCreated``/``lastModifiedDate``: real time, strictly increasing per write.

    Two writes within one millisecond get timestamps one millisecond apart, so SuiteQL polling on
    ``lastmodifieddate`` can never see two writes with one value.

    Examples:
        ```python
        clock = WriteClock(); a = clock.next(); b = clock.next(); assert a < b
        ```
    """

    def __init__(self) -> None:
        self._last_ms = 0

    def bump_to(self, iso: str) -> None:
        """Never hand out a time before ``iso`` (seed data may sit in the future relative to it).

        Examples:
            ```python
            clock.bump_to("2024-01-01T00:00:00.000Z")
            ```
        """
        import calendar

        base = calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))
        ms = base * 1000 + int(iso[20:23] or 0)
        self._last_ms = max(self._last_ms, ms)

    def next(self) -> str:
        """The next write's timestamp (ISO-8601 UTC, millisecond precision).

        Examples:
            ```python
            now = clock.next()
            ```
        """
        ms = max(int(time.time() * 1000), self._last_ms + 1)
        self._last_ms = ms
        return _iso_ms(ms / 1000)
