"""A `TokenCache` in Redis: N workers using ``ClientCredentials`` mint one
access token between them, not N.

The token is stored as JSON under ``<prefix><cache key>`` with a Redis expiry at the token's own expiry; minting
is single-flight across processes through a lock key (``SET NX PX``, released by a compare-and-delete script).
Waiters for the lock are woken by a push to a list (``BLPOP``) with a bounded fallback poll, not by spinning.

Security: **the access token is a secret and this cache puts it in Redis.** Anyone who can read the Redis
database can call NetSuite as your integration until the token expires (at most 60 minutes). Use a Redis that
only your workers reach, with ``requirepass``/ACLs and TLS (``rediss://``) across machines. The key names hold
no secret (the provider's cache key is made of account, client and certificate ids and scopes).

redis-py's asyncio client runs on asyncio only, so this cache does too.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from netsuite_async._checks import is_number
from netsuite_async.auth.cache import CachedToken
from netsuite_async.errors import TokenCacheUnavailableError
from netsuite_async.governor._redis_lease import _require_asyncio, redact_redis_url

__all__ = ["RedisTokenCache", "TokenCacheUnavailableError"]

logger = logging.getLogger("netsuite_async.auth.redis_cache")

# Gives the lock back only if we still hold it (it may have lapsed and gone to someone else), then wakes one
# waiter; the wake list expires so a push nobody took does not linger.
_UNLOCK = r"""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('RPUSH', KEYS[2], '1')
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""


class RedisTokenCache:
    """Share OAuth 2.0 access tokens (and single-flight minting) between processes through Redis.

    Args:
        redis: a Redis URL or a ``redis.asyncio.Redis`` client (a client you pass is not closed by
            `aclose`).
        prefix: prepended to every key; keys hold no secrets.
        lock_ttl: seconds a minting lock survives a holder that died; minting must finish within it.
        lock_poll: the longest a lock waiter sleeps without re-checking, in case a wake-up was lost.
        op_timeout: seconds for one Redis round trip before Redis counts as unreachable.

    Examples:
        >>> cache = RedisTokenCache("redis://localhost:6379/0")                  # doctest: +SKIP
        >>> auth = ClientCredentials(client_id=..., certificate_id=..., private_key=pem,
        ...                          cache=cache)                                # doctest: +SKIP
    """

    def __init__(
        self,
        redis: str | aioredis.Redis,
        *,
        prefix: str = "netsuite-async:token:",
        lock_ttl: float = 30.0,
        lock_poll: float = 0.5,
        op_timeout: float = 5.0,
    ) -> None:
        if not isinstance(prefix, str) or "\n" in prefix or "\r" in prefix:
            raise ValueError("prefix must be a string without line breaks")
        for name, value in (("lock_ttl", lock_ttl), ("lock_poll", lock_poll), ("op_timeout", op_timeout)):
            if not is_number(value) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if isinstance(redis, str):
            if not redis.startswith(("redis://", "rediss://", "unix://")):
                raise ValueError("redis must be a redis://, rediss:// or unix:// URL, or a redis.asyncio client")
            self._where = redact_redis_url(redis)
            self._redis: aioredis.Redis = aioredis.Redis.from_url(redis, socket_connect_timeout=op_timeout)
            self._owns_client = True
        elif hasattr(redis, "register_script") and hasattr(redis, "blpop"):
            self._redis = redis
            self._where = type(redis).__name__
            self._owns_client = False
        else:
            raise TypeError(f"redis must be a URL or a redis.asyncio.Redis client, got {type(redis).__name__}")
        self._prefix = prefix
        self._lock_ms = max(1, round(lock_ttl * 1000))
        self._lock_poll = float(lock_poll)
        self._op_timeout = float(op_timeout)
        self._unlock = self._redis.register_script(_UNLOCK)
        # One task per process contends in Redis; the others queue behind this local lock.
        self._local: dict[str, anyio.Lock] = {}

    def __repr__(self) -> str:
        return f"RedisTokenCache(redis={self._where!r}, prefix={self._prefix!r})"

    async def get(self, key: str) -> CachedToken | None:
        """The cached token for ``key``, or ``None`` (missing, expired or unreadable).

        Examples:
            >>> async def show(cache: RedisTokenCache) -> None:
            ...     print(await cache.get("netsuite-async:m2m:1234567:client:cert:rest_webservices"))
        """
        raw = await self._call(self._redis.get(self._prefix + key))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return CachedToken(
                access_token=str(data["access_token"]),
                expires_at=float(data["expires_at"]),
                issued_at=float(data["issued_at"]),
            )
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring an unreadable cached token under %r", self._prefix + key)
            return None

    async def set(self, key: str, token: CachedToken) -> None:
        """Store ``token``; Redis drops it at ``token.expires_at`` (wall clock, as NetSuite's own expiry).

        Examples:
            >>> async def store(cache: RedisTokenCache, tok: CachedToken) -> None:
            ...     await cache.set("k", tok)
        """
        ttl_ms = math.floor((token.expires_at - time.time()) * 1000)
        if ttl_ms <= 0:
            await self.delete(key)
            return
        payload = json.dumps(
            {"access_token": token.access_token, "expires_at": token.expires_at, "issued_at": token.issued_at}
        )
        await self._call(self._redis.set(self._prefix + key, payload, px=ttl_ms))

    async def delete(self, key: str) -> None:
        """Forget the token for ``key`` (NetSuite refused it).

        Examples:
            >>> async def forget(cache: RedisTokenCache) -> None:
            ...     await cache.delete("k")
        """
        await self._call(self._redis.delete(self._prefix + key))

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the minting lock for ``key`` across every process sharing this Redis.

        Examples:
            >>> async def mint_once(cache: RedisTokenCache) -> None:
            ...     async with cache.lock("k"):
            ...         if await cache.get("k") is None:
            ...             ...  # ask NetSuite for a token, then cache.set("k", token)
        """
        return self._lock(key)

    async def aclose(self) -> None:
        """Close the connection when this cache made it from a URL.

        Examples:
            >>> async def done(cache: RedisTokenCache) -> None:
            ...     await cache.aclose()
        """
        if self._owns_client:
            with anyio.CancelScope(shield=True):
                await self._redis.aclose()

    @asynccontextmanager
    async def _lock(self, key: str) -> AsyncIterator[None]:
        local = self._local.get(key)
        if local is None:
            local = self._local[key] = anyio.Lock()
        lock_key = f"{self._prefix}lock:{key}"
        wake_key = f"{lock_key}:wake"
        owner = secrets.token_hex(16)
        async with local:
            try:
                while not await self._call(self._redis.set(lock_key, owner, nx=True, px=self._lock_ms)):
                    # Wake on the holder's release; re-check no later than the lock's own expiry or lock_poll.
                    pttl = await self._call(self._redis.pttl(lock_key))
                    wait = self._lock_poll if pttl < 0 else min(self._lock_poll, pttl / 1000 + 0.005)
                    wait = max(wait, 0.01)
                    await self._call(self._redis.blpop([wake_key], timeout=wait), extra=wait)
            except BaseException:
                # A cancelled waiter may have won the SET just before; don't leave the lock held.
                await self._release(lock_key, wake_key, owner)
                raise
            try:
                yield
            finally:
                await self._release(lock_key, wake_key, owner)

    async def _release(self, lock_key: str, wake_key: str, owner: str) -> None:
        with anyio.move_on_after(self._op_timeout, shield=True):
            try:
                await self._unlock(keys=[lock_key, wake_key], args=[owner, self._lock_ms])
            except (RedisError, OSError) as exc:
                logger.warning("could not release the token lock (%s); it lapses by itself", type(exc).__name__)

    async def _call(self, awaitable: Any, *, extra: float = 0.0) -> Any:
        try:
            _require_asyncio()
        except RuntimeError:
            awaitable.close()  # the coroutine was made by our caller; don't leave it "never awaited"
            raise
        try:
            with anyio.fail_after(self._op_timeout + extra):
                return await awaitable
        except (RedisError, OSError, TimeoutError) as exc:
            reason = type(exc).__name__ if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
            raise TokenCacheUnavailableError(
                f"the shared token cache's Redis at {self._where} is unreachable ({reason})"
            ) from exc
