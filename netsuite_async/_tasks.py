"""Bounded and ordered concurrency: the one home of the library's task groups.

Every place that runs several requests at once goes through one of these (anyio only, so asyncio and trio):

* `TaskPool` — a task group in which at most ``width`` jobs hold a slot at once; jobs can be added while others
  run (the batch engine's units, which start follow-up units). A job's ``then`` runs after its slot is given
  back, so follow-up work that itself waits for a slot cannot wedge the pool.
* `run_bounded` — a fixed list of jobs through a `TaskPool`, results in submission order (``get_many``'s
  fallback reads, ``sublist(expand=True)``, ``Job.wait_tasks``'s result reads).
* `ordered` — an async generator yielding results in submission order with at most ``width`` jobs started and
  not yet consumed (SuiteQL's pages: backpressure bounds the pages held in memory).

Errors. In `TaskPool` and `run_bounded` the first job to fail cancels every other one, and the failure is raised
as itself, not wrapped in an ExceptionGroup, so a caller can ``except NotFoundError`` as it would around a single
call. `ordered` keeps a failure until its turn comes (earlier results are still yielded), then stops the other
jobs and raises it as itself; closing the generator early cancels the jobs in flight.

Examples:
    >>> async def double(n: int) -> int:
    ...     await anyio.sleep(0)
    ...     return 2 * n
    >>> anyio.run(run_bounded, [partial(double, n) for n in range(5)], 2)
    [0, 2, 4, 6, 8]
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

import anyio
import anyio.abc
import anyio.lowlevel

from netsuite_async._checks import is_int

__all__ = ["TaskPool", "ordered", "run_bounded"]

T = TypeVar("T")
Job = Callable[[], Awaitable[T]]


class TaskPool:
    """A task group that runs at most ``width`` jobs at once; the first failure cancels the rest.

    ``await pool.start(job)`` waits for a free slot, then runs ``job()`` in a task of its own holding that slot.
    ``then(result)``, when given, is awaited in the same task once the slot has been given back: work that starts
    more jobs belongs there (a job that waited for a slot while holding one could wedge a full pool). The first
    job (or ``then``) to raise an ``Exception`` cancels the others and the code inside ``async with``; leaving the
    block raises that exception itself. Cancellation from outside goes through as usual.

    Examples:
        >>> async def demo() -> list[int]:
        ...     done: list[int] = []
        ...     async def job(n: int) -> int:
        ...         await anyio.sleep(0)
        ...         return n
        ...     async def record(n: int) -> None:
        ...         done.append(n)
        ...     async with TaskPool(2) as pool:
        ...         for n in range(4):
        ...             await pool.start(partial(job, n), record)
        ...     return sorted(done)
        >>> anyio.run(demo)
        [0, 1, 2, 3]
    """

    def __init__(self, width: int) -> None:
        if not is_int(width) or width < 1:
            raise ValueError(f"width must be a positive int, not {width!r}")
        #: The most jobs holding a slot at once.
        self.width = width
        self._slots = anyio.Semaphore(width)
        self._failure: Exception | None = None
        self._tg: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> TaskPool:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        assert self._tg is not None
        try:
            # Waits for every task; they may still start more meanwhile.
            handled = await self._tg.__aexit__(exc_type, exc, tb)
        finally:
            self._tg = None
        if self._failure is not None:
            raise self._failure
        return bool(handled)

    async def start(self, job: Job[T], then: Callable[[T], Awaitable[None]] | None = None) -> None:
        """Wait for a free slot, then run ``job()`` in a new task (and ``then(result)`` once the slot is free).

        Examples:
            ```python
            async with TaskPool(8) as pool:
                for chunk in chunks:
                    await pool.start(partial(send, chunk), report)
            ```
        """
        if self._tg is None:
            raise RuntimeError("TaskPool.start() outside its 'async with' block")
        await self._slots.acquire()
        try:
            if self._tg.cancel_scope.cancel_called:
                # A job failed (or the pool is being cancelled) while this one waited: start nothing new.
                await anyio.lowlevel.checkpoint()  # delivers the cancellation
                return
            self._tg.start_soon(self._run, job, then)
        except BaseException:
            self._slots.release()
            raise

    async def _run(self, job: Job[T], then: Callable[[T], Awaitable[None]] | None) -> None:
        try:
            try:
                result = await job()
            except Exception as exc:
                self._fail(exc)  # before the slot is given back, so no job waiting for it starts
                return
            finally:
                self._slots.release()
            if then is not None:
                await then(result)
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        if self._failure is None:
            self._failure = exc
        assert self._tg is not None
        self._tg.cancel_scope.cancel()


async def run_bounded(jobs: Sequence[Job[T]], width: int) -> list[T]:
    """Run ``jobs`` with at most ``width`` at once; their results in submission order.

    Jobs start in submission order. The first failure cancels the rest and is raised as itself. With one job or
    ``width`` 1 the jobs run one after the other in the caller's task (no task group).

    Examples:
        >>> async def square(n: int) -> int:
        ...     return n * n
        >>> anyio.run(run_bounded, [partial(square, n) for n in (3, 1, 2)], 8)
        [9, 1, 4]
    """
    if not is_int(width) or width < 1:
        raise ValueError(f"width must be a positive int, not {width!r}")
    if width == 1 or len(jobs) <= 1:
        return [await job() for job in jobs]
    results: list[Any] = [None] * len(jobs)

    async def keep(index: int, value: T) -> None:
        results[index] = value

    async with TaskPool(min(width, len(jobs))) as pool:
        for index, job in enumerate(jobs):
            await pool.start(job, partial(keep, index))
    return results


async def ordered(jobs: Sequence[Job[T]], width: int) -> AsyncGenerator[T, None]:
    """Run ``jobs`` concurrently, at most ``width`` started and not yet consumed, yielding results in order.

    A job's slot is given back only once its result has been consumed, so a slow consumer holds back the jobs
    (backpressure) and at most ``width`` results wait in memory. Jobs never raise into the task group: a failure
    is kept and raised (as itself) when its turn comes, so the consumer is never cancelled while it holds a
    result (the generator is suspended at ``yield`` then). Closing the generator (``aclose()``, leaving
    ``async with aclosing(...)``) cancels the jobs in flight.

    Examples:
        >>> from contextlib import aclosing
        >>> async def in_order() -> list[int]:
        ...     async def job(n: int) -> int:
        ...         await anyio.sleep(0.001 * (3 - n))  # later jobs finish first
        ...         return n
        ...     async with aclosing(ordered([partial(job, n) for n in range(3)], 2)) as results:
        ...         return [n async for n in results]
        >>> anyio.run(in_order)
        [0, 1, 2]
    """
    if not is_int(width) or width < 1:
        raise ValueError(f"width must be a positive int, not {width!r}")
    if not jobs:
        return
    results: dict[int, tuple[bool, Any]] = {}
    ready: dict[int, anyio.Event] = {}
    slots = anyio.Semaphore(width)

    async def worker(i: int, job: Job[T]) -> None:
        try:
            results[i] = (True, await job())
        except Exception as exc:
            results[i] = (False, exc)
        ready.setdefault(i, anyio.Event()).set()

    async def producer(tg: anyio.abc.TaskGroup) -> None:
        for i, job in enumerate(jobs):
            await slots.acquire()
            tg.start_soon(worker, i, job)

    failure: BaseException | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(producer, tg)
        try:
            for i in range(len(jobs)):
                await ready.setdefault(i, anyio.Event()).wait()
                del ready[i]
                ok, value = results.pop(i)
                if not ok:
                    failure = value
                    break
                try:
                    yield value
                except GeneratorExit:
                    # Closed by the consumer: stop the workers; re-raising inside the task group would
                    # come out wrapped in an exception group.
                    break
                slots.release()
        finally:
            tg.cancel_scope.cancel()
    if failure is not None:
        raise failure
