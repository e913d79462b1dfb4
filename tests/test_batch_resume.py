"""Resumable batches: a run that dies mid-way and is restarted with its checkpoint redoes and duplicates nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from netsuite_async.auth.bearer import BearerToken
from netsuite_async.batch import BatchProgress
from netsuite_async.batch_checkpoint import BatchCheckpoint, CheckpointError, StoredError
from netsuite_async.client import NetSuiteClient
from netsuite_async.testing._emulator import EmulatorConfig
from netsuite_async.testing.server import EmulatorServer
from tests._jobs_harness import client_for, make_emulator, store_count

pytestmark = pytest.mark.anyio


def customers(n: int) -> list[dict[str, str]]:
    return [{"companyName": f"Resume {i}", "email": f"r{i}@example.com"} for i in range(n)]


@pytest.mark.parametrize(
    "collections", [True, pytest.param(False, marks=pytest.mark.slow)], ids=["collections", "single-requests"]
)
async def test_cancelled_run_resumed_from_its_checkpoint_finishes_everything_exactly_once(
    tmp_path: Path, collections: bool
) -> None:
    emu = make_emulator(batch_collections=collections, concurrency=5)
    emu.faults.set_probability("error_after", 0.05)
    rows = customers(1500)
    checkpoint = tmp_path / "run.ckpt"
    # Client concurrency 2: the run keeps at most 2 x 2 chunks or items in flight, so when its 400th item is done
    # (about 5 of the 15 chunks finished) some chunks have never been sent, whatever the scheduling.
    async with client_for(emu, concurrency=2) as ns:
        async with anyio.create_task_group() as tg:

            def progress(p: BatchProgress) -> None:
                if p.done >= 400:
                    # The process "dies" the moment the 400th item is done, with requests in flight. Cancelling
                    # here (not after waking the test task) is an event, not a race: no further chunk is sent.
                    tg.cancel_scope.cancel()

            async def first_run() -> None:
                await ns.batch.create("customer", rows, checkpoint=checkpoint, on_progress=progress)

            tg.start_soon(first_run)
        assert 400 <= store_count(emu) < 1500
        # NetSuite keeps running what was submitted; the restarted run must not submit it again.
        await emu.jobs.run_pending()
        jobs_before = emu.jobs.job_count
        result = await ns.batch.create("customer", rows, checkpoint=checkpoint)
    assert len(result) == 1500
    assert result.ok
    assert sum(r.resumed for r in result) >= 400
    assert store_count(emu) == 1500
    assert emu.counters.duplicate_writes == 0
    assert len({r.ref.id for r in result if r.ref is not None}) == 1500
    # Work that was in flight when the first run died came back as the earlier jobs (same keys).
    assert emu.jobs.idempotent_replays > 0
    assert emu.jobs.job_count > jobs_before


async def test_a_finished_run_restarted_with_its_checkpoint_sends_nothing(tmp_path: Path) -> None:
    emu = make_emulator()
    rows = customers(120)
    checkpoint = tmp_path / "done.ckpt"
    async with client_for(emu) as ns:
        first = await ns.batch.create("customer", rows, checkpoint=checkpoint)
        requests = emu.counters.requests
        again = await ns.batch.create("customer", rows, checkpoint=checkpoint)
    assert first.ok
    assert again.ok
    assert all(r.resumed for r in again)
    assert [r.ref for r in again] == [r.ref.model_copy(update={"url": None}) for r in first if r.ref]
    assert emu.counters.requests == requests


async def test_refused_items_are_kept_in_the_checkpoint_with_their_error(tmp_path: Path) -> None:
    emu = make_emulator()
    checkpoint = tmp_path / "refused.ckpt"
    rows = [{"externalId": "SAME", "companyName": "a"}, {"externalId": "SAME", "companyName": "b"}]
    async with client_for(emu) as ns:
        first = await ns.batch.create("customer", rows, checkpoint=checkpoint, chunk_size=1)
        again = await ns.batch.create("customer", rows, checkpoint=checkpoint)
    assert sorted(r.ok for r in first) == [False, True]
    failed = next(r for r in again if not r.ok)
    assert failed.resumed
    assert failed.error is not None
    assert getattr(failed.error, "status_code", None) == 400
    assert store_count(emu) == 1


def test_a_line_torn_by_a_crash_is_dropped_and_the_file_stays_appendable(tmp_path: Path) -> None:
    path = tmp_path / "torn.ckpt"
    items = [{"n": i} for i in range(5)]
    with BatchCheckpoint.open(path, op="create", record_type="customer", items=items) as cp:
        cp.record_done(0, "10")
        cp.record_failed(1, StoredError(400, "INVALID_CONTENT", "bad", "email"))
    with path.open("a") as handle:
        handle.write('{"i": 2, "id": "1')  # the process died mid-line
    with BatchCheckpoint.open(path, op="create", record_type="customer", items=items) as cp:
        assert cp.done == {0: "10"}
        assert cp.failed[1].code == "INVALID_CONTENT"
        cp.record_done(2, "12")
    with BatchCheckpoint.open(path, op="create", record_type="customer", items=items) as cp:
        assert cp.done == {0: "10", 2: "12"}
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_a_corrupt_line_in_the_middle_is_an_error_not_silently_skipped(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.ckpt"
    items = [{"n": 1}, {"n": 2}]
    with BatchCheckpoint.open(path, op="create", record_type="customer", items=items) as cp:
        cp.record_done(0, "1")
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0], "garbage", text[1]]) + "\n")
    with pytest.raises(CheckpointError, match="line 2"):
        BatchCheckpoint.open(path, op="create", record_type="customer", items=items)


def test_keys_are_stable_for_a_run_and_differ_between_runs(tmp_path: Path) -> None:
    items = [{"n": 1}]
    with BatchCheckpoint.open(tmp_path / "a", op="create", record_type="customer", items=items) as a:
        key = a.key_for("chunk", 0)
    with BatchCheckpoint.open(tmp_path / "a", op="create", record_type="customer", items=items) as again:
        assert again.key_for("chunk", 0) == key
        assert again.key_for("chunk", 1) != key
        assert again.key_for("item", 0) != key
    with BatchCheckpoint.open(tmp_path / "b", op="create", record_type="customer", items=items) as other:
        assert other.key_for("chunk", 0) != key


_CHILD = textwrap.dedent(
    """
    import json, sys
    import anyio
    from netsuite_async.auth.bearer import BearerToken
    from netsuite_async.client import NetSuiteClient

    base_url, token, account, source, checkpoint, collections = sys.argv[1:7]

    async def main():
        rows = [json.loads(line) for line in open(source)]
        def progress(p):
            print(p.done, flush=True)
        async with NetSuiteClient(account, auth=BearerToken(token), base_url=base_url, concurrency=4) as ns:
            ns.jobs.poll_interval = 0.001
            await ns.batch.create("customer", rows, checkpoint=checkpoint, on_progress=progress,
                                  use_collections=collections == "1")

    anyio.run(main)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("collections", [True, False], ids=["collections", "single-requests"])
async def test_a_process_killed_mid_batch_is_resumed_by_another_without_duplicates(
    tmp_path: Path, collections: bool
) -> None:
    rows = customers(1200)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    checkpoint = tmp_path / "killed.ckpt"
    with EmulatorServer(EmulatorConfig(concurrency=4, batch_collections=collections), seed={}) as server:
        emu = server.emulator
        assert emu is not None
        token = server.config_data["static_token"]
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, server.base_url, token, server.account, str(source), str(checkpoint),
             "1" if collections else "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            while True:
                line = await anyio.to_thread.run_sync(child.stdout.readline)
                assert line, "the child finished before it could be killed"
                if int(line) >= 300:
                    break
            child.kill()  # SIGKILL: no cleanup, requests in flight
        finally:
            child.kill()
            child.wait()
        async with NetSuiteClient(server.account, auth=BearerToken(token), base_url=server.base_url,
                                  concurrency=4) as ns:
            ns.jobs.poll_interval = 0.001
            result = await ns.batch.create("customer", rows, checkpoint=checkpoint, use_collections=collections)
        created = emu.counters.writes
    assert len(result) == 1200
    assert result.ok
    assert sum(r.resumed for r in result) >= 300
    assert created == 1200
    assert emu.counters.duplicate_writes == 0


async def test_chunks_sent_as_collections_are_resolved_by_their_key_even_if_the_account_now_refuses_them(
    tmp_path: Path,
) -> None:
    emu = make_emulator(batch_collections=True, concurrency=5)
    rows = customers(1500)
    checkpoint = tmp_path / "switch.ckpt"
    async with client_for(emu) as ns:
        reached = anyio.Event()

        def progress(p: BatchProgress) -> None:
            if p.done >= 300:
                reached.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: ns.batch.create("customer", rows, checkpoint=checkpoint, on_progress=progress))
            await reached.wait()
            tg.cancel_scope.cancel()
        await emu.jobs.run_pending()
    emu.config.batch_collections = False  # the feature is gone when the run is resumed...
    async with client_for(emu) as ns:
        # ...and the caller asks for single requests: chunks already sent must still be read back by their key.
        result = await ns.batch.create("customer", rows, checkpoint=checkpoint, use_collections=False)
    assert result.ok
    assert len(result) == 1500
    assert store_count(emu) == 1500
    assert emu.counters.duplicate_writes == 0
    assert emu.jobs.idempotent_replays > 0
