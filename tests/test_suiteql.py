"""Specification of client.suiteql against the in-process emulator: pages, ordered parallel streams, the cap."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from pydantic import BaseModel

from netsuite_async.auth.bearer import BearerToken
from netsuite_async.client import NetSuiteClient
from netsuite_async.errors import BadRequestError, SuiteQLOrderError
from netsuite_async.retry import RetryPolicy
from netsuite_async.suiteql import SuiteQLCapError, order_key
from netsuite_async.testing._emulator import Emulator, EmulatorConfig
from netsuite_async.testing._metadata import lookup

pytestmark = pytest.mark.anyio

BASE_URL = "http://emulator.test"
FAST_RETRY = RetryPolicy(max_attempts=10, backoff_base=0.001, backoff_max=0.01, deadline=60.0)


def seed_customers(emu: Emulator, ids: Iterator[int] | range) -> int:
    docs = [
        {
            "id": i,
            "companyName": f"Company {i}",
            "email": f"c{i:07d}@x.test",
            "isInactive": i % 3 == 0,
            "creditLimit": i * 1.5,
            "dateCreated": "2024-01-01T00:00:00.000Z",
            "lastModifiedDate": "2024-01-01T00:00:00.000Z",
        }
        for i in ids
    ]
    emu.store.bulk_insert(lookup("customer"), docs)
    return len(docs)


@asynccontextmanager
async def client_for(emu: Emulator, *, concurrency: int = 5, cap: int | None = None) -> AsyncIterator[NetSuiteClient]:
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
        yield ns


def suiteql_requests(emu: Emulator) -> int:
    return int(emu.counters.per_route.get("suiteql", 0))


# -- pages ----------------------------------------------------------------------------------------------------


async def test_page_returns_lower_case_string_columns_without_links() -> None:
    emu = Emulator(EmulatorConfig())
    seed_customers(emu, range(1, 11))
    async with client_for(emu) as ns:
        page = await ns.suiteql.page(
            "SELECT id, companyName, isInactive, creditLimit FROM customer ORDER BY id", limit=4, offset=4
        )
    assert page.total_results == 10
    assert page.count == 4
    assert page.has_more is True
    assert page.offset == 4
    assert page.items[0] == {"id": "5", "companyname": "Company 5", "isinactive": "F", "creditlimit": "7.5"}
    assert page.items[1]["isinactive"] == "T"
    assert {link.rel for link in page.links} == {"self", "first", "previous", "next", "last"}


async def test_page_keep_links_keeps_each_items_links() -> None:
    emu = Emulator(EmulatorConfig())
    seed_customers(emu, range(1, 3))
    async with client_for(emu) as ns:
        page = await ns.suiteql.page("SELECT id FROM customer ORDER BY id", keep_links=True)
    assert page.items == [{"links": [], "id": "1"}, {"links": [], "id": "2"}]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"limit": 0}, ValueError),
        ({"limit": 1001}, ValueError),
        ({"limit": 10, "offset": 5}, ValueError),
        ({"offset": -1000}, ValueError),
        ({"limit": 1000, "offset": 100_000}, SuiteQLCapError),
        ({"params": [1]}, ValueError),
        ({"params": [object()]}, ValueError),
    ],
)
async def test_bad_page_arguments_fail_before_any_request(kwargs: dict[str, Any], error: type[Exception]) -> None:
    emu = Emulator(EmulatorConfig())
    async with client_for(emu) as ns:
        with pytest.raises((error, TypeError)):
            await ns.suiteql.page("SELECT id FROM customer", **kwargs)
    assert suiteql_requests(emu) == 0


async def test_params_are_bound_into_the_query_sent() -> None:
    emu = Emulator(EmulatorConfig())
    seed_customers(emu, range(1, 21))
    async with client_for(emu) as ns:
        rows = await ns.suiteql.all(
            "SELECT id FROM customer WHERE id IN ? AND isinactive = ? AND email <> ? ORDER BY id",
            params=[[3, 4, 5, 6], False, "x' OR '1'='1"],
        )
    assert [r["id"] for r in rows] == ["4", "5"]


async def test_count_reports_total_results_in_one_request() -> None:
    emu = Emulator(EmulatorConfig())
    seed_customers(emu, range(1, 2501))
    async with client_for(emu) as ns:
        assert await ns.suiteql.count("SELECT id FROM customer WHERE id > ?", params=[500]) == 2000
    assert suiteql_requests(emu) == 1


# -- streaming ------------------------------------------------------------------------------------------------


async def test_stream_yields_every_row_once_in_query_order() -> None:
    emu = Emulator(EmulatorConfig())
    seed_customers(emu, range(1, 2346))
    async with client_for(emu) as ns:
        ids = [int(r["id"]) async for r in ns.suiteql.stream("SELECT id FROM customer ORDER BY id DESC", page_size=100)]
    assert ids == list(range(2345, 0, -1))


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_stream_fetches_pages_in_parallel_but_never_over_the_limit() -> None:
    emu = Emulator(EmulatorConfig(concurrency=4, latency=0.02))
    seed_customers(emu, range(1, 3001))
    async with client_for(emu, concurrency=4) as ns:
        ids = [int(r["id"]) async for r in ns.suiteql.stream("SELECT id FROM customer ORDER BY id", page_size=100)]
    assert ids == list(range(1, 3001))
    assert emu.counters.max_in_flight == 4  # in parallel, up to the limit
    assert emu.counters.limited == 0  # and never beyond it


async def test_max_rows_stops_early_without_fetching_the_rest() -> None:
    emu = Emulator(EmulatorConfig())
    seed_customers(emu, range(1, 5001))
    async with client_for(emu) as ns:
        rows = await ns.suiteql.all("SELECT id FROM customer ORDER BY id", page_size=100, max_rows=250)
    assert [int(r["id"]) for r in rows] == list(range(1, 251))
    # The first page, one count (true total, key uniqueness), then pages 2 and 3 only.
    assert suiteql_requests(emu) == 4


async def test_model_validates_rows_with_coercion() -> None:
    class Customer(BaseModel):
        id: int
        isinactive: bool
        creditlimit: float

    emu = Emulator(EmulatorConfig())
    seed_customers(emu, range(1, 4))
    async with client_for(emu) as ns:
        rows = await ns.suiteql.all("SELECT id, isinactive, creditlimit FROM customer ORDER BY id", model=Customer)
    assert rows == [Customer(id=1, isinactive=False, creditlimit=1.5), Customer(id=2, isinactive=False,
                    creditlimit=3.0), Customer(id=3, isinactive=True, creditlimit=4.5)]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_failed_pages_are_retried_without_skipping_or_repeating_rows() -> None:
    emu = Emulator(EmulatorConfig(concurrency=3))
    seed_customers(emu, range(1, 2001))
    emu.faults.script(match="POST /query/v1/suiteql", kind="error_before", times=5, status=503)
    emu.faults.script(match="POST /query/v1/suiteql", kind="drop", times=2)
    async with client_for(emu, concurrency=3) as ns:
        ids = [int(r["id"]) async for r in ns.suiteql.stream("SELECT id FROM customer ORDER BY id", page_size=100)]
    assert ids == list(range(1, 2001))
    assert emu.counters.faults == 7


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_closing_a_stream_early_stops_its_fetches() -> None:
    emu = Emulator(EmulatorConfig(concurrency=4))
    seed_customers(emu, range(1, 10_001))
    async with client_for(emu, concurrency=4) as ns:
        async with ns.suiteql.stream("SELECT id FROM customer ORDER BY id", page_size=100) as rows:
            first: list[dict[str, Any]] = []
            async for row in rows:
                first.append(row)
                if len(first) == 150:
                    break
        before = suiteql_requests(emu)
        # The client still works, and the abandoned stream sends nothing more.
        assert await ns.suiteql.count("SELECT id FROM customer") == 10_000
    assert len(first) == 150
    assert suiteql_requests(emu) == before + 1
    assert before <= 2 + 2 * 4  # first page + at most the window


# -- the 100,000-row cap --------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_stream_of_250000_rows_crosses_the_cap_in_order_without_gaps_or_repeats() -> None:
    emu = Emulator(EmulatorConfig(concurrency=5))
    seed_customers(emu, range(1, 250_001))
    async with client_for(emu) as ns:
        expected = 1
        async for row in ns.suiteql.stream("SELECT id, email FROM customer ORDER BY id"):
            assert int(row["id"]) == expected
            expected += 1
    assert expected == 250_001
    assert emu.counters.limited == 0


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_keyset_windows_handle_sparse_skewed_keys_in_both_directions() -> None:
    emu = Emulator(EmulatorConfig(max_results=1000))
    # Dense run, a big gap, then another dense run: an even split of the key range overflows some windows.
    ids = [*range(1, 2501), *range(1_000_000, 1_001_500)]
    seed_customers(emu, iter(ids))
    async with client_for(emu, cap=1000) as ns:
        up = [int(r["id"]) async for r in ns.suiteql.stream("SELECT id FROM customer c ORDER BY c.id", page_size=100)]
        down = [int(r["id"]) async for r in ns.suiteql.stream("SELECT id FROM customer ORDER BY id DESC")]
    assert up == ids
    assert down == ids[::-1]


async def test_non_numeric_keys_are_walked_by_keyset_one_page_at_a_time() -> None:
    emu = Emulator(EmulatorConfig(max_results=500))
    seed_customers(emu, range(1, 1301))
    async with client_for(emu, cap=500) as ns:
        rows = await ns.suiteql.all("SELECT email, id FROM customer ORDER BY email", key="email", page_size=200)
    assert [r["email"] for r in rows] == sorted(f"c{i:07d}@x.test" for i in range(1, 1301))


@pytest.mark.parametrize(
    ("query", "message", "error"),
    [
        ("SELECT email FROM customer", "no ORDER BY", SuiteQLOrderError),
        ("SELECT id FROM customer ORDER BY email", r"does not include the unique key 'id'", SuiteQLOrderError),
        ("SELECT id FROM customer ORDER BY email, id", "not ordered by 'id' first", SuiteQLCapError),
        ("SELECT email FROM customer ORDER BY id", "does not select its key column", SuiteQLCapError),
        ("SELECT id FROM customer ORDER BY id FETCH FIRST 900 ROWS ONLY", "limits its own rows", SuiteQLCapError),
    ],
)
async def test_a_query_past_the_cap_that_cannot_be_keyset_paged_raises_before_any_row(
    query: str, message: str, error: type[Exception]
) -> None:
    emu = Emulator(EmulatorConfig(max_results=500))
    seed_customers(emu, range(1, 1001))
    got: list[dict[str, Any]] = []

    async def consume(ns: NetSuiteClient) -> None:
        async for row in ns.suiteql.stream(query, page_size=100):
            got.append(row)

    async with client_for(emu, cap=500) as ns:
        with pytest.raises(error, match=message):
            await consume(ns)
    assert got == []


def test_order_key_ignores_order_by_inside_subqueries_strings_and_comments() -> None:
    q = (
        "SELECT id FROM (SELECT id FROM customer ORDER BY email) WHERE memo <> 'ORDER BY x' /* ORDER BY y */ "
        "ORDER BY id"
    )
    key = order_key(q)
    assert key.column == "id"
    assert key.inner.endswith("/* ORDER BY y */")


async def test_emulator_refuses_offsets_past_the_cap_in_netsuites_error_format() -> None:
    emu = Emulator(EmulatorConfig())
    async with client_for(emu) as ns:
        with pytest.raises(BadRequestError) as info:
            await ns.request("POST", "/query/v1/suiteql", params={"limit": 1000, "offset": 100_000},
                             json={"q": "SELECT id FROM customer"}, headers={"Prefer": "transient"})
    assert info.value.error_code == "INVALID_PARAMETER"
    assert info.value.status_code == 400

