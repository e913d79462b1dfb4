"""The emulator's pipeline: governance, latency, faults, counters, request log, RESTlets, metadata, seeding."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from netsuite_async.testing._app import EmuResponse, json_response
from netsuite_async.testing._emulator import EmulatorConfig
from netsuite_async.testing._restlets import RestletError
from netsuite_async.testing.fake import FakeNetSuite
from netsuite_async.testing.server import EmulatorServer

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]

R = "/services/rest/record/v1"
RESTLET = "/app/site/hosting/restlet.nl"



def authed(fake: FakeNetSuite) -> httpx2.AsyncClient:
    client: httpx2.AsyncClient = fake.http_client(headers={"Authorization": f"Bearer {fake.credentials.static_token}"})
    return client


async def test_request_over_the_concurrency_limit_gets_429_at_once() -> None:
    async with FakeNetSuite(concurrency=2, seed={"customers": 1}) as fake:
        http = authed(fake)
        release = anyio.Event()
        entered = 0
        both_in = anyio.Event()

        async def hold(method: str, params: dict[str, str], body: Any) -> Any:
            nonlocal entered
            entered += 1
            if entered == 2:
                both_in.set()
            await release.wait()
            return {"ok": True}

        fake.emulator.restlets.register("customscript_hold", "1", hold)
        statuses: list[int] = []

        async def call_hold() -> None:
            r = await http.get(RESTLET, params={"script": "customscript_hold", "deploy": "1"})
            statuses.append(r.status_code)

        async with anyio.create_task_group() as tg:
            tg.start_soon(call_hold)
            tg.start_soon(call_hold)
            await both_in.wait()
            over = await http.get(f"{R}/customer/1")
            assert over.status_code == 429
            detail = over.json()["o:errorDetails"][0]
            assert detail["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
            assert detail["detail"] == "Concurrent request limit exceeded. Request blocked."
            restlet_over = await http.get(RESTLET, params={"script": "customscript_echo", "deploy": "1"})
            assert restlet_over.status_code == 400
            assert restlet_over.json()["error"]["code"] == "SSS_REQUEST_LIMIT_EXCEEDED"
            release.set()
        assert statuses == [200, 200]
        c = fake.counters
        assert c.limited == 2
        assert c.max_in_flight == 2
        assert c.in_flight == 0
        assert (await http.get(f"{R}/customer/1")).status_code == 200


async def test_latency_holds_the_slot_so_a_burst_over_the_limit_sees_429s() -> None:
    async with FakeNetSuite(concurrency=3, latency=0.05, seed={"customers": 1}) as fake:
        http = authed(fake)
        statuses: list[int] = []

        async def one() -> None:
            statuses.append((await http.get(f"{R}/customer/1")).status_code)

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
        assert statuses.count(200) == 3
        assert statuses.count(429) == 7
        assert fake.counters.max_in_flight == 3
        assert fake.counters.limited == 7


async def test_missing_or_bad_credentials_get_401_and_count_as_auth_failures() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake:
        anonymous = fake.http_client()
        resp = await anonymous.get(f"{R}/customer/1")
        assert resp.status_code == 401
        assert resp.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
        wrong = await anonymous.get(f"{R}/customer/1", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert fake.counters.auth_failures == 2
        assert fake.counters.in_flight == 0


async def test_unknown_paths_are_404_and_wrong_methods_405() -> None:
    async with FakeNetSuite() as fake:
        http = authed(fake)
        assert (await http.get("/services/rest/nothing/here")).status_code == 404
        assert (await http.delete("/services/rest/system/v1/governanceLimits")).status_code == 405


async def test_scripted_error_before_applies_nothing() -> None:
    async with FakeNetSuite() as fake:
        http = authed(fake)
        fake.emulator.faults.script(match="POST /record/v1/customer", kind="error_before", status=503)
        resp = await http.post(f"{R}/customer", json={"companyName": "X"})
        assert resp.status_code == 503
        assert fake.counters.writes == 0
        again = await http.post(f"{R}/customer", json={"companyName": "X"})
        assert again.status_code == 204
        assert fake.counters.writes == 1


async def test_scripted_error_after_applies_the_write_then_answers_500() -> None:
    async with FakeNetSuite() as fake:
        http = authed(fake)
        fake.emulator.faults.script(match="POST /record/v1/customer", kind="error_after")
        resp = await http.post(f"{R}/customer", json={"companyName": "Applied"})
        assert resp.status_code == 500
        assert resp.json()["o:errorDetails"][0]["o:errorCode"] == "UNEXPECTED_ERROR"
        assert fake.counters.writes == 1
        rows = fake.emulator.store.connection.execute(
            "SELECT COUNT(*) FROM customer WHERE companyname = 'Applied'"
        ).fetchone()
        assert rows == (1,)


async def test_html_fault_answers_a_proxy_page() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake:
        http = authed(fake)
        fake.emulator.faults.script(kind="html", times=2)
        for _ in range(2):
            resp = await http.get(f"{R}/customer/1")
            assert resp.status_code == 502
            assert resp.headers["content-type"].startswith("text/html")
        assert (await http.get(f"{R}/customer/1")).status_code == 200


async def test_drop_fault_breaks_the_connection_and_can_apply_the_write() -> None:
    async with FakeNetSuite() as fake:
        http = authed(fake)
        fake.emulator.faults.script(match="POST /record/v1/customer", kind="drop", apply=True)
        with pytest.raises(httpx2.TransportError):
            await http.post(f"{R}/customer", json={"companyName": "Dropped"})
        assert fake.counters.writes == 1
        assert fake.counters.in_flight == 0


async def test_slow_fault_outlasts_a_client_deadline_and_releases_its_slot() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake:
        http = authed(fake)
        fake.emulator.faults.script(kind="slow", seconds=30)
        with anyio.move_on_after(0.2) as scope:
            await http.get(f"{R}/customer/1")
        assert scope.cancelled_caught
        assert fake.counters.in_flight == 0
        assert (await http.get(f"{R}/customer/1")).status_code == 200


async def test_fault_probability_uses_the_seeded_rng_reproducibly() -> None:
    outcomes = []
    for _ in range(2):
        async with FakeNetSuite(seed={"customers": 1}, rng_seed=7) as fake:
            http = authed(fake)
            fake.emulator.faults.set_probability("error_before", 0.3)
            outcomes.append([(await http.get(f"{R}/customer/1")).status_code for _ in range(30)])
    assert outcomes[0] == outcomes[1]
    assert 0 < outcomes[0].count(500) < 30


def test_fault_script_rejects_unknown_kinds_and_bad_status() -> None:
    from netsuite_async.testing._emulator import Emulator

    emu = Emulator()
    with pytest.raises(ValueError, match="unknown fault kind"):
        emu.faults.script(kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="5xx"):
        emu.faults.script(kind="error_before", status=404)


async def test_request_log_records_method_path_status_and_auth_kind() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake:
        http = authed(fake)
        await http.get(f"{R}/customer/1", params={"fields": "email"})
        entry = fake.emulator.request_log[-1]
        assert (entry.method, entry.path, entry.status, entry.auth) == ("GET", f"{R}/customer/1", 200, "static")
        assert entry.query == (("fields", "email"),)
        assert entry.route == "record.get"
        assert fake.counters.per_route["record.get"] == 1


def test_config_validates_its_numbers() -> None:
    with pytest.raises(ValueError):
        EmulatorConfig(concurrency=0)
    with pytest.raises(ValueError):
        EmulatorConfig(latency=-1)
    assert EmulatorConfig(account="1234567-sb1").account == "1234567_SB1"


async def test_governance_limits_and_the_forbidden_variant() -> None:
    async with FakeNetSuite(concurrency=15) as fake:
        body = (await authed(fake).get("/services/rest/system/v1/governanceLimits")).json()
        assert body["accountConcurrencyLimit"] == 15
        assert body["integrationLimitType"] == "accountLimit"
    async with FakeNetSuite(governance_readable=False) as fake:
        resp = await authed(fake).get("/services/rest/system/v1/governanceLimits")
        assert resp.status_code == 403
        assert resp.json()["o:errorDetails"][0]["o:errorCode"] == "INSUFFICIENT_PERMISSION"


async def test_restlet_handlers_sync_async_errors_and_content_types() -> None:
    async with FakeNetSuite() as fake:
        http = authed(fake)
        restlets = fake.emulator.restlets
        restlets.register("customscript_sum", "1", lambda method, params, body: {"sum": sum(body["values"])})

        async def fails(method: str, params: dict[str, str], body: Any) -> Any:
            raise RestletError("INVALID_INPUT", "no values")

        restlets.register("customscript_fail", "1", fails)
        restlets.register("customscript_raw", "1", lambda m, p, b: json_response({"raw": True}, 201))
        ok = await http.post(RESTLET, params={"script": "customscript_sum", "deploy": "1"}, json={"values": [1, 2]})
        assert ok.json() == {"sum": 3}
        bad = await http.get(RESTLET, params={"script": "customscript_fail", "deploy": "1"})
        assert bad.status_code == 400
        assert bad.json() == {"error": {"code": "INVALID_INPUT", "message": "no values"}}
        raw = await http.get(RESTLET, params={"script": "customscript_raw", "deploy": "1"})
        assert raw.status_code == 201
        wrong_type = await http.post(
            RESTLET,
            params={"script": "customscript_echo", "deploy": "1"},
            content=b"{}",
            headers={"Content-Type": "Application/JSON"},
        )
        assert wrong_type.status_code == 415
        text = await http.post(
            RESTLET,
            params={"script": "customscript_echo", "deploy": "1", "x": "y"},
            content=b"hello",
            headers={"Content-Type": "text/plain"},
        )
        assert text.json() == {"method": "POST", "params": {"x": "y"}, "body": "hello"}
        missing = await http.get(RESTLET, params={"script": "customscript_nope", "deploy": "1"})
        assert missing.json()["error"]["code"] == "SSS_INVALID_SCRIPTLET_ID"
        assert isinstance(json_response({}), EmuResponse)


async def test_metadata_catalog_lists_types_and_serves_schema_and_openapi() -> None:
    async with FakeNetSuite() as fake:
        http = authed(fake)
        catalog = (await http.get(f"{R}/metadata-catalog")).json()
        names = {item["name"] for item in catalog["items"]}
        assert {"customer", "salesOrder", "invoice", "inventoryItem", "contact", "vendor", "employee"} <= names
        schema = await http.get(f"{R}/metadata-catalog/customer", headers={"Accept": "application/schema+json"})
        assert schema.headers["content-type"].startswith("application/schema+json")
        assert schema.json()["properties"]["companyName"]["type"] == "string"
        openapi = await http.get(f"{R}/metadata-catalog/salesOrder", headers={"Accept": "application/swagger+json"})
        assert openapi.json()["openapi"].startswith("3.")
        assert "salesOrder" in openapi.json()["components"]["schemas"]
        selected = await http.get(
            f"{R}/metadata-catalog",
            params={"select": "customer,invoice"},
            headers={"Accept": "application/swagger+json"},
        )
        assert set(selected.json()["components"]["schemas"]) == {"customer", "invoice"}
        assert (await http.get(f"{R}/metadata-catalog/nope")).status_code == 404


@pytest.mark.slow
async def test_seeding_100k_customers_takes_a_few_seconds_at_most() -> None:
    started = time.perf_counter()
    async with FakeNetSuite(seed={"customers": 100_000}) as fake:
        elapsed = time.perf_counter() - started
        count = fake.emulator.store.connection.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM customer").fetchone()
        assert count == (100_000, 1, 100_000)
    # Timing is the claim (seeding is bulk, not row by row); 7 s was measured on a loaded 2-core box: generous.
    assert elapsed < 30.0


async def test_seed_data_is_deterministic() -> None:
    bodies = []
    for _ in range(2):
        async with FakeNetSuite(seed={"customers": 5, "items": 3, "sales_orders": 3}) as fake:
            bodies.append((await authed(fake).get(f"{R}/salesOrder/2", params={"expandSubResources": "true"})).json())
    assert bodies[0] == bodies[1]


def test_unknown_seed_key_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown seed key"):
        FakeNetSuite(seed={"customerz": 1})


def test_server_writes_the_connection_file_once_listening_and_serves_over_loopback(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(concurrency=4), seed={"customers": 2}) as server:
        info = server.config_data
        for key in (
            "base_url",
            "account",
            "consumer_key",
            "consumer_secret",
            "token_id",
            "token_secret",
            "client_id",
            "certificate_id",
            "private_key",
            "auth_code_client_id",
            "auth_code_client_secret",
            "redirect_uri",
            "static_token",
        ):
            assert info[key], key
        with httpx2.Client(base_url=server.base_url) as http:
            resp = http.get(f"{R}/customer/2", headers={"Authorization": f"Bearer {info['static_token']}"})
            assert resp.status_code == 200
            assert resp.json()["links"][0]["href"] == f"{server.base_url}{R}/customer/2"
    from netsuite_async.testing.server import write_connection_file

    target = tmp_path / "emu.json"
    write_connection_file(target, {"base_url": "http://127.0.0.1:1"})
    assert json.loads(target.read_text()) == {"base_url": "http://127.0.0.1:1"}
    assert target.stat().st_mode & 0o777 == 0o600


def test_credentials_repr_masks_secrets() -> None:
    fake = FakeNetSuite()
    text = repr(fake.credentials)
    assert fake.credentials.static_token not in text
    assert fake.credentials.consumer_secret not in text
