"""AdaptiveGovernor: a FIFO slot pool that never over-admits, frees every slot on every exit, and adapts (AIMD)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import anyio
import anyio.lowlevel
import pytest

from netsuite_async.governor import AdaptiveGovernor, Governor, Outcome, Permit, ServiceTier

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]



async def wait_until(predicate: Callable[[], bool], *, what: str = "condition") -> None:
    """Yield to the scheduler until ``predicate`` holds (bounded; no time-based sleeps)."""
    with anyio.fail_after(10):
        while not predicate():
            await anyio.lowlevel.checkpoint()


async def hold(gov: AdaptiveGovernor) -> Permit:
    """Take a slot without a context manager, to control exactly when it is released."""
    permit = gov.slot()
    return await permit.__aenter__()


async def release(permit: Permit, outcome: Outcome | None) -> None:
    if outcome is not None:
        permit.record(outcome)
    await permit.__aexit__(None, None, None)  # type: ignore[attr-defined]


def at_ceiling(limit: int) -> AdaptiveGovernor:
    """A governor whose limit starts at its ceiling and frees abandoned slots at once.

    The slot-mechanics tests below pin FIFO order, over-admission and cancellation; slow start and ghost slots
    have their own tests (test_governor_algorithm.py), so they are switched off here.
    """
    return AdaptiveGovernor(limit, initial=limit, max_ghost=0)


async def cut_to(gov: AdaptiveGovernor, level: int) -> None:
    """Cut the limit to ``level`` with one 429: ``level`` older attempts are in flight when it arrives."""
    permits = [await hold(gov) for _ in range(level + 1)]
    await release(permits[-1], Outcome.LIMITED)
    for permit in permits[:-1]:
        await release(permit, Outcome.FAILURE)  # says nothing about the limit: neither growth nor a cut
    assert gov.stats().limit == level


def test_adaptive_governor_satisfies_the_governor_protocol() -> None:
    assert isinstance(AdaptiveGovernor(5), Governor)


async def test_never_more_than_the_limit_in_flight() -> None:
    gov = at_ceiling(5)
    inside = 0
    peak = 0
    gate = anyio.Event()

    async def worker() -> None:
        nonlocal inside, peak
        async with gov.slot() as permit:
            inside += 1
            peak = max(peak, inside)
            await gate.wait()
            inside -= 1
            permit.record(Outcome.SUCCESS)

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(worker)
        await wait_until(lambda: gov.stats().waiting == 45 and inside == 5)
        assert gov.stats().in_flight == 5
        gate.set()
    assert peak == 5
    stats = gov.stats()
    assert (stats.in_flight, stats.waiting, stats.acquired) == (0, 0, 50)


async def test_slots_are_granted_first_come_first_served() -> None:
    gov = at_ceiling(1)
    order: list[int] = []
    first = await hold(gov)

    async def worker(i: int) -> None:
        async with gov.slot() as permit:
            order.append(i)
            permit.record(Outcome.SUCCESS)

    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(worker, i)
            await wait_until(lambda i=i: gov.stats().waiting == i + 1)  # type: ignore[misc]
        await release(first, Outcome.SUCCESS)
    assert order == list(range(20))


async def test_a_newcomer_does_not_jump_the_queue_when_a_slot_frees() -> None:
    gov = at_ceiling(1)
    first = await hold(gov)
    order: list[str] = []

    async def worker(name: str) -> None:
        async with gov.slot():
            order.append(name)

    async with anyio.create_task_group() as tg:
        tg.start_soon(worker, "queued")
        await wait_until(lambda: gov.stats().waiting == 1)
        await release(first, Outcome.SUCCESS)
        tg.start_soon(worker, "newcomer")
    assert order == ["queued", "newcomer"]


@pytest.mark.parametrize("where", ["waiting", "in_flight", "mixed"])
async def test_cancelling_1000_tasks_waiting_or_in_flight_frees_every_slot(where: str) -> None:
    limit = 1000 if where == "in_flight" else 10
    gov = at_ceiling(limit)
    blocker = anyio.Event()
    holders: list[Permit] = []
    if where == "waiting":
        holders = [await hold(gov) for _ in range(limit)]  # the pool is full: every task below waits

    started = 0

    async def worker() -> None:
        nonlocal started
        async with gov.slot():
            started += 1
            await blocker.wait()  # never set: only cancellation ends it

    async with anyio.create_task_group() as tg:
        for _ in range(1000):
            tg.start_soon(worker)
        expected_waiting = {"waiting": 1000, "in_flight": 0, "mixed": 990}[where]
        await wait_until(lambda: gov.stats().waiting == expected_waiting and started == limit - len(holders))
        assert gov.stats().in_flight == limit
        tg.cancel_scope.cancel()
    for permit in holders:
        await release(permit, Outcome.SUCCESS)
    stats = gov.stats()
    assert stats.in_flight == 0
    assert stats.waiting == 0
    assert stats.limit == limit  # cancellation says nothing about the account's limit
    assert stats.cuts == 0
    # Every slot is usable again, at once.
    with anyio.fail_after(5):
        again = [await hold(gov) for _ in range(limit)]
    assert gov.stats().in_flight == limit
    for permit in again:
        await release(permit, Outcome.SUCCESS)


async def test_a_waiter_granted_and_cancelled_in_the_same_breath_hands_its_slot_on() -> None:
    gov = at_ceiling(1)
    first = await hold(gov)
    entered = anyio.Event()

    async def waiter() -> None:
        async with gov.slot():
            entered.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await wait_until(lambda: gov.stats().waiting == 1)
        # Release (which grants the waiter its slot) and cancel it before it can run.
        await release(first, Outcome.SUCCESS)
        tg.cancel_scope.cancel()
    stats = gov.stats()
    assert (stats.in_flight, stats.waiting) == (0, 0)
    with anyio.fail_after(5):
        async with gov.slot():
            assert gov.stats().in_flight == 1


async def test_slot_is_released_when_the_body_raises() -> None:
    gov = at_ceiling(2)
    with pytest.raises(RuntimeError):
        async with gov.slot():
            raise RuntimeError("boom")
    assert gov.stats().in_flight == 0
    assert gov.stats().limit == 2  # an error is a FAILURE: neither cut nor growth


async def test_a_burst_of_429s_from_one_episode_cuts_once_to_the_attempts_in_flight_before_the_first() -> None:
    # The cut goes to the in-flight estimate (this replaced the fixed 0.7x cut): 6 attempts were granted before
    # the first refused one and are still in flight, so the account holds 6 for us.
    gov = at_ceiling(10)
    permits = [await hold(gov) for _ in range(10)]
    for permit in permits[6:]:  # the refused ones answer in the order they were sent
        await release(permit, Outcome.LIMITED)
    stats = gov.stats()
    assert stats.limited == 4
    assert stats.cuts == 1
    assert stats.limit == 6
    for permit in permits[:6]:
        await release(permit, Outcome.SUCCESS)


async def test_a_429_on_a_slot_granted_after_the_cut_is_a_new_episode() -> None:
    gov = at_ceiling(10)
    older = [await hold(gov) for _ in range(3)]
    await release(await hold(gov), Outcome.LIMITED)
    assert (gov.stats().cuts, gov.stats().limit) == (1, 3)
    await release(older.pop(), Outcome.FAILURE)
    await release(await hold(gov), Outcome.LIMITED)  # granted after the cut, two older still in flight
    assert (gov.stats().cuts, gov.stats().limit) == (2, 2)
    for permit in older:
        await release(permit, Outcome.FAILURE)


async def test_a_waiter_granted_before_a_cut_but_resumed_after_it_does_not_cut_again() -> None:
    gov = at_ceiling(2)
    a, b = await hold(gov), await hold(gov)
    late: list[Permit] = []

    async def waiter() -> None:
        late.append(await hold(gov))

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await wait_until(lambda: gov.stats().waiting == 1)
        # Without yielding in between: a's release grants the waiter its slot, then b's 429 cuts.
        await release(a, Outcome.SUCCESS)
        await release(b, Outcome.LIMITED)
    assert gov.stats().cuts == 1
    await release(late[0], Outcome.LIMITED)  # same congestion episode as b's 429
    assert gov.stats().cuts == 1
    assert gov.stats().limited == 2


async def test_the_limit_never_drops_below_one() -> None:
    gov = at_ceiling(3)
    for _ in range(20):
        await release(await hold(gov), Outcome.LIMITED)
    stats = gov.stats()
    assert stats.limit == 1
    assert stats.cuts == 20
    with anyio.fail_after(5):
        async with gov.slot():
            pass


async def fill_and_release(gov: AdaptiveGovernor, outcome: Outcome) -> None:
    """Use the whole limit at once (so the governor is not app-limited), then release every slot."""
    permits = [await hold(gov) for _ in range(gov.stats().limit)]
    for permit in permits:
        await release(permit, outcome)


async def test_an_app_limited_client_does_not_grow_its_limit() -> None:
    gov = at_ceiling(10)
    await cut_to(gov, 7)
    for _ in range(500):  # one request at a time: far below the limit
        async with gov.slot() as permit:
            permit.record(Outcome.SUCCESS)
    assert gov.stats().limit == 7
    # Six at a time with a limit of seven is still app-limited.
    for _ in range(100):
        permits = [await hold(gov) for _ in range(6)]
        for permit in permits:
            await release(permit, Outcome.SUCCESS)
    assert gov.stats().limit == 7


async def test_a_client_using_its_whole_limit_climbs_back_additively_to_the_ceiling_and_not_above() -> None:
    gov = AdaptiveGovernor(10, initial=10, probe_slowdown=1.0)
    await cut_to(gov, 7)
    seen = [gov.stats().limit]
    for _ in range(200):
        await fill_and_release(gov, Outcome.SUCCESS)
        seen.append(gov.stats().limit)
    assert seen[-1] == 10
    assert max(seen) == 10
    # Additive: the limit moves up one slot at a time, never in jumps.
    assert all(b - a in (0, 1) for a, b in itertools.pairwise(seen))


async def test_growth_toward_the_level_that_failed_is_slower() -> None:
    fast = AdaptiveGovernor(10, initial=10, probe_slowdown=1.0)
    slow = AdaptiveGovernor(10, initial=10, probe_slowdown=20.0)
    for gov in (fast, slow):
        await cut_to(gov, 7)
        for _ in range(30):
            await fill_and_release(gov, Outcome.SUCCESS)
    assert fast.stats().limit == 10
    assert slow.stats().limit < 10


async def test_non_adaptive_governor_never_changes_its_limit() -> None:
    gov = AdaptiveGovernor(5, adaptive=False)
    for _ in range(5):
        await release(await hold(gov), Outcome.LIMITED)
    assert gov.stats().limit == 5
    assert gov.stats().limited == 5
    assert gov.stats().cuts == 0


async def test_only_the_first_recorded_outcome_counts_and_the_default_is_failure() -> None:
    gov = at_ceiling(4)
    async with gov.slot() as permit:
        permit.record(Outcome.SUCCESS)
        permit.record(Outcome.LIMITED)
    assert gov.stats().limited == 0
    async with gov.slot():
        pass  # nothing recorded: FAILURE, which says nothing about the limit
    stats = gov.stats()
    assert (stats.limit, stats.limited, stats.cuts) == (4, 0, 0)


async def test_set_ceiling_raises_a_fixed_limit_and_wakes_waiters() -> None:
    # A fixed governor moves to the new ceiling at once; an adaptive one slow-starts toward it
    # (test_governor_algorithm.py).
    gov = AdaptiveGovernor(1, adaptive=False)
    first = await hold(gov)
    got: list[Permit] = []

    async def waiter() -> None:
        got.append(await hold(gov))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(waiter)
        await wait_until(lambda: gov.stats().waiting == 3)
        gov.set_ceiling(4)
    assert len(got) == 3
    stats = gov.stats()
    assert (stats.limit, stats.ceiling, stats.in_flight, stats.waiting) == (4, 4, 4, 0)
    for permit in [first, *got]:
        await release(permit, Outcome.SUCCESS)


async def test_set_ceiling_lower_caps_new_grants_until_in_flight_drains() -> None:
    gov = AdaptiveGovernor(5)
    held = [await hold(gov) for _ in range(5)]
    gov.set_ceiling(2)
    assert gov.stats().limit == 2
    entered = anyio.Event()

    async def waiter() -> None:
        async with gov.slot():
            entered.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await wait_until(lambda: gov.stats().waiting == 1)
        for permit in held[:3]:  # 5 -> 2 in flight: still no room under a limit of 2
            await release(permit, Outcome.SUCCESS)
        assert not entered.is_set()
        assert gov.stats().waiting == 1
        await release(held[3], Outcome.SUCCESS)  # 1 in flight: room for the waiter
    assert entered.is_set()
    await release(held[4], Outcome.SUCCESS)
    for _ in range(50):
        await fill_and_release(gov, Outcome.SUCCESS)
    assert gov.stats().limit == 2  # never above the new ceiling


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "5"])
def test_invalid_ceilings_raise_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        AdaptiveGovernor(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        AdaptiveGovernor(5).set_ceiling(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tier", "limit"),
    [
        (ServiceTier.STANDARD, 5),
        (ServiceTier.SHARED, 5),
        (ServiceTier.DEVELOPMENT, 5),
        (ServiceTier.PREMIUM, 15),
        (ServiceTier.TIER1, 15),
        (ServiceTier.ENTERPRISE, 20),
        (ServiceTier.TIER2, 20),
        (ServiceTier.ULTIMATE, 20),
    ],
)
def test_service_tier_base_limits(tier: ServiceTier, limit: int) -> None:
    assert tier.limit == limit


def test_each_suitecloud_plus_licence_adds_ten() -> None:
    assert ServiceTier.PREMIUM.with_suitecloud_plus(5).limit == 65
    assert ServiceTier.STANDARD.with_suitecloud_plus(1).limit == 15
    assert ServiceTier.ULTIMATE.with_suitecloud_plus(3).limit == 50
    assert ServiceTier.from_name("Tier 1", suitecloud_plus=2).limit == 35
    assert ServiceTier.from_name("enterprise").limit == 20
    assert AdaptiveGovernor(ServiceTier.PREMIUM.with_suitecloud_plus(1).limit).stats().ceiling == 25


def test_bad_tier_names_and_licence_counts_raise_value_error() -> None:
    with pytest.raises(ValueError, match="unknown service tier"):
        ServiceTier.from_name("platinum")
    with pytest.raises(ValueError):
        ServiceTier.PREMIUM.with_suitecloud_plus(-1)
