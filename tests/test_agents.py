"""Per-agent access policy and audit log, against the in-process emulator, on asyncio and trio.

Every action × level is allowed or denied as the policy says; a denied call never reaches the emulator (its
request counter does not move); every call is audited once, with no body, field value, query text or token.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from netsuite_async import (
    AccessDeniedError,
    AccessPolicy,
    AgentClient,
    AuditEvent,
    AuditLog,
    NetSuiteClient,
    NotFoundError,
)
from netsuite_async.audit import AUDIT_KEYS
from netsuite_async.policy import LEVELS
from netsuite_async.testing import FakeNetSuite

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]



SEED = {"customers": 6, "vendors": 2, "items": 2, "sales_orders": 2}
SINCE = "2000-01-01T00:00:00Z"


async def _collect(it: Any) -> list[Any]:
    return [x async for x in it]


async def _first_page(bot: AgentClient) -> Any:
    return await bot.records.list("customer", page_size=2)


# action name -> (level it needs on "customer", call)
RECORD_ACTIONS: dict[str, tuple[str, Callable[[AgentClient], Awaitable[Any]]]] = {
    "records.get": ("read", lambda b: b.records.get("customer", 1)),
    "records.get_many": ("read", lambda b: b.records.get_many("customer", [1, 2])),
    "records.list (await)": ("read", _first_page),
    "records.list (iterate)": ("read", lambda b: _collect(b.records.list("customer", page_size=2))),
    "records.list (pages)": ("read", lambda b: _collect(b.records.list("customer", page_size=4).pages())),
    "metadata.json_schema": ("read", lambda b: b.metadata.json_schema("customer")),
    "metadata.openapi": ("read", lambda b: b.metadata.openapi(["customer"])),
    "changes": ("read", lambda b: _collect(b.changes("customer", since=SINCE, once=True))),
    "records.create": ("write", lambda b: b.records.create("customer", {"companyName": "New"})),
    "records.update": ("write", lambda b: b.records.update("customer", 1, {"comments": "x"})),
    "records.upsert": ("write", lambda b: b.records.upsert("customer", "EXT-9", {"companyName": "Up"})),
    "batch.create": ("write", lambda b: b.batch.create("customer", [{"companyName": "B1"}])),
    "batch.update": ("write", lambda b: b.batch.update("customer", [{"id": 2, "comments": "y"}])),
    "batch.upsert": ("write", lambda b: b.batch.upsert("customer", [{"externalId": "EXT-B", "companyName": "U"}])),
    "records.delete": ("full", lambda b: b.records.delete("customer", 3)),
    "batch.delete": ("full", lambda b: b.batch.delete("customer", [4])),
}


def _policy(**agents: dict[str, Any]) -> AccessPolicy:
    return AccessPolicy.from_dict({name.replace("_", "-"): spec for name, spec in agents.items()})


class Harness:
    def __init__(self, fake: FakeNetSuite, ns: NetSuiteClient, events: list[AuditEvent]) -> None:
        self.fake = fake
        self.ns = ns
        self.events = events

    @property
    def requests(self) -> int:
        return int(self.fake.counters.requests)


@asynccontextmanager
async def _harness(policy: AccessPolicy, **client_kwargs: Any) -> AsyncIterator[Harness]:
    events: list[AuditEvent] = []
    async with FakeNetSuite(seed=SEED) as fake:  # noqa: SIM117 - the client needs the fake
        async with fake.client(policy=policy, audit=AuditLog.to_callable(events.append), **client_kwargs) as ns:
            yield Harness(fake, ns, events)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("action", list(RECORD_ACTIONS))
async def test_record_actions_follow_the_level(action: str, level: str) -> None:
    needs, call = RECORD_ACTIONS[action]
    allowed = LEVELS.index(level) >= LEVELS.index(needs)  # type: ignore[arg-type]
    policy = _policy(bot={"records": {"customer": level}})
    async with _harness(policy) as h:
        bot = h.ns.as_agent("bot")
        before = h.requests
        if allowed:
            await call(bot)
            assert h.requests > before
        else:
            with pytest.raises(AccessDeniedError) as info:
                await call(bot)
            assert h.requests == before, "a denied call reached the emulator"
            assert info.value.agent == "bot"
            assert needs in info.value.needed
            assert "customer" in info.value.needed
        assert len(h.events) == 1, [e.text for e in h.events]
        event = h.events[0]
        assert event.agent == "bot"
        assert event.decision == ("allowed" if allowed else "denied")
        assert event.record_type == "customer"
        assert event.outcome == ("ok" if allowed else "denied")
        if allowed:
            assert event.attempts >= 1
            assert event.status is not None
            assert 200 <= event.status < 300
        else:
            assert event.attempts == 0
            assert event.status is None


async def test_sentences_and_ids_in_the_audit_record() -> None:
    policy = _policy(finance_bot={"records": {"invoice": "write", "customer": "read"}},
                     support_bot={"records": {"customer": "read"}})
    async with _harness(policy) as h:
        ref = await h.ns.as_agent("finance-bot").records.create(
            "invoice", {"entity": {"id": "1"}, "item": {"items": [{"item": {"id": "1"}, "quantity": 1}]}})
        with pytest.raises(AccessDeniedError) as info:
            await h.ns.as_agent("support-bot").records.delete("customer", 7)
        assert str(info.value).startswith("agent 'support-bot' may not records.delete customer 7")
        created, denied = h.events
        assert created.record_id == ref.id
        assert created.text.startswith(f"finance-bot created invoice {ref.id}: allowed, 204 in ")
        assert denied.text == "support-bot tried to delete customer 7: denied, it has read access to customer"


@pytest.mark.parametrize(("source", "target", "allowed"), [
    ("read", "write", True), ("full", "full", True), ("none", "write", False), ("read", "read", False),
    ("write", "none", False),
])
async def test_transform_needs_read_on_the_source_and_write_on_the_target(source: str, target: str,
                                                                          allowed: bool) -> None:
    policy = _policy(bot={"records": {"salesOrder": source, "invoice": target}})
    async with _harness(policy) as h:
        bot = h.ns.as_agent("bot")
        before = h.requests
        if allowed:
            ref = await bot.records.transform("salesOrder", 1, "invoice")
            assert ref.type == "invoice"
            assert h.events[0].text.startswith("bot transformed salesOrder 1 into invoice: allowed")
        else:
            with pytest.raises(AccessDeniedError):
                await bot.records.transform("salesOrder", 1, "invoice")
            assert h.requests == before
            assert h.events[0].decision == "denied"


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("suiteql", [True, False])
async def test_suiteql_needs_the_grant_and_read_on_every_table(level: str, suiteql: bool) -> None:
    policy = _policy(bot={"records": {"customer": level}, "suiteql": suiteql})
    async with _harness(policy) as h:
        bot = h.ns.as_agent("bot")
        calls: list[Callable[[], Awaitable[Any]]] = [
            lambda: bot.suiteql.all("SELECT id FROM customer WHERE id > ?", params=[0]),
            lambda: bot.suiteql.page("SELECT id FROM customer ORDER BY id", limit=2),
            lambda: bot.suiteql.count("SELECT id FROM customer"),
            lambda: _collect(bot.suiteql.stream("SELECT id FROM customer ORDER BY id")),
        ]
        allowed = suiteql and level != "none"
        for call in calls:
            before = h.requests
            if allowed:
                await call()
                assert h.requests > before
            else:
                with pytest.raises(AccessDeniedError):
                    await call()
                assert h.requests == before
        assert [e.decision for e in h.events] == ["allowed" if allowed else "denied"] * 4
        assert {e.action for e in h.events} == {"suiteql.all", "suiteql.page", "suiteql.count", "suiteql.stream"}
        if allowed:
            assert all(e.tables == ["customer"] for e in h.events)
        # Another table is denied even with the grant.
        before = h.requests
        with pytest.raises(AccessDeniedError) as info:
            await bot.suiteql.all("SELECT id FROM customer UNION SELECT id FROM vendor")
        assert h.requests == before
        assert "vendor" in str(info.value)


async def test_the_issue_example_vendor_query_is_denied_nothing_sent_and_audited(tmp_path: Path) -> None:
    policy = AccessPolicy.from_dict({
        "finance-bot": {"records": {"customer": "read", "invoice": "write"}, "suiteql": True},
        "support-bot": {"records": {"customer": "read"}},
    })
    path = tmp_path / "audit.jsonl"
    async with FakeNetSuite(seed=SEED) as fake, fake.client(policy=policy, audit=AuditLog.jsonl(path)) as ns:
        bot = ns.as_agent("finance-bot")
        await bot.records.get("customer", 1)
        before = fake.counters.requests
        with pytest.raises(AccessDeniedError):
            await bot.suiteql.all("SELECT id FROM vendor")
        assert fake.counters.requests == before
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(x["action"], x["decision"]) for x in lines] == [("records.get", "allowed"), ("suiteql.all", "denied")]
    assert lines[1]["tables"] == ["vendor"]
    assert lines[1]["text"] == "finance-bot tried to run SuiteQL over vendor: denied, it may not read table vendor"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    for line in lines:
        assert list(line) == list(AUDIT_KEYS)


async def test_unclassifiable_suiteql_is_denied_with_the_reason() -> None:
    policy = _policy(bot={"records": {"customer": "full"}, "suiteql": True})
    async with _harness(policy) as h:
        bot = h.ns.as_agent("bot")
        for query, why in [
            ("SELECT id FROM customer; DELETE FROM customer", "';'"),
            ("SELECT id FROM (customer JOIN vendor ON 1 = 1)", "parenthesised joins"),
            ("SELECT id FROM customer WHERE x = 'open", "unterminated"),
            ("SELECT id FROM customer c, ? x", "? parameter"),
        ]:
            with pytest.raises(AccessDeniedError) as info:
                await bot.suiteql.all(query)
            assert why in str(info.value)
        assert h.requests == 0
        assert all(e.decision == "denied" and e.tables is None for e in h.events)
        assert "could not determine" in h.events[0].text


@pytest.mark.parametrize("granted", [True, False])
async def test_flags_request_jobs_catalog_and_restlets(granted: bool) -> None:
    spec: dict[str, Any] = {"records": {"customer": "full"}}
    if granted:
        spec.update(request=True, jobs=True, catalog=True, restlets=["customscript_echo"])
    policy = _policy(bot=spec)
    async with _harness(policy) as h:
        h.fake.emulator.restlets.register("customscript_echo", 1, lambda method, params, body: {"ok": True})
        h.fake.emulator.restlets.register("customscript_other", 1, lambda method, params, body: {"ok": True})
        bot = h.ns.as_agent("bot")
        calls: list[Callable[[], Awaitable[Any]]] = [
            lambda: bot.request("GET", "/record/v1/customer/1"),
            lambda: bot.jobs.submit("GET", "/record/v1/customer/1"),
            lambda: bot.metadata.catalog(),
            lambda: bot.metadata.openapi(),
            lambda: bot.restlets.call("customscript_echo", 1, params={"who": "x"}),
        ]
        for call in calls:
            before = h.requests
            if granted:
                await call()
                assert h.requests > before
            else:
                with pytest.raises(AccessDeniedError):
                    await call()
                assert h.requests == before
        if granted:
            bot.jobs.get("1")
        else:
            with pytest.raises(AccessDeniedError):
                bot.jobs.get("1")
        # A RESTlet not listed stays denied either way.
        before = h.requests
        with pytest.raises(AccessDeniedError):
            await bot.restlets.call("customscript_other", 1)
        assert h.requests == before
        assert len(h.events) == 7
        assert [e.decision for e in h.events[:6]] == ["allowed" if granted else "denied"] * 6


async def test_root_client_is_unrestricted_but_audited_and_inner_work_is_audited_once() -> None:
    policy = _policy(bot={"records": {"customer": "write"}})
    async with _harness(policy) as h:
        await h.ns.records.delete("customer", 5)
        result = await h.ns.batch.create("customer", [{"companyName": f"R{i}"} for i in range(3)])
        assert result.ok
        got = await h.ns.records.get_many("customer", [1, 2, 999])
        assert got[2] is None
        rows = await h.ns.suiteql.all("SELECT id FROM customer ORDER BY id")
        assert rows
        # A batch runs jobs internally, get_many several gets: one line per call all the same.
        assert [e.action for e in h.events] == ["records.delete", "batch.create", "records.get_many", "suiteql.all"]
        assert all(e.agent is None and e.decision == "allowed" for e in h.events)
        assert h.events[0].text.startswith("the application deleted customer 5: allowed, 204 in ")
        assert h.events[1].count == 3
        assert h.events[1].attempts >= 2
        assert h.events[3].tables == ["customer"]
        assert h.events[3].count == len(rows)


async def test_failures_and_cancellation_are_audited_once() -> None:
    policy = _policy(bot={"records": {"customer": "read"}, "suiteql": True, "restlets": ["customscript_hold"]})
    async with _harness(policy) as h:
        bot = h.ns.as_agent("bot")
        with pytest.raises(NotFoundError):
            await bot.records.get("customer", 999)
        assert h.events[-1].outcome == "NotFoundError"
        assert h.events[-1].status == 404
        assert "allowed, failed with NotFoundError (404)" in h.events[-1].text
        # A stream closed early is recorded when closed, once.
        async with bot.suiteql.stream("SELECT id FROM customer ORDER BY id", page_size=1) as rows:
            async for _ in rows:
                break
        assert h.events[-1].action == "suiteql.stream"
        assert h.events[-1].count == 1
        # A call cancelled in flight: the RESTlet holds the request until the test has cancelled it.
        arrived, release = anyio.Event(), anyio.Event()

        async def hold(method: str, params: dict[str, str], body: Any) -> Any:
            arrived.set()
            await release.wait()
            return {"late": True}

        h.fake.emulator.restlets.register("customscript_hold", 1, hold)
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(bot.restlets.call, "customscript_hold", 1)
                await arrived.wait()
                scope.cancel()
        release.set()
        assert len(h.events) == 3
        assert h.events[-1].action == "restlets.call"
        assert h.events[-1].outcome == "cancelled"
        assert h.events[-1].text.startswith(
            "bot tried to call RESTlet customscript_hold (deploy 1): allowed, failed with cancelled in"
        )


async def test_unknown_agent_and_missing_policy_are_errors() -> None:
    async with FakeNetSuite() as fake:
        async with fake.client(policy=_policy(bot={})) as ns:
            with pytest.raises(ValueError, match="unknown agent 'other'"):
                ns.as_agent("other")
        async with fake.client() as ns:
            with pytest.raises(ValueError, match="no access policy"):
                ns.as_agent("bot")
        with pytest.raises(TypeError, match="policy must be an AccessPolicy"):
            fake.client(policy={"bot": {}})


async def test_views_share_the_pool_governor_and_auth_of_the_client() -> None:
    policy = _policy(a={"records": {"customer": "read"}}, b={"records": {"customer": "read"}})
    async with _harness(policy, concurrency=2) as h:
        before = h.ns.governor.stats().acquired
        async with anyio.create_task_group() as tg:
            for name in ("a", "b"):
                for i in range(1, 4):
                    tg.start_soon(h.ns.as_agent(name).records.get, "customer", i)
        assert h.ns.governor.stats().acquired == before + 6
        assert h.fake.counters.max_in_flight <= 2
        # Nothing on a view leads back to the unrestricted client.
        bot = h.ns.as_agent("a")
        assert not hasattr(bot, "client")
        assert not hasattr(bot.records, "client")
        assert not hasattr(bot.records, "_raw_client")


async def test_one_thousand_concurrent_calls_from_three_agents_give_one_thousand_lines(tmp_path: Path) -> None:
    policy = _policy(
        reader={"records": {"customer": "read"}},
        stranger={"records": {"vendor": "read"}},
        writer={"records": {"customer": "write"}, "suiteql": True},
    )
    path = tmp_path / "audit.jsonl"
    secret_value = "FIELD-VALUE-never-logged"
    secret_literal = "LITERAL-never-logged"
    async with FakeNetSuite(seed=SEED, concurrency=10) as fake:  # noqa: SIM117 - the client needs the fake
        async with fake.client(policy=policy, audit=AuditLog.jsonl(path)) as ns:
            token = fake.credentials.static_token
            agents = {name: ns.as_agent(name) for name in ("reader", "stranger", "writer")}
            expected: dict[str, str] = {}

            async def one(i: int) -> None:
                name = ("reader", "stranger", "writer")[i % 3]
                expected[str(i)] = name
                bot = agents[name]
                try:
                    if name == "writer" and i % 2:
                        await bot.records.update("customer", i, {"comments": secret_value})
                    else:
                        await bot.records.get("customer", i)
                except (AccessDeniedError, NotFoundError):
                    pass

            async with anyio.create_task_group() as tg:
                for i in range(1, 1001):
                    tg.start_soon(one, i)
            # SuiteQL with a literal, a record body: neither may show up in the log.
            with pytest.raises(NotFoundError):
                await agents["writer"].records.update("customer", 99999, {"companyName": secret_value})
            await agents["writer"].suiteql.all(f"SELECT id FROM customer WHERE companyname <> '{secret_literal}'")
    raw = path.read_text()
    lines = raw.splitlines()
    assert raw.endswith("\n")
    assert len(lines) == 1002
    parsed = [json.loads(line) for line in lines]  # every line is whole JSON
    by_id = {p["record_id"]: p for p in parsed[:1000]}
    assert len(by_id) == 1000
    for rid, name in expected.items():
        line = by_id[rid]
        assert line["agent"] == name
        assert list(line) == list(AUDIT_KEYS)
        assert line["decision"] == ("denied" if name == "stranger" else "allowed")
        assert line["text"].startswith(name)
    for needle in (secret_value, secret_literal, token, "Bearer", "companyname"):
        assert needle not in raw


async def test_logger_sink_and_a_failing_sink_never_fail_the_call(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: AuditEvent) -> None:
        raise OSError("disk full")

    log = AuditLog.combine([AuditLog.to_logger("test.audit"), AuditLog.to_callable(broken)])
    policy = _policy(bot={"records": {"customer": "write"}})
    caplog.set_level(logging.INFO, logger="test.audit")
    async with FakeNetSuite(seed=SEED) as fake, fake.client(policy=policy, audit=log) as ns:
        ref = await ns.as_agent("bot").records.create("customer", {"companyName": "Kept"})
    assert ref.id
    assert log.errors == 1
    records = [r for r in caplog.records if r.name == "test.audit"]
    assert len(records) == 1
    assert records[0].getMessage().startswith(f"bot created customer {ref.id}: allowed")
    assert records[0].audit["record_id"] == ref.id  # type: ignore[attr-defined]


def test_jsonl_lines_from_many_threads_never_tear(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "audit.jsonl"
    logs = [AuditLog.jsonl(path) for _ in range(4)]  # four descriptors on one file, like four processes

    def write(log: AuditLog, n: int) -> None:
        for i in range(250):
            log.record(AuditEvent(action="records.get", agent=f"t{n}", record_type="customer",
                                  record_id=str(i), reason="x" * 3000))

    threads = [threading.Thread(target=write, args=(log, n)) for n, log in enumerate(logs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for log in logs:
        log.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 1000
    assert all(json.loads(line)["reason"] == "x" * 3000 for line in lines)
    assert os.stat(path).st_mode & 0o777 == 0o600


async def test_the_audited_root_keeps_every_attribute_of_its_namespaces_and_agents_get_none() -> None:
    policy = _policy(bot={"records": {"customer": "read"}, "suiteql": True})
    async with _harness(policy) as h:
        h.ns.suiteql.row_cap = 5_000
        assert h.ns.suiteql.row_cap == 5_000
        assert h.ns.batch.collections_supported is None
        bot = h.ns.as_agent("bot")
        with pytest.raises(AttributeError, match="not available through an agent's view"):
            _ = bot.suiteql.row_cap
        with pytest.raises(AttributeError, match="cannot be set"):
            bot.suiteql.row_cap = 1
        with pytest.raises(AttributeError):
            bot.metadata.enable_cache("/tmp")


async def test_with_options_views_of_an_audited_client_are_audited_and_keep_their_options() -> None:
    policy = _policy(bot={"records": {"customer": "read"}})
    async with _harness(policy) as h:
        slow = h.ns.with_options(timeout=30.0)
        await slow.records.get("customer", 1)
        await slow.as_agent("bot").records.get("customer", 2)
        with pytest.raises(AccessDeniedError):
            await slow.as_agent("bot").records.delete("customer", 2)
        assert [(e.agent, e.action, e.decision) for e in h.events] == [
            (None, "records.get", "allowed"), ("bot", "records.get", "allowed"), ("bot", "records.delete", "denied"),
        ]
        # The view's own transport (its timeout) carries its calls, not the root's.
        assert slow.__dict__["_netsuite_async_plumbing"][1].transport is slow.transport


async def test_a_stream_dropped_without_closing_is_recorded_once_as_abandoned() -> None:
    import gc

    policy = _policy(bot={"records": {"customer": "read"}, "suiteql": True})
    async with _harness(policy) as h:
        # (A SuiteQL stream fetches pages in the background: drop one and those tasks are left to the garbage
        # collector too, which is why RowStream asks for ``async with``. A record listing has none.)
        refs = h.ns.as_agent("bot").records.list("customer", page_size=1).__aiter__()
        assert (await refs.__anext__()).id == "1"
        del refs
        gc.collect()
        assert [(e.action, e.outcome, e.count) for e in h.events] == [("records.list", "abandoned", 1)]
