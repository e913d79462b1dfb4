"""RedisGovernor across real OS processes: the limit holds, a SIGKILLed worker stalls nobody (its held slots
come back within the lease TTL, its queued tickets get no slot for long), and a 429 seen by one process lowers
the limit for all."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis
from _slots import take

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

    async def expect(self, line: str, timeout: float = 30.0) -> str:
        """Wait for the next line; it must be ``line`` or start with ``line + " "``. Returns the rest."""
        assert self.proc.stdout is not None
        with anyio.fail_after(timeout):
            got = await anyio.to_thread.run_sync(self.proc.stdout.readline, abandon_on_cancel=True)
        word, _, rest = got.strip().partition(" ")
        if word != line:
            if self.proc.poll() is None:
                self.proc.kill()
            _, err = self.proc.communicate(timeout=5)
            raise AssertionError(f"worker said {got!r}, expected {line!r}; stderr:\n{err}")
        return rest

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
                argvs: list[list[str]], said: list[str] | None = None) -> list[Worker]:
    workers = [Worker(argv, env) for argv in argvs]
    spawn.extend(workers)
    for w in workers:
        rest = await w.expect("ready")
        if said is not None:
            said.append(rest)
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
    assert reclaimed_after <= lease_ttl + 1.5


async def test_a_429_in_one_process_lowers_the_limit_in_all(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis, spawn: list[Worker], worker_env: dict[str, str]
) -> None:
    gov = RedisGovernor(redis_url, key=pool_key, limit=10)
    async with anyio.create_task_group() as tg:
        held = await take(gov, tg, 3)
        assert gov.stats().limit == 5  # slow start begins at NetSuite's floor, min(5, 10)
        (other,) = await start(
            spawn, worker_env, redis_client, pool_key, [["limited", redis_url, pool_key, "--limit", "10"]]
        )
        await other.expect("done")
        for h in held:
            await h.end(Outcome.FAILURE)
    async with gov.slot() as permit:
        permit.record(Outcome.SUCCESS)
    stats = gov.stats()
    await gov.aclose()
    # The other process's 429 came while this one held 3 slots: limit = max(1, min(estimate 3, level 5 - 1)) = 3.
    assert (stats.limit, stats.cuts) == (3, 1)


async def _members(client: aioredis.Redis, key: str) -> tuple[list[str], list[str]]:
    """Ids of the pool's claimed leases and queued tickets, read in one transaction.

    A slot reserved for a queued ticket is in the lease set too, but expires no later than a ticket would
    (``ticket_ttl``, 1 s by default); a claimed lease was renewed less than ``lease_ttl / 4`` ago, so it
    expires more than ``3/4 * lease_ttl`` (1.5 s) from now. The 1 s cut tells them apart at the defaults.
    """
    async with client.pipeline(transaction=True) as pipe:
        pipe.time()
        pipe.zrange(f"{{{key}}}:leases", 0, -1, withscores=True)
        pipe.zrange(f"{{{key}}}:queue", 0, -1)
        (seconds, micros), leases, queue = await pipe.execute()
    now_ms = seconds * 1000 + micros // 1000
    return [lease for lease, expiry in leases if expiry > now_ms + 1000], list(queue)


async def _redis_now(client: aioredis.Redis) -> float:
    seconds, micros = await client.time()
    return seconds + micros / 1e6


def _occupancy(events: list[str], ids: set[str]) -> list[tuple[float, int]]:
    """(time, slots held by the workers in ``ids`` from then on), from the workers' slot events."""
    steps: list[tuple[float, int]] = []
    held = 0
    for event in events:
        worker, delta, at = event.split()
        if worker in ids:
            held += int(delta)
            steps.append((float(at), held))
    return steps


def _mean_held(steps: list[tuple[float, int]], start: float, end: float) -> float:
    """Time-weighted mean of the step function over [start, end)."""
    total = 0.0
    level = 0
    t = start
    for at, held in steps:
        if at <= start:
            level = held
            continue
        if at >= end:
            break
        total += level * (at - t)
        t, level = at, held
    total += level * (end - t)
    return total / (end - start)


async def test_a_sigkilled_worker_with_leases_and_queued_tickets_stalls_nobody_at_default_settings(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis, spawn: list[Worker], worker_env: dict[str, str]
) -> None:
    """Issue 13: 3 processes, limit 6, every one pressing with 6 tasks; one is SIGKILLed while it holds leases
    and has tickets queued. The survivors must get >= 60% of the limit within 2 s and all of it within 3 s,
    with the governor's default timings, and the emulator must never see more than 6 requests at once."""
    limit, tasks, window = 6, 6, 5.0
    # The emulator's own limit is set above the governor's so that it counts, rather than refuses, any excess.
    with EmulatorServer(EmulatorConfig(concurrency=2 * limit, latency=0.1), seed={}) as server:
        assert server.emulator is not None
        prefixes: list[str] = []
        argvs = [
            ["fleet", redis_url, pool_key, "--limit", str(limit), "--tasks", str(tasks), "--id", f"w{i}",
             "--base-url", server.base_url, "--account", server.account,
             "--token", server.config_data["static_token"]]
            for i in range(3)
        ]
        victim, *survivors = await start(spawn, worker_env, redis_client, pool_key, argvs, prefixes)
        mine = prefixes[0] + ":"

        # Stop the victim at a moment that is the case: it holds claimed leases (no more than its fair
        # share, limit / 3, so the 60 % mark measures its queued tickets and the 100 % mark its held leases) and
        # has tickets queued. Sampling Redis: the workers cannot signal this moment.
        with anyio.fail_after(30):
            while True:
                leases, queue = await _members(redis_client, pool_key)
                held = sum(m.startswith(mine) for m in leases)
                queued = sum(m.startswith(mine) for m in queue)
                if 1 <= held <= limit // 3 and queued >= 1:
                    killed_at = await _redis_now(redis_client)
                    os.kill(victim.proc.pid, signal.SIGSTOP)  # frozen now: no more renewals or heartbeats
                    # It may have finished a request between the sample and the stop: check again, frozen.
                    leases, queue = await _members(redis_client, pool_key)
                    if sum(m.startswith(mine) for m in leases) >= 1 and sum(m.startswith(mine) for m in queue) >= 1:
                        break
                    os.kill(victim.proc.pid, signal.SIGCONT)
                await anyio.sleep(0.01)
        os.kill(victim.proc.pid, signal.SIGKILL)
        held_at_kill = sum(m.startswith(mine) for m in leases)
        queued_at_kill = sum(m.startswith(mine) for m in queue)
        assert held_at_kill >= 1
        assert queued_at_kill >= 1

        # The observation window: the survivors keep pressing while we watch the clock.
        await anyio.sleep(window)
        for i in (1, 2):
            await redis_client.rpush(f"{pool_key}:stop:w{i}", "stop")
        for w in survivors:
            await w.expect("sent", timeout=30)
            await w.expect("done", timeout=30)
        counters = server.emulator.counters
        assert counters.max_in_flight <= limit  # the limit held at NetSuite's side, kill included
        assert counters.limited == 0

    events = [str(e) for e in await redis_client.lrange(f"{pool_key}:events", 0, -1)]  # decoded already
    steps = _occupancy(events, {"w1", "w2"})
    # 60 %: from this moment on, every 100 ms the survivors held at least 60 % of the limit on average.
    bins = [killed_at + k * 0.1 for k in range(int(window / 0.1) + 1)]
    below = [b for b in bins[:-1] if _mean_held(steps, b, b + 0.1) < 0.6 * limit]
    time_to_60 = (below[-1] + 0.1 - killed_at) if below else 0.0
    # 100 %: the first moment the survivors held every slot (from then on the dead worker holds none: its
    # tickets are gone long before its leases lapse, and it can queue no new ones).
    full = [at for at, held in steps if at >= killed_at and held == limit]
    time_to_all = full[0] - killed_at if full else math.inf
    after = _mean_held(steps, killed_at + 3.0, killed_at + window)
    print(
        f"\nSIGKILL with {held_at_kill} leases held and {queued_at_kill} tickets queued: survivors at >= 60% "
        f"after {time_to_60:.2f} s, at 100% after {time_to_all:.2f} s; mean held from 3 s on "
        f"{after:.2f}/{limit}; emulator max in flight {counters.max_in_flight}"
    )
    assert time_to_60 <= 2.0
    assert time_to_all <= 3.0


async def test_a_frozen_waiter_misses_its_reserved_slot_without_breaking_the_limit_and_is_served_later(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis, spawn: list[Worker], worker_env: dict[str, str]
) -> None:
    """A waiter whose process is frozen (SIGSTOP: a long GC pause, a blocked event loop) when its turn comes:
    the slot reserved for it goes to the next waiter within the ticket TTL; once it runs again its late claim
    is refused (the slot is someone else's now), it queues again and gets a slot when one is free."""
    first = RedisGovernor(redis_url, key=pool_key, limit=1)
    second = RedisGovernor(redis_url, key=pool_key, limit=1)
    release_first = anyio.Event()
    release_second = anyio.Event()
    second_got = anyio.Event()

    async def hold(gov: RedisGovernor, got: anyio.Event | None, release: anyio.Event) -> None:
        async with gov.slot() as permit:
            if got is not None:
                got.set()
            await release.wait()
            permit.record(Outcome.SUCCESS)

    async def shared(n_in_flight: int, n_waiting: int) -> bool:
        s = await first.shared_stats()
        return (s.in_flight, s.waiting) == (n_in_flight, n_waiting)

    async def until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
        with anyio.fail_after(timeout):  # state in Redis: nothing can signal it, so it is sampled
            while not await predicate():
                await anyio.sleep(0.01)

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold, first, None, release_first)
        await until(lambda: shared(1, 0))
        (frozen,) = await start(
            spawn, worker_env, redis_client, pool_key, [["hold", redis_url, pool_key, "--limit", "1", "--tasks", "1"]]
        )
        await until(lambda: shared(1, 1))
        os.kill(frozen.proc.pid, signal.SIGSTOP)
        tg.start_soon(hold, second, second_got, release_second)
        await until(lambda: shared(1, 2))
        release_first.set()  # the slot is reserved for the frozen waiter, first in line
        freed_at = anyio.current_time()
        with anyio.fail_after(5.0):
            await second_got.wait()
        handed_on_after = anyio.current_time() - freed_at
        os.kill(frozen.proc.pid, signal.SIGCONT)
        # Running again, the frozen waiter finds its reservation gone and queues again: still one slot in use.
        await until(lambda: shared(1, 1))
        release_second.set()
    await frozen.expect("held", timeout=10)
    assert (await first.shared_stats()).in_flight == 1
    await first.aclose()
    await second.aclose()
    # Within the default ticket TTL (1 s) of its last heartbeat; slack for a loaded machine.
    assert handed_on_after < 1.0 + 1.5
