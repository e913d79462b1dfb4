"""Per-call options: ``timeout=`` and ``headers=`` on every resource method, one meaning of ``timeout``.

Every public method of every namespace takes both; headers reach the emulator on every request a call sends
(pages, parallel pages, job polls, task reads) and on no other call's; a per-call timeout is per attempt and only
that call's; the copies a call runs on share the governor and what the client learned; the old names warn and
still work; bad values are refused before anything is sent.
"""

from __future__ import annotations

import inspect
import typing
import warnings
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from netsuite_async import AuditEvent, AuditLog, BearerToken, NetSuiteClient, RetryPolicy
from netsuite_async.batch import BatchOptions
from netsuite_async.changes import Changes
from netsuite_async.errors import JobTimeoutError, RequestTimeoutError
from netsuite_async.testing import FakeNetSuite
from netsuite_async.testing._config import EmulatorConfig
from netsuite_async.testing._messages import EmuRequest
from netsuite_async.testing.server import EmulatorServer

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]

TAG = {"X-Call-Tag": "this-call"}
NAMESPACES = ("records", "suiteql", "batch", "jobs", "restlets", "metadata")
# Public methods that send nothing (configuration, a handle made without a request): nothing to time or tag.
SENDS_NOTHING = {"metadata.enable_cache", "metadata.disable_cache", "jobs.get"}


class Seen:
    """Every request as the emulator received it (a fault matcher that records and never matches)."""

    def __init__(self, fake: FakeNetSuite) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        fake.emulator.faults.script(match=self._watch, times=None)

    def _watch(self, req: EmuRequest) -> bool:
        self.requests.append((req.method, req.path, {k.lower(): v for k, v in req.headers.items()}))
        return False

    def tagged(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, h in self.requests if h.get("x-call-tag") == "this-call"]

    def untagged(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, h in self.requests if "x-call-tag" not in h]

    def clear(self) -> None:
        self.requests.clear()


def _public_methods(obj: object) -> list[tuple[str, Callable[..., Any]]]:
    out = []
    for name, member in inspect.getmembers(type(obj)):
        if name.startswith("_") or isinstance(member, property) or not callable(member):
            continue
        out.append((name, getattr(obj, name)))
    return out


def _keywords(func: Callable[..., Any]) -> set[str]:
    """The keyword names a method accepts, a ``**options: Unpack[TypedDict]`` included."""
    names: set[str] = set()
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.add(p.name)
        elif p.kind is p.VAR_KEYWORD:
            hint = typing.get_type_hints(func, include_extras=True)[p.name]
            assert typing.get_origin(hint) is typing.Unpack, f"{func.__qualname__}: **{p.name} is untyped"
            names |= set(typing.get_args(hint)[0].__optional_keys__)
    return names


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_every_public_method_of_every_namespace_takes_timeout_and_headers() -> None:
    async with NetSuiteClient("1234567", BearerToken("t")) as ns:
        resources: dict[str, object] = {name: getattr(ns, name) for name in NAMESPACES}
        resources["job"] = ns.jobs.get("1")  # the Job objects ns.jobs returns
        checked = []
        for prefix, resource in resources.items():
            for name, method in _public_methods(resource):
                if f"{prefix}.{name}" in SENDS_NOTHING:
                    assert not inspect.iscoroutinefunction(method)
                    continue
                assert {"timeout", "headers"} <= _keywords(method), f"{prefix}.{name} lacks timeout=/headers="
                # The options are applied by the one mechanism every method goes through (the telemetry decorator).
                assert hasattr(method, "__wrapped__"), f"{prefix}.{name} is not decorated"
                checked.append(f"{prefix}.{name}")
        # The change feed (ns.changes) takes them too.
        assert {"timeout", "headers"} <= set(inspect.signature(Changes).parameters)
    assert {"records.get", "records.list", "suiteql.stream", "batch.create", "batch.run", "job.wait",
            "job.wait_tasks", "jobs.submit", "restlets.call", "metadata.openapi"} <= set(checked)
    assert len(checked) >= 30
    # The batch facade's options are listed once.
    assert {"chunk_size", "job_deadline", "timeout", "headers"} <= BatchOptions.__optional_keys__


async def test_headers_reach_the_emulator_on_every_request_of_the_call_and_no_other() -> None:
    async with FakeNetSuite(seed={"customers": 450}) as fake, fake.client() as ns:
        ns.jobs.poll_interval = 0.001
        seen = Seen(fake)

        got = await ns.records.get("customer", 1, headers=TAG)
        await ns.records.get("customer", 2)
        assert got["id"] == "1"
        assert seen.tagged() == [("GET", "/services/rest/record/v1/customer/1")]
        assert seen.untagged() == [("GET", "/services/rest/record/v1/customer/2")]

        seen.clear()
        ref = await ns.records.create("customer", {"companyName": "Tagged"}, headers=TAG)
        assert seen.tagged() == [("POST", "/services/rest/record/v1/customer")]
        assert not seen.untagged()
        assert ref.id

        seen.clear()
        rows = [r async for r in ns.suiteql.stream("SELECT id FROM customer ORDER BY id", page_size=100,
                                                   headers=TAG)]
        assert len(rows) == 451
        pages = seen.tagged()
        assert len(pages) >= 6
        assert all(p == ("POST", "/services/rest/query/v1/suiteql") for p in pages)
        assert not seen.untagged()

        seen.clear()
        listed = [r async for r in ns.records.list("customer", page_size=200, headers=TAG)]
        assert len(listed) == 451
        assert len(seen.tagged()) == 3
        assert not seen.untagged()

        seen.clear()
        out = await ns.restlets.call("customscript_echo", 1, params={"n": 1}, headers=TAG)
        assert out is not None
        assert seen.tagged() == [("GET", "/app/site/hosting/restlet.nl")]
        assert not seen.untagged()

        seen.clear()
        catalog = await ns.metadata.catalog(headers=TAG)
        assert catalog
        assert seen.tagged() == [("GET", "/services/rest/record/v1/metadata-catalog")]


async def test_a_batch_s_submissions_polls_and_task_reads_all_carry_the_call_s_headers() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake, fake.client() as ns:
        ns.jobs.poll_interval = 0.001
        seen = Seen(fake)
        result = await ns.batch.create("customer", [{"companyName": f"B{i}"} for i in range(5)], chunk_size=2,
                                       headers=TAG)
        assert result.ok
        assert len(result) == 5
        tagged = seen.tagged()
        assert not seen.untagged()
        assert any(m == "POST" for m, _ in tagged)  # submissions
        assert any(m == "GET" and p.startswith("/services/rest/async/v1/job/") and "/task" not in p
                   for m, p in tagged)  # job polls
        assert any(m == "GET" and "/task/" in p for m, p in tagged)  # task results
        # What the batch learned about the account is the client's, not only the call's copy's.
        assert ns.batch.collections_supported is True

        seen.clear()
        await ns.batch.create("customer", [{"companyName": "Plain"}])
        assert seen.requests
        assert not seen.tagged()


async def test_a_job_s_methods_take_their_own_options_and_a_submitted_job_does_not_inherit_them() -> None:
    async with FakeNetSuite() as fake, fake.client() as ns:
        ns.jobs.poll_interval = 0.001
        seen = Seen(fake)
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "J"}, headers=TAG)
        assert seen.tagged() == [("POST", "/services/rest/record/v1/customer")]
        seen.clear()
        await job.wait_completed(deadline=10)
        assert seen.requests
        assert not seen.tagged()
        seen.clear()
        result = await job.wait(deadline=10, headers=TAG)
        assert result.ref is not None
        assert len(seen.tagged()) >= 3
        assert not seen.untagged()


async def test_get_many_reads_carry_the_headers_and_teach_the_client() -> None:
    async with FakeNetSuite(seed={"customers": 5}) as fake, fake.client() as ns:
        ns.jobs.poll_interval = 0.001
        seen = Seen(fake)
        assert ns.records._batch_read is None
        got = await ns.records.get_many("customer", [1, 2, 3], headers=TAG)
        assert [g["id"] if g else None for g in got] == ["1", "2", "3"]
        assert seen.tagged()
        assert not seen.untagged()
        assert ns.records._batch_read is not None  # learned through the call's copy, kept by the client


async def test_a_per_call_timeout_is_per_attempt_and_only_that_call_s(anyio_backend: str) -> None:
    # A real socket (the in-process transport has no read timeouts): every read of customer 1 takes a second.
    with EmulatorServer(EmulatorConfig(concurrency=5), seed={"customers": 2}) as server:
        emu = server.emulator
        assert emu is not None
        emu.faults.script(match="GET /record/v1/customer/1", kind="slow", times=None, seconds=1.0, apply=True)
        retry = RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.002)
        async with NetSuiteClient(server.account, BearerToken(server.config_data["static_token"]),
                                  base_url=server.base_url, retry=retry) as ns:
            outcome: dict[str, Any] = {}

            async def impatient() -> None:
                with pytest.raises(RequestTimeoutError) as info:
                    await ns.records.get("customer", 1, timeout=0.1)
                outcome["error"] = info.value

            async def patient() -> None:
                outcome["concurrent"] = await ns.records.get("customer", 1)

            async with anyio.create_task_group() as tg:
                tg.start_soon(impatient)
                tg.start_soon(patient)
            after = await ns.records.get("customer", 1)
    err = outcome["error"]
    assert err.attempts == 2  # each attempt timed out on its own: a per-attempt limit, retried
    assert "ReadTimeout" in str(err)
    assert outcome["concurrent"]["id"] == "1"  # the concurrent call kept the client's timeout
    assert after["id"] == "1"  # and so did the next one


async def test_calls_with_options_share_the_governor_so_the_account_limit_holds() -> None:
    async with FakeNetSuite(concurrency=3, latency=0.02, seed={"customers": 3}) as fake:
        async with fake.client(concurrency=3) as ns:
            calls: list[Callable[[], Any]] = [
                lambda: ns.records.get("customer", 1),
                lambda: ns.records.get("customer", 2, timeout=30),
                lambda: ns.records.get("customer", 3, headers={"X-A": "1"}),
            ]

            async def run(i: int) -> None:
                await calls[i % 3]()

            async with anyio.create_task_group() as tg:
                for i in range(30):
                    tg.start_soon(run, i)
        assert fake.counters.requests == 30
        assert fake.counters.max_in_flight <= 3
        assert fake.counters.limited == 0


async def test_calls_with_options_on_an_agent_view_are_checked_and_audited() -> None:
    from netsuite_async import AccessPolicy

    events: list[AuditEvent] = []
    policy = AccessPolicy.from_dict({"bot": {"records": {"customer": "read"}}})
    async with FakeNetSuite(seed={"customers": 2}) as fake, \
            fake.client(policy=policy, audit=AuditLog.to_callable(events.append)) as ns:
        seen = Seen(fake)
        await ns.as_agent("bot").records.get("customer", 1, headers=TAG, timeout=30)
        await ns.records.get("customer", 2, headers=TAG)
    assert len(seen.tagged()) == 2
    assert [(e.agent, e.action, e.status, e.attempts) for e in events] == [
        ("bot", "records.get", 200, 1), (None, "records.get", 200, 1),
    ]


async def test_the_old_names_warn_and_still_work() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake, fake.client() as ns:
        ns.jobs.poll_interval = 0.001
        with pytest.warns(DeprecationWarning, match=r"read_timeout= is deprecated; use timeout="):
            assert await ns.metadata.catalog(read_timeout=30)
        with pytest.warns(DeprecationWarning, match=r"read_timeout= is deprecated; use timeout="):
            assert await ns.restlets.call("customscript_echo", 1, read_timeout=30) is not None
        with pytest.warns(DeprecationWarning, match=r"job_timeout= is deprecated; use job_deadline="):
            assert (await ns.batch.create("customer", [{"companyName": "Old"}], job_timeout=30)).ok
        with pytest.warns(DeprecationWarning, match=r"read_timeout= is deprecated"):
            assert ns.transport.derive(read_timeout=7.0).attempt_timeout == 7.0
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "W"})
        with pytest.warns(DeprecationWarning, match=r"Job\.wait\(timeout=\.\.\.\).*per-attempt.*deadline="):
            assert (await job.wait(timeout=30)).ref is not None
        with pytest.warns(DeprecationWarning, match=r"Job\.wait_completed"):
            assert (await job.wait_completed(timeout=None)).finished  # None: no limit, as before
        with pytest.warns(DeprecationWarning, match=r"Job\.wait_tasks"):
            assert len(await job.wait_tasks(timeout=30)) == 1
        # With deadline= given, timeout= is the new per-attempt meaning: no warning.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert (await job.wait(deadline=30, timeout=20)).ref is not None
            assert (await job.wait(30, timeout=20)).ref is not None
        # Both names at once is a mistake, refused before anything is sent.
        before = fake.counters.requests
        with pytest.raises(TypeError, match="job_deadline"):
            await ns.batch.create("customer", [{"companyName": "X"}], job_timeout=1, job_deadline=2)
        with pytest.raises(TypeError, match="timeout"):
            await ns.metadata.catalog(read_timeout=1, timeout=2)
        assert fake.counters.requests == before


async def test_the_old_total_timeout_of_a_wait_still_bounds_it() -> None:
    async with FakeNetSuite() as fake, fake.client() as ns:
        ns.jobs.poll_interval = 0.001
        fake.emulator.jobs.pending_polls = 10**6  # the job never finishes
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Slow"})
        with pytest.warns(DeprecationWarning, match="deadline="), pytest.raises(JobTimeoutError):
            await job.wait(timeout=0.05)
        with pytest.raises(JobTimeoutError):
            await job.wait(deadline=0.05)


BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"timeout": 0}, ValueError, "positive"),
    ({"timeout": -1.0}, ValueError, "positive"),
    ({"timeout": float("nan")}, ValueError, "positive"),
    ({"timeout": "10"}, TypeError, "timeout"),
    ({"timeout": True}, TypeError, "timeout"),
    ({"headers": [("X-A", "1")]}, TypeError, "mapping"),
    ({"headers": {"X-A": 1}}, TypeError, "str"),
    ({"headers": {"Bad Name": "1"}}, ValueError, "header name"),
    ({"headers": {"X-A": "1\r\nX-Injected: 2"}}, ValueError, "line break"),
    ({"headers": {"Authorization": "Bearer x"}}, ValueError, "Authorization"),
]


@pytest.mark.parametrize(("options", "error", "match"), BAD)
async def test_bad_values_raise_a_typed_error_before_any_request(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    async with FakeNetSuite(seed={"customers": 2}) as fake, fake.client() as ns:
        job = ns.jobs.get("1")
        calls: list[Callable[[], Any]] = [
            lambda: ns.records.get("customer", 1, **options),
            lambda: ns.records.create("customer", {"companyName": "x"}, **options),
            lambda: ns.suiteql.all("SELECT id FROM customer", **options),
            lambda: ns.batch.create("customer", [{"companyName": "x"}], **options),
            lambda: ns.restlets.call("customscript_echo", 1, **options),
            lambda: ns.metadata.json_schema("customer", **options),
            lambda: job.wait(deadline=5, **options),
        ]
        for call in calls:
            with pytest.raises(error, match=match):
                await call()
        with pytest.raises(error, match=match):
            ns.suiteql.stream("SELECT id FROM customer", **options)  # refused when made, not when iterated
        with pytest.raises(error, match=match):
            ns.changes("customer", since="2026-01-01T00:00:00Z", **options)
        with pytest.raises(error, match=match):
            ns.with_options(**options)
        assert fake.counters.requests == 0
