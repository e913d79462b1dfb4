"""The local and the Redis governors make the same limit decisions: one algorithm (`LimitController`), driven
by the same scripted sequence of outcomes with the same attempts in flight, gives the same limit, cuts and
controller state after every step, ghost and cooling slots included.

The scripts set a fake clock for the governors' latencies: 0 when a slot is taken, 1,000 s when it ends, so
every attempt took 1,000 s. That makes the median latency 1,000 s in both: a refused slot cools down (and an
abandoned one stays a ghost) for ``max_ghost`` = 60 s, longer than the test, and every attempt in flight is
within the estimate's window of 1.5 median latencies. The probe memory (60 s) runs on each governor's own clock
(the fake one locally, Redis's for the shared limit); nothing in the test comes near it.
"""

from __future__ import annotations

import anyio
import pytest
import redis.asyncio as aioredis
from _slots import Held, take
from anyio.abc import TaskGroup

from netsuite_async.governor import AdaptiveGovernor, Governor, Outcome
from netsuite_async.governor.redis import RedisGovernor

pytestmark = pytest.mark.anyio


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


Step = tuple[str, int]
OK, LIMITED, FAILED, ABANDONED = "ok", "429", "failed", "abandoned"
_OUTCOMES: dict[str, Outcome | None] = {
    OK: Outcome.SUCCESS, LIMITED: Outcome.LIMITED, FAILED: Outcome.FAILURE, ABANDONED: None,
}

# A ceiling of 20 (told 4x too high). Step numbers in brackets; "held" counts live attempts, "in flight" adds the
# ghost and cooling slots, as both governors count them.
SCRIPT: list[Step] = [
    # Slow start from NetSuite's floor, 5: each success while every slot is taken adds one slot.
    ("fill", 0), (OK, 1),  # [0-1] 5 of 5 busy -> 6 (4 held)
    ("fill", 0), (OK, 1),  # [2-3] 6 of 6 -> 7 (5 held)
    ("fill", 0), (OK, 1),  # [4-5] -> 8 (6 held)
    ("fill", 0), (OK, 1),  # [6-7] -> 9 (7 held)
    (OK, 1),  # [8] 7 of 9 in flight: not busy, nothing learnt (6 held)
    # [9-10] Filled to 9, then a 429 with 8 others in flight: limit = min(8, 9 - 1) = 8, slow start over, cut 1,
    # generation 1, the failed level 9; the refused slot cools down (a median is known).
    ("fill", 0), (LIMITED, 1),
    # [11] Two more refused from the same burst (granted in generation 0): one slot off each, 8 -> 7 -> 6, no new
    # cut; the failed level is now 6 + 1 = 7. 6 held, 3 cooling: 9 in flight.
    (LIMITED, 2),
    # [12] Busy successes (9, then 8 in flight, >= 6) near the failed level grow 8x slower:
    # 6 + 1/(8 * 6), then + 1/(8 * 6.02...): still 6 slots. 4 held.
    (OK, 2),
    # [13] An abandoned attempt: a ghost (NetSuite may still run it), counted in the next estimate. 3 held.
    (ABANDONED, 1),
    # [14] The rest end without an answer: nothing learnt. In flight: 1 ghost + 3 cooling = 4.
    (FAILED, 20),
    # [15-16] Fill the 6 - 4 = 2 free slots (generation 1) and one is refused: a new episode. The estimate is the
    # other live attempt plus the ghost, not the cooling slots: limit = min(2, 6 - 1) = 2, cut 2, failed level
    # 3, which is not within one of 7, so the slowdown goes back to 8.
    ("fill", 0), (LIMITED, 1),
    # [17] Busy (1 held + 1 ghost + 4 cooling >= 2), near the failed level 3: 2 + 1/(8 * 2) = 2.0625.
    (OK, 1),
]


async def _run_step(gov: Governor, held: list[Held], step: Step, clock: FakeClock, tg: TaskGroup) -> None:
    kind, n = step
    if kind == "fill":
        stats = gov.stats()
        clock.now = 0.0
        held.extend(await take(gov, tg, stats.limit - stats.in_flight))
        return
    clock.now = 1000.0
    for _ in range(min(n, len(held))):
        await held.pop(0).end(_OUTCOMES[kind])


def _controller_view(gov: AdaptiveGovernor) -> tuple[object, ...]:
    s = gov.controller.state()
    return s.value, s.slow_start, s.generation, s.cuts, s.failed_level, s.slowdown


async def _stored_view(client: aioredis.Redis, key: str) -> tuple[object, ...]:
    s = await client.hgetall(f"{{{key}}}:state")
    bad = s.get("bad_level")
    return (float(s["value"]), s["slow_start"] == "1", int(s["generation"]), int(s["cuts"]),
            None if bad is None else int(bad), float(s["slowdown"]))


async def test_local_and_redis_governors_decide_alike_for_the_same_scripted_outcomes(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis
) -> None:
    local_clock, redis_clock = FakeClock(), FakeClock()
    local = AdaptiveGovernor(20, clock=local_clock)
    shared = RedisGovernor(redis_url, key=pool_key, limit=20, clock=redis_clock)
    limits: list[int] = []
    local_held: list[Held] = []
    redis_held: list[Held] = []
    try:
        async with anyio.create_task_group() as tg:
            for i, step in enumerate(SCRIPT):
                await _run_step(local, local_held, step, local_clock, tg)
                await _run_step(shared, redis_held, step, redis_clock, tg)
                a, b = local.stats(), shared.stats()
                where = f"after step {i} {step}"
                assert (a.limit, a.in_flight, a.ghosts, a.cuts) == (b.limit, b.in_flight, b.ghosts, b.cuts), where
                assert _controller_view(local) == await _stored_view(redis_client, pool_key), where
                limits.append(a.limit)
            for h in local_held + redis_held:
                await h.end(Outcome.FAILURE)
    finally:
        await shared.aclose()
    # The decisions the script's comments derive, step by step (both governors', since they agreed above).
    assert limits == [5, 6, 6, 7, 7, 8, 8, 9, 9, 9, 8, 6, 6, 6, 6, 6, 2, 2]
    end = local.controller.state()
    assert (end.cuts, end.failed_level, end.slowdown, end.value) == (2, 3, 8.0, 2.0625)


async def test_a_fleet_of_redis_governors_decides_like_one_local_governor(
    redis_url: str, pool_key: str, redis_client: aioredis.Redis
) -> None:
    """The same script with the Redis side's slots spread over three governors (three processes' worth): the
    shared limit follows the one local governor's, since the estimate counts every governor's leases."""
    local_clock, clocks = FakeClock(), [FakeClock() for _ in range(3)]
    local = AdaptiveGovernor(20, clock=local_clock)
    fleet = [RedisGovernor(redis_url, key=pool_key, limit=20, clock=c) for c in clocks]
    local_held: list[Held] = []
    fleet_held: list[Held] = []
    turn = 0
    try:
        async with anyio.create_task_group() as tg:
            for i, (kind, n) in enumerate(SCRIPT):
                await _run_step(local, local_held, (kind, n), local_clock, tg)
                if kind == "fill":
                    shared_now = await fleet[0].shared_stats()
                    for _ in range(shared_now.limit - shared_now.in_flight):
                        gov = fleet[turn % 3]
                        clocks[turn % 3].now = 0.0
                        fleet_held.append(await Held.take(gov, tg))
                        turn += 1
                else:
                    for c in clocks:
                        c.now = 1000.0
                    for _ in range(min(n, len(fleet_held))):
                        await fleet_held.pop(0).end(_OUTCOMES[kind])
                a, b = local.stats(), await fleet[0].shared_stats()
                assert (a.limit, a.in_flight, a.ghosts, a.cuts) == (b.limit, b.in_flight, b.ghosts, b.cuts), i
                assert _controller_view(local) == await _stored_view(redis_client, pool_key), i
            for h in local_held + fleet_held:
                await h.end(Outcome.FAILURE)
    finally:
        for gov in fleet:
            await gov.aclose()


