"""The one per-call record (``_Operation``) that spans, hooks and the audit log all read, and the process-wide
metrics: an attempt is counted once, an audited call is one logical call, nothing is made without a use for it.

The OpenTelemetry SDK is installed once for the process by ``tests/_otel.py``.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
from typing import Any

import anyio
import pytest

pytest.importorskip("opentelemetry.sdk", reason="install the otel extra's test deps: pip install -e '.[test]'")

from netsuite_async import AccessPolicy, AuditLog, Hooks, RetryPolicy
from netsuite_async.audit import AuditEvent
from netsuite_async.telemetry import current_operation
from netsuite_async.testing import FakeNetSuite
from tests._otel import _by_name, _children, _metric_points, spans

__all__ = ["spans"]  # the fixture, imported so that pytest finds it here

pytestmark = pytest.mark.both_backends

FAST = RetryPolicy(backoff_base=0.001, backoff_max=0.002)


def _total(name: str) -> int:
    return int(sum(p.value for p in _metric_points().get(name, [])))


@pytest.mark.anyio
async def test_an_audited_retried_get_counts_its_attempts_once_for_the_span_and_the_audit(spans: Any) -> None:
    events: list[AuditEvent] = []
    async with FakeNetSuite(seed={"customers": 3}) as fake:
        fake.emulator.faults.script(match="GET /record/v1/customer/1", kind="error_before", status=503)
        async with fake.client(retry=FAST, audit=AuditLog.to_callable(events.append)) as ns:
            await ns.records.get("customer", 1)
    (event,) = events
    finished = spans.get_finished_spans()
    (parent,) = _by_name(finished, "netsuite records.get")
    children = _children(finished, parent)
    assert len(children) == 2
    assert event.attempts == parent.attributes["netsuite.attempts"] == 2
    assert event.status == 200
    assert parent.attributes["netsuite.record_type"] == "customer"


@pytest.mark.anyio
async def test_an_audited_batch_is_one_span_named_for_the_audited_action(spans: Any) -> None:
    events: list[AuditEvent] = []
    async with FakeNetSuite() as fake, fake.client(audit=AuditLog.to_callable(events.append)) as ns:
        result = await ns.batch.create("customer", [{"companyName": f"C{i}"} for i in range(4)])
    assert result.ok
    finished = spans.get_finished_spans()
    (parent,) = _by_name(finished, "netsuite batch.create")
    assert not _by_name(finished, "netsuite batch.run")
    assert not _by_name(finished, "netsuite jobs.submit")
    http = [s for s in finished if s.name in ("GET", "POST", "PUT", "PATCH", "DELETE")]
    assert http
    assert all(s.parent is not None and s.parent.span_id == parent.context.span_id for s in http)
    (event,) = [e for e in events if e.action == "batch.create"]
    assert event.attempts == parent.attributes["netsuite.attempts"] == len(http)


@pytest.mark.anyio
async def test_an_agents_audited_stream_is_one_span_and_one_audit_line_with_the_same_attempts(spans: Any) -> None:
    events: list[AuditEvent] = []
    policy = AccessPolicy.from_dict({"bot": {"records": {"customer": "read"}, "suiteql": True}})
    log = AuditLog.to_callable(events.append)
    async with FakeNetSuite(seed={"customers": 35}) as fake, fake.client(policy=policy, audit=log) as ns:
        bot = ns.as_agent("bot")
        rows = [r async for r in bot.suiteql.stream("SELECT id FROM customer ORDER BY id", page_size=10)]
    assert len(rows) == 35
    finished = spans.get_finished_spans()
    (parent,) = _by_name(finished, "netsuite suiteql.stream")
    assert parent.attributes["netsuite.agent"] == "bot"
    pages = _children(finished, parent)
    assert len(pages) == 5  # four pages and the count query
    (event,) = events
    assert event.count == 35
    assert event.attempts == parent.attributes["netsuite.attempts"] == len(pages)


@pytest.mark.anyio
async def test_an_audited_call_counts_attempts_with_tracing_off() -> None:
    events: list[AuditEvent] = []
    async with FakeNetSuite(seed={"customers": 3}) as fake:
        fake.emulator.faults.script(match="GET /record/v1/customer/2", kind="error_before", status=503)
        async with fake.client(tracing=False, retry=FAST, audit=AuditLog.to_callable(events.append)) as ns:
            await ns.records.get("customer", 1)
            await ns.records.get("customer", 2)
    assert [(e.attempts, e.status, e.outcome) for e in events] == [(1, 200, "ok"), (2, 200, "ok")]


@pytest.mark.anyio
async def test_metrics_count_every_clients_attempts_even_after_a_client_is_gone(spans: Any) -> None:
    before = _total("netsuite.client.requests")
    async with FakeNetSuite(seed={"customers": 3}) as fake:
        async with fake.client() as one, fake.client() as two:
            await one.records.get("customer", 1)
            for _ in range(2):
                await two.records.get("customer", 2)
        assert _total("netsuite.client.requests") - before == 3
        del one, two
        gc.collect()
    # a collected client's counts stay in the cumulative counter
    assert _total("netsuite.client.requests") - before == 3
    outcomes = {p.attributes["outcome"] for p in _metric_points()["netsuite.client.requests"]}
    assert "success" in outcomes


def _in_subprocess(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60,
                         check=True)
    return out.stdout.splitlines()


def test_without_a_provider_or_hooks_a_traced_call_makes_no_record() -> None:
    # With opentelemetry-api importable but no provider set, a call does no operation work at all (the library
    # below sees no logical call); with a hook set, the hook is told which call each attempt belongs to.
    lines = _in_subprocess(
        """
        import anyio, json
        from netsuite_async import BearerToken, Hooks, NetSuiteClient
        from netsuite_async._http import AsyncClient, MockTransport, Response
        from netsuite_async.telemetry import current_operation

        seen = []

        def handler(request):
            seen.append(current_operation())
            return Response(200, json={"id": "1"})

        async def main(hooks):
            http = AsyncClient(transport=MockTransport(handler))
            async with NetSuiteClient("1234567", BearerToken("t"), http_client=http, hooks=hooks) as ns:
                assert ns.telemetry._tracer is not None and not ns.telemetry.active
                await ns.records.get("customer", 1)
            await http.aclose()

        anyio.run(main, None)
        anyio.run(main, Hooks(request=[lambda info: None]))
        print(json.dumps(seen))
        """
    )
    assert json.loads(lines[0]) == [None, "records.get"]


@pytest.mark.anyio
async def test_hooks_name_the_audited_call_each_attempt_belongs_to() -> None:
    seen: list[tuple[str | None, str | None]] = []
    hooks = Hooks(request=[lambda info: seen.append((info.operation, current_operation()))])
    events: list[AuditEvent] = []
    log = AuditLog.to_callable(events.append)
    async with FakeNetSuite(seed={"customers": 3}) as fake, fake.client(tracing=False, hooks=hooks, audit=log) as ns:
        await ns.records.get("customer", 1)
        await ns.request("GET", "/record/v1/customer/2")
    assert seen == [("records.get", "records.get"), ("request", "request")]
    assert [e.attempts for e in events] == [1, 1]


@pytest.mark.anyio
async def test_concurrent_audited_calls_keep_their_own_counts() -> None:
    events: list[AuditEvent] = []
    async with FakeNetSuite(seed={"customers": 6}) as fake:
        for i in (1, 3, 5):
            fake.emulator.faults.script(match=f"GET /record/v1/customer/{i}", kind="error_before", status=503)
        log = AuditLog.to_callable(events.append)
        async with fake.client(tracing=False, retry=FAST, audit=log) as ns, anyio.create_task_group() as tg:
            for i in range(1, 7):
                tg.start_soon(ns.records.get, "customer", i)
    assert sorted((int(e.record_id or 0), e.attempts) for e in events) == [
        (1, 2), (2, 1), (3, 2), (4, 1), (5, 2), (6, 1),
    ]


def test_a_provider_set_after_the_client_is_made_is_picked_up_at_the_next_call() -> None:
    lines = _in_subprocess(
        """
        import anyio
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from netsuite_async.testing import FakeNetSuite

        async def main():
            async with FakeNetSuite(seed={"customers": 3}) as fake, fake.client() as ns:
                await ns.records.get("customer", 1)
                print(ns.telemetry.active)
                exporter = InMemorySpanExporter()
                provider = TracerProvider()
                provider.add_span_processor(SimpleSpanProcessor(exporter))
                trace.set_tracer_provider(provider)
                await ns.records.get("customer", 2)
                print(ns.telemetry.active, sorted(s.name for s in exporter.get_finished_spans()))

        anyio.run(main)
        """
    )
    assert lines == ["False", "True ['GET', 'netsuite records.get']"]
