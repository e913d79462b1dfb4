"""Async jobs and batches under every emulator dialect where NetSuite's documentation is silent.

The dialect fields exercised here (``netsuite_async.testing._dialect.Dialect``): ``task_ids`` (numbered per job, or
unique across the account), ``create_result_location`` (a create's task result with or without ``Location``),
``progress_word`` (``pending`` or ``processing`` for unfinished work), ``idempotency_conflict_status`` (400 or
409) and ``sync_batch_read``. Each client guarantee is proved under each variant: one result per input, every
input applied exactly once, every success naming its own record (or ``None`` with a note where NetSuite named
none), transient task failures sent again, and a cancelled run finished by its checkpoint without duplicates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner

from netsuite_async.batch import TRANSIENT_RESENDS, BatchOutcomeUnknownError, BatchProgress, BatchResult
from netsuite_async.errors import APIError, BadRequestError, JobTasksMismatchError, ServerError
from netsuite_async.jobs import COLLECTION_CONTENT_TYPE, JobStatus
from netsuite_async.testing._dialect import Dialect
from netsuite_async.testing._emulator import Emulator
from tests._jobs_harness import client_for, make_emulator, store_count

pytestmark = pytest.mark.anyio

TASK_IDS = ["per-job", "global"]
LOCATION = [True, False]
COLLECTIONS = [True, False]


def rows_for(n: int, prefix: str) -> list[dict[str, str]]:
    """Customers; every seventh has no externalId (its id cannot be looked up when NetSuite names none)."""
    out = []
    for i in range(n):
        row = {"companyName": f"{prefix} {i}", "email": f"{prefix.lower()}{i}@example.com"}
        if i % 7:
            row["externalId"] = f"{prefix}-{i}"
        out.append(row)
    return out


def stored_customers(emu: Emulator) -> dict[str, dict[str, Any]]:
    """Every customer in the emulator's store, by internal id."""
    rt = emu.records.record_type("customer")
    ids = [int(r[0]) for r in emu.store.connection.execute("SELECT id FROM customer").fetchall()]
    return {str(rid): doc for rid, doc in emu.store.get_many(rt, ids).items()}


def assert_exactly_once(emu: Emulator, rows: Sequence[dict[str, str]], result: BatchResult, *, location: bool) -> None:
    """One ok result per input, in order; every input stored once; each ref names the record made from it."""
    assert len(result) == len(rows)
    assert [r.index for r in result] == list(range(len(rows)))
    assert [(r.index, r.error) for r in result.failures] == []
    assert store_count(emu) == len(rows)
    assert emu.counters.duplicate_writes == 0
    stored = stored_customers(emu)
    assert sorted(doc["companyName"] for doc in stored.values()) == sorted(r["companyName"] for r in rows)
    named: set[str] = set()
    for row, item in zip(rows, result, strict=True):
        if item.ref is None:
            # Only where NetSuite named no record and the item had no externalId to look it up by.
            assert not location
            assert "externalId" not in row
            assert item.note
            assert "externalId" in item.note or (item.resumed and "earlier run" in item.note)
            continue
        assert item.ref.type == "customer"
        assert stored[item.ref.id]["companyName"] == row["companyName"], (item.index, item.ref.id)
        named.add(item.ref.id)
    assert len(named) == sum(1 for r in result if r.ref is not None)
    if location:
        assert all(r.ref is not None for r in result)


# -- the emulator plays each variant -----------------------------------------------------------------------


@pytest.mark.parametrize("task_ids", TASK_IDS)
async def test_emulator_numbers_tasks_per_job_or_across_the_account_and_lists_them_in_item_order(
    task_ids: str,
) -> None:
    emu = make_emulator(dialect=Dialect(task_ids=task_ids))  # type: ignore[arg-type]
    async with client_for(emu) as ns:
        first = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "One"})
        batch = await ns.jobs.submit(
            "POST", "/record/v1/customer", json={"items": [{"companyName": f"B{i}"} for i in range(3)]},
            content_type=COLLECTION_CONTENT_TYPE,
        )
        second = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Two"})
        listing = (await ns.request("GET", f"/async/v1/job/{batch.id}/task")).json()
        hrefs = [item["links"][0]["href"] for item in listing["items"]]
        batch_ids = await batch.task_ids()
        single_ids = [await first.task_ids(), await second.task_ids()]
        results = [await batch.task_result(t) for t in batch_ids]
    assert [h.rsplit("/", 1)[1] for h in hrefs] == batch_ids
    assert all(item["links"][0]["rel"] == "self" for item in listing["items"])
    assert batch_ids == emu.jobs.task_ids(batch.id)
    if task_ids == "per-job":
        assert batch_ids == ["1", "2", "3"]
        assert single_ids == [["1"], ["1"]]
    else:
        assert single_ids == [[first.id], [second.id]]  # a single request's task id is its job's id
        assert batch_ids[0] != "1"
        assert len({*batch_ids, first.id, second.id, batch.id}) == 6  # unique across the account
        assert [int(t) for t in batch_ids] == sorted(int(t) for t in batch_ids)
    # Listed in item order: the k-th task made the k-th item.
    stored = stored_customers(emu)
    assert [stored[r.ref.id]["companyName"] for r in results if r.ref] == ["B0", "B1", "B2"]


@pytest.mark.parametrize("location", LOCATION)
async def test_emulator_create_result_with_or_without_location(location: bool) -> None:
    emu = make_emulator(dialect=Dialect(create_result_location=location))
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Loc"})
        (tid,) = await job.task_ids()
        raw = await ns.request("GET", f"/async/v1/job/{job.id}/task/{tid}/result")
        upsert = await ns.jobs.submit("PUT", "/record/v1/customer/eid:LOC-2", json={"companyName": "Up"})
        upserted = await upsert.wait(deadline=10)
    assert raw.status_code == 204
    assert raw.content == b""
    assert ("location" in raw.headers) is location
    assert upserted.ref is not None  # only creates (inner POSTs) lose their Location
    assert store_count(emu) == 2


@pytest.mark.parametrize("word", ["pending", "processing"])
async def test_emulator_unfinished_work_says_the_dialects_progress_word(word: str) -> None:
    emu = make_emulator(dialect=Dialect(progress_word=word))  # type: ignore[arg-type]
    emu.jobs.pending_polls = 2
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Slow"})
        first = await job.status()
        result = await job.wait(deadline=10)
        last = await job.status()
    assert (first.completed, first.progress, first.finished) == (False, word, False)
    assert (last.completed, last.progress, last.finished) == (True, "succeeded", True)
    assert result.status_code == 204
    assert store_count(emu) == 1


@pytest.mark.parametrize("status", [400, 409])
async def test_emulator_and_client_handle_a_repeated_key_answered_with_400_or_409(status: int) -> None:
    emu = make_emulator(dialect=Dialect(idempotency_conflict_status=status))
    key = "1f0e6f7c-6a43-4d5e-9a56-0b4b43a0c001"
    async with client_for(emu) as ns:
        first = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "K"}, idempotency_key=key)
        with pytest.raises(APIError) as caught:
            await ns.request("POST", "/record/v1/customer", json={"companyName": "K"},
                             headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": key})
        again = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "K"}, idempotency_key=key)
        ref = (await again.wait(deadline=10)).ref
    assert caught.value.status_code == status
    assert caught.value.error_code == "IDEMPOTENCY_ERROR"
    assert caught.value.response is not None
    assert caught.value.response.headers["location"].endswith(f"/async/v1/job/{first.id}")
    assert again.reused
    assert again.id == first.id
    assert ref is not None
    assert store_count(emu) == 1


async def test_emulator_refuses_a_synchronous_batch_read_and_serves_it_asynchronously() -> None:
    emu = make_emulator(dialect=Dialect(sync_batch_read=False))
    async with client_for(emu) as ns:
        made = await ns.batch.create("customer", rows_for(5, "R"))
        ids = ",".join(r.ref.id for r in made if r.ref)
        with pytest.raises(BadRequestError) as caught:
            await ns.request("GET", "/record/v1/customer", params={"ids": ids, "expandRecords": "true"})
        job = await ns.jobs.submit("GET", "/record/v1/customer", params={"ids": ids, "expandRecords": "true"})
        body = (await job.wait(deadline=10)).body
    assert caught.value.details[0].error_query_param == "ids"
    assert [item["companyName"] for item in body["items"]] == [f"R {i}" for i in range(5)]


async def test_emulator_per_task_failure_saves_nothing_and_fails_the_job() -> None:
    emu = make_emulator()
    emu.jobs.script_task_failure("POST /record/v1/customer", times=1)
    async with client_for(emu) as ns:
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Fails"})
        with pytest.raises(ServerError) as caught:
            await job.wait(deadline=10)
        status = await job.status()
        again = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Fails"})
        ref = (await again.wait(deadline=10)).ref
    assert caught.value.error_code == "UNEXPECTED_ERROR"
    assert status.progress == "failed"
    assert emu.jobs.task_failures_injected == 1
    assert ref is not None
    assert store_count(emu) == 1
    with pytest.raises(ValueError):
        emu.jobs.script_task_failure(status=404)


# -- the client under each variant -------------------------------------------------------------------------


@pytest.mark.parametrize("task_ids", TASK_IDS)
@pytest.mark.parametrize("location", LOCATION)
async def test_a_single_request_job_is_its_one_task_whatever_its_id(task_ids: str, location: bool) -> None:
    emu = make_emulator(dialect=Dialect(task_ids=task_ids, create_result_location=location))  # type: ignore[arg-type]
    async with client_for(emu) as ns:
        await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "warm-up"})  # ids move on
        job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Single"})
        result = await job.wait(deadline=10)
        with pytest.raises(JobTasksMismatchError):
            await job.wait_tasks(10, expected=2)
    if location:
        assert result.ref is not None
        assert stored_customers(emu)[result.ref.id]["companyName"] == "Single"
    else:
        assert result.ref is None
        assert result.status_code == 204


def test_unknown_progress_words_mean_not_finished() -> None:
    assert not JobStatus("1", completed=False, progress="processing").finished
    assert not JobStatus("1", completed=True, progress="queued").finished
    assert JobStatus("1", completed=True, progress="failed").finished
    assert JobStatus("1", completed=True, progress="").finished
    assert JobStatus("1", completed=False, progress="succeeded", raw={"progress": "succeeded"}).finished
    assert not JobStatus("1", completed=False, progress="succeeded", raw={"completed": False}).finished


def _variant_ids(task_ids: str, location: bool, collections: bool) -> Dialect:
    # progress_word and idempotency_conflict_status ride along so both values of each are exercised too.
    return Dialect(
        task_ids=task_ids,  # type: ignore[arg-type]
        create_result_location=location,
        progress_word="processing" if task_ids == "global" else "pending",
        idempotency_conflict_status=409 if location == collections else 400,
    )


@pytest.mark.slow  # 1,000-item batches under faults, every variant: CI, not `nox -s quick`
@pytest.mark.parametrize("collections", COLLECTIONS, ids=["collections", "single-requests"])
@pytest.mark.parametrize("location", LOCATION, ids=["location", "no-location"])
@pytest.mark.parametrize("task_ids", TASK_IDS)
async def test_a_thousand_creates_under_faults_and_transient_task_failures_are_applied_exactly_once(
    task_ids: str, location: bool, collections: bool
) -> None:
    emu = make_emulator(batch_collections=collections, concurrency=8,
                        dialect=_variant_ids(task_ids, location, collections))
    emu.jobs.pending_polls = 1
    emu.jobs.task_failure_probability = 0.05
    emu.faults.set_probability("error_before", 0.03)
    emu.faults.set_probability("error_after", 0.03)
    # And for certain: the first submissions are applied and their answers lost (a 500 after the job exists).
    emu.faults.script(match="POST /record/v1/customer", kind="error_after", times=3)
    rows = rows_for(1000, "V")
    async with client_for(emu) as ns:
        ns.jobs.max_poll_interval = 0.002
        result = await ns.batch.create("customer", rows)
    assert_exactly_once(emu, rows, result, location=location)
    assert result.used_collections is collections
    assert emu.jobs.task_failures_injected > 10  # transient task failures really happened and were resent
    assert emu.faults.injected["error_after"] > 10
    assert emu.jobs.idempotent_replays > 0  # lost answers came back as the earlier jobs
    if not location:
        assert sum(1 for r in result if r.ref is None) == sum(1 for r in rows if "externalId" not in r)


@pytest.mark.slow  # 1,000-item batches under faults, every variant: CI, not `nox -s quick`
@pytest.mark.parametrize("collections", COLLECTIONS, ids=["collections", "single-requests"])
@pytest.mark.parametrize("location", LOCATION, ids=["location", "no-location"])
@pytest.mark.parametrize("task_ids", TASK_IDS)
async def test_a_cancelled_batch_resumed_with_its_checkpoint_applies_everything_exactly_once(
    tmp_path: Path, task_ids: str, location: bool, collections: bool
) -> None:
    emu = make_emulator(batch_collections=collections, concurrency=5,
                        dialect=_variant_ids(task_ids, location, collections))
    emu.jobs.task_failure_probability = 0.05
    emu.faults.set_probability("error_after", 0.03)
    rows = rows_for(600, "C")
    checkpoint = tmp_path / "run.ckpt"
    async with client_for(emu) as ns:
        ns.jobs.max_poll_interval = 0.002
        reached = anyio.Event()

        def progress(p: BatchProgress) -> None:
            if p.done >= 200:
                reached.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: ns.batch.create("customer", rows, checkpoint=checkpoint, on_progress=progress))
            await reached.wait()
            tg.cancel_scope.cancel()  # the process "dies" with requests in flight
        assert 200 <= store_count(emu) < 600
        await emu.jobs.run_pending()  # NetSuite keeps running what was submitted
        result = await ns.batch.create("customer", rows, checkpoint=checkpoint)
    assert_exactly_once(emu, rows, result, location=location)
    assert sum(r.resumed for r in result) >= 200
    assert emu.jobs.idempotent_replays > 0


@pytest.mark.slow  # 1,000-item batches under faults, every variant: CI, not `nox -s quick`
@pytest.mark.parametrize("task_ids", TASK_IDS)
@pytest.mark.parametrize("collections", COLLECTIONS, ids=["collections", "single-requests"])
async def test_rerunning_with_the_checkpoint_resolves_every_unknown_outcome_without_new_writes(
    tmp_path: Path, task_ids: str, collections: bool
) -> None:
    emu = make_emulator(batch_collections=collections, dialect=Dialect.strictest().replace(task_ids=task_ids))
    rows = rows_for(150 if collections else 30, "U")  # one blind job per item in single mode: keep it short
    checkpoint = tmp_path / "unknown.ckpt"
    # Every job status poll fails: the jobs exist and run, but the first run cannot learn how they ended.
    blind = emu.faults.script(match="GET /async/v1/job/", kind="error_before", times=None)
    async with client_for(emu) as ns:
        ns.jobs.max_poll_interval = 0.001
        first = await ns.batch.create("customer", rows, checkpoint=checkpoint, job_deadline=1)
        assert all(isinstance(r.error, BatchOutcomeUnknownError) for r in first)
        assert str(checkpoint) in str(first[0].error)
        emu.faults.scripted.remove(blind)
        await emu.jobs.run_pending()
        writes_before = emu.counters.writes
        assert writes_before == len(rows)  # the first run's jobs did apply everything
        second = await ns.batch.create("customer", rows, checkpoint=checkpoint)
    assert emu.counters.writes == writes_before  # every item resolved through its earlier job, nothing resent
    assert_exactly_once(emu, rows, second, location=False)


async def test_without_a_checkpoint_the_unknown_outcome_points_at_one() -> None:
    emu = make_emulator()
    emu.faults.script(match="GET /async/v1/job/", kind="error_before", times=None)
    async with client_for(emu) as ns:
        ns.jobs.max_poll_interval = 0.001
        result = await ns.batch.create("customer", rows_for(2, "N"), use_collections=False, job_deadline=2)
    error = result[0].error
    assert isinstance(error, BatchOutcomeUnknownError)
    assert error.checkpoint is None
    assert "checkpoint=PATH" in str(error)
    assert "--checkpoint" in str(error)


@pytest.mark.parametrize("collections", COLLECTIONS, ids=["collections", "single-requests"])
async def test_a_task_that_keeps_failing_transiently_is_resent_a_bounded_number_of_times(collections: bool) -> None:
    emu = make_emulator(batch_collections=collections)

    def is_doomed(req: Any) -> bool:
        return req.method == "POST" and b'"Doomed"' in req.body

    emu.jobs.script_task_failure(is_doomed, times=None)
    rows = [{"companyName": "Fine 1"}, {"companyName": "Doomed"}, {"companyName": "Fine 2"}]
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", rows)
    assert [r.ok for r in result] == [True, False, True]
    assert isinstance(result[1].error, ServerError)
    assert result[1].error.error_code == "UNEXPECTED_ERROR"
    assert emu.jobs.task_failures_injected == TRANSIENT_RESENDS + 1
    assert store_count(emu) == 2


async def test_a_transient_task_failure_resent_once_lands_once_and_names_its_record() -> None:
    emu = make_emulator(dialect=Dialect(task_ids="global"))
    emu.jobs.script_task_failure(lambda req: b'"Second"' in req.body, times=1)
    rows = [{"companyName": n} for n in ("First", "Second", "Third")]
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", rows)
    assert_exactly_once(emu, rows, result, location=True)
    assert emu.jobs.task_failures_injected == 1


@pytest.mark.parametrize("task_ids", TASK_IDS)
async def test_updates_upserts_and_deletes_name_their_own_records_under_global_task_ids(task_ids: str) -> None:
    emu = make_emulator(dialect=Dialect.strictest().replace(task_ids=task_ids))
    async with client_for(emu) as ns:
        made = await ns.batch.upsert("customer", [{"externalId": f"E{i}", "companyName": f"N{i}"} for i in range(120)])
        assert made.ok
        stored = stored_customers(emu)
        by_eid = {doc["externalId"]: rid for rid, doc in stored.items()}
        assert [r.ref.id for r in made if r.ref] == [by_eid[f"E{i}"] for i in range(120)]
        changed = await ns.batch.update("customer", [{"id": by_eid[f"E{i}"], "comments": f"c{i}"} for i in range(120)])
        assert [r.ref.id for r in changed if r.ref] == [by_eid[f"E{i}"] for i in range(120)]
        gone = await ns.batch.delete("customer", [by_eid[f"E{i}"] for i in range(0, 120, 2)])
    assert gone.ok
    assert store_count(emu) == 60
    assert all(doc["comments"] == f"c{doc['externalId'][1:]}" for doc in stored_customers(emu).values())


@pytest.mark.parametrize("sync", [True, False])
async def test_get_many_returns_every_record_whether_or_not_the_batch_read_may_be_synchronous(sync: bool) -> None:
    emu = make_emulator(dialect=Dialect(sync_batch_read=sync))
    async with client_for(emu) as ns:
        made = await ns.batch.create("customer", rows_for(250, "G"))
        ids: list[Any] = [r.ref.id for r in made if r.ref]
        got = await ns.records.get_many("customer", [*ids, "eid:G-1", 999_999])
    assert [g["companyName"] if g else None for g in got] == [f"G {i}" for i in range(250)] + ["G 1", None]
    async_reads = [e for e in emu.log_entries("GET", "/record/v1/customer") if e.status == 400]
    assert len(async_reads) == (0 if sync else 1)  # refused once, then sent asynchronously
    assert ns.records._batch_read_async is not sync


# -- as a new user would: `netsuite-async emulator serve` with the variant's flags, then the CLI ---------------


@pytest.fixture
def served_emulator(tmp_path: Path) -> Iterator[Path]:
    config = tmp_path / "emu.json"
    child = subprocess.Popen(
        [sys.executable, "-m", "netsuite_async.cli", "emulator", "serve", "--no-seed", "--task-ids", "global",
         "--create-result-location", "false", "--progress-word", "processing",
         "--idempotency-conflict-status", "409", "--write-config", str(config)],
        env={**os.environ, "NETSUITE_CONFIG": str(tmp_path / "none.toml")},
    )
    try:
        deadline = time.monotonic() + 60
        while not config.exists():  # written atomically once the socket listens
            assert child.poll() is None, "emulator serve exited"
            assert time.monotonic() < deadline, "emulator serve did not start"
            time.sleep(0.05)
        yield config
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def test_cli_batch_against_emulator_serve_with_global_task_ids_and_no_create_location(
    served_emulator: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netsuite_async.cli import main

    for key in list(os.environ):
        if key.startswith("NETSUITE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NETSUITE_CONFIG", str(tmp_path / "none.toml"))
    rows = [{"externalId": f"CLI-{i}", "companyName": f"Cli {i}"} for i in range(230)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    base = ["--emulator-config", str(served_emulator), "--json"]
    runner = CliRunner()
    done = runner.invoke(main, [*base, "batch", "create", "customer", "--from", str(source),
                                "--checkpoint", str(tmp_path / "cli.ckpt")], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"total": 230, "succeeded": 230, "failed": 0}
    again = runner.invoke(main, [*base, "batch", "create", "customer", "--from", str(source),
                                 "--checkpoint", str(tmp_path / "cli.ckpt")], catch_exceptions=False)
    assert json.loads(again.stdout) == {"total": 230, "succeeded": 230, "failed": 0}
    out = tmp_path / "rows.jsonl"
    query = runner.invoke(main, [*base, "suiteql", "SELECT id, externalid, companyname FROM customer ORDER BY id",
                                 "--out", str(out)], catch_exceptions=False)
    assert query.exit_code == 0, query.output
    stored = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["externalid"] for r in stored) == sorted(r["externalId"] for r in rows)  # each exactly once
    assert all(r["companyname"] == f"Cli {r['externalid'][4:]}" for r in stored)
    # The checkpoint holds each line's own record id, resolved by externalId (the results named none).
    lines = [json.loads(line) for line in (tmp_path / "cli.ckpt").read_text().splitlines()[1:]]
    ids = {line["i"]: line["id"] for line in lines if "i" in line}
    by_eid = {r["externalid"]: str(r["id"]) for r in stored}
    assert ids == {i: by_eid[f"CLI-{i}"] for i in range(230)}


def test_the_new_errors_survive_pickling_with_their_fields() -> None:
    import pickle

    unknown = pickle.loads(pickle.dumps(BatchOutcomeUnknownError("job 7 could not be read", checkpoint="r.ckpt")))
    assert (unknown.reason, unknown.checkpoint) == ("job 7 could not be read", "r.ckpt")
    assert "r.ckpt" in str(unknown)
    mismatch = pickle.loads(pickle.dumps(JobTasksMismatchError("9", expected=3, listed=2)))
    assert (mismatch.job_id, mismatch.expected, mismatch.listed) == ("9", 3, 2)
    assert "2 task(s) for 3 item(s)" in str(mismatch)


async def test_a_listing_that_contradicts_item_order_gives_unknown_outcomes_not_another_items_record() -> None:
    emu = make_emulator()
    async with client_for(emu) as ns:
        made = await ns.batch.create("customer", rows_for(3, "O"))
        ids = [r.ref.id for r in made if r.ref]
        original = emu.jobs.handle_async

        async def out_of_order(req: Any, dispatch: Any) -> Any:
            # A NetSuite that listed tasks in another order than the items: the emulator's tasks, reversed.
            response = await original(req, dispatch)
            job = emu.jobs._jobs[response.headers["location"].rsplit("/", 1)[1]]
            job.tasks.reverse()
            return response

        emu.jobs.handle_async = out_of_order
        result = await ns.batch.update("customer", [{"id": rid, "comments": f"c{n}"} for n, rid in enumerate(ids)])
    # The updates' Locations name other records than their places say: nothing is handed to the wrong item.
    assert [r.ok for r in result] == [False, False, False]
    assert all(isinstance(r.error, BatchOutcomeUnknownError) for r in result)
    assert "cannot be matched" in str(result[0].error)
