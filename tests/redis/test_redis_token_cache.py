"""RedisTokenCache against a real redis-server: storage with expiry, a cross-process minting lock, and N
ClientCredentials workers minting one token between them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import anyio
import pytest
import redis.asyncio as aioredis
from _auth_harness import MiniEmulator

from netsuite_async.auth import ClientCredentials
from netsuite_async.auth.cache import CachedToken, TokenCache
from netsuite_async.auth.redis_cache import RedisTokenCache, TokenCacheUnavailableError
from netsuite_async.errors import NetSuiteError

pytestmark = pytest.mark.anyio


@pytest.fixture
async def make_cache(redis_url: str, pool_key: str) -> AsyncIterator[Callable[..., RedisTokenCache]]:
    made: list[RedisTokenCache] = []

    def make(**kwargs: object) -> RedisTokenCache:
        options: dict[str, object] = {"prefix": f"{pool_key}:"}
        options.update(kwargs)
        cache = RedisTokenCache(redis_url, **options)  # type: ignore[arg-type]
        made.append(cache)
        return cache

    yield make
    for cache in made:
        await cache.aclose()


async def test_is_a_token_cache_that_round_trips_and_expires_with_the_token(
    make_cache: Callable[..., RedisTokenCache], redis_client: aioredis.Redis, pool_key: str
) -> None:
    cache = make_cache()
    assert isinstance(cache, TokenCache)
    now = time.time()
    token = CachedToken("secret-access-token", expires_at=now + 60, issued_at=now)
    assert await cache.get("k") is None
    await cache.set("k", token)
    assert await make_cache().get("k") == token  # another "process" reads it
    ttl = await redis_client.pttl(f"{pool_key}:k")
    assert 55_000 < ttl <= 60_000
    await cache.delete("k")
    assert await cache.get("k") is None


async def test_an_already_expired_token_is_not_stored(make_cache: Callable[..., RedisTokenCache]) -> None:
    cache = make_cache()
    await cache.set("k", CachedToken("t", expires_at=time.time() - 1, issued_at=time.time() - 3601))
    assert await cache.get("k") is None


async def test_an_unreadable_entry_reads_as_missing(
    make_cache: Callable[..., RedisTokenCache], redis_client: aioredis.Redis, pool_key: str
) -> None:
    await redis_client.set(f"{pool_key}:k", "not json")
    assert await make_cache().get("k") is None


async def test_the_lock_excludes_holders_across_caches(make_cache: Callable[..., RedisTokenCache]) -> None:
    caches = [make_cache(lock_poll=5.0) for _ in range(4)]
    inside = 0
    peak = 0
    entries = 0

    async def take(cache: RedisTokenCache) -> None:
        nonlocal inside, peak, entries
        for _ in range(3):
            async with cache.lock("k"):
                inside += 1
                entries += 1
                peak = max(peak, inside)
                await anyio.sleep(0.005)
                inside -= 1

    with anyio.fail_after(10):  # lock_poll 5 s: only the release wake-ups keep this fast
        async with anyio.create_task_group() as tg:
            for cache in caches:
                tg.start_soon(take, cache)
                tg.start_soon(take, cache)
    assert (peak, entries) == (1, 24)


async def test_a_dead_holders_lock_lapses_after_its_ttl(
    make_cache: Callable[..., RedisTokenCache], redis_client: aioredis.Redis, pool_key: str
) -> None:
    await redis_client.set(f"{pool_key}:lock:k", "someone-who-died", px=300)
    start = anyio.current_time()
    with anyio.fail_after(4):
        async with make_cache(lock_poll=5.0).lock("k"):
            waited = anyio.current_time() - start
    assert 0.2 < waited < 0.3 + 1.5  # the 0.3 s TTL, not the 5 s poll; slack for a loaded machine


async def test_a_cancelled_lock_waiter_leaves_the_lock_free(
    make_cache: Callable[..., RedisTokenCache], redis_client: aioredis.Redis, pool_key: str
) -> None:
    a, b = make_cache(), make_cache()
    async with a.lock("k"):
        with anyio.move_on_after(0.1) as scope:
            async with b.lock("k"):
                pytest.fail("two holders")
        assert scope.cancelled_caught
    assert await redis_client.get(f"{pool_key}:lock:k") is None
    with anyio.fail_after(1):
        async with b.lock("k"):
            pass


async def test_n_client_credentials_workers_mint_one_token(make_cache: Callable[..., RedisTokenCache]) -> None:
    emu = MiniEmulator()
    c = emu.credentials
    kinds: list[str] = []

    async def worker() -> None:
        # Each worker has its own provider, client and Redis connection, as separate processes would.
        auth = ClientCredentials(c.client_id, c.certificate_id, c.private_key, clock=emu.now, cache=make_cache())
        async with emu.client(auth) as ns:
            for _ in range(3):
                kinds.append((await ns.request("GET", "/record/v1/customer/1")).json()["kind"])

    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(worker)
    assert emu.auth.token_requests == {"client_credentials": 1}
    assert kinds == ["client_credentials"] * 24


async def test_unreachable_redis_is_a_clear_typed_error_without_the_password() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache = RedisTokenCache(f"redis://:hunter2@127.0.0.1:{port}/0", op_timeout=1.0)
    with pytest.raises(TokenCacheUnavailableError, match="unreachable") as info:
        await cache.get("k")
    assert isinstance(info.value, NetSuiteError)
    assert "hunter2" not in str(info.value) + repr(cache)
    await cache.aclose()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"redis": "http://x"}, ValueError),
        ({"redis": 3}, TypeError),
        ({"lock_ttl": 0}, ValueError),
        ({"lock_poll": -1}, ValueError),
        ({"prefix": "a\nb"}, ValueError),
    ],
)
def test_bad_arguments_are_rejected_at_construction(kwargs: dict[str, object], error: type[Exception]) -> None:
    options: dict[str, object] = {"redis": "redis://127.0.0.1:1/0"}
    options.update(kwargs)
    redis = options.pop("redis")
    with pytest.raises(error):
        RedisTokenCache(redis, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_on_trio_it_says_clearly_that_it_needs_asyncio(redis_url: str) -> None:
    cache = RedisTokenCache(redis_url)
    with pytest.raises(RuntimeError, match="needs asyncio"):
        await cache.get("k")
