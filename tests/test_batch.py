"""ns.batch: one result per input, in order, nothing lost and nothing applied twice — against the emulator."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from netsuite_async.auth.bearer import BearerToken
from netsuite_async.batch import MAX_CHUNK_SIZE, BatchOutcomeUnknownError, BatchProgress, run_batch_file
from netsuite_async.batch_checkpoint import CheckpointMismatchError
from netsuite_async.errors import AuthenticationError, BadRequestError, NotFoundError
from tests._jobs_harness import client_for, make_emulator, store_count

pytestmark = pytest.mark.anyio


def customers(n: int, prefix: str = "C") -> list[dict[str, str]]:
    return [{"companyName": f"{prefix} {i}", "email": f"{prefix.lower()}{i}@example.com"} for i in range(n)]


@pytest.mark.parametrize("collections", [True, False], ids=["collections", "single-requests"])
async def test_create_gives_one_result_per_input_in_order_naming_the_record_made_from_it(collections: bool) -> None:
    emu = make_emulator(batch_collections=collections)
    rows = customers(250)
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", rows)
        assert len(result) == 250
        assert [r.index for r in result] == list(range(250))
        assert result.ok
        assert result.succeeded == 250
        assert result.failed == 0
        for i in (0, 99, 100, 249):
            ref = result[i].ref
            assert ref is not None
            assert ref.type == "customer"
            record = (await ns.request("GET", f"/record/v1/customer/{ref.id}")).json()
            assert record["companyName"] == rows[i]["companyName"]
    assert result.used_collections is collections
    assert ns.batch.collections_supported is collections
    assert store_count(emu) == 250
    assert emu.counters.duplicate_writes == 0


async def test_refused_collections_are_remembered_for_the_client_so_later_batches_do_not_probe_again() -> None:
    emu = make_emulator(batch_collections=False)
    async with client_for(emu) as ns:
        first = await ns.batch.create("customer", customers(150, "A"))
        second = await ns.batch.create("customer", customers(150, "B"))
    assert first.ok
    assert second.ok
    assert emu.jobs.collections_refused == 1
    assert store_count(emu) == 300


async def test_item_failures_are_reported_in_place_and_do_not_stop_the_batch() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        made = await ns.batch.create("customer", customers(3))
        ids = [r.ref.id for r in made if r.ref is not None]
        updates = [{"id": ids[0], "comments": "a"}, {"id": 999_999, "comments": "b"}, {"id": ids[2], "comments": "c"}]
        result = await ns.batch.update("customer", updates)
        assert [r.ok for r in result] == [True, False, True]
        assert isinstance(result[1].error, NotFoundError)
        assert result.failures == [result[1]]
        record = (await ns.request("GET", f"/record/v1/customer/{ids[2]}")).json()
    assert record["comments"] == "c"


@pytest.mark.parametrize("collections", [True, False], ids=["collections", "single-requests"])
async def test_update_upsert_and_delete_round_trip(collections: bool) -> None:
    emu = make_emulator(batch_collections=collections)
    async with client_for(emu) as ns:
        up = await ns.batch.upsert("customer", [{"externalId": f"EXT-{i}", "companyName": f"U{i}"} for i in range(5)])
        assert up.ok
        again = await ns.batch.upsert("customer", [{"externalId": "EXT-0", "companyName": "U0 renamed"}])
        assert again.ok
        assert again[0].ref is not None
        assert up[0].ref is not None
        assert again[0].ref.id == up[0].ref.id
        changed = await ns.batch.update("customer", [{"externalId": "EXT-1", "comments": "by eid"}])
        assert changed.ok
        record = (await ns.request("GET", "/record/v1/customer/eid:EXT-1")).json()
        assert record["comments"] == "by eid"
        gone = await ns.batch.delete("customer", [up[2].ref.id, "eid:EXT-3", {"externalId": "EXT-4"}])  # type: ignore[union-attr]
        assert gone.ok
        assert gone[0].ref is not None
        assert gone[0].ref.id == up[2].ref.id
    assert store_count(emu) == 2


async def test_bad_input_is_refused_before_any_request() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        with pytest.raises(TypeError):
            await ns.batch.create("customer", [{"companyName": "ok"}, "not a mapping"])  # type: ignore[list-item]
        with pytest.raises(ValueError, match="chunk_size"):
            await ns.batch.create("customer", [{}], chunk_size=MAX_CHUNK_SIZE + 1)
        with pytest.raises(ValueError, match="record type"):
            await ns.batch.create("../customer", [{}])
        with pytest.raises(ValueError, match="externalId"):
            await ns.batch.upsert("customer", [{"companyName": "no eid"}])
        with pytest.raises(ValueError, match="id"):
            await ns.batch.update("customer", [{"comments": "no id"}])
        with pytest.raises(ValueError):
            await ns.batch.delete("customer", [0])
        with pytest.raises(TypeError):
            await ns.batch.create("customer", [{"when": object()}])
        with pytest.raises(ValueError, match="operation"):
            await ns.batch.run("merge", "customer", [{}])  # type: ignore[arg-type]
    assert emu.counters.requests == 0


async def test_an_empty_batch_sends_nothing() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", [])
    assert len(result) == 0
    assert result.used_collections is None
    assert emu.counters.requests == 0


async def test_progress_reports_each_result_read_and_each_chunk_done_and_ends_at_the_total() -> None:
    emu = make_emulator()
    seen: list[BatchProgress] = []
    async with client_for(emu) as ns:
        await ns.batch.create("customer", customers(230), chunk_size=50, on_progress=seen.append)
    # One report per result read (read moves by one) and one per chunk made final (done moves by the chunk).
    assert len(seen) == 230 + 5
    assert [p.read for p in seen] == sorted(p.read for p in seen)
    dones = sorted({p.done for p in seen})
    assert sorted(b - a for a, b in itertools.pairwise(dones)) == [30, 50, 50, 50, 50]  # whole chunks
    assert seen[-1] == BatchProgress(done=230, total=230, succeeded=230, failed=0)
    assert seen[-1].read == 230


async def test_concurrency_stays_within_the_accounts_limit() -> None:
    emu = make_emulator(concurrency=3, latency=0.002)
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", customers(120), chunk_size=10)
    assert result.ok
    assert emu.counters.max_in_flight <= 3
    assert emu.counters.limited == 0


@pytest.mark.slow
@pytest.mark.parametrize("collections", [True, False], ids=["collections", "single-requests"])
async def test_ten_thousand_creates_under_faults_before_and_after_writes_are_applied_exactly_once(
    collections: bool,
) -> None:
    emu = make_emulator(batch_collections=collections, concurrency=10)
    emu.faults.set_probability("error_before", 0.05)
    emu.faults.set_probability("error_after", 0.05)
    rows = customers(10_000)
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", rows)
    assert len(result) == 10_000
    assert [r.index for r in result] == list(range(10_000))
    assert result.failures == []
    assert store_count(emu) == 10_000
    assert emu.counters.duplicate_writes == 0
    assert len({r.ref.id for r in result if r.ref is not None}) == 10_000
    assert emu.faults.injected["error_after"] > 100  # the faults really happened
    assert result.used_collections is collections


async def test_run_batch_file_reads_jsonl_and_writes_failures_with_the_input_line_and_error(tmp_path: Path) -> None:
    emu = make_emulator()
    source = tmp_path / "customers.jsonl"
    lines = [json.dumps({"externalId": "X1", "companyName": "One"}), "",
             json.dumps({"externalId": "X1", "companyName": "Duplicate eid"}),
             json.dumps({"externalId": "X3", "companyName": "Three"})]
    source.write_text("\n".join(lines) + "\n")
    failures = tmp_path / "failures.jsonl"
    async with client_for(emu) as ns:
        result = await run_batch_file(ns, "create", "customer", source, failures_path=failures)
    assert [r.ok for r in result] == [True, False, True]
    assert isinstance(result[1].error, BadRequestError)
    written = [json.loads(line) for line in failures.read_text().splitlines()]
    assert len(written) == 1
    assert written[0]["line"] == 3
    assert written[0]["index"] == 1
    assert written[0]["input"] == {"externalId": "X1", "companyName": "Duplicate eid"}
    assert written[0]["error"]["status"] == 400
    assert written[0]["error"]["code"]


async def test_run_batch_file_refuses_a_line_that_is_not_json_before_any_request(tmp_path: Path) -> None:
    emu = make_emulator()
    source = tmp_path / "bad.jsonl"
    source.write_text('{"companyName": "ok"}\n{not json\n')
    async with client_for(emu) as ns:
        with pytest.raises(ValueError, match=":2:"):
            await run_batch_file(ns, "create", "customer", source)
    assert emu.counters.requests == 0


async def test_a_write_whose_outcome_cannot_be_learned_is_reported_unknown_not_lost() -> None:
    emu = make_emulator()
    # Every status poll of every job fails: the jobs exist, but the client can never learn how they ended.
    emu.faults.script(match="GET /async/v1/job/", kind="error_before", times=None)
    async with client_for(emu) as ns:
        ns.jobs.max_poll_interval = 0.001
        result = await ns.batch.create("customer", customers(3), use_collections=False, job_deadline=5)
    assert len(result) == 3
    assert all(isinstance(r.error, BatchOutcomeUnknownError) for r in result)
    assert emu.jobs.job_count == 3  # one job per item, however often the rounds were repeated


async def test_checkpoint_for_other_input_is_refused_before_any_request(tmp_path: Path) -> None:
    emu = make_emulator()
    checkpoint = tmp_path / "run.ckpt"
    async with client_for(emu) as ns:
        await ns.batch.create("customer", customers(5), checkpoint=checkpoint)
        before = emu.counters.requests
        with pytest.raises(CheckpointMismatchError):
            await ns.batch.create("customer", customers(6), checkpoint=checkpoint)
        with pytest.raises(CheckpointMismatchError):
            await ns.batch.upsert("customer", [{"externalId": "E", **c} for c in customers(5)], checkpoint=checkpoint)
    assert emu.counters.requests == before


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_batches_and_jobs_run_on_asyncio_and_trio(anyio_backend: str) -> None:
    emu = make_emulator(concurrency=3)
    async with client_for(emu) as ns:
        bulk = await ns.batch.create("customer", customers(150), chunk_size=40)
        single = await ns.batch.create("customer", customers(20, "S"), use_collections=False)
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": anyio_backend})
        ref = (await job.wait(deadline=10)).ref
    assert bulk.ok
    assert single.ok
    assert ref is not None
    assert store_count(emu) == 171


@pytest.mark.parametrize("collections", [True, False], ids=["collections", "single-requests"])
async def test_refused_credentials_stop_the_batch_and_every_item_reports_them(collections: bool) -> None:
    emu = make_emulator(batch_collections=collections)
    async with client_for(emu, auth=BearerToken("wrong-token")) as ns:
        result = await ns.batch.create("customer", customers(250), use_collections=collections)
    assert len(result) == 250
    assert all(isinstance(r.error, AuthenticationError) for r in result)
    assert emu.counters.requests <= 3  # it stops at once instead of trying 250 items
    assert store_count(emu) == 0
