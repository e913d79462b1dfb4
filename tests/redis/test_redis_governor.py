"""RedisGovernor against a real redis-server: the shared limit, FIFO hand-off, leases, AIMD and failure modes.

Several governors in one process, each with its own Redis connection, stand in for separate processes here
(they share nothing but Redis); tests/redis/test_multiprocess.py uses real OS processes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import pytest
import redis.asyncio as aioredis
from _slots import take

from netsuite_async.errors import GovernorUnavailableError, NetSuiteError
from netsuite_async.governor import AdaptiveGovernor, Governor, GovernorStats, Outcome, ServiceTier
from netsuite_async.governor.redis import RedisGovernor, redact_redis_url

pytestmark = pytest.mark.anyio


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait for a condition in Redis (nothing there can signal us an event); bounded."""
    with anyio.fail_after(timeout):
        while not await predicate():
            await anyio.sleep(0.005)


@pytest.fixture
async def make_gov(redis_url: str, pool_key: str) -> AsyncIterator[Callable[..., RedisGovernor]]:
    made: list[RedisGovernor] = []

    def make(**kwargs: object) -> RedisGovernor:
        options: dict[str, object] = {"key": pool_key, "limit": 3, "lease_ttl": 1.5}
        options.update(kwargs)
        gov = RedisGovernor(redis_url, **options)  # type: ignore[arg-type]
        made.append(gov)
        return gov

    yield make
    for gov in made:
        await gov.aclose()


async def test_is_a_governor_and_grants_a_slot(make_gov: Callable[..., RedisGovernor]) -> None:
    gov = make_gov()
    assert isinstance(gov, Governor)
    async with gov.slot() as permit:
        permit.record(Outcome.SUCCESS)
        shared = await gov.shared_stats()
        assert shared.in_flight == 1
    stats = gov.stats()
    assert (stats.acquired, stats.in_flight, stats.limit, stats.ceiling) == (1, 0, 3, 3)
    assert (await gov.shared_stats()).in_flight == 0


async def test_limit_holds_across_governors_sharing_a_key(make_gov: Callable[..., RedisGovernor]) -> None:
    govs = [make_gov(limit=4) for _ in range(3)]
    in_body = 0
    peak = 0
    peak_in_redis = 0

    async def worker(gov: RedisGovernor) -> None:
        nonlocal in_body, peak, peak_in_redis
        for _ in range(6):
            async with gov.slot() as permit:
                in_body += 1
                peak = max(peak, in_body)
                peak_in_redis = max(peak_in_redis, (await gov.shared_stats()).in_flight)
                await anyio.sleep(0.002)
                in_body -= 1
                permit.record(Outcome.SUCCESS)

    async with anyio.create_task_group() as tg:
        for gov in govs:
            for _ in range(5):
                tg.start_soon(worker, gov)
    assert peak == 4
    assert peak_in_redis <= 4
    shared = await govs[0].shared_stats()
    assert (shared.in_flight, shared.waiting, shared.acquired) == (0, 0, 3 * 5 * 6)


async def test_waiters_are_served_first_come_first_served(make_gov: Callable[..., RedisGovernor]) -> None:
    holder_gov, *govs = [make_gov(limit=1) for _ in range(4)]
    order: list[int] = []
    release_holder = anyio.Event()

    async def hold() -> None:
        async with holder_gov.slot():
            await release_holder.wait()

    async def wait_turn(i: int) -> None:
        async with govs[i].slot() as permit:
            order.append(i)
            permit.record(Outcome.SUCCESS)

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold)
        await wait_until(lambda: _in_flight_is(holder_gov, 1))
        # Queue the waiters one after another, each from a different "process".
        for queued, i in enumerate((2, 0, 1), start=1):
            tg.start_soon(wait_turn, i)
            await wait_until(lambda queued=queued: _waiting_is(holder_gov, queued))
        release_holder.set()
    assert order == [2, 0, 1]


async def _in_flight_is(gov: RedisGovernor, n: int) -> bool:
    return (await gov.shared_stats()).in_flight == n


async def _waiting_is(gov: RedisGovernor, n: int) -> bool:
    return (await gov.shared_stats()).waiting == n


async def test_a_released_slot_wakes_a_waiter_in_another_governor_without_polling(
    make_gov: Callable[..., RedisGovernor],
) -> None:
    # poll_interval 30 s: only the BLPOP wake-up can explain a hand-off within a second.
    a = make_gov(limit=1, lease_ttl=60, ticket_ttl=60, poll_interval=30)
    b = make_gov(limit=1, lease_ttl=60, ticket_ttl=60, poll_interval=30)
    got_it = anyio.Event()
    async with anyio.create_task_group() as tg:
        async with a.slot() as permit:

            async def waiter() -> None:
                async with b.slot():
                    got_it.set()

            tg.start_soon(waiter)
            await wait_until(lambda: _waiting_is(a, 1))
            permit.record(Outcome.SUCCESS)
        with anyio.fail_after(1.0):
            await got_it.wait()


async def test_cancelled_waiter_withdraws_its_ticket(make_gov: Callable[..., RedisGovernor]) -> None:
    gov = make_gov(limit=1)
    async with gov.slot():
        with anyio.move_on_after(0.2) as scope:
            async with gov.slot():
                pytest.fail("granted beyond the limit")
        assert scope.cancelled_caught
        shared = await gov.shared_stats()
        assert (shared.in_flight, shared.waiting) == (1, 0)
    assert gov.stats().waiting == 0
    assert (await gov.shared_stats()).in_flight == 0


class FakeClock:
    """A monotonic clock the test moves by hand (this process's latencies; Redis keeps its own time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _cancel_inside_the_slot(gov: RedisGovernor, clock: FakeClock, ran_for: float) -> None:
    entered = anyio.Event()
    async with anyio.create_task_group() as tg:

        async def hold_forever() -> None:
            async with gov.slot():
                clock.now += ran_for  # how long the attempt had been running when it was abandoned
                entered.set()
                await anyio.sleep_forever()

        tg.start_soon(hold_forever)
        await entered.wait()
        tg.cancel_scope.cancel()


async def test_an_attempt_cancelled_in_flight_keeps_its_slot_as_a_ghost_for_its_age(
    make_gov: Callable[..., RedisGovernor],
) -> None:
    # As AdaptiveGovernor: NetSuite may still be running an abandoned attempt, so its slot stays counted; before
    # any latency is known, for as long as the attempt had been running (capped by max_ghost).
    clock = FakeClock()
    gov = make_gov(limit=1, clock=clock)
    await _cancel_inside_the_slot(gov, clock, ran_for=30.0)  # a 30 s ghost: far longer than this test
    shared = await gov.shared_stats()
    assert (shared.in_flight, shared.ghosts) == (1, 1)
    assert (gov.stats().in_flight, gov.stats().ghosts) == (1, 1)
    other = make_gov(limit=1)
    with anyio.move_on_after(0.3) as scope:
        async with other.slot():
            pytest.fail("a ghost slot was granted again")
    assert scope.cancelled_caught


async def test_a_ghost_lapses_by_itself_and_max_ghost_zero_frees_the_slot_at_once(
    make_gov: Callable[..., RedisGovernor],
) -> None:
    clock = FakeClock()
    short = make_gov(limit=1, clock=clock, max_ghost=0.2)
    await _cancel_inside_the_slot(short, clock, ran_for=30.0)  # held for max_ghost, not 30 s
    await wait_until(lambda: _in_flight_is(short, 0))
    assert (await short.shared_stats()).ghosts == 0
    clock2 = FakeClock()
    never = make_gov(limit=1, clock=clock2, max_ghost=0, key=f"{short.key}-2")
    await _cancel_inside_the_slot(never, clock2, ran_for=30.0)
    shared = await never.shared_stats()
    assert (shared.in_flight, shared.ghosts) == (0, 0)
    assert never.stats().in_flight == 0


async def test_errors_in_the_slot_propagate_unwrapped_and_free_the_slot(
    make_gov: Callable[..., RedisGovernor],
) -> None:
    gov = make_gov(limit=1, max_ghost=0)  # an error with no outcome is an abandoned attempt: no ghost here
    with pytest.raises(KeyError, match="boom"):
        async with gov.slot():
            raise KeyError("boom")
    assert (await gov.shared_stats()).in_flight == 0


async def test_held_leases_are_renewed_beyond_their_ttl(make_gov: Callable[..., RedisGovernor]) -> None:
    holder = make_gov(limit=1, lease_ttl=0.5)
    other = make_gov(limit=1, lease_ttl=0.5)
    async with holder.slot():
        # Three TTLs later the lease must still be held: nobody else gets the only slot.
        with anyio.move_on_after(1.5) as scope:
            async with other.slot():
                pytest.fail("the held lease expired although its holder is alive")
        assert scope.cancelled_caught
        assert (await other.shared_stats()).in_flight == 1


async def test_an_abandoned_lease_is_reclaimed_within_its_ttl(
    make_gov: Callable[..., RedisGovernor], redis_client: aioredis.Redis, pool_key: str
) -> None:
    gov = make_gov(limit=1, lease_ttl=0.5)
    # A lease whose holder vanished without a word (what a SIGKILL leaves behind).
    t = await redis_client.time()
    now_ms = t[0] * 1000 + t[1] // 1000
    await redis_client.zadd(f"{{{pool_key}}}:leases", {"dead-holder:1": now_ms + 500})
    start = anyio.current_time()
    async with gov.slot():
        waited = anyio.current_time() - start
    assert 0.3 < waited < 0.5 + 1.5  # the 0.5 s lease TTL (never before it); slack for a loaded machine


async def _queue_dead_ticket(client: aioredis.Redis, pool_key: str, ticket: str, ttl_ms: int) -> None:
    """Queue a ticket the way a waiter does, and then never heartbeat it: what a SIGKILL leaves behind."""
    tag = f"{{{pool_key}}}"
    seconds, micros = await client.time()
    now_ms = seconds * 1000 + micros // 1000
    seq = await client.hincrby(f"{tag}:state", "seq", 1)
    await client.zadd(f"{tag}:queue", {ticket: seq})
    await client.zadd(f"{tag}:tickets", {ticket: now_ms + ttl_ms})


async def test_a_waiter_that_stops_heartbeating_is_dropped_and_live_waiters_keep_their_place(
    make_gov: Callable[..., RedisGovernor], redis_client: aioredis.Redis, pool_key: str
) -> None:
    holder = make_gov(limit=1, ticket_ttl=0.5)
    live = make_gov(limit=1, ticket_ttl=0.5)
    release = anyio.Event()
    served = anyio.Event()

    async def hold() -> None:
        async with holder.slot():
            await release.wait()

    async def wait_turn() -> None:
        async with live.slot():
            served.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold)
        await wait_until(lambda: _in_flight_is(holder, 1))
        await _queue_dead_ticket(redis_client, pool_key, "dead:1", 500)
        queued_at = anyio.current_time()
        tg.start_soon(wait_turn)
        await wait_until(lambda: _waiting_is(holder, 2))
        await wait_until(lambda: _waiting_is(holder, 1), timeout=3.0)
        dropped_after = anyio.current_time() - queued_at
        assert not await redis_client.zscore(f"{{{pool_key}}}:queue", "dead:1")
        # Three ticket TTLs later the live waiter is still queued: its heartbeat keeps its ticket.
        await anyio.sleep(1.5)
        assert (await holder.shared_stats()).waiting == 1
        release.set()
        with anyio.fail_after(2.0):
            await served.wait()
    assert dropped_after < 0.5 + 1.5  # the ticket TTL, plus scheduling slack for a loaded machine
    assert not await redis_client.exists(f"{{{pool_key}}}:grant:dead:1")  # never handed a slot


async def test_a_slot_reserved_for_a_waiter_that_never_claims_it_goes_to_the_next_live_waiter(
    make_gov: Callable[..., RedisGovernor], redis_client: aioredis.Redis, pool_key: str
) -> None:
    holder = make_gov(limit=1, lease_ttl=60, ticket_ttl=1.0)
    live = make_gov(limit=1, lease_ttl=60, ticket_ttl=1.0)
    release = anyio.Event()
    released = anyio.Event()
    got = anyio.Event()

    async def hold() -> None:
        async with holder.slot() as permit:
            await release.wait()
            permit.record(Outcome.SUCCESS)
        released.set()  # the slot's release (and the hand-off it makes) is done

    async def wait_turn() -> None:
        async with live.slot() as permit:
            got.set()
            permit.record(Outcome.SUCCESS)

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold)
        await wait_until(lambda: _in_flight_is(holder, 1))
        # The dead waiter is first in line and its ticket is fresh, so the freed slot is reserved for it.
        await _queue_dead_ticket(redis_client, pool_key, "dead:1", 1000)
        queued_at = anyio.current_time()
        tg.start_soon(wait_turn)
        await wait_until(lambda: _waiting_is(holder, 2))
        release.set()
        # Not "in flight is 1": it already was before the release, so that would not wait for the hand-off.
        await released.wait()
        assert await redis_client.lrange(f"{{{pool_key}}}:grant:dead:1", 0, -1) == ["0"]  # FIFO: it came first
        with anyio.fail_after(3.0):
            await got.wait()
        served_after = anyio.current_time() - queued_at
    # The reservation lapses when the dead ticket would have (1 s after it was queued); lease_ttl is 60 s.
    assert served_after < 1.0 + 1.5  # the dead ticket's 1 s, not the 60 s lease; slack for a loaded machine
    shared = await live.shared_stats()
    assert (shared.in_flight, shared.waiting, shared.acquired) == (0, 0, 2)  # the lapsed grant is not counted


async def test_a_429_in_one_governor_cuts_the_shared_limit_for_all_to_the_fleets_in_flight_estimate(
    make_gov: Callable[..., RedisGovernor],
) -> None:
    # LimitController's rules (governor/_aimd.py), with the estimate counted over every governor's leases.
    a = make_gov(limit=10, initial=10)  # start at the ceiling: no slow start in this test
    b = make_gov(limit=10, initial=10)
    async with anyio.create_task_group() as tg:
        s1, s2, s3, s4 = await take(a, tg, 4)
        t1, t2 = await take(b, tg, 2)  # 6 in flight, all granted in generation 0
        await s1.end(Outcome.LIMITED)
        # First 429 of the episode: the other 5 in flight (s2-s4 in a, t1-t2 in b) are what the account holds:
        # limit = max(1, min(estimate 5, level 10 - 1)) = 5; one cut, generation 1.
        assert _shared_view(await b.shared_stats()) == (5, 1, 1)
        await s2.end(Outcome.LIMITED)
        # Granted in generation 0, before the cut: the same burst. It held nothing, so one slot off:
        # floor(5) - 1 = 4, and no second cut.
        assert _shared_view(await b.shared_stats()) == (4, 1, 2)
        for held in (s3, s4, t1, t2):
            await held.end(Outcome.FAILURE)  # says nothing about the limit
    assert b.stats().limit == 4
    assert a.stats().limited == 2
    # A 429 on a slot granted after the cut is a new episode, and again every governor's leases count: two
    # held in ``a`` -> limit = max(1, min(estimate 2, level 4 - 1)) = 2, cut number 2.
    async with anyio.create_task_group() as tg:
        u1, u2 = await take(a, tg, 2)
        (v,) = await take(b, tg, 1)
        await v.end(Outcome.LIMITED)
        assert _shared_view(await a.shared_stats()) == (2, 2, 3)
        await u1.end(Outcome.FAILURE)
        await u2.end(Outcome.FAILURE)


def _shared_view(stats: GovernorStats) -> tuple[int, int, int]:
    return stats.limit, stats.cuts, stats.limited


async def test_the_limit_grows_back_only_while_the_pool_is_busy_and_never_past_the_ceiling(
    make_gov: Callable[..., RedisGovernor],
) -> None:
    gov = make_gov(limit=4)  # slow start begins at min(5, 4) = 4: already the ceiling
    async with anyio.create_task_group() as tg:
        held = await take(gov, tg, 3)
        await held[0].end(Outcome.LIMITED)
        # Two others in flight: limit = max(1, min(2, 4 - 1)) = 2; the level that failed is 3.
        await held[1].end(Outcome.FAILURE)
        await held[2].end(Outcome.FAILURE)
    assert (await gov.shared_stats()).limit == 2
    # App-limited: one caller at a time never fills the 2 slots, so nothing is learnt.
    for _ in range(10):
        async with gov.slot() as permit:
            permit.record(Outcome.SUCCESS)
    assert (await gov.shared_stats()).limit == 2

    async def busy() -> None:
        for _ in range(25):
            async with gov.slot() as permit:
                await anyio.sleep(0.001)
                permit.record(Outcome.SUCCESS)

    # Busy (callers queue): growth near the failed level 3 is 8x slower, 1/(8v) per success: about 8 * 2 = 16
    # successes from 2 to 3 and 8 * 3 = 24 from 3 to 4; 150 successes reach the ceiling, and stop there.
    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(busy)
    shared = await gov.shared_stats()
    assert shared.limit == 4
    assert shared.ceiling == 4


async def test_set_ceiling_reaches_every_governor_and_slow_start_carries_on_toward_it(
    make_gov: Callable[..., RedisGovernor],
) -> None:
    a = make_gov(limit=5)
    b = make_gov(limit=5)
    async with b.slot():
        pass  # the key starts at min(5, 5) = 5, the ceiling: no slow start
    a.set_ceiling(8)
    async with a.slot():
        pass
    shared = await b.shared_stats()
    # LimitController.set_ceiling: the limit keeps its level (5, capped by 8) and, with no cut so far, slow
    # start resumes toward the new ceiling.
    assert (shared.limit, shared.ceiling) == (5, 8)
    assert b.stats().ceiling == 8
    async with anyio.create_task_group() as tg:
        held = await take(b, tg, 5)
        await held[0].end(Outcome.SUCCESS)  # 5 of 5 slots taken when it ended: busy, slow start adds one
        assert (await a.shared_stats()).limit == 6
        for h in held[1:]:
            await h.end(Outcome.FAILURE)


async def test_a_newly_started_governor_declares_its_ceiling(make_gov: Callable[..., RedisGovernor]) -> None:
    old = make_gov(limit=5)
    async with old.slot():
        pass
    new = make_gov(limit=12)
    async with new.slot():
        pass
    async with old.slot():
        pass
    assert old.stats().ceiling == 12
    assert (await old.shared_stats()).ceiling == 12


async def test_accepts_a_service_tier_and_a_client(redis_url: str, pool_key: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    gov = RedisGovernor(client, key=pool_key, limit=ServiceTier.PREMIUM)
    async with gov.slot():
        pass
    assert gov.stats().ceiling == 15
    await gov.aclose()
    assert await client.ping()  # a client we were given stays open
    await client.aclose()


async def test_unreachable_redis_is_a_clear_typed_error(unused_tcp_port_url: str) -> None:
    gov = RedisGovernor(unused_tcp_port_url, key="acct", limit=5, op_timeout=1.0)
    with pytest.raises(GovernorUnavailableError, match="unreachable") as info:
        async with gov.slot():
            pytest.fail("granted without Redis")
    assert isinstance(info.value, NetSuiteError)
    assert "hunter2" not in str(info.value)
    assert gov.stats().in_flight == 0
    await gov.aclose()


async def test_unreachable_redis_falls_back_to_the_local_governor_with_a_warning(
    unused_tcp_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    local = AdaptiveGovernor(2)
    gov = RedisGovernor(unused_tcp_port_url, key="acct", limit=5, op_timeout=1.0, fallback=local)
    with caplog.at_level(logging.WARNING, logger="netsuite_async.governor.redis"):
        async with gov.slot() as permit:
            permit.record(Outcome.SUCCESS)
            assert local.stats().in_flight == 1
    assert local.stats().acquired == 1
    assert any("fallback" in r.getMessage() for r in caplog.records)
    assert all("hunter2" not in r.getMessage() for r in caplog.records)
    await gov.aclose()


@pytest.fixture
def unused_tcp_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens there once the socket is closed; the password must never show up anywhere.
    return f"redis://user:hunter2@127.0.0.1:{port}/0"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"limit": 0}, ValueError),
        ({"limit": True}, ValueError),
        ({"limit": "15"}, ValueError),
        ({"key": ""}, ValueError),
        ({"key": "a{b}"}, ValueError),
        ({"lease_ttl": 0}, ValueError),
        ({"poll_interval": 0}, ValueError),
        ({"ticket_ttl": 0.05}, ValueError),
        ({"ticket_ttl": "1"}, ValueError),
        ({"poll_interval": 0.6}, ValueError),  # more than ticket_ttl / 2: the ticket would lapse between beats
        ({"backoff_ratio": 1.5}, ValueError),
        ({"redis": "http://localhost"}, ValueError),
        ({"redis": 42}, TypeError),
    ],
)
def test_bad_arguments_are_rejected_before_any_request(kwargs: dict[str, object], error: type[Exception]) -> None:
    options: dict[str, object] = {"redis": "redis://127.0.0.1:1/0", "key": "acct", "limit": 5}
    options.update(kwargs)
    redis = options.pop("redis")
    with pytest.raises(error):
        RedisGovernor(redis, **options)  # type: ignore[arg-type]


def test_repr_and_errors_never_show_the_password() -> None:
    gov = RedisGovernor("redis://user:hunter2@cache.internal:6379/0", key="acct", limit=5)
    assert "hunter2" not in repr(gov)
    assert redact_redis_url("redis://:hunter2@h:1/0") == "redis://:***@h:1/0"
    with pytest.raises(ValueError, match="ceiling"):
        gov.set_ceiling(0)


async def test_a_closed_governor_refuses_slots(make_gov: Callable[..., RedisGovernor]) -> None:
    gov = make_gov()
    await gov.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        async with gov.slot():
            pass


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_on_trio_it_says_clearly_that_it_needs_asyncio(redis_url: str, pool_key: str) -> None:
    gov = RedisGovernor(redis_url, key=pool_key, limit=2)
    with pytest.raises(RuntimeError, match="needs asyncio"):
        async with gov.slot():
            pytest.fail("redis-py cannot run on trio")


async def test_callers_beyond_the_ceiling_wait_locally_not_in_redis(make_gov: Callable[..., RedisGovernor]) -> None:
    # A process can never hold more than the ceiling; queueing more in Redis would cost a blocked connection
    # each (a web service with 1,000 concurrent calls must not open 1,000 Redis connections).
    gov = make_gov(limit=2)
    release = anyio.Event()
    done = 0

    async def call() -> None:
        nonlocal done
        async with gov.slot() as permit:
            await release.wait()
            permit.record(Outcome.SUCCESS)
        done += 1

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(call)
        await wait_until(lambda: _in_flight_is(gov, 2))
        shared = await gov.shared_stats()
        assert (shared.in_flight, shared.waiting) == (2, 0)
        assert (gov.stats().in_flight, gov.stats().waiting) == (2, 18)
        release.set()
    assert done == 20
