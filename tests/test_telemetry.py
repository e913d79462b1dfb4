"""OpenTelemetry spans and metrics, request/response hooks and ``with_options`` views.

The OpenTelemetry SDK's in-memory exporter and reader are installed once for this process (a global provider can be
set only once); each test clears what earlier tests recorded. "Nothing without a provider" runs in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import anyio
import pytest

pytest.importorskip("opentelemetry.sdk", reason="install the otel extra's test deps: pip install -e '.[test]'")

from opentelemetry import trace

from netsuite_async import Hooks, NetSuiteClient, RetryPolicy, TokenAuth
from netsuite_async.errors import ServerError
from netsuite_async.testing import FakeNetSuite
from netsuite_async.transport import RequestSpec
from tests._otel import _by_name, _children, _metric_points, spans

__all__ = ["spans"]  # the fixture, imported so that pytest finds it here

pytestmark = pytest.mark.both_backends  # every async test here runs on asyncio and trio


@pytest.mark.anyio
async def test_a_get_is_one_logical_span_with_one_http_child(spans: Any) -> None:
    async with FakeNetSuite(seed={"customers": 3}) as fake, fake.client() as ns:
        await ns.records.get("customer", 1)
    finished = spans.get_finished_spans()
    (parent,) = _by_name(finished, "netsuite records.get")
    assert parent.parent is None
    assert parent.kind == trace.SpanKind.CLIENT
    assert parent.attributes["netsuite.record_type"] == "customer"
    assert parent.attributes["netsuite.attempts"] == 1
    assert parent.attributes["netsuite.limited"] == 0
    assert parent.attributes["netsuite.governor.limit"] == 5
    assert parent.attributes["netsuite.slot_wait_ms"] >= 0
    (child,) = _children(finished, parent)
    assert child.name == "GET"
    assert child.attributes["http.request.method"] == "GET"
    assert child.attributes["http.response.status_code"] == 200
    assert child.attributes["url.full"].endswith("/services/rest/record/v1/customer/1")
    assert child.attributes["server.address"] == "emulator.test"
    assert child.attributes["server.port"] == 80  # the fake is http://emulator.test: the default port, still given
    assert parent.start_time <= child.start_time <= child.end_time <= parent.end_time


@pytest.mark.anyio
@pytest.mark.parametrize(("base_url", "port"), [("https://emulator.test", 443), ("https://emulator.test:8443", 8443)])
async def test_an_attempt_span_gives_the_server_port(spans: Any, base_url: str, port: int) -> None:
    async with FakeNetSuite(seed={"customers": 3}, base_url=base_url) as fake, fake.client() as ns:
        await ns.records.get("customer", 1)
    (parent,) = _by_name(spans.get_finished_spans(), "netsuite records.get")
    (child,) = _children(spans.get_finished_spans(), parent)
    assert (child.attributes["server.address"], child.attributes["server.port"]) == ("emulator.test", port)


@pytest.mark.anyio
async def test_an_attempt_span_runs_from_sending_to_the_answer(spans: Any) -> None:
    # The attempt's span is recorded once its outcome is known, with the time it was sent as its start: its
    # duration covers the server's latency, and it sits inside the logical call's span.
    async with FakeNetSuite(seed={"customers": 3}, latency=0.04) as fake, fake.client() as ns:
        await ns.records.get("customer", 1)
    finished = spans.get_finished_spans()
    (parent,) = _by_name(finished, "netsuite records.get")
    (child,) = _children(finished, parent)
    assert child.end_time - child.start_time >= 35_000_000  # ns: the 40 ms latency (timer slack allowed)
    assert parent.start_time <= child.start_time
    assert child.end_time <= parent.end_time


@pytest.mark.anyio
async def test_a_retried_get_has_one_child_per_attempt(spans: Any) -> None:
    async with FakeNetSuite(seed={"customers": 3}) as fake:
        fake.emulator.faults.script(match="GET /record/v1/customer/1", kind="error_before", status=503)
        async with fake.client(retry=RetryPolicy(backoff_base=0.001, backoff_max=0.002)) as ns:
            await ns.records.get("customer", 1)
    finished = spans.get_finished_spans()
    (parent,) = _by_name(finished, "netsuite records.get")
    children = sorted(_children(finished, parent), key=lambda s: s.attributes.get("http.request.resend_count", 0))
    assert [c.attributes["http.response.status_code"] for c in children] == [503, 200]
    assert children[0].attributes["error.type"] == "503"
    assert children[1].attributes["http.request.resend_count"] == 1
    assert parent.attributes["netsuite.attempts"] == 2


@pytest.mark.anyio
async def test_a_suiteql_stream_is_one_parent_with_its_pages_under_it(spans: Any) -> None:
    async with FakeNetSuite(seed={"customers": 95}) as fake, fake.client() as ns:
        rows = [r async for r in ns.suiteql.stream("SELECT id FROM customer ORDER BY id", page_size=10)]
    assert len(rows) == 95
    finished = spans.get_finished_spans()
    (parent,) = _by_name(finished, "netsuite suiteql.stream")
    pages = _children(finished, parent)
    # Ten pages and the one count query a multi-page stream makes (true total, key uniqueness).
    assert len(pages) == 11
    assert all(p.attributes["http.request.method"] == "POST" for p in pages)
    assert parent.attributes["netsuite.attempts"] == 11
    # no query text (it holds literal values) on any span
    assert "netsuite.record_type" not in parent.attributes
    assert all("SELECT" not in str(v) for s in finished for v in s.attributes.values())


@pytest.mark.anyio
async def test_a_batch_is_one_parent_over_every_request_it_makes(spans: Any) -> None:
    async with FakeNetSuite() as fake, fake.client() as ns:
        result = await ns.batch.create("customer", [{"companyName": f"C{i}"} for i in range(5)])
    assert result.ok
    finished = spans.get_finished_spans()
    (parent,) = _by_name(finished, "netsuite batch.create")
    assert parent.attributes["netsuite.record_type"] == "customer"
    http = [s for s in finished if s.name in ("GET", "POST", "PUT", "PATCH", "DELETE")]
    assert http, "the batch made HTTP requests"
    assert all(s.parent is not None and s.parent.span_id == parent.context.span_id for s in http)
    assert parent.attributes["netsuite.attempts"] == len(http)
    # nested logical calls (jobs.submit inside the batch) do not open spans of their own
    assert not _by_name(finished, "netsuite jobs.submit")


@pytest.mark.anyio
async def test_429s_are_counted_on_the_span_and_in_metrics(spans: Any) -> None:
    def total(name: str) -> int:
        return int(sum(p.value for p in _metric_points().get(name, [])))

    limited_before = total("netsuite.client.limited")
    requests_before = total("netsuite.client.requests")
    async with FakeNetSuite(concurrency=1, latency=0.01, seed={"customers": 3}) as fake:
        async with fake.client(concurrency=4, retry=RetryPolicy(backoff_base=0.001, backoff_max=0.01)) as ns:

            async def one() -> None:
                with ns.telemetry.operation("records.get"):
                    await ns.records.get("customer", 1)

            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(one)
        limited = fake.counters.limited
    assert limited > 0
    finished = spans.get_finished_spans()
    assert sum(s.attributes["netsuite.limited"] for s in _by_name(finished, "netsuite records.get")) == limited
    assert total("netsuite.client.limited") - limited_before == limited
    assert total("netsuite.client.requests") - requests_before == 8 + limited
    points = _metric_points()
    assert points["netsuite.client.slot_wait"], "slot wait histogram recorded"
    assert "netsuite.client.limit" in points
    assert "netsuite.client.in_flight" in points


@pytest.mark.anyio
async def test_no_secret_or_query_value_on_any_span(spans: Any) -> None:
    async with FakeNetSuite(seed={"customers": 3}) as fake:
        creds = fake.credentials
        fake.emulator.restlets.register("customscript_x", "1", lambda method, params, body: {"ok": True})
        auth = TokenAuth(creds.consumer_key, creds.consumer_secret, creds.token_id, creds.token_secret)
        async with fake.client(auth=auth) as ns:
            await ns.records.get("customer", 1)
            await ns.restlets.call(script="customscript_x", deploy="1", method="GET",
                                   params={"api_key": "VALUE-THAT-MUST-NOT-LEAK"})
            await ns.suiteql.all("SELECT id FROM customer WHERE email = ?", params=["who@secret.example"])
        secrets = [creds.consumer_secret, creds.token_secret, creds.token_id, creds.static_token,
                   "VALUE-THAT-MUST-NOT-LEAK", "who@secret.example"]
    dumped = json.dumps([dict(s.attributes) | {"name": s.name} for s in spans.get_finished_spans()], default=str)
    dumped += json.dumps([[dict(p.attributes) for p in pts] for pts in _metric_points().values()], default=str)
    for secret in secrets:
        assert secret not in dumped
    assert "netsuite restlets.call" in dumped


@pytest.mark.anyio
async def test_tracing_false_records_nothing(spans: Any) -> None:
    async with FakeNetSuite(seed={"customers": 3}) as fake, fake.client(tracing=False) as ns:
        assert not ns.telemetry.active
        await ns.records.get("customer", 1)
    assert spans.get_finished_spans() == ()


def test_nothing_is_recorded_or_imported_without_a_provider() -> None:
    code = textwrap.dedent(
        """
        import anyio, sys
        from netsuite_async.testing import FakeNetSuite
        async def main():
            async with FakeNetSuite(seed={"customers": 3}) as fake, fake.client() as ns:
                assert not ns.telemetry.active
                await ns.records.get("customer", 1)
        anyio.run(main)
        print("ok", "opentelemetry.sdk" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["ok", "False"]


@pytest.mark.anyio
async def test_hooks_see_each_attempt_without_credentials_and_cannot_break_a_call() -> None:
    seen: list[Any] = []
    answers: list[Any] = []

    async def on_response(info: Any) -> None:
        answers.append(info)

    def broken(info: Any) -> None:
        raise RuntimeError("a buggy metrics hook")

    hooks = Hooks(request=[seen.append, broken], response=[on_response])
    async with FakeNetSuite(seed={"customers": 3}) as fake, fake.client(hooks=hooks, tracing=False) as ns:
        await ns.records.get("customer", 1)
        await ns.request("GET", "/record/v1/customer/2", params={"fields": "email"})
    assert [i.operation for i in seen] == ["records.get", None]
    assert all("authorization" not in {k.lower() for k in i.headers} for i in seen)
    assert seen[1].url.endswith("/record/v1/customer/2?fields=…")
    assert [a.status_code for a in answers] == [200, 200]
    assert all("set-cookie" not in {k.lower() for k in a.headers} for a in answers)
    assert all(a.elapsed >= 0 and a.attempt == 1 for a in answers)


def test_hooks_must_be_callables() -> None:
    with pytest.raises(TypeError, match="callables"):
        Hooks(request=["not callable"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="Hooks"):
        NetSuiteClient("1234567", TokenAuth("a", "b", "c", "d"), hooks=[print])  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_with_options_overrides_apply_only_to_the_view() -> None:
    sent: list[Any] = []
    hooks = Hooks(request=[sent.append])
    async with FakeNetSuite(seed={"customers": 3}) as fake, fake.client(hooks=hooks, tracing=False) as ns:
        view = ns.with_options(headers={"X-Team": "finance"}, timeout=12.5,
                               retry=RetryPolicy(max_attempts=1))
        await view.records.get("customer", 1)
        await ns.records.get("customer", 1)
        assert view.records is not ns.records
        assert view.records._transport is view.transport
        # the retry override: the view gives up on the first 503, the client retries it
        fake.emulator.faults.script(match="GET /record/v1/customer/2", kind="error_before", status=503)
        with pytest.raises(ServerError):
            await view.records.get("customer", 2)
        fake.emulator.faults.script(match="GET /record/v1/customer/2", kind="error_before", status=503)
        await ns.with_options(retry=RetryPolicy(backoff_base=0.001, backoff_max=0.002)).records.get("customer", 2)
        assert view.transport.build_request(RequestSpec("GET", "/x")).extensions["timeout"]["read"] == 12.5
        assert ns.transport.build_request(RequestSpec("GET", "/x")).extensions["timeout"]["read"] != 12.5
        await view.aclose()  # closes nothing: the client still works
        await ns.records.get("customer", 3)
    assert sent[0].headers.get("x-team") == "finance"
    assert "x-team" not in sent[1].headers


@pytest.mark.anyio
async def test_views_share_the_governor_so_the_account_limit_holds() -> None:
    async with FakeNetSuite(concurrency=3, latency=0.02, seed={"customers": 3}) as fake:
        async with fake.client(concurrency=3) as ns:
            views = [ns, ns.with_options(timeout=30), ns.with_options(headers={"X-A": "1"})]
            assert all(v.governor is ns.governor and v.http is ns.http for v in views)

            async with anyio.create_task_group() as tg:
                for i in range(30):
                    tg.start_soon(views[i % 3].records.get, "customer", 1)
        assert fake.counters.max_in_flight <= 3
        assert fake.counters.limited == 0


def test_with_options_refuses_bad_values() -> None:
    ns = NetSuiteClient("1234567", TokenAuth("a", "b", "c", "d"))
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timeout"):
            ns.with_options(timeout=bad)
    for wrong in (True, "10"):
        with pytest.raises(TypeError, match="timeout"):
            ns.with_options(timeout=wrong)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="RetryPolicy"):
        ns.with_options(retry=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping"):
        ns.with_options(headers=[("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Authorization"):
        ns.with_options(headers={"authorization": "Bearer stolen"})


def test_the_trace_example_prints_one_parent_with_its_pages_under_it() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "otel_trace.py"
    out = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=120, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "2500 rows"
    assert lines[1].startswith("netsuite suiteql.stream")
    pages = [line for line in lines[2:] if line.startswith("  POST")]
    assert len(pages) == 6  # five pages and the stream's count query


@pytest.mark.anyio
async def test_an_agents_calls_carry_its_name_and_the_roots_do_not(spans: Any) -> None:
    from netsuite_async import AccessPolicy

    policy = AccessPolicy.from_dict({"finance-bot": {"records": {"customer": "read"}, "suiteql": True}})
    async with FakeNetSuite(seed={"customers": 30}) as fake, fake.client(policy=policy) as ns:
        bot = ns.as_agent("finance-bot")
        await bot.records.get("customer", 1)
        rows = [r async for r in bot.suiteql.stream("SELECT id FROM customer ORDER BY id", page_size=10)]
        await ns.records.get("customer", 2)
    assert len(rows) == 30
    finished = spans.get_finished_spans()
    gets = _by_name(finished, "netsuite records.get")
    assert sorted(str(s.attributes.get("netsuite.agent")) for s in gets) == ["None", "finance-bot"]
    (stream,) = _by_name(finished, "netsuite suiteql.stream")
    assert stream.attributes["netsuite.agent"] == "finance-bot"
