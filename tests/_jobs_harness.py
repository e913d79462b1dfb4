"""Shared set-up for the jobs and batch tests: an in-process emulator and a client wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2

from netsuite_async.auth.bearer import BearerToken
from netsuite_async.client import NetSuiteClient
from netsuite_async.retry import RetryPolicy
from netsuite_async.testing._emulator import Emulator, EmulatorConfig

BASE_URL = "http://emulator.test"
# Quick retries: the fault tests inject thousands of 5xx and must not spend their time in backoff sleeps.
FAST_RETRY = RetryPolicy(max_attempts=10, backoff_base=0.001, backoff_max=0.01, deadline=60.0)


def make_emulator(**config: Any) -> Emulator:
    """An emulator with the given EmulatorConfig fields."""
    return Emulator(EmulatorConfig(**config))


@asynccontextmanager
async def client_for(emu: Emulator, *, concurrency: int | None = None, **kwargs: Any) -> AsyncIterator[NetSuiteClient]:
    """A NetSuiteClient that talks to ``emu`` in process (ASGI), with fast retries and fast job polling."""
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=emu.app), base_url=BASE_URL)
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("auth", BearerToken(emu.credentials.static_token))
    async with http, NetSuiteClient(
        emu.config.account,
        base_url=BASE_URL,
        http_client=http,
        concurrency=concurrency or emu.config.concurrency,
        **kwargs,
    ) as ns:
        ns.jobs.poll_interval = 0.001
        yield ns


def store_count(emu: Emulator, record_type: str = "customer") -> int:
    """How many records of a type the emulator holds (read straight from its SQLite store)."""
    row = emu.store.connection.execute(f"SELECT COUNT(*) FROM {record_type.lower()}").fetchone()
    return int(row[0])
