"""The examples in examples/ run against the emulator: the aiohttp service and the ETL script."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import anyio
import pytest

from netsuite_async import NetSuiteClient
from netsuite_async.testing import FakeNetSuite

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

pytestmark = pytest.mark.anyio


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --- aiohttp ----------------------------------------------------------------------------------------------------
# aiohttp runs on asyncio only, so these tests do too (the module's anyio_backend fixture is asyncio).


@pytest.fixture
async def aiohttp_client() -> AsyncIterator[tuple[object, FakeNetSuite]]:
    from aiohttp.test_utils import TestClient, TestServer

    app_module = load_example("aiohttp_app")
    async with FakeNetSuite(concurrency=3, latency=0.01, seed={"customers": 20}) as fake:

        @asynccontextmanager
        async def make_client() -> AsyncIterator[NetSuiteClient]:
            async with fake.client(concurrency=3) as ns:
                yield ns

        async with TestClient(TestServer(app_module.create_app(make_client))) as client:
            yield client, fake


async def test_aiohttp_example_reads_a_customer(aiohttp_client: tuple[object, FakeNetSuite]) -> None:
    client, _ = aiohttp_client
    resp = await client.get("/customers/1")  # type: ignore[attr-defined]
    assert resp.status == 200
    body = await resp.json()
    assert body["id"] == "1"
    assert body["companyName"]


async def test_aiohttp_example_creates_then_reads_back(aiohttp_client: tuple[object, FakeNetSuite]) -> None:
    client, _ = aiohttp_client
    created = await client.post("/customers", json={"companyName": "Aio Co", "email": "ap@aio.example"})  # type: ignore[attr-defined]
    assert created.status == 201
    new_id = (await created.json())["id"]
    got = await (await client.get(f"/customers/{new_id}")).json()  # type: ignore[attr-defined]
    assert got == {"id": new_id, "companyName": "Aio Co", "email": "ap@aio.example"}


async def test_aiohttp_example_maps_bad_and_unknown_ids(aiohttp_client: tuple[object, FakeNetSuite]) -> None:
    client, fake = aiohttp_client
    before = fake.emulator.counters.requests
    bad = await client.get("/customers/1;DROP")  # type: ignore[attr-defined]
    assert bad.status == 400
    assert fake.emulator.counters.requests == before  # nothing sent for an invalid id
    missing = await client.get("/customers/999999")  # type: ignore[attr-defined]
    assert missing.status == 404


async def test_aiohttp_example_search_binds_user_input(aiohttp_client: tuple[object, FakeNetSuite]) -> None:
    client, _ = aiohttp_client
    await client.post("/customers", json={"companyName": "Find Me", "email": "zz-unique@find.example"})  # type: ignore[attr-defined]
    found = await (await client.get("/customers", params={"email_prefix": "zz-unique"})).json()  # type: ignore[attr-defined]
    assert found["count"] == 1
    assert found["items"][0]["companyname"] == "Find Me"
    injected = await client.get("/customers", params={"email_prefix": "x' OR '1'='1"})  # type: ignore[attr-defined]
    assert injected.status == 200
    assert (await injected.json())["count"] == 0


async def test_aiohttp_example_shares_one_governor_across_concurrent_requests(
    aiohttp_client: tuple[object, FakeNetSuite],
) -> None:
    client, fake = aiohttp_client
    statuses: list[int] = []

    async def one(i: int) -> None:
        resp = await client.get(f"/customers/{i % 20 + 1}")  # type: ignore[attr-defined]
        statuses.append(resp.status)

    async with anyio.create_task_group() as tg:
        for i in range(60):
            tg.start_soon(one, i)
    assert statuses == [200] * 60
    assert fake.emulator.counters.max_in_flight <= 3
    assert fake.emulator.counters.limited == 0
    health = await (await client.get("/health")).json()  # type: ignore[attr-defined]
    assert health["limit"] == 3
    assert health["http_429"] == 0


# --- ETL --------------------------------------------------------------------------------------------------------


async def test_etl_example_loads_and_extracts_exactly_the_input(tmp_path: Path) -> None:
    etl = load_example("etl")
    source, out = tmp_path / "customers.csv", tmp_path / "changed.jsonl"
    etl.generate_csv(source, 150)
    async with FakeNetSuite(concurrency=4, latency=0.002, seed={"customers": 30}) as fake:
        async with fake.client(concurrency=4) as ns:
            report = await etl.run_etl(ns, source, out, checkpoint=tmp_path / "load.ckpt")
            assert (report.rows_in, report.loaded, report.failed, report.extracted) == (150, 150, 0, 150)
            rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            # Only the loaded customers changed; the 30 seeded ones (from 2024) are not extracted.
            assert sorted(r["externalid"] for r in rows) == [f"ETL-{i:06d}" for i in range(1, 151)]

            # Rerun with the same input and checkpoint: nothing is duplicated.
            await etl.run_etl(ns, source, out, checkpoint=tmp_path / "load.ckpt")
            count = await ns.suiteql.all("SELECT COUNT(*) AS n FROM customer")
            assert count[0]["n"] == "180"
        assert fake.emulator.counters.duplicate_writes == 0
        assert fake.emulator.counters.max_in_flight <= 4


async def test_etl_example_refuses_rows_without_external_id_before_sending(tmp_path: Path) -> None:
    etl = load_example("etl")
    source = tmp_path / "bad.csv"
    source.write_text("external_id,company_name\n,No Id\n", encoding="utf-8")
    async with FakeNetSuite() as fake, fake.client() as ns:
        with pytest.raises(ValueError, match="external_id"):
            await etl.run_etl(ns, source, tmp_path / "o.jsonl")
        assert fake.emulator.counters.writes == 0


def test_etl_example_runs_as_a_script_against_the_emulator(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "etl.py"), "--emulator", "--generate", "40", "in.csv", "--out", "out.jsonl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["loaded"] == report["extracted"] == 40
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 40
