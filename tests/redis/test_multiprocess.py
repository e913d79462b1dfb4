"""RedisGovernor across real OS processes: the limit holds, a SIGKILLed holder's slots come back within the
lease TTL, and a 429 seen by one process lowers the limit for all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis

from netsuite_async.governor import Outcome
from netsuite_async.governor.redis import RedisGovernor
from netsuite_async.testing._emulator import EmulatorConfig
from netsuite_async.testing.server import EmulatorServer

pytestmark = pytest.mark.anyio

WORKER = str(Path(__file__).with_name("_worker.py"))


class Worker:
    """One worker process; its stdout lines are the only way it talks back."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, WORKER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )

    async def expect(self, line: str, timeout: float = 30.0) -> None:
        assert self.proc.stdout is not None
        with anyio.fail_after(timeout):
            got = await anyio.to_thread.run_sync(self.proc.stdout.readline, abandon_on_cancel=True)
        if got.strip() != line:
            _, err = self.proc.communicate(timeout=5)
            raise AssertionError(f"worker said {got!r}, expected {line!r}; stderr:\n{err}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def spawn(worker_env: dict[str, str]) -> Iterator[list[Worker]]:
    workers: list[Worker] = []
    yield workers
    for w in workers:
        w.stop()


async def start(spawn: list[Worker], env: dict[str, str], client: aioredis.Redis, key: str,
                argvs: list[list[str]]) -> list[Worker]:
    workers = [Worker(argv, env) for argv in argvs]
    spawn.extend(workers)
    for w in workers:
        await w.expect("ready")
    await client.rpush(f"{key}:go", *["go"] * len(workers))
    return workers


async def test_limit_holds_across_three_processes(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis, spawn: list[Worker], worker_env: dict[str, str]
) -> None:
    argv = ["count", redis_url, pool_key, "--limit", "4", "--tasks", "4", "--slots", "12", "--hold", "0.004"]
    workers = await start(spawn, worker_env, redis_client, pool_key, [argv] * 3)
    for w in workers:
        await w.expect("done", timeout=60)
    peak = int(await redis_client.get(f"{pool_key}:probe:peak"))
    assert peak == 4  # 12 tasks wanted a slot at once; exactly the limit got one
    assert int(await redis_client.get(f"{pool_key}:probe:now")) == 0
    gov = RedisGovernor(redis_url, key=pool_key, limit=4)
    shared = await gov.shared_stats()
    await gov.aclose()
    assert (shared.in_flight, shared.waiting, shared.acquired) == (0, 0, 3 * 4 * 12)


async def test_three_processes_never_put_more_than_the_limit_in_flight_at_the_emulator(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis, spawn: list[Worker], worker_env: dict[str, str]
) -> None:
    limit, processes, tasks, requests = 4, 3, 4, 10
    # The emulator answers 429 past its limit, so one request too many in flight would show in ``limited``.
    with EmulatorServer(EmulatorConfig(concurrency=limit, latency=0.01), seed={}) as server:
        assert server.emulator is not None
        argv = [
            "emulator", redis_url, pool_key, "--limit", str(limit), "--tasks", str(tasks),
            "--slots", str(requests), "--base-url", server.base_url, "--account", server.account,
            "--token", server.config_data["static_token"],
        ]
        workers = await start(spawn, worker_env, redis_client, pool_key, [argv] * processes)
        for w in workers:
            await w.expect("done", timeout=60)
        counters = server.emulator.counters
        assert counters.requests == processes * tasks * requests
        assert counters.limited == 0
        assert counters.max_in_flight == limit  # 12 tasks pressed; exactly the limit was reached, never more


async def test_client_credentials_workers_in_three_processes_mint_one_token(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis, spawn: list[Worker], worker_env: dict[str, str]
) -> None:
    with EmulatorServer(EmulatorConfig(concurrency=4), seed={}) as server:
        assert server.emulator is not None
        info = server.config_data
        m2m = json.dumps({k: info[k] for k in ("client_id", "certificate_id", "private_key")})
        argv = [
            "m2m", redis_url, pool_key, "--limit", "4", "--tasks", "3", "--slots", "2",
            "--base-url", server.base_url, "--account", server.account, "--m2m", m2m,
        ]
        workers = await start(spawn, worker_env, redis_client, pool_key, [argv] * 3)
        for w in workers:
            await w.expect("done", timeout=60)
        assert server.emulator.auth.token_requests == {"client_credentials": 1}
        assert server.emulator.counters.requests >= 3 * 3 * 2


async def test_sigkilled_holder_gives_its_slots_back_within_the_lease_ttl(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis, spawn: list[Worker], worker_env: dict[str, str]
) -> None:
    lease_ttl = 1.0
    (holder,) = await start(
        spawn, worker_env, redis_client, pool_key,
        [["hold", redis_url, pool_key, "--limit", "2", "--tasks", "2", "--lease-ttl", str(lease_ttl)]],
    )
    await holder.expect("held")
    gov = RedisGovernor(redis_url, key=pool_key, limit=2, lease_ttl=lease_ttl)
    assert (await gov.shared_stats()).in_flight == 2
    os.kill(holder.proc.pid, signal.SIGKILL)
    killed_at = anyio.current_time()
    both = anyio.Event()
    got = 0

    async def take() -> None:
        nonlocal got
        async with gov.slot() as permit:
            got += 1
            if got == 2:
                both.set()
            await both.wait()
            permit.record(Outcome.SUCCESS)

    async with anyio.create_task_group() as tg:
        tg.start_soon(take)
        tg.start_soon(take)
        with anyio.fail_after(lease_ttl + 2.0):
            await both.wait()
        reclaimed_after = anyio.current_time() - killed_at
    await gov.aclose()
    # The leases were last renewed before the kill, so they lapse at most one ttl after it; the waiters re-check
    # right when the oldest lease would lapse. The slack is for a loaded CI machine's scheduling only.
    assert reclaimed_after <= lease_ttl + 0.4


async def test_a_429_in_one_process_lowers_the_limit_in_all(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis, spawn: list[Worker], worker_env: dict[str, str]
) -> None:
    gov = RedisGovernor(redis_url, key=pool_key, limit=10)
    async with gov.slot() as permit:
        permit.record(Outcome.SUCCESS)
    assert gov.stats().limit == 10
    (other,) = await start(
        spawn, worker_env, redis_client, pool_key, [["limited", redis_url, pool_key, "--limit", "10"]]
    )
    await other.expect("done")
    async with gov.slot() as permit:
        permit.record(Outcome.SUCCESS)
    stats = gov.stats()
    await gov.aclose()
    assert (stats.limit, stats.cuts) == (7, 1)
