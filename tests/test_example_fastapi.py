"""The FastAPI example (examples/fastapi_app.py) run in process against the emulator.

One client is made in the application's lifespan and shared by every request, so a burst of requests is
queued by the governor instead of going over the account's limit.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import httpx2
import pytest

from netsuite_async import NetSuiteClient
from netsuite_async.testing import FakeNetSuite

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fastapi_app.py"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_app_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def served() -> AsyncIterator[tuple[httpx2.AsyncClient, FakeNetSuite, list[NetSuiteClient]]]:
    example = _load_example()
    made: list[NetSuiteClient] = []
    async with FakeNetSuite(concurrency=3, latency=0.005, seed={"customers": 40}) as fake:

        async def factory(stack: AsyncExitStack) -> NetSuiteClient:
            client = await stack.enter_async_context(fake.client())
            made.append(client)
            return client

        app: Any = example.create_app(factory)
        async with app.router.lifespan_context(app):
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://service.test") as http:
                yield http, fake, made


async def test_one_client_serves_a_burst_of_requests_within_the_account_limit(
    served: tuple[httpx2.AsyncClient, FakeNetSuite, list[NetSuiteClient]],
) -> None:
    http, fake, made = served
    statuses: dict[int, int] = {}

    async def read(customer_id: int) -> None:
        response = await http.get(f"/customers/{customer_id}")
        statuses[customer_id] = response.status_code

    async with anyio.create_task_group() as tg:
        for customer_id in range(1, 41):
            tg.start_soon(read, customer_id)

    assert statuses == dict.fromkeys(range(1, 41), 200)
    assert len(made) == 1
    assert fake.emulator.counters.max_in_flight <= 3
    assert fake.emulator.counters.limited == 0
    governor = (await http.get("/governor")).json()
    assert governor["acquired"] >= 40
    assert governor["in_flight"] == 0


async def test_missing_customer_is_a_404_and_writes_return_the_new_id(
    served: tuple[httpx2.AsyncClient, FakeNetSuite, list[NetSuiteClient]],
) -> None:
    http, _fake, _made = served
    assert (await http.get("/customers/999999")).status_code == 404
    created = await http.post("/customers", json={"company_name": "Zoë & Co", "email": "z@co.example"})
    assert created.status_code == 201
    new_id = created.json()["id"]
    body = (await http.get(f"/customers/{new_id}")).json()
    assert body["companyName"] == "Zoë & Co"
    first = (await http.post("/customers", json={"company_name": "Ext", "external_id": "EXT 1"})).json()
    again = (await http.post("/customers", json={"company_name": "Ext 2", "external_id": "EXT 1"})).json()
    assert first["id"] == again["id"]
    ids = (await http.get("/customers", params={"limit": 5})).json()
    assert ids == ["1", "2", "3", "4", "5"]
