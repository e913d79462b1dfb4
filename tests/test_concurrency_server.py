"""Concurrency measured at the server: a fake NetSuite with a hidden limit and latency, driven through ASGI.

The server counts requests in flight, answers 429 CONCURRENCY_LIMIT_EXCEEDED at once when over its limit (as
NetSuite does), and otherwise answers after its latency. Every test runs on asyncio and trio.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.lowlevel
import httpx2
import pytest

from netsuite_async import BearerToken, NetSuiteClient, RetryPolicy

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]

_LIMIT_BODY = json.dumps({
    "type": "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    "title": "Too Many Requests",
    "status": 429,
    "o:errorDetails": [{"detail": "Concurrent request limit exceeded. Request blocked.",
                        "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}],
}).encode()



class LimitedServer:
    """An ASGI app with a hidden concurrency limit and a fixed latency."""

    def __init__(self, limit: int, latency: float) -> None:
        self.limit = limit
        self.latency = latency
        self.in_flight = 0
        self.max_in_flight = 0
        self.served = 0
        self.refused = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        if self.in_flight >= self.limit:
            self.refused += 1
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/vnd.oracle.resource+json; type=error")]})
            await send({"type": "http.response.body", "body": _LIMIT_BODY})
            return
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await anyio.sleep(self.latency)  # the server's latency
            self.served += 1
        finally:
            self.in_flight -= 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"id": "1"}'})


def client_for(server: LimitedServer, concurrency: int) -> NetSuiteClient:
    return NetSuiteClient(
        "1234567",
        auth=BearerToken("test-token"),
        base_url="https://ns.test",
        http_client=httpx2.AsyncClient(transport=httpx2.ASGITransport(app=server)),
        concurrency=concurrency,
        retry=RetryPolicy(backoff_base=0.005, backoff_max=0.05, deadline=30.0),
    )


async def run_calls(ns: NetSuiteClient, count: int) -> list[BaseException]:
    failures: list[BaseException] = []

    async def call(i: int) -> None:
        try:
            await ns.request("GET", f"/record/v1/customer/{i}")
        except Exception as exc:  # collected and asserted on below
            failures.append(exc)

    async with anyio.create_task_group() as tg:
        for i in range(count):
            tg.start_soon(call, i)
    return failures


async def test_never_more_than_n_in_flight_at_the_server_with_concurrency_n() -> None:
    server = LimitedServer(limit=1000, latency=0.005)  # the server would accept more: the client must not send it
    async with client_for(server, concurrency=5) as ns:
        with anyio.fail_after(20):
            failures = await run_calls(ns, 200)
        stats = ns.governor.stats()
    assert failures == []
    assert server.max_in_flight == 5
    assert server.served == 200
    assert server.refused == 0
    assert (stats.in_flight, stats.waiting, stats.limited) == (0, 0, 0)


async def test_known_limit_configured_exactly_sees_no_429() -> None:
    server = LimitedServer(limit=5, latency=0.005)
    async with client_for(server, concurrency=5) as ns:
        with anyio.fail_after(20):
            failures = await run_calls(ns, 200)
    assert failures == []
    assert server.refused == 0
    assert server.max_in_flight <= 5


async def test_adaptive_governor_converges_when_configured_four_times_too_high() -> None:
    hidden = 5
    server = LimitedServer(limit=hidden, latency=0.01)
    calls = 600
    async with client_for(server, concurrency=4 * hidden) as ns:
        with anyio.fail_after(25):
            failures = await run_calls(ns, calls)
        stats = ns.governor.stats()
    assert failures == []  # no caller sees the 429s
    assert server.served == calls
    assert stats.limit <= hidden + 1
    assert stats.limited == server.refused
    assert server.refused / (server.refused + server.served) <= 0.03  # slow start + one cut, rare probes
    assert stats.cuts <= stats.limited  # at most one cut per congestion episode, not one per 429
    assert (stats.in_flight, stats.waiting) == (0, 0)


async def test_cancelling_1000_calls_in_flight_or_waiting_leaves_every_slot_free() -> None:
    server = LimitedServer(limit=1000, latency=3600)  # never answers within the test: only cancellation ends calls
    async with client_for(server, concurrency=10) as ns:
        async with anyio.create_task_group() as tg:
            for i in range(1000):
                tg.start_soon(ns.request, "GET", f"/record/v1/customer/{i}")
            # Slow start: 5 (NetSuite's floor) in flight until answers come back, which they never do here.
            with anyio.fail_after(20):
                while not (server.in_flight == 5 and ns.governor.stats().waiting == 995):
                    await anyio.lowlevel.checkpoint()
            assert ns.governor.stats().in_flight == 5
            tg.cancel_scope.cancel()
        stats = ns.governor.stats()
        # The five cancelled in flight may still be running at NetSuite (this in-process server stopped them, a
        # real one would not): ghost slots. Waiting callers are gone; cancellation never cuts the limit.
        assert stats.in_flight == stats.ghosts <= 5  # no live slot left (ghosts may already have expired)
        assert stats.waiting == 0
        assert stats.limit == 5
        assert server.in_flight == 0
        with anyio.fail_after(20):  # a ghost lasts about its attempt's age when no latency is known yet
            while ns.governor.stats().in_flight:
                await anyio.lowlevel.checkpoint()
        # The client is fully usable afterwards.
        server.latency = 0.001
        with anyio.fail_after(10):
            failures = await run_calls(ns, 50)
        assert failures == []
        assert server.max_in_flight == 10
