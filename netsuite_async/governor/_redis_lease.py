"""What `RedisGovernor` holds between its Redis calls: a lease (one held slot) and the report every Lua script
answers with, plus the small Redis helpers the token cache shares (URL redaction, the asyncio check).

The lease/ticket protocol itself (reserve, claim, renew, give back) runs in ``governor/_redis_lua.py``; the
governor's loop around it in ``governor/redis.py``.

Examples:
    >>> _Report.parse([1, 0, 5, 5, 1, 0, 1, 0, 0, 2000]).in_flight
    1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from netsuite_async.governor.base import Outcome

__all__ = ["redact_redis_url"]


_OUTCOME_WORDS = {
    Outcome.SUCCESS: "success",
    Outcome.LIMITED: "limited",
    Outcome.FAILURE: "failure",
}


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

    @classmethod
    def parse(cls, raw: Sequence[Any]) -> _Report:
        n = [int(x) for x in raw]
        return cls(bool(n[0]), *n[1:10])


class _Lease:
    __slots__ = ("generation", "lost", "outcome", "ticket")

    def __init__(self, ticket: str, generation: int) -> None:
        self.ticket = ticket
        self.generation = generation
        self.outcome: Outcome | None = None
        self.lost = False

    def record(self, outcome: Outcome) -> None:
        if self.outcome is None:
            self.outcome = outcome
