"""The adaptive limit, pinned deterministically: slow start, the single cut to the in-flight estimate, rare
probing, ghost-slot release, and two governors sharing one account.

The pure state machine (``LimitController``) is driven with an explicit clock and scripted outcomes. The
governor-level scenarios run against a simulated account in *virtual time* (trio's MockClock: sleeps jump, so a
thousand 50 ms round trips take milliseconds and the same script gives the same counts); the simulated account
keeps running a request whose client went away, as NetSuite does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import pytest

from netsuite_async import RetryPolicy
from netsuite_async.governor import AdaptiveGovernor, Outcome, Permit
from netsuite_async.governor._aimd import NETSUITE_FLOOR, LimitController

# -- the pure state machine ---------------------------------------------------------------------------------------


def round_trip(lim: LimitController, now: float, *, busy: bool = True) -> int:
    """One round trip in which every granted slot comes back answered; returns the new limit."""
    for _ in range(lim.limit):
        lim.on_success(now, busy=busy)
    return lim.limit


def test_slow_start_begins_at_netsuites_floor_and_doubles_each_round_trip_up_to_the_ceiling() -> None:
    lim = LimitController(60)
    assert (lim.limit, lim.slow_start) == (NETSUITE_FLOOR, True)
    seen = [lim.limit] + [round_trip(lim, 0.0) for _ in range(5)]
    assert seen == [5, 10, 20, 40, 60, 60]
    assert lim.slow_start is False  # reached the ceiling without a 429
    assert lim.cuts == 0


def test_a_ceiling_below_the_floor_starts_at_the_ceiling() -> None:
    assert LimitController(3).limit == 3
    assert LimitController(3).slow_start is False


def test_slow_start_does_not_grow_while_app_limited() -> None:
    lim = LimitController(60)
    for _ in range(100):
        lim.on_success(0.0, busy=False)
    assert lim.limit == 5


def test_the_first_429_ends_slow_start_with_one_cut_to_the_in_flight_estimate() -> None:
    lim = LimitController(60)
    round_trip(lim, 0.0)
    round_trip(lim, 0.1)  # 20: the account holds 15 for us
    assert lim.limit == 20
    episode = lim.generation
    # 20 sent: 15 running, 5 refused. The first 429 sees 19 others in flight (4 refused ones still on the way).
    assert lim.on_limited(0.2, generation=episode, estimate=19) is True
    assert lim.limit == 19
    for _ in range(4):  # the same burst's other 429s: each takes one slot off, none is another cut
        assert lim.on_limited(0.2, generation=episode, estimate=0) is False
    assert (lim.limit, lim.cuts, lim.slow_start) == (15, 1, False)
    assert lim.failed_level == 16


def test_the_cut_never_keeps_the_level_that_failed_and_never_goes_below_one() -> None:
    lim = LimitController(10, initial=10)
    lim.on_limited(0.0, generation=lim.generation, estimate=99)  # an estimate can only be below the limit
    assert lim.limit == 9
    lim.on_limited(0.0, generation=lim.generation, estimate=0)  # others hold the whole account
    assert lim.limit == 1


def test_after_the_cut_growth_is_additive_and_at_the_failed_level_probe_slowdown_times_slower() -> None:
    lim = LimitController(60, initial=20, probe_slowdown=20.0)
    lim.on_limited(0.0, generation=0, estimate=10)  # failed level 11
    assert lim.limit == 10
    # 10 -> 11 is the probe of the failed level: 20 round trips of 10 successes each instead of one.
    trips = 0
    while lim.limit < 11:
        round_trip(lim, 1.0)
        trips += 1
    assert 19 <= trips <= 21
    # The failed level must hold before growth goes on at full speed: 11 -> 12 is just as slow ...
    trips = 0
    while lim.limit < 12:
        round_trip(lim, 2.0)
        trips += 1
    assert 19 <= trips <= 21
    assert lim.failed_level is None
    # ... and past it growth is additive again: about one slot per round trip.
    trips = 0
    while lim.limit < 14:
        round_trip(lim, 3.0)
        trips += 1
    assert trips in (2, 3)


def test_each_failed_probe_at_the_same_level_doubles_the_wait_before_the_next() -> None:
    lim = LimitController(60, initial=20, probe_slowdown=20.0, max_probe_slowdown=80.0)
    lim.on_limited(0.0, generation=lim.generation, estimate=10)
    waits = []
    for episode in range(4):
        trips = 0
        while lim.limit < 11:
            round_trip(lim, 1.0 + episode)
            trips += 1
        waits.append(trips)
        lim.on_limited(1.0 + episode, generation=lim.generation, estimate=10)  # the probe failed again
    assert [round(w / waits[0]) for w in waits] == [1, 2, 4, 4]  # doubled, then capped


def test_the_failed_level_is_forgotten_after_probe_memory() -> None:
    lim = LimitController(60, initial=20, probe_memory=30.0)
    lim.on_limited(0.0, generation=0, estimate=10)
    round_trip(lim, 31.0)  # more than 30 s after the last 429: growth at full speed (one slot per round trip)
    round_trip(lim, 31.0)
    assert lim.failed_level is None
    assert lim.limit == 11


def test_set_ceiling_keeps_the_level_and_resumes_slow_start_until_a_429() -> None:
    lim = LimitController(5)
    lim.set_ceiling(40)
    assert (lim.limit, lim.slow_start) == (5, True)
    assert round_trip(lim, 0.0) == 10
    lim.on_limited(0.0, generation=lim.generation, estimate=8)
    lim.set_ceiling(50)
    assert (lim.limit, lim.slow_start) == (8, False)
    lim.set_ceiling(4)
    assert lim.limit == 4


def test_bad_arguments_raise_value_error() -> None:
    for kwargs in ({"ceiling": 0}, {"ceiling": 5, "probe_slowdown": 0.5}, {"ceiling": 5, "probe_memory": 0},
                   {"ceiling": 5, "initial": 0}):
        with pytest.raises(ValueError):
            LimitController(**kwargs)  # type: ignore[arg-type]


# -- the governor: the in-flight estimate and ghost slots ---------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def hold(gov: AdaptiveGovernor) -> Permit:
    permit = gov.slot()
    return await permit.__aenter__()


async def release(permit: Permit, outcome: Outcome | None, exc: BaseException | None = None) -> None:
    if outcome is not None:
        permit.record(outcome)
    await permit.__aexit__(type(exc) if exc else None, exc, None)  # type: ignore[attr-defined]


pytestmark = pytest.mark.both_backends  # every async test here runs on asyncio and trio


@pytest.mark.anyio
async def test_the_cut_goes_to_every_other_attempt_in_flight_and_the_bursts_later_429s_take_one_each() -> None:
    gov = AdaptiveGovernor(20, initial=12, max_ghost=0)
    older = [await hold(gov) for _ in range(7)]
    refused = await hold(gov)
    newer = [await hold(gov) for _ in range(4)]  # sent together: over many connections any may arrive first
    await release(refused, Outcome.LIMITED)
    assert (gov.stats().limit, gov.stats().cuts) == (11, 1)
    for permit in newer:  # they were refused too, a moment later: counted in the estimate, they held nothing
        await release(permit, Outcome.LIMITED)
    assert (gov.stats().limit, gov.stats().cuts, gov.stats().limited) == (7, 1, 5)
    for permit in older:
        await release(permit, Outcome.SUCCESS)


@pytest.mark.anyio
async def test_an_attempt_sent_long_before_the_refused_one_is_taken_as_answered_but_not_yet_read() -> None:
    clock = FakeClock()
    gov = AdaptiveGovernor(20, initial=12, clock=clock, max_ghost=0)
    for _ in range(3):  # median latency 0.1 s
        permit = await hold(gov)
        clock.now += 0.1
        await release(permit, Outcome.SUCCESS)
    stale = [await hold(gov) for _ in range(4)]  # sent 0.2 s before the refused one: NetSuite has answered them
    clock.now += 0.2
    recent = [await hold(gov) for _ in range(6)]
    await release(await hold(gov), Outcome.LIMITED)
    assert gov.stats().limit == 6
    for permit in stale + recent:
        await release(permit, Outcome.SUCCESS)


@pytest.mark.anyio
async def test_an_attempt_abandoned_in_flight_is_a_ghost_for_the_median_latency() -> None:
    clock = FakeClock()
    gov = AdaptiveGovernor(2, initial=2, clock=clock)
    for latency in (0.02, 0.05, 0.05):  # median 0.05 s
        permit = await hold(gov)
        clock.now += latency
        await release(permit, Outcome.SUCCESS)
    assert gov.median_latency() == pytest.approx(0.05)
    a, b = await hold(gov), await hold(gov)
    cancelled_at = anyio.current_time()
    await release(a, None, RuntimeError("cancelled in flight"))  # abandoned: no outcome, left by cancellation
    stats = gov.stats()
    assert (stats.in_flight, stats.ghosts) == (2, 1)
    got_at: list[float] = []

    async def waiter() -> None:
        async with gov.slot() as permit:
            got_at.append(anyio.current_time())
            permit.record(Outcome.SUCCESS)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
    # The queued caller got the ghost's slot only once NetSuite had probably finished the abandoned request.
    assert got_at[0] - cancelled_at >= 0.05 - 1e-3
    assert gov.stats().ghosts == 0
    await release(b, Outcome.SUCCESS)
    assert gov.stats().in_flight == 0


@pytest.mark.anyio
async def test_a_recorded_failure_or_a_normal_exit_frees_the_slot_at_once_and_waiting_leaves_no_ghost() -> None:
    gov = AdaptiveGovernor(1, clock=FakeClock())
    await release(await hold(gov), Outcome.FAILURE, RuntimeError("connect failed"))  # never reached NetSuite
    await release(await hold(gov), None)  # nothing recorded, left normally: FAILURE
    assert (gov.stats().in_flight, gov.stats().ghosts) == (0, 0)
    first = await hold(gov)
    with anyio.move_on_after(0.01):
        await hold(gov)  # cancelled while waiting: it never held a slot
    assert (gov.stats().in_flight, gov.stats().waiting, gov.stats().ghosts) == (1, 0, 0)
    await release(first, Outcome.SUCCESS)


@pytest.mark.anyio
async def test_ghosts_count_in_the_in_flight_estimate() -> None:
    clock = FakeClock()
    gov = AdaptiveGovernor(10, initial=10, clock=clock, max_ghost=3600)
    abandoned = [await hold(gov) for _ in range(3)]
    clock.now += 1.0  # no latency known: a ghost lasts its attempt's age (1 s here)
    for permit in abandoned:
        await release(permit, None, RuntimeError("cancelled in flight"))
    live = [await hold(gov) for _ in range(2)]
    refused = await hold(gov)
    await release(refused, Outcome.LIMITED)
    assert gov.stats().limit == 5  # 3 ghosts + 2 live attempts were older than the refused one
    for permit in live:
        await release(permit, Outcome.SUCCESS)


# -- virtual-time scenarios against a simulated account ------------------------------------------------------------


class Account:
    """A NetSuite stand-in: refuses at once over its limit; a started request runs to its end even when its client
    has gone (it runs in the account's own task group). Requests travel ``network`` seconds each way and take
    ``latency`` seconds +-10% (seeded: the same test gives the same numbers)."""

    def __init__(self, limit: int, latency: float, network: float = 0.0005, seed: int = 14) -> None:
        self.limit = limit
        self.latency = latency
        self.network = network
        self.rng = random.Random(seed)
        self.in_flight = 0
        self.refused = 0
        self.served = 0
        self.tg: anyio.abc.TaskGroup | None = None

    async def request(self) -> bool:
        await anyio.sleep(self.network)
        if self.in_flight >= self.limit:
            self.refused += 1
            await anyio.sleep(self.network)
            return False
        self.in_flight += 1
        done = anyio.Event()

        async def run() -> None:
            try:
                await anyio.sleep(self.latency * (0.9 + 0.2 * self.rng.random()))
                self.served += 1
            finally:
                self.in_flight -= 1
                done.set()

        assert self.tg is not None
        self.tg.start_soon(run)
        await done.wait()
        await anyio.sleep(self.network)
        return True


async def client_call(gov: AdaptiveGovernor, account: Account, completions: list[float]) -> int:
    """One logical call retried on 429 with the transport's default back-off; returns the 429s it met."""
    waits = RetryPolicy().waits()
    for refused in range(50):
        async with gov.slot() as permit:
            ok = await account.request()
            permit.record(Outcome.SUCCESS if ok else Outcome.LIMITED)
        if ok:
            completions.append(anyio.current_time())
            return refused
        await anyio.sleep(next(waits))
    raise AssertionError("a call never got through")


def virtual_trio() -> Any:
    import trio.testing

    return pytest.param(("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)}), id="trio-virtual-time")


async def run_clients(account: Account, govs: list[AdaptiveGovernor], calls: int) -> list[list[float]]:
    seed(14)
    completions: list[list[float]] = [[] for _ in govs]
    async with anyio.create_task_group() as server:
        account.tg = server
        async with anyio.create_task_group() as tg:
            for gov, done in zip(govs, completions, strict=True):
                for _ in range(calls):
                    tg.start_soon(client_call, gov, account, done)
        server.cancel_scope.cancel()
    return completions


def seed(value: int) -> None:
    """Seed the retry back-off's jitter and trio's scheduler: trio shuffles the order in which ready tasks run
    from its own random generator (seeded from the OS at import), so two governors competing for one account
    split it differently from one process to the next. Seeding it (a private attribute: tests only) makes these
    virtual-time runs repeat exactly."""
    random.seed(value)
    import trio._core._run

    trio._core._run._r.seed(value)


def vclock() -> Callable[[], float]:
    return anyio.current_time


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", [virtual_trio()])
@pytest.mark.parametrize("true_limit", [5, 15])
async def test_told_four_times_too_high_costs_at_most_two_percent_429s(true_limit: int) -> None:
    account = Account(true_limit, latency=0.05)
    gov = AdaptiveGovernor(4 * true_limit, clock=vclock())
    started = anyio.current_time()
    await run_clients(account, [gov], 600)
    elapsed = anyio.current_time() - started
    assert account.served == 600
    assert account.refused <= 12  # 2% of 600
    assert 600 / elapsed >= 0.85 * true_limit / 0.05
    assert gov.stats().limit in (true_limit, true_limit + 1)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", [virtual_trio()])
async def test_two_governors_each_told_the_full_limit_share_one_account_fairly() -> None:
    # Two integrations, each sure the whole account is theirs, each keeping 30 calls going for 6 s.
    seed(14)
    account = Account(10, latency=0.05)
    govs = [AdaptiveGovernor(10, clock=vclock()), AdaptiveGovernor(10, clock=vclock())]
    completions: list[list[float]] = [[], []]
    until = anyio.current_time() + 6.0

    async def loop(gov: AdaptiveGovernor, done: list[float]) -> None:
        while anyio.current_time() < until:
            await client_call(gov, account, done)

    async with anyio.create_task_group() as server:
        account.tg = server
        async with anyio.create_task_group() as tg:
            for gov, done in zip(govs, completions, strict=True):
                for _ in range(30):
                    tg.start_soon(loop, gov, done)
        server.cancel_scope.cancel()
    served = sum(len(done) for done in completions)
    assert served >= 0.8 * 6.0 * 10 / 0.05
    assert account.refused <= 0.03 * served
    assert min(len(done) for done in completions) >= 0.25 * served  # neither starves


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", [virtual_trio()])
@pytest.mark.parametrize("ghosts", [True, False], ids=["ghosts", "no-ghosts"])
async def test_after_a_cancellation_storm_ghost_slots_keep_the_next_requests_from_429s(ghosts: bool) -> None:
    seed(14)
    account = Account(30, latency=0.2)
    gov = AdaptiveGovernor(30, clock=vclock(), max_ghost=60.0 if ghosts else 0.0)
    async with anyio.create_task_group() as server:
        account.tg = server
        await run_in(account, gov, 120)  # warm: slow start up to 30, latency known
        assert gov.stats().limit == 30
        async with anyio.create_task_group() as storm:
            for _ in range(30):
                storm.start_soon(client_call, gov, account, [])
            await anyio.sleep(0.05)  # virtual time: all 30 are running at the account
            assert account.in_flight == 30
            storm.cancel_scope.cancel()
        refused0 = account.refused
        await run_in(account, gov, 100)
        server.cancel_scope.cancel()
    refused = account.refused - refused0
    if ghosts:
        assert refused <= 5
        assert gov.stats().cuts == 0
    else:
        assert refused >= 20  # what the ghosts prevent: the abandoned requests were still running


async def run_in(account: Account, gov: AdaptiveGovernor, calls: int) -> None:
    async with anyio.create_task_group() as tg:
        for _ in range(calls):
            tg.start_soon(client_call, gov, account, [])
