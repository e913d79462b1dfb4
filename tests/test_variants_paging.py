"""Paging right under every emulator dialect: SuiteQL and record lists past the cap, the 1,000-page limit, and
rows that come back in a different order on every request.

Every test here reads a result that NetSuite's documentation leaves open (``totalResults`` true or capped,
``hasMore`` at the cap true or false, a page past the cap refused or empty, at most 1,000 pages of a list, no
unique order) and checks that every row comes back exactly once, in order where the order is promised, or that
a typed error is raised before any row.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from netsuite_async.auth.bearer import BearerToken
from netsuite_async.changes import changes
from netsuite_async.client import NetSuiteClient
from netsuite_async.errors import BadRequestError, RecordListCapError, SuiteQLOrderError
from netsuite_async.export import export_rows
from netsuite_async.records import Q
from netsuite_async.retry import RetryPolicy
from netsuite_async.suiteql import SuiteQLCapError
from netsuite_async.testing._dialect import Dialect
from netsuite_async.testing._emulator import Emulator, EmulatorConfig
from netsuite_async.testing._metadata import lookup

pytestmark = pytest.mark.anyio

BASE_URL = "http://emulator.test"
FAST_RETRY = RetryPolicy(max_attempts=5, backoff_base=0.001, backoff_max=0.01, deadline=120.0)

SUITEQL_CAP_VARIANTS = [
    pytest.param(Dialect(suiteql_total=t, suiteql_has_more_at_cap=h, suiteql_past_cap=p), id=f"{t}-hasmore{h}-{p}")
    for t in ("true", "capped")
    for h in (True, False)
    for p in ("refuse", "empty")
]
LIST_CAP_VARIANTS = [
    pytest.param(
        Dialect(list_total=t, list_has_more_at_cap=h, list_past_cap=p, list_max_pages=m),
        id=f"{t}-hasmore{h}-{p}-pages{m}",
    )
    for t in ("true", "capped")
    for h in (True, False)
    for p in ("refuse", "empty")
    for m in (1000, None)
]


def seed_customers(emu: Emulator, count: int, *, groups: int | None = None, start: int = 1) -> None:
    """Customers ``start..start+count-1``; with ``groups`` the emails repeat (a non-unique column)."""
    docs = []
    for i in range(start, start + count):
        docs.append(
            {
                "id": i,
                "companyName": f"Company {i}",
                "email": f"g{i % groups:03d}@x.test" if groups else f"c{i:07d}@x.test",
                "isInactive": i % 3 == 0,
                "dateCreated": "2024-01-01T00:00:00.000Z",
                "lastModifiedDate": f"2024-01-{1 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:"
                f"{i % 60:02d}.000Z",
            }
        )
    emu.store.bulk_insert(lookup("customer"), docs)


@asynccontextmanager
async def client_for(
    emu: Emulator, *, cap: int | None = None, max_pages: int | None = None, concurrency: int = 5
) -> AsyncIterator[NetSuiteClient]:
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=emu.app), base_url=BASE_URL)
    async with http, NetSuiteClient(
        emu.config.account,
        auth=BearerToken(emu.credentials.static_token),
        base_url=BASE_URL,
        http_client=http,
        concurrency=concurrency,
        retry=FAST_RETRY,
    ) as ns:
        if cap is not None:
            ns.suiteql.row_cap = cap
            ns.records.row_cap = cap
        if max_pages is not None:
            ns.records.max_pages = max_pages
        yield ns


async def collect(items: AsyncIterator[Any], into: list[Any]) -> None:
    async for item in items:
        into.append(item)


def scaled(dialect: Dialect, *, cap: int = 1000) -> Emulator:
    return Emulator(EmulatorConfig(max_results=cap, dialect=dialect))


# -- the emulator plays each variant ----------------------------------------------------------------------------


async def test_emulator_suiteql_cap_variants_answer_as_named() -> None:
    strict = scaled(Dialect.strictest())
    seed_customers(strict, 2500)
    loose = scaled(Dialect())
    seed_customers(loose, 2500)
    q = {"q": "SELECT id FROM customer ORDER BY id"}
    headers = {"Prefer": "transient"}
    async with client_for(strict, cap=1000) as ns:
        at_cap = (await ns.request("POST", "/query/v1/suiteql", params={"limit": 100, "offset": 900}, json=q,
                                   headers=headers)).json()
        past = (await ns.request("POST", "/query/v1/suiteql", params={"limit": 100, "offset": 1000}, json=q,
                                 headers=headers)).json()
    # A naive client would stop here, silently: a capped total, hasMore false, then an empty page.
    assert (at_cap["totalResults"], at_cap["hasMore"], at_cap["count"]) == (1000, False, 100)
    assert (past["totalResults"], past["hasMore"], past["count"], past["items"]) == (1000, False, 0, [])
    async with client_for(loose, cap=1000) as ns:
        at_cap = (await ns.request("POST", "/query/v1/suiteql", params={"limit": 100, "offset": 900}, json=q,
                                   headers=headers)).json()
        assert (at_cap["totalResults"], at_cap["hasMore"]) == (2500, True)
        with pytest.raises(BadRequestError) as refused:
            await ns.request("POST", "/query/v1/suiteql", params={"limit": 100, "offset": 1000}, json=q,
                             headers=headers)
    assert refused.value.details[0].error_query_param == "offset"


async def test_emulator_list_cap_and_page_limit_variants_answer_as_named() -> None:
    strict = scaled(Dialect.strictest().replace(list_max_pages=10))
    seed_customers(strict, 2500)
    async with client_for(strict) as ns:
        # Page 9 of 50 records is the last of 10 pages: the page limit binds before the cap of 1,000.
        last = (await ns.request("GET", "/record/v1/customer", params={"limit": 50, "offset": 450})).json()
        past = (await ns.request("GET", "/record/v1/customer", params={"limit": 50, "offset": 500})).json()
        at_cap = (await ns.request("GET", "/record/v1/customer", params={"limit": 100, "offset": 900})).json()
    assert (last["hasMore"], last["count"], last["totalResults"]) == (False, 50, 1000)
    assert (past["hasMore"], past["count"], past["totalResults"]) == (False, 0, 1000)
    assert (at_cap["hasMore"], at_cap["count"]) == (False, 100)
    loose = scaled(Dialect(list_has_more_at_cap=True, list_max_pages=10))
    seed_customers(loose, 2500)
    async with client_for(loose) as ns:
        last = (await ns.request("GET", "/record/v1/customer", params={"limit": 50, "offset": 450})).json()
        assert (last["hasMore"], last["totalResults"]) == (True, 2500)
        with pytest.raises(BadRequestError, match="10 pages"):
            await ns.request("GET", "/record/v1/customer", params={"limit": 50, "offset": 500})


async def test_emulator_unstable_order_moves_tied_rows_between_requests_and_keeps_a_unique_order() -> None:
    emu = Emulator(EmulatorConfig(dialect=Dialect(unstable_order=True)))
    seed_customers(emu, 2000, groups=7)
    async with client_for(emu) as ns:

        async def naive(query: str) -> list[str]:
            out: list[str] = []
            for offset in range(0, 2000, 200):
                page = await ns.suiteql.page(query, limit=200, offset=offset)
                out += [r["id"] for r in page.items]
            return out

        unordered = await naive("SELECT id FROM customer")
        tied = await naive("SELECT id, email FROM customer ORDER BY email")
        unique = await naive("SELECT id, email FROM customer ORDER BY email, id")
        by_id = await naive("SELECT id FROM customer c ORDER BY c.id DESC")
    # Offset paging over an order that is not unique drops and repeats rows, as Oracle warns.
    assert len(unordered) == 2000
    assert len(set(unordered)) < 2000
    assert len(tied) == 2000
    assert len(set(tied)) < 2000
    expected = sorted(range(1, 2001), key=lambda i: (f"g{i % 7:03d}", i))
    assert [int(i) for i in unique] == expected
    assert [int(i) for i in by_id] == list(range(2000, 0, -1))


# -- SuiteQL: every row once past the cap, under every cap variant ----------------------------------------------


@pytest.mark.parametrize("unstable", [False, True], ids=["stable", "unstable"])
@pytest.mark.parametrize("dialect", SUITEQL_CAP_VARIANTS)
@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("SELECT id, email FROM customer ORDER BY id", "asc"),
        ("SELECT c.id, c.email FROM customer c ORDER BY c.id DESC", "desc"),
        ("SELECT id, email FROM customer", "asc"),  # no ORDER BY: read in key order
    ],
    ids=["order-by-id", "order-by-id-desc", "no-order-by"],
)
@pytest.mark.parametrize("page_size", [100, 300])
async def test_stream_past_a_scaled_cap_returns_every_row_once_in_order(
    dialect: Dialect, unstable: bool, query: str, order: str, page_size: int
) -> None:
    emu = scaled(dialect.replace(unstable_order=unstable))
    seed_customers(emu, 2500)
    async with client_for(emu, cap=1000) as ns:
        stream = ns.suiteql.stream(query, page_size=page_size)
        ids = [int(r["id"]) async for r in stream]
        assert stream.total == 2500
    expected = list(range(1, 2501))
    assert ids == (expected if order == "asc" else expected[::-1])


@pytest.mark.parametrize("dialect", SUITEQL_CAP_VARIANTS)
async def test_a_result_of_exactly_the_cap_is_complete_and_count_is_true(dialect: Dialect) -> None:
    emu = scaled(dialect.replace(unstable_order=True))
    seed_customers(emu, 1000)
    async with client_for(emu, cap=1000) as ns:
        rows = await ns.suiteql.all("SELECT id, email FROM customer ORDER BY id", page_size=100)
        assert [int(r["id"]) for r in rows] == list(range(1, 1001))
        seed_customers(emu, 1, start=1001)
        # 1,001 rows now: whatever totalResults says at the cap, count() and stream() know.
        assert await ns.suiteql.count("SELECT id FROM customer") == 1001
        rows = await ns.suiteql.all("SELECT id, email FROM customer ORDER BY id", page_size=100)
        assert [int(r["id"]) for r in rows] == list(range(1, 1002))
        limited = await ns.suiteql.all("SELECT id FROM customer ORDER BY id", page_size=100, max_rows=1000)
        assert [int(r["id"]) for r in limited] == list(range(1, 1001))


@pytest.mark.parametrize("dialect", SUITEQL_CAP_VARIANTS)
@pytest.mark.parametrize(
    ("query", "message", "error"),
    [
        ("SELECT id, email FROM customer ORDER BY email, id", "not ordered by 'id' first", SuiteQLCapError),
        ("SELECT email FROM customer ORDER BY id", "does not select its key column", SuiteQLCapError),
        ("SELECT id, email FROM customer ORDER BY email", "does not include the unique key", SuiteQLOrderError),
    ],
    ids=["key-not-first", "key-not-selected", "no-key"],
)
async def test_a_result_past_the_cap_that_cannot_continue_raises_before_any_row(
    dialect: Dialect, query: str, message: str, error: type[Exception]
) -> None:
    emu = scaled(dialect)
    seed_customers(emu, 2500)
    got: list[dict[str, Any]] = []
    async with client_for(emu, cap=1000) as ns:
        with pytest.raises(error, match=message):
            await collect(ns.suiteql.stream(query, page_size=100), got)
    assert got == []


# -- SuiteQL: unstable order --------------------------------------------------------------------------------------


@pytest.mark.parametrize("unstable", [False, True], ids=["stable", "unstable"])
async def test_ties_broken_by_the_key_keep_the_callers_order_over_many_pages(unstable: bool) -> None:
    emu = Emulator(EmulatorConfig(dialect=Dialect(unstable_order=unstable)))
    seed_customers(emu, 3000, groups=7)
    async with client_for(emu) as ns:
        rows = await ns.suiteql.all("SELECT id, email FROM customer ORDER BY email, id", page_size=100)
    assert [int(r["id"]) for r in rows] == sorted(range(1, 3001), key=lambda i: (f"g{i % 7:03d}", i))


@pytest.mark.parametrize("unstable", [False, True], ids=["stable", "unstable"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT id, email FROM customer ORDER BY email", r"ORDER BY email, id"),
        ("SELECT email FROM customer", "no ORDER BY"),
        ("SELECT id, email FROM customer UNION ALL SELECT id, email FROM customer ORDER BY id", "not unique"),
        ("SELECT id, email FROM customer FETCH FIRST 500 ROWS ONLY", "limits its own rows"),
        ("SELECT id, email FROM customer WHERE ROWNUM <= 500", "limits its own rows"),
    ],
    ids=["tied-order", "no-order-no-key", "key-not-unique", "fetch-first-unordered", "rownum-unordered"],
)
async def test_a_multi_page_result_without_a_unique_order_raises_before_any_row(
    unstable: bool, query: str, message: str
) -> None:
    emu = Emulator(EmulatorConfig(dialect=Dialect(unstable_order=unstable)))
    seed_customers(emu, 1500, groups=7)
    got: list[dict[str, Any]] = []
    async with client_for(emu) as ns:
        with pytest.raises(SuiteQLOrderError, match=message):
            await collect(ns.suiteql.stream(query, page_size=100), got)
    assert got == []


async def test_a_single_page_needs_no_unique_order() -> None:
    emu = Emulator(EmulatorConfig(dialect=Dialect.strictest()))
    seed_customers(emu, 60, groups=7)
    async with client_for(emu) as ns:
        rows = await ns.suiteql.all("SELECT email FROM customer ORDER BY email", page_size=100)
    assert [r["email"] for r in rows] == sorted(f"g{i % 7:03d}@x.test" for i in range(1, 61))
    assert emu.counters.per_route["suiteql"] == 1


async def test_export_and_the_change_feed_deliver_every_row_once_under_the_strictest_dialect(tmp_path: Path) -> None:
    emu = scaled(Dialect.strictest())
    seed_customers(emu, 2500)
    async with client_for(emu, cap=1000) as ns:
        result = await export_rows(ns.suiteql.stream("SELECT id, email FROM customer"), tmp_path / "c.jsonl")
        feed = changes(ns, "customer", since="2000-01-01T00:00:00Z", once=True, batch_size=700)
        fed = [int(row["id"]) async for row in feed]
    lines = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()]
    assert result.rows == 2500
    assert [int(r["id"]) for r in lines] == list(range(1, 2501))
    assert fed == list(range(1, 2501))


# -- record lists: every record once past the cap and the page limit ---------------------------------------------


@pytest.mark.parametrize("dialect", LIST_CAP_VARIANTS)
@pytest.mark.parametrize("page_size", [100, 300])
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "q"])
async def test_list_past_a_scaled_cap_returns_every_record_once_in_id_order(
    dialect: Dialect, page_size: int, filtered: bool
) -> None:
    emu = scaled(dialect.replace(unstable_order=True))
    seed_customers(emu, 2500)
    q = Q("isInactive").is_(False) if filtered else None
    async with client_for(emu, cap=1000) as ns:
        ids = [int(r.id) async for r in ns.records.list("customer", q=q, page_size=page_size)]
    assert ids == [i for i in range(1, 2501) if not (filtered and i % 3 == 0)]


@pytest.mark.parametrize("dialect", LIST_CAP_VARIANTS)
async def test_the_1000_page_limit_lowers_the_reach_and_the_list_still_returns_every_record(dialect: Dialect) -> None:
    # Scaled: 10 pages instead of 1,000, so a page size of 50 reaches 500 records, below the cap of 1,000.
    pages = None if dialect.list_max_pages is None else 10
    emu = scaled(dialect.replace(list_max_pages=pages))
    seed_customers(emu, 1800)
    async with client_for(emu, cap=1000, max_pages=10) as ns:
        ids = [int(r.id) async for r in ns.records.list("customer", page_size=50)]
    assert ids == list(range(1, 1801))
    # 1,800 records in pages of 50 reachable 500 at a time: 36 full pages, one more request per continuation.
    assert 36 <= emu.counters.per_route["record.list"] <= 40


def _wire_client(handler: Any) -> NetSuiteClient:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler), base_url=BASE_URL)
    return NetSuiteClient("1234567_SB1", auth=BearerToken("t"), base_url=BASE_URL, http_client=http,
                          retry=FAST_RETRY)


@pytest.mark.slow  # pages up to a 100,000-row cap: CI, not `nox -s quick`
async def test_a_list_not_in_id_order_raises_at_the_cap_instead_of_ending_short() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        offset = int(request.url.params["offset"])
        # Ids go down: a keyset continuation on id would skip everything.
        items = [{"id": str(1_000_000 - offset - i)} for i in range(1000)]
        return httpx2.Response(200, json={"items": items, "hasMore": offset < 99_000, "count": 1000,
                                          "offset": offset, "totalResults": 100_000})

    got: list[Any] = []
    async with _wire_client(handler) as ns:
        with pytest.raises(RecordListCapError, match="not in increasing order"):
            await collect(ns.records.list("customer"), got)
    assert len(got) == 100_000


@pytest.mark.slow  # pages up to a 100,000-row cap: CI, not `nox -s quick`
async def test_a_refused_continuation_filter_raises_a_typed_error() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        offset = int(request.url.params["offset"])
        if "id GREATER" in request.url.params.get("q", ""):
            return httpx2.Response(
                400,
                json={"title": "Bad Request", "status": 400, "o:errorDetails": [
                    {"detail": "Invalid search query.", "o:errorCode": "INVALID_PARAMETER",
                     "o:errorQueryParam": "q"}]},
                headers={"Content-Type": "application/vnd.oracle.resource+json; type=error"},
            )
        items = [{"id": str(offset + i + 1)} for i in range(1000)]
        return httpx2.Response(200, json={"items": items, "hasMore": True, "count": 1000, "offset": offset})

    async with _wire_client(handler) as ns:
        with pytest.raises(RecordListCapError, match="refused the continuation filter"):
            _ = [r async for r in ns.records.list("customer", q='email START_WITH "a"')]


# -- the real cap: 250,000 SuiteQL rows and 150,000 listed records --------------------------------------------------

REAL_VARIANTS = [
    pytest.param(Dialect(), id="default"),
    pytest.param(Dialect.strictest(), id="strictest"),
    pytest.param(
        Dialect(suiteql_total="capped", suiteql_has_more_at_cap=True, suiteql_past_cap="refuse",
                list_total="capped", list_has_more_at_cap=True, list_past_cap="refuse"),
        id="capped-hasmore-refuse",
    ),
    pytest.param(
        Dialect(suiteql_total="true", suiteql_has_more_at_cap=False, suiteql_past_cap="empty",
                list_total="true", list_has_more_at_cap=False, list_past_cap="empty", list_max_pages=None),
        id="true-nohasmore-empty",
    ),
]


@pytest.fixture(scope="module")
def big() -> Emulator:
    """One emulator at NetSuite's real cap (100,000) holding 250,000 customers; each test sets its dialect."""
    emu = Emulator(EmulatorConfig(concurrency=8))
    seed_customers(emu, 250_000)
    return emu


@pytest.mark.slow
@pytest.mark.parametrize("dialect", REAL_VARIANTS)
async def test_250000_suiteql_rows_at_the_real_cap_each_once_in_order(big: Emulator, dialect: Dialect) -> None:
    big.config.dialect = dialect
    async with client_for(big, concurrency=8) as ns:
        expected = 1
        async for row in ns.suiteql.stream("SELECT id, email FROM customer ORDER BY id"):
            assert int(row["id"]) == expected
            expected += 1
        assert expected == 250_001
        assert await ns.suiteql.count("SELECT id FROM customer") == 250_000


@pytest.mark.slow
@pytest.mark.parametrize("dialect", REAL_VARIANTS)
async def test_150000_listed_records_at_the_real_cap_each_once_in_order(big: Emulator, dialect: Dialect) -> None:
    big.config.dialect = dialect
    async with client_for(big, concurrency=8) as ns:
        expected = 1
        async for ref in ns.records.list("customer", q=Q("id").less_or_equal(150_000)):
            assert int(ref.id) == expected
            expected += 1
    assert expected == 150_001


# -- as a user: `emulator serve` with the variant's flags, then the CLI's `suiteql` --------------------------------


def _command() -> list[str]:
    script = shutil.which("netsuite-async", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "netsuite_async.cli"]


@pytest.mark.slow
def test_cli_suiteql_and_record_list_against_a_served_capped_emulator_return_every_row(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    conn = tmp_path / "x.json"
    server = subprocess.Popen(
        [*_command(), "emulator", "serve", "--suiteql-total", "capped", "--suiteql-has-more-at-cap", "false",
         "--suiteql-past-cap", "empty", "--unstable-order", "true", "--list-total", "capped",
         "--list-has-more-at-cap", "false", "--list-past-cap", "empty", "--seed", "customers=105000",
         "--write-config", str(conn)],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not conn.exists():
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.05)
        base = json.loads(conn.read_text(encoding="utf-8"))
        assert base["base_url"].startswith("http://127.0.0.1:")
        for query in ("SELECT id FROM customer ORDER BY id", "SELECT id, email FROM customer"):
            proc = subprocess.run(
                [*_command(), "--emulator-config", str(conn), "--json", "suiteql", query],
                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
            )
            assert proc.returncode == 0, proc.stderr
            ids = [int(json.loads(line)["id"]) for line in proc.stdout.splitlines() if line.strip()]
            # The server said totalResults 100000 and hasMore false at offset 99,000: every row came back anyway.
            assert ids == list(range(1, 105_001)), (query, len(ids))
        proc = subprocess.run(
            [*_command(), "--emulator-config", str(conn), "--json", "record", "list", "customer"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )
        assert proc.returncode == 0, proc.stderr
        listed = [int(ref["id"]) for ref in json.loads(proc.stdout)]
        assert listed == list(range(1, 105_001))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
