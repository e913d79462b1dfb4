"""Access-token caches for OAuth 2.0 providers: the seam that lets many workers share one token.

``ClientCredentials`` keeps its bearer token in a `TokenCache`. The default,
`MemoryTokenCache`, shares it between every task of one process; a Redis-backed cache (see
``netsuite_async.governor.redis``'s sibling) shares it across processes, so a fleet of workers mints one token
per hour instead of one per worker.

Examples:
    ```python
    cache = MemoryTokenCache()
    auth = ClientCredentials(client_id, certificate_id, pem, cache=cache)
    ```
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import anyio

__all__ = ["CachedToken", "MemoryTokenCache", "TokenCache"]


@dataclass(frozen=True)
class CachedToken:
    """A bearer token with its lifetime; ``repr`` masks the token.

    Examples:
        ```python
        tok = CachedToken("eyJ...", expires_at=time.time() + 3600, issued_at=time.time())
        assert "eyJ" not in repr(tok)
        ```
    """

    access_token: str
    expires_at: float
    """Unix epoch seconds after which NetSuite refuses the token."""
    issued_at: float
    """Unix epoch seconds when it was minted."""

    def __repr__(self) -> str:
        return (
            f"CachedToken(access_token='********', expires_at={self.expires_at!r}, "
            f"issued_at={self.issued_at!r})"
        )

    __str__ = __repr__

    @property
    def lifetime(self) -> float:
        """Seconds between minting and expiry.

        Examples:
            ```python
            CachedToken("t", expires_at=3600.0, issued_at=0.0).lifetime   # 3600.0
            ```
        """
        return self.expires_at - self.issued_at


@runtime_checkable
class TokenCache(Protocol):
    """Where a provider keeps its current access token, plus a lock for single-flight minting.

    ``lock(key)`` must exclude every holder of the same cache (every task, and for a shared cache every
    process) so that only one of them asks NetSuite for a new token while the others wait and then read it.
    Keys never contain secrets.

    `TokenCache` or ``TokenStore``? They look alike (``get``/``set``/``delete`` by key) but keep different
    things. A `TokenCache` holds what can be *minted again* without a person: ``ClientCredentials``' short-lived
    access token (`CachedToken`); losing it costs one token request, so it may be a process-local dict or a
    Redis key that expires, and it needs ``lock`` so a fleet mints once. A ``TokenStore``
    (``netsuite_async.auth.stores``) holds what *cannot*: ``AuthorizationCode``'s refresh token, which only a
    user's consent produces; losing it means asking the user again, so it must persist (a file, a database
    row) and survive restarts, and it has no lock (a refresh is serialised inside the provider). Neither
    subsumes the other: a store has no lock, a cache gives no durability, so both stay.

    Examples:
        ```python
        async with cache.lock(key):
            tok = await cache.get(key)
            if tok is None:
                await cache.set(key, await mint())
        ```
    """

    async def get(self, key: str) -> CachedToken | None:
        """The cached token, or ``None``."""
        ...

    async def set(self, key: str, token: CachedToken) -> None:
        """Store ``token`` (a shared cache may expire it at ``token.expires_at``)."""
        ...

    async def delete(self, key: str) -> None:
        """Forget the token (after NetSuite refused it)."""
        ...

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """An async context manager held while one holder mints a token for ``key``."""
        ...


class MemoryTokenCache:
    """A process-local `TokenCache` (the default): a dict and one ``anyio.Lock`` per key.

    Share one instance between several providers or clients of the same process to share their tokens.

    Examples:
        ```python
        cache = MemoryTokenCache()
        await cache.set("k", CachedToken("t", expires_at=2e9, issued_at=1.9e9))
        assert (await cache.get("k")).access_token == "t"
        ```
    """

    def __init__(self) -> None:
        self._tokens: dict[str, CachedToken] = {}
        self._locks: dict[str, anyio.Lock] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenCache(keys={len(self._tokens)})"

    async def get(self, key: str) -> CachedToken | None:
        """The cached token, or ``None``."""
        return self._tokens.get(key)

    async def set(self, key: str, token: CachedToken) -> None:
        """Store ``token``."""
        self._tokens[key] = token

    async def delete(self, key: str) -> None:
        """Forget the token for ``key``."""
        self._tokens.pop(key, None)

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Exclude other tasks of this process minting for ``key``."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = anyio.Lock()
        return _hold(lock)


@asynccontextmanager
async def _hold(lock: anyio.Lock) -> AsyncIterator[None]:
    async with lock:
        yield
