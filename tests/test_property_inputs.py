"""Property: whatever a caller passes to a public entry point, the library either works, raises a NetSuiteError,
or raises TypeError/ValueError *before sending anything*; no other exception ever escapes. Inputs known to be
invalid (wrong types, NaN, non-finite numbers, bad ids) must raise, and the emulator's request counter proves that
nothing left the process for them.

Each entry point gets ``EXAMPLES`` examples (derandomized, no deadline) on asyncio and trio: about 20 s in all.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import anyio
import httpx2
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from netsuite_async import BearerToken, NetSuiteClient, NetSuiteError, Q, RetryPolicy, Timeouts
from netsuite_async.testing import FakeNetSuite

EXAMPLES = 200
# 200 generated inputs per entry point: the full suite and CI, not `nox -s quick`.
pytestmark = pytest.mark.slow
BACKENDS = ["asyncio", "trio"]


class LyingFloat(float):
    def __repr__(self) -> str:
        return "1) OR (1=1"

    __str__ = __repr__


class LyingDecimal(Decimal):
    def __format__(self, spec: str, context: Any = None) -> str:  # type: ignore[override]
        return "0 OR 1=1"


ODD = [object(), np.float64("nan"), np.int64(3), np.float64(2.5), np.float32("inf"), LyingFloat(1.5),
       LyingDecimal("2"), Decimal("NaN"), [], {}, (), b"", bytearray(b"x"), "../x", "1/../2", "eid:", "eid:X", " ",
       "\x00", "a\nb", "customer", "1", -1, 0, 2**64, math.nan, math.inf, True, 1.0, {1, 2}, frozenset()]
junk = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.binary(max_size=6), st.sampled_from(ODD),
)


def mostly(valid: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = junk, bad_percent: int = 15
           ) -> st.SearchStrategy[Any]:
    """``valid`` most of the time, ``bad`` otherwise: so that whole calls are often valid (and reach the
    emulator) while every argument is still sometimes wrong."""
    return st.integers(0, 99).flatmap(lambda n: bad if n < bad_percent else valid)


plain = st.one_of(st.text(max_size=10), st.integers(-10, 10**6), st.floats(-1e6, 1e6), st.booleans(), st.none())
scalar = mostly(plain, st.sampled_from([np.float64(1.5), np.int64(7), LyingDecimal("3"), math.nan, math.inf]), 20)
record_type = mostly(st.sampled_from(["customer", "customer", "customer", "salesOrder", "invoice", "contact",
                                      "nosuchtype", "customrecord_x"]),
                     st.one_of(junk, st.sampled_from(["", "Customer", "customer/1", "a b", "../x"])))
record_id = mostly(st.one_of(st.integers(1, 12), st.sampled_from(["1", "2", "eid:EXT-1", "5"])),
                   st.one_of(junk, st.sampled_from([0, -1, "01", "1.0", "x", "1/2"])))
field_value = st.one_of(scalar, st.lists(scalar, max_size=2), st.dictionaries(st.text(max_size=4), scalar, max_size=2))
body = mostly(
    st.fixed_dictionaries({"companyName": st.text(max_size=10)},
                          optional={"email": st.text(max_size=10), "balance": scalar, "externalId": st.text(max_size=6),
                                    "x y": field_value, "subsidiary": field_value}),
)
params_list = mostly(st.one_of(st.none(), st.lists(scalar, min_size=1, max_size=1)),
                     st.one_of(junk, st.lists(scalar, max_size=3)))
query = mostly(
    st.sampled_from(["SELECT id FROM customer WHERE id > ?", "SELECT id, email FROM customer",
                     "SELECT COUNT(*) AS n FROM customer WHERE id IN ?", "SELECT id FROM customer WHERE id = ?",
                     "SELECT ? AS v FROM customer", "SELECT id FROM customer -- ?"]),
    st.one_of(junk, st.text(max_size=30), st.sampled_from([
        "SELECT id FROM customer WHERE email = 'x", "DELETE FROM customer", "SELECT /* unterminated", "",
        'SELECT "id FROM customer'])),
)
q_filter = mostly(st.one_of(
    st.none(), st.sampled_from(['email START_WITH "a"', "id > 1", "email IS"]),
    st.builds(lambda f, v: Q(f).greater(v), st.sampled_from(["id", "balance"]),
              st.one_of(st.integers(), st.sampled_from([LyingFloat(1.5), np.float64(2.0), LyingDecimal("1")]))),
))
method = mostly(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "get"]),
                st.one_of(junk, st.sampled_from(["TRACE", "", "CONNECT", "GE T"])))
path = mostly(st.sampled_from(["/record/v1/customer/1", "/record/v1/customer", "/record/v1/customer/2",
                               "/services/rest/record/v1/customer/3", "/record/v1/nosuch/1"]),
              st.one_of(junk, st.text(max_size=15), st.sampled_from([
                  "record/v1/customer", "/record/v1/customer?x=1", "https://evil.test/x", "/a b",
                  "/record/v1/customer/1#f"])))
query_params = mostly(st.one_of(st.none(), st.dictionaries(st.sampled_from(["fields", "limit", "x", "day"]), plain,
                                                           max_size=2)),
                      st.one_of(junk, st.dictionaries(st.text(max_size=5), scalar, max_size=3),
                                st.lists(st.tuples(st.text(max_size=5), scalar), max_size=2)))


def _invalid_type(value: object) -> bool:
    return not isinstance(value, str)


class Harness:
    """One emulated account for every example of a test; a client per example (closed after it)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.fake = FakeNetSuite(seed={"customers": 10, "items": 2, "sales_orders": 2}, concurrency=8)
        self.fake.emulator.restlets.register("customscript_p", "1", lambda m, p, b: {"ok": True})

    def check(self, call: Callable[[NetSuiteClient], Awaitable[Any]], *, must_fail: bool = False) -> None:
        anyio.run(self._check, call, must_fail, backend=self.backend)

    async def _check(self, call: Callable[[NetSuiteClient], Awaitable[Any]], must_fail: bool) -> None:
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=self.fake.app), base_url=self.fake.base_url)
        try:
            async with NetSuiteClient(
                self.fake.config.account, BearerToken(self.fake.credentials.static_token),
                base_url=self.fake.base_url, http_client=http, concurrency=8,
                retry=RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.002, deadline=20),
            ) as ns:
                before = self.fake.counters.requests
                outcome = "ok"
                try:
                    with anyio.fail_after(20):
                        await call(ns)
                except NetSuiteError:
                    outcome = "netsuite-error"
                except (TypeError, ValueError) as exc:
                    outcome = "refused"
                    refusal = f"{type(exc).__name__}: {exc}"
                    sent = self.fake.counters.requests - before
                event(outcome)
                if outcome == "refused":
                    assert sent == 0, f"{refusal} came after {sent} request(s) were sent"
                if must_fail:
                    assert outcome == "refused", f"invalid input was accepted ({outcome})"
                    assert self.fake.counters.requests == before
        finally:
            await http.aclose()


@pytest.fixture(params=BACKENDS)
def harness(request: pytest.FixtureRequest) -> Harness:
    return Harness(str(request.param))


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


async def _drain(iterator: Any, limit: int = 3) -> None:
    count = 0
    async for _ in iterator:
        count += 1
        if count >= limit:
            break


@SETTINGS
@given(rt=record_type, rid=record_id, fields=mostly(st.one_of(st.none(), st.just(["email"])),
                                                   st.one_of(junk, st.lists(st.sampled_from(["x y", ""]), max_size=2))))
def test_records_get(harness: Harness, rt: Any, rid: Any, fields: Any) -> None:
    harness.check(lambda ns: ns.records.get(rt, rid, fields=fields),
                  must_fail=_invalid_type(rt) or isinstance(rid, (float, bytes, type(None), list, dict)))


@SETTINGS
@given(rt=record_type, data=body)
def test_records_create(harness: Harness, rt: Any, data: Any) -> None:
    harness.check(lambda ns: ns.records.create(rt, data), must_fail=_invalid_type(rt) or _has_non_finite(data))


@SETTINGS
@given(rt=record_type, rid=record_id, data=body, replace=mostly(st.one_of(st.none(), st.just(["addressBook"]))))
def test_records_update(harness: Harness, rt: Any, rid: Any, data: Any, replace: Any) -> None:
    harness.check(lambda ns: ns.records.update(rt, rid, data, replace=replace),
                  must_fail=_invalid_type(rt) or _has_non_finite(data))


@SETTINGS
@given(rt=record_type, ext=mostly(st.sampled_from(["EXT-1", "EXT-2", "a/b"]), st.one_of(junk, st.just(""))),
       data=body)
def test_records_upsert(harness: Harness, rt: Any, ext: Any, data: Any) -> None:
    harness.check(lambda ns: ns.records.upsert(rt, ext, data), must_fail=_invalid_type(rt) or _has_non_finite(data))


@SETTINGS
@given(rt=record_type, rid=record_id)
def test_records_delete(harness: Harness, rt: Any, rid: Any) -> None:
    harness.check(lambda ns: ns.records.delete(rt, rid), must_fail=_invalid_type(rt))


@SETTINGS
@given(rt=record_type, rid=record_id, target=record_type, data=st.one_of(st.none(), body))
def test_records_transform(harness: Harness, rt: Any, rid: Any, target: Any, data: Any) -> None:
    harness.check(lambda ns: ns.records.transform(rt, rid, target, data),
                  must_fail=_invalid_type(rt) or _invalid_type(target))


@SETTINGS
@given(rt=record_type, q=q_filter, page_size=mostly(st.integers(5, 1000), st.one_of(junk, st.integers(-2, 4))))
def test_records_list(harness: Harness, rt: Any, q: Any, page_size: Any) -> None:
    async def call(ns: NetSuiteClient) -> None:
        await _drain(ns.records.list(rt, q=q, page_size=page_size))

    harness.check(call, must_fail=_invalid_type(rt))


@SETTINGS
@given(text=query, params=params_list, how=st.sampled_from(["page", "all", "stream", "count"]),
       limit=mostly(st.integers(1, 1000), st.one_of(junk, st.integers(-1, 0), st.integers(1001, 5000))))
def test_suiteql(harness: Harness, text: Any, params: Any, how: str, limit: Any) -> None:
    async def call(ns: NetSuiteClient) -> None:
        if how == "page":
            await ns.suiteql.page(text, params=params, limit=limit)
        elif how == "all":
            await ns.suiteql.all(text, params=params, max_rows=5)
        elif how == "count":
            await ns.suiteql.count(text, params=params)
        else:
            async with ns.suiteql.stream(text, params=params) as rows:
                await _drain(rows)

    bad = _invalid_type(text) or (isinstance(params, (list, tuple)) and any(_non_finite(p) for p in params))
    harness.check(call, must_fail=bad or (isinstance(text, str) and text.count("'") % 2 == 1 and "--" not in text
                                         and "/*" not in text and '"' not in text))


@SETTINGS
@given(op=st.sampled_from(["create", "update", "upsert", "delete"]), rt=record_type,
       items=mostly(st.lists(st.one_of(body, record_id), min_size=1, max_size=3)))
def test_batch(harness: Harness, op: str, rt: Any, items: Any) -> None:
    async def call(ns: NetSuiteClient) -> None:
        await getattr(ns.batch, op)(rt, items)

    harness.check(call, must_fail=_invalid_type(rt) or (isinstance(items, list) and _has_non_finite(items)))


@SETTINGS
@given(verb=method, where=path, data=mostly(st.one_of(st.none(), body)), params=query_params)
def test_jobs_submit(harness: Harness, verb: Any, where: Any, data: Any, params: Any) -> None:
    harness.check(lambda ns: ns.jobs.submit(verb, where, json=data, params=params),
                  must_fail=_invalid_type(where) or _has_non_finite(data))


@SETTINGS
@given(script=mostly(st.sampled_from(["customscript_p", "customscript_p", "customscript_none", 12]),
                     st.one_of(junk, st.just("bad id"))),
       deploy=mostly(st.sampled_from(["1", 1]), st.one_of(junk, st.just("customdeploy1"))), verb=method,
       params=query_params, data=mostly(st.one_of(st.none(), body)), text=mostly(st.none()),
       timeout=mostly(st.one_of(st.none(), st.floats(0.5, 30)), st.one_of(junk, st.floats())))
def test_restlets_call(harness: Harness, script: Any, deploy: Any, verb: Any, params: Any, data: Any, text: Any,
                       timeout: Any) -> None:
    harness.check(lambda ns: ns.restlets.call(script, deploy, method=verb, params=params, json=data, text=text,
                                              timeout=timeout),
                  must_fail=_has_non_finite(data) or _non_finite(timeout))


@SETTINGS
@given(verb=method, where=path, params=query_params, data=mostly(st.one_of(st.none(), body)),
       timeout=mostly(st.one_of(st.none(), st.floats(0.5, 30)), st.one_of(junk, st.floats())))
def test_request(harness: Harness, verb: Any, where: Any, params: Any, data: Any, timeout: Any) -> None:
    harness.check(lambda ns: ns.request(verb, where, params=params, json=data, timeout=timeout),
                  must_fail=_invalid_type(verb) or _invalid_type(where) or _has_non_finite(data)
                  or _non_finite(timeout))


@SETTINGS
@given(account=st.one_of(st.sampled_from(["1234567", "1234567_SB1", "1234567-sb1", "", "tstdrv 1", "1234567_"]),
                         junk),
       concurrency=st.one_of(st.integers(-2, 100), st.sampled_from(["auto", "5"]), junk),
       base_url=st.one_of(st.none(), st.sampled_from(["https://x.test", "http://x.test", "http://127.0.0.1:1",
                                                      "https://u:p@x.test", "ftp://x", "https://x.test/?q=1"]),
                          st.text(max_size=20), junk),
       timeout=st.one_of(st.none(), st.floats(), st.builds(Timeouts, read=st.floats(0.1, 10)), junk),
       http_client=st.sampled_from([None, "client", object()]))
def test_client_construction(account: Any, concurrency: Any, base_url: Any, timeout: Any, http_client: Any) -> None:
    client = httpx2.AsyncClient() if http_client == "client" else http_client
    try:
        NetSuiteClient(account, BearerToken("t"), concurrency=concurrency, base_url=base_url, timeout=timeout,
                       http_client=client)
    except (TypeError, ValueError, NetSuiteError):
        pass
    else:
        assert http_client != "bad"


def _non_finite(value: Any) -> bool:
    try:
        return isinstance(value, (float, Decimal, np.floating)) and not math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return isinstance(value, Decimal) and not value.is_finite()


def _has_non_finite(value: Any, depth: int = 0) -> bool:
    if depth > 5:
        return False
    if isinstance(value, float) and not isinstance(value, np.floating):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_non_finite(v, depth + 1) for v in value)
    return False
