"""NetSuiteClient(..., governor=RedisGovernor(...)) end to end against the in-process emulator."""

from __future__ import annotations

import anyio
import pytest

from netsuite_async.governor.redis import RedisGovernor
from netsuite_async.testing.fake import FakeNetSuite

pytestmark = pytest.mark.anyio

PATH = "/system/v1/governanceLimits"


async def test_two_clients_share_one_pool_and_the_emulator_never_sees_more(redis_url: str, pool_key: str) -> None:
    async with FakeNetSuite(concurrency=3, latency=0.01) as fake:
        clients = [fake.client(governor=RedisGovernor(redis_url, key=pool_key, limit=3)) for _ in range(2)]

        async def burst(i: int) -> None:
            async with clients[i] as ns, anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(lambda: ns.request("GET", PATH))

        async with anyio.create_task_group() as tg:
            tg.start_soon(burst, 0)
            tg.start_soon(burst, 1)
        assert fake.counters.requests == 16
        assert fake.counters.limited == 0
        assert fake.counters.max_in_flight == 3


async def test_netsuite_429s_cut_the_shared_limit_and_every_call_still_succeeds(
    redis_url: str, pool_key: str
) -> None:
    # Configured for 8, but the account really allows 2: the 429s teach both clients the same lower limit.
    async with FakeNetSuite(concurrency=2, latency=0.01) as fake:
        govs = [RedisGovernor(redis_url, key=pool_key, limit=8) for _ in range(2)]
        ok = 0

        async def burst(gov: RedisGovernor) -> None:
            nonlocal ok
            async with fake.client(governor=gov) as ns:

                async def call() -> None:
                    nonlocal ok
                    await ns.request("GET", PATH)
                    ok += 1

                async with anyio.create_task_group() as tg:
                    for _ in range(12):
                        tg.start_soon(call)

        async with anyio.create_task_group() as tg:
            for gov in govs:
                tg.start_soon(burst, gov)
        assert ok == 24
        assert fake.counters.limited > 0
        probe = RedisGovernor(redis_url, key=pool_key, limit=8)
        shared = await probe.shared_stats()
        await probe.aclose()
        assert shared.cuts >= 1
        assert shared.limit < 8
        assert shared.in_flight == 0
