"""ns.jobs: asynchronous requests with idempotency keys, against the in-process emulator."""

from __future__ import annotations

import json
import uuid

import httpx2
import pytest

from netsuite_async.auth.bearer import BearerToken
from netsuite_async.client import NetSuiteClient
from netsuite_async.errors import BadRequestError, NotFoundError
from netsuite_async.jobs import IDEMPOTENCY_HEADER, JobTimeoutError, validate_idempotency_key
from tests._jobs_harness import FAST_RETRY, client_for, make_emulator, store_count

pytestmark = pytest.mark.anyio


async def test_submit_answers_a_job_and_wait_gives_the_created_record_from_the_task_location() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "ACME"})
        result = await job.wait(deadline=10)
        assert result.status_code == 204
        assert result.ref is not None
        assert result.ref.type == "customer"
        record = (await ns.request("GET", f"/record/v1/customer/{result.ref.id}")).json()
        assert record["companyName"] == "ACME"
    assert store_count(emu) == 1


async def test_status_reports_pending_until_the_job_has_run() -> None:
    emu = make_emulator()
    emu.jobs.pending_polls = 2
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Later"})
        first = await job.status()
        second = await job.status()
        third = await job.status()
    assert (first.completed, first.progress) == (False, "pending")
    assert (second.completed, second.progress) == (False, "pending")
    assert (third.completed, third.progress) == (True, "succeeded")


async def test_wait_polls_until_completed_with_growing_pauses_not_a_busy_loop() -> None:
    emu = make_emulator()
    emu.jobs.pending_polls = 4
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Polled"})
        result = await job.wait(deadline=10)
    assert result.ref is not None
    polls = [e for e in emu.request_log if e.route == "async.job"]
    assert len(polls) == 5  # four "pending" answers, then the one that runs it


async def test_same_idempotency_key_returns_the_earlier_job_and_applies_nothing_twice() -> None:
    emu = make_emulator()
    key = str(uuid.uuid4())
    async with client_for(emu) as ns:
        first = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Once"}, idempotency_key=key)
        await first.wait(deadline=10)
        again = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Once"}, idempotency_key=key)
        result = await again.wait(deadline=10)
    assert again.id == first.id
    assert again.reused
    assert not first.reused
    assert result.ref is not None
    assert store_count(emu) == 1
    assert emu.counters.duplicate_writes == 0


async def test_submit_lost_after_the_job_was_created_is_retried_with_the_same_key_and_creates_once() -> None:
    emu = make_emulator()
    # The job is created, then the answer is a 500: the retry carries the same key and gets the same job back.
    emu.faults.script(match="POST /record/v1/customer", kind="error_after", times=2)
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Retried"})
        result = await job.wait(deadline=10)
    assert job.reused
    assert result.ref is not None
    assert store_count(emu) == 1
    assert emu.jobs.job_count == 1
    assert emu.counters.duplicate_writes == 0


async def test_a_failed_task_raises_the_typed_netsuite_error() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("PATCH", "/record/v1/customer/987654", json={"comments": "nobody"})
        status = await job.wait_completed(deadline=10)
        with pytest.raises(NotFoundError):
            await job.wait(deadline=10)
    assert status.progress == "failed"


async def test_wait_gives_up_after_its_timeout_and_names_the_job() -> None:
    emu = make_emulator()
    emu.jobs.pending_polls = 10**9
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Never"})
        with pytest.raises(JobTimeoutError) as info:
            await job.wait(deadline=0.05)
    assert info.value.job_id == job.id
    assert store_count(emu) == 0


async def test_get_reads_an_existing_job_by_id() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("DELETE", "/record/v1/customer/1")  # no such record: the task fails
        again = ns.jobs.get(job.id)
        status = await again.wait_completed(deadline=10)
    assert status.id == job.id
    assert status.completed
    assert status.progress == "failed"


async def test_emulator_refuses_an_idempotency_key_that_is_not_a_uuid() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        with pytest.raises(BadRequestError) as info:
            await ns.request(
                "POST", "/record/v1/customer", json={"companyName": "x"},
                headers={"Prefer": "respond-async", IDEMPOTENCY_HEADER: "not-a-uuid"},
            )
    assert info.value.error_code == "INVALID_PARAMETER"
    assert emu.jobs.job_count == 0


async def test_emulator_answers_a_repeated_key_with_idempotency_error_and_the_earlier_job_location() -> None:
    emu = make_emulator()
    key = str(uuid.uuid4())
    headers = {"Prefer": "respond-async", IDEMPOTENCY_HEADER: key}
    async with client_for(emu) as ns:
        first = await ns.request("POST", "/record/v1/customer", json={"companyName": "x"}, headers=headers)
        with pytest.raises(BadRequestError) as info:
            await ns.request("POST", "/record/v1/customer", json={"companyName": "y"}, headers=headers)
    assert first.status_code == 202
    assert first.headers["location"] == "/services/rest/async/v1/job/1"
    assert info.value.error_code == "IDEMPOTENCY_ERROR"
    assert info.value.response.headers["location"] == first.headers["location"]


async def test_job_task_and_result_documents_have_netsuites_shape() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Shape"})
        doc = (await ns.request("GET", f"/async/v1/job/{job.id}")).json()
        tasks = (await ns.request("GET", f"/async/v1/job/{job.id}/task")).json()
        task = (await ns.request("GET", f"/async/v1/job/{job.id}/task/1")).json()
        result = await ns.request("GET", f"/async/v1/job/{job.id}/task/1/result")
    assert doc["completed"] is True
    assert doc["progress"] == "succeeded"
    assert doc["id"] == job.id
    assert doc["task"]["links"][0]["href"].endswith(f"/services/rest/async/v1/job/{job.id}/task")
    assert tasks["items"][0]["links"][0]["href"].endswith(f"/async/v1/job/{job.id}/task/1")
    assert {link["rel"] for link in task["links"]} == {"related", "self"}
    assert task["completed"] is True
    assert task["progress"] == "succeeded"
    assert result.status_code == 204
    assert "/record/v1/customer/" in result.headers["location"]


async def test_unknown_job_is_not_found() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        with pytest.raises(NotFoundError):
            await ns.jobs.get("424242").status()


async def test_bad_arguments_are_refused_before_any_request() -> None:
    sent: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(500)

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    client = NetSuiteClient("1234567", auth=BearerToken("t"), base_url="https://x.test", http_client=http)
    async with http, client as ns:
        with pytest.raises(ValueError, match="UUID"):
            await ns.jobs.submit("POST", "/record/v1/customer", json={}, idempotency_key="abc")
        with pytest.raises(ValueError):
            await ns.jobs.submit("OPTIONS", "/record/v1/customer")
        with pytest.raises(ValueError):
            await ns.jobs.submit("GET", "/record/v1/customer?q=x")
        with pytest.raises(ValueError):
            ns.jobs.get("1/../2")
    assert sent == []


async def test_submit_sends_prefer_async_and_one_key_reused_on_every_attempt() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if len(seen) < 3:
            busy = {"o:errorDetails": [{"detail": "busy", "o:errorCode": "UNEXPECTED_ERROR"}]}
            return httpx2.Response(503, json=busy)
        return httpx2.Response(202, headers={"Location": "/services/rest/async/v1/job/77"})

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    async with http, NetSuiteClient(
        "1234567", auth=BearerToken("t"), base_url="https://x.test", http_client=http,
        retry=FAST_RETRY,
    ) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "K"})
    assert job.id == "77"
    assert len(seen) == 3
    keys = {r.headers[IDEMPOTENCY_HEADER] for r in seen}
    assert len(keys) == 1
    assert validate_idempotency_key(keys.pop()) == job.idempotency_key
    assert all(r.headers["Prefer"] == "respond-async" for r in seen)
    assert json.loads(seen[0].content) == {"companyName": "K"}
    assert seen[0].headers["Content-Type"] == "application/json"


async def test_a_connection_dropped_after_the_job_was_created_is_retried_safely() -> None:
    emu = make_emulator()
    emu.faults.script(match="POST /record/v1/customer", kind="drop", apply=True)
    emu.faults.script(match="GET /async/v1/job/", kind="html", times=3)  # a proxy's 502 page while polling
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Dropped"})
        result = await job.wait(deadline=10)
    assert job.reused
    assert result.ref is not None
    assert store_count(emu) == 1
    assert emu.counters.duplicate_writes == 0
