"""Slots held by their own tasks until the test says how each attempt ended: a scripted sequence of outcomes
with a chosen number of attempts in flight, for any `Governor` (local or Redis)."""

from __future__ import annotations

import anyio
from anyio.abc import TaskGroup

from netsuite_async.governor import Governor, Outcome


class Held:
    """One slot, taken by `take` and held until `end` records an outcome (None: abandoned by an exception)."""

    def __init__(self, gov: Governor) -> None:
        self.gov = gov
        self._granted = anyio.Event()
        self._go = anyio.Event()
        self._done = anyio.Event()
        self._outcome: Outcome | None = None

    @classmethod
    async def take(cls, gov: Governor, tg: TaskGroup) -> Held:
        """Start the holding task and wait until it has the slot."""
        held = cls(gov)
        tg.start_soon(held._run)
        with anyio.fail_after(10):
            await held._granted.wait()
        return held

    async def end(self, outcome: Outcome | None) -> None:
        """Record ``outcome`` and leave the slot; returns once the governor has taken it back. None: the attempt
        is abandoned (the slot is left by an exception with nothing recorded, as a cancelled request's is)."""
        self._outcome = outcome
        self._go.set()
        with anyio.fail_after(10):
            await self._done.wait()

    async def _run(self) -> None:
        try:
            async with self.gov.slot() as permit:
                self._granted.set()
                await self._go.wait()
                if self._outcome is None:
                    raise _Abandoned
                permit.record(self._outcome)
        except _Abandoned:
            pass
        finally:
            self._done.set()


class _Abandoned(Exception):
    """Leaves a slot the way a cancelled or timed-out attempt does."""


async def take(gov: Governor, tg: TaskGroup, n: int) -> list[Held]:
    """``n`` slots, taken one after another."""
    return [await Held.take(gov, tg) for _ in range(n)]
