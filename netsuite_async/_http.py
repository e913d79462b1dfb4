"""The one module that imports httpx2.

Everything else in the library reaches HTTP through :mod:`netsuite_async.transport`, which uses the names
re-exported here. Keeping the import in one place keeps the HTTP library swappable and its exceptions mapped in
one spot.
"""

from __future__ import annotations

import httpx2
from httpx2 import (
    ASGITransport,
    AsyncBaseTransport,
    AsyncClient,
    Limits,
    MockTransport,
    Request,
    Response,
    Timeout,
)

__all__ = [
    "ASGITransport",
    "AsyncBaseTransport",
    "AsyncClient",
    "Limits",
    "MockTransport",
    "Request",
    "Response",
    "Timeout",
    "build_client",
    "httpx2",
]


def build_client(
    *,
    max_connections: int,
    connect_timeout: float,
    read_timeout: float,
    write_timeout: float,
    pool_timeout: float,
    transport: AsyncBaseTransport | None = None,
) -> AsyncClient:
    """A pooled keep-alive client sized for the account's concurrency limit.

    The pool holds at least as many connections as may be in flight, so the governor, not the pool, is what
    makes requests wait; idle connections are kept so bursts reuse TLS sessions.
    """
    limits = Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=30.0,
    )
    timeout = Timeout(connect=connect_timeout, read=read_timeout, write=write_timeout, pool=pool_timeout)
    return AsyncClient(limits=limits, timeout=timeout, follow_redirects=False, transport=transport)
