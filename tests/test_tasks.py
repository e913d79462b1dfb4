"""netsuite_async._tasks: bounded and ordered concurrency, on asyncio and trio.

Everything is counted, never timed: jobs wait on events the test sets, and the test waits for what it expects to
see with a bounded number of scheduler turns (`settle`), so a loaded machine changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import aclosing
from functools import partial

import anyio
import pytest

from netsuite_async._tasks import TaskPool, ordered, run_bounded
from netsuite_async.errors import BatchOutcomeUnknownError, ServerError
from netsuite_async.jobs import COLLECTION_CONTENT_TYPE
from tests._jobs_harness import client_for, make_emulator

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]

TURNS = 10_000  # scheduler turns allowed for a condition to come true (no clock involved)


async def settle(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until ``condition()`` holds; fail if it never does within `TURNS` turns."""
    for _ in range(TURNS):
        if condition():
            return
        await anyio.sleep(0)
    raise AssertionError("the condition never came true")


class Gated:
    """Jobs that start, count themselves in flight, and finish only when the test opens their gate."""

    def __init__(self, n: int) -> None:
        self.gates = [anyio.Event() for _ in range(n)]
        self.started: list[int] = []
        self.finished: list[int] = []
        self.cancelled: list[int] = []
        self.in_flight = 0
        self.peak = 0

    def job(self, i: int) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            self.started.append(i)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                await self.gates[i].wait()
            except anyio.get_cancelled_exc_class():
                self.cancelled.append(i)
                raise
            finally:
                self.in_flight -= 1
            self.finished.append(i)
            return i * 10

        return run

    def jobs(self) -> list[Callable[[], Awaitable[int]]]:
        return [self.job(i) for i in range(len(self.gates))]


# -- run_bounded / TaskPool ----------------------------------------------------------------------------------


async def test_run_bounded_gives_results_in_submission_order_when_jobs_finish_in_reverse() -> None:
    g = Gated(6)
    results: list[int] = []

    async def run() -> None:
        results.extend(await run_bounded(g.jobs(), 6))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await settle(lambda: len(g.started) == 6)
        for i in reversed(range(6)):
            g.gates[i].set()
            await settle(lambda i=i: i in g.finished)  # type: ignore[misc]
    assert g.finished == [5, 4, 3, 2, 1, 0]
    assert results == [0, 10, 20, 30, 40, 50]


async def test_run_bounded_never_runs_more_than_width_and_starts_one_job_per_freed_slot() -> None:
    n, width = 10, 3
    g = Gated(n)
    async with anyio.create_task_group() as tg:
        tg.start_soon(run_bounded, g.jobs(), width)
        await settle(lambda: len(g.started) == width)
        for _ in range(20):
            await anyio.sleep(0)
        assert g.started == [0, 1, 2]  # the fourth job waits for a slot, however long the test waits
        for k in range(n):
            oldest = next(i for i in g.started if i not in g.finished)
            g.gates[oldest].set()
            await settle(lambda k=k: len(g.finished) == k + 1 and len(g.started) == min(n, width + k + 1))  # type: ignore[misc]
            assert g.in_flight <= width
    assert g.started == list(range(n))  # started in submission order
    assert g.peak == width


async def test_run_bounded_with_width_one_runs_the_jobs_one_after_the_other() -> None:
    g = Gated(4)
    for gate in g.gates:
        gate.set()
    assert await run_bounded(g.jobs(), 1) == [0, 10, 20, 30]
    assert g.peak == 1
    assert await run_bounded([], 4) == []


async def test_the_first_failure_cancels_the_siblings_and_is_raised_as_itself() -> None:
    g = Gated(10)

    async def fails() -> int:
        await settle(lambda: len(g.started) == 2)  # both siblings are running
        raise KeyError("boom")

    jobs = [fails, g.job(1), g.job(2), *[g.job(i) for i in range(3, 10)]]
    with pytest.raises(KeyError) as caught:
        await run_bounded(jobs, 3)
    assert type(caught.value) is KeyError  # not an ExceptionGroup
    assert sorted(g.cancelled) == [1, 2]
    assert g.started == [1, 2]  # jobs past the width never started
    assert g.finished == []


async def test_cancelling_the_caller_cancels_every_running_job() -> None:
    g = Gated(5)
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run_bounded, g.jobs(), 2)
            await settle(lambda: len(g.started) == 2)
            scope.cancel()
    assert scope.cancelled_caught
    assert sorted(g.cancelled) == [0, 1]
    assert g.started == [0, 1]


async def test_a_pool_job_follow_up_runs_after_its_slot_is_given_back() -> None:
    # Width 1: a follow-up that starts another job and waits for it would wedge the pool if it held the slot.
    events: list[str] = []
    second_ran = anyio.Event()

    async def first() -> str:
        events.append("first")
        return "a"

    async def second() -> None:
        events.append("second")
        second_ran.set()

    async def after_first(value: str) -> None:
        events.append(f"then {value}")
        await pool.start(second)
        await second_ran.wait()
        events.append("then done")

    async with TaskPool(1) as pool:
        await pool.start(first, after_first)
    assert events == ["first", "then a", "second", "then done"]


async def test_a_failing_follow_up_cancels_the_pool_and_is_raised_as_itself() -> None:
    g = Gated(2)

    async def ok() -> int:
        return 1

    async def bad(_: int) -> None:
        await settle(lambda: len(g.started) == 2)
        raise LookupError("after")

    async def run_pool() -> None:
        async with TaskPool(4) as pool:
            await pool.start(ok, bad)
            for job in g.jobs():
                await pool.start(job)

    with pytest.raises(LookupError):
        await run_pool()
    assert sorted(g.cancelled) == [0, 1]


async def test_bad_widths_are_refused() -> None:
    async def drain(width: int) -> None:
        none: list[Callable[[], Awaitable[int]]] = []
        async with aclosing(ordered(none, width)) as rows:
            async for _ in rows:
                pass

    for width in (0, -1, True, 1.5):
        with pytest.raises(ValueError):
            TaskPool(width)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            await run_bounded([], width)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            await drain(width)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await TaskPool(1).start(partial(anyio.sleep, 0))


# -- ordered --------------------------------------------------------------------------------------------------


async def test_ordered_yields_in_submission_order_when_later_jobs_finish_first() -> None:
    g = Gated(4)
    got: list[int] = []

    async def consume() -> None:
        async with aclosing(ordered(g.jobs(), 4)) as results:
            async for value in results:
                got.append(value)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await settle(lambda: len(g.started) == 4)
        for i in (3, 2, 1):
            g.gates[i].set()
        await settle(lambda: len(g.finished) == 3)
        assert got == []  # job 0 has not answered: nothing later may be yielded yet
        g.gates[0].set()
    assert got == [0, 10, 20, 30]


async def test_ordered_holds_at_most_width_jobs_started_and_not_yet_consumed() -> None:
    n, width = 8, 3
    g = Gated(n)
    for gate in g.gates:
        gate.set()  # every job answers at once: only consumption frees a slot
    async with aclosing(ordered(g.jobs(), width)) as results:
        assert await results.__anext__() == 0
        await settle(lambda: len(g.finished) == width)
        for _ in range(20):
            await anyio.sleep(0)
        assert g.started == [0, 1, 2]  # the consumer holds result 0: no fourth job yet (backpressure)
        consumed = [0]
        async for value in results:
            consumed.append(value)
            assert len(g.started) <= len(consumed) + width - 1
    assert consumed == [i * 10 for i in range(n)]


async def test_ordered_raises_a_failure_as_itself_at_its_turn_and_cancels_the_rest() -> None:
    g = Gated(4)

    async def fails() -> int:
        raise ValueError("page 1")

    jobs = [g.job(0), fails, g.job(2), g.job(3)]
    got: list[int] = []

    raised: list[Exception] = []

    async def consume() -> None:
        try:
            async with aclosing(ordered(jobs, 3)) as results:
                async for value in results:
                    got.append(value)
        except Exception as exc:  # whatever came out (an exception group would fail the check below)
            raised.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await settle(lambda: g.started == [0, 2])  # job 1 has failed; jobs 0 and 2 run
        assert got == []
        g.gates[0].set()
    assert [type(e) for e in raised] == [ValueError]  # raised as itself, not in an exception group
    assert str(raised[0]) == "page 1"
    assert got == [0]  # the result before the failure is yielded
    assert g.finished == [0]
    assert 2 in g.cancelled  # in flight when the failure's turn came
    assert sorted(g.cancelled) == [i for i in g.started if i != 0]  # job 3, if its slot came free, too


async def test_closing_ordered_early_cancels_the_jobs_in_flight() -> None:
    g = Gated(10)
    g.gates[0].set()
    async with aclosing(ordered(g.jobs(), 4)) as results:
        assert await results.__anext__() == 0
        await settle(lambda: len(g.started) == 4)
    assert sorted(g.cancelled) == [1, 2, 3]
    assert g.started == [0, 1, 2, 3]  # nothing starts after the close
    assert g.in_flight == 0


# -- the users: a failure while reading task results --------------------------------------------------------


async def test_wait_tasks_reading_results_concurrently_raises_a_read_failure_as_itself() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"items": [{"companyName": f"B{i}"}
                                   for i in range(3)]}, content_type=COLLECTION_CONTENT_TYPE)
        await job.wait_completed(10)
        emu.faults.script(lambda req: req.path.endswith("/result"), times=None)
        with pytest.raises(ServerError) as caught:
            await job.wait_tasks(10, concurrency=3)
    assert type(caught.value) is ServerError  # not an ExceptionGroup: callers can except NetSuiteError


@pytest.mark.slow
async def test_a_batch_whose_task_results_cannot_be_read_reports_every_item_unknown() -> None:
    # The engine reads a chunk's results several at a time; the read failure reaches its `except NetSuiteError`
    # (rounds of reading again), and the items end unknown instead of the call ending in an exception group.
    emu = make_emulator()
    async with client_for(emu) as ns:
        emu.faults.script(lambda req: req.path.endswith("/result"), times=None)
        result = await ns.batch.create("customer", [{"companyName": f"X{i}"} for i in range(5)])
    assert len(result) == 5
    assert all(not item.ok and isinstance(item.error, BatchOutcomeUnknownError) for item in result)
