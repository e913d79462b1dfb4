"""Batch progress that moves per item, honestly: ``BatchProgress.read`` grows as each task result is read, ``done``
only when an outcome is final, and neither counts an item before NetSuite's answer for it has been served.

Every run here is against the emulator with latency and jobs that answer "pending" to their first polls, under
both task-id dialects (numbered per job, unique across the account).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from rich.progress import Progress

from netsuite_async.batch import BatchProgress, BatchResult
from netsuite_async.cli import main
from netsuite_async.testing._dialect import Dialect
from netsuite_async.testing._emulator import Emulator, EmulatorConfig
from netsuite_async.testing.server import EmulatorServer
from tests._jobs_harness import client_for, make_emulator, store_count

TASK_IDS = ["per-job", "global"]
N = 250  # chunks of 100, 100 and 50 with collections


def customers(n: int, prefix: str = "P") -> list[dict[str, str]]:
    return [{"companyName": f"{prefix} {i}", "email": f"{prefix.lower()}{i}@example.com"} for i in range(n)]


def emulator(task_ids: str, *, collections: bool = True) -> Emulator:
    """Latency on every request, and every job polled several times before it has finished."""
    emu = make_emulator(batch_collections=collections, latency=0.001, request_log_size=20_000,
                        dialect=Dialect(task_ids=task_ids))  # type: ignore[arg-type]
    emu.jobs.pending_polls = 3
    return emu


def answers_served(emu: Emulator) -> int:
    """Task results the emulator has answered with a final outcome (a 5xx task failure is sent again)."""
    return sum(1 for e in emu.request_log if e.route == "async.result" and e.status < 500)


class Recorder:
    """An ``on_progress`` callback that checks, at every call, that nothing is counted before it was served."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.seen: list[BatchProgress] = []
        self.served_before = answers_served(emu)  # answers of earlier runs on this emulator
        self.restored: int | None = None

    def __call__(self, progress: BatchProgress) -> None:
        if self.restored is None:
            # A resumed run first reports what its checkpoint holds; a fresh run's first report has none of it.
            self.restored = progress.done if progress.done == progress.read else 0
        served = answers_served(self.emu) - self.served_before
        assert progress.done <= progress.read <= progress.total
        # Never an item whose answer was not served yet (outside what the checkpoint held).
        assert progress.read - self.restored <= served, (progress, served)
        assert progress.done == progress.succeeded + progress.failed
        self.seen.append(progress)

    def check_end(self, total: int) -> None:
        seen = self.seen
        pairs = [(p.done, p.read) for p in seen]
        assert all(a[0] <= b[0] and a[1] <= b[1] and a != b for a, b in itertools.pairwise(pairs)), pairs
        assert seen[-1] == BatchProgress(done=total, total=total, succeeded=total, failed=0, read=total)


pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]


@pytest.mark.parametrize("task_ids", TASK_IDS)
async def test_a_collections_batch_reports_every_result_read_and_each_chunk_done(task_ids: str) -> None:
    emu = emulator(task_ids)
    recorder = Recorder(emu)
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", customers(N), on_progress=recorder)
    assert result.ok
    assert result.used_collections is True
    recorder.check_end(N)
    # read took every value from 1 to N: the count moves item by item, not by chunk...
    assert sorted({p.read for p in recorder.seen}) == list(range(1, N + 1))
    # ...while done moved only when a whole chunk's listing had been checked against its results.
    dones = sorted({p.done for p in recorder.seen} | {0})
    assert sorted(b - a for a, b in itertools.pairwise(dones)) == [50, 100, 100]
    assert store_count(emu) == N


@pytest.mark.parametrize("task_ids", TASK_IDS)
async def test_single_requests_report_each_item_read_then_done(task_ids: str) -> None:
    emu = emulator(task_ids, collections=False)
    recorder = Recorder(emu)
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", customers(60), on_progress=recorder)
    assert result.ok
    assert result.used_collections is False
    recorder.check_end(60)
    assert sorted({p.read for p in recorder.seen}) == list(range(1, 61))
    assert sorted({p.done for p in recorder.seen}) == list(range(61))  # 0 while the first answers are read


@pytest.mark.parametrize("task_ids", TASK_IDS)
async def test_a_task_that_failed_transiently_is_counted_only_once_its_resend_is_answered(task_ids: str) -> None:
    emu = emulator(task_ids)
    emu.jobs.script_task_failure("POST /record/v1/customer", times=7)
    recorder = Recorder(emu)
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", customers(N), on_progress=recorder)
    assert result.ok
    assert emu.jobs.task_failures_injected == 7
    failed_reads = sum(1 for e in emu.request_log if e.route == "async.result" and e.status >= 500)
    assert failed_reads >= 7  # each read again by the transport before its task status says "failed"
    recorder.check_end(N)  # the Recorder checked read <= answers served (5xx not counted) at every call
    assert sorted({p.read for p in recorder.seen}) == list(range(1, N + 1))


async def test_an_item_refused_by_netsuite_counts_as_read_and_failed() -> None:
    emu = emulator("per-job")
    recorder = Recorder(emu)
    rows: list[dict[str, Any]] = customers(150)
    rows[120]["subsidiary"] = {"id": "999"}
    async with client_for(emu) as ns:
        result = await ns.batch.create("customer", rows, on_progress=recorder)
    assert [r.index for r in result.failures] == [120]
    last = recorder.seen[-1]
    assert last == BatchProgress(done=150, total=150, succeeded=149, failed=1, read=150)
    assert sorted({p.read for p in recorder.seen}) == list(range(1, 151))


@pytest.mark.parametrize("collections", [True, False], ids=["collections", "single-requests"])
async def test_progress_costs_no_request(collections: bool) -> None:
    counts = []
    for with_progress in (False, True):
        emu = emulator("per-job", collections=collections)
        recorder = Recorder(emu)
        async with client_for(emu) as ns:
            result = await ns.batch.create("customer", customers(120 if collections else 30),
                                           on_progress=recorder if with_progress else None)
        assert result.ok
        counts.append((emu.counters.requests, dict(emu.counters.per_route)))
        assert emu.counters.limited == 0
    assert counts[0] == counts[1]


async def test_a_resumed_run_starts_from_the_items_its_checkpoint_holds(tmp_path: Path) -> None:
    emu = emulator("per-job")
    rows = customers(N)
    checkpoint = tmp_path / "run.ckpt"
    async with client_for(emu, concurrency=1) as ns:
        async with anyio.create_task_group() as tg:

            def stop(p: BatchProgress) -> None:
                if p.done >= 100:
                    tg.cancel_scope.cancel()

            async def first_run() -> None:
                await ns.batch.create("customer", rows, checkpoint=checkpoint, on_progress=stop)

            tg.start_soon(first_run)
        await emu.jobs.run_pending()
        recorder = Recorder(emu)
        result: BatchResult = await ns.batch.create("customer", rows, checkpoint=checkpoint, on_progress=recorder)
    restored = sum(r.resumed for r in result)
    assert 100 <= restored < N
    first = recorder.seen[0]
    assert (first.done, first.read, first.succeeded) == (restored, restored, restored)  # the checkpoint's items
    assert recorder.restored == restored
    recorder.check_end(N)
    assert store_count(emu) == N


def test_batch_progress_made_without_read_means_done_and_refuses_read_below_done() -> None:
    assert BatchProgress(done=5, total=10, succeeded=5, failed=0).read == 5
    assert BatchProgress(5, 10, 5, 0, 7).read == 7
    with pytest.raises(ValueError, match="read"):
        BatchProgress(done=5, total=10, succeeded=5, failed=0, read=4)


# -- the CLI's bar -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(concurrency=5, latency=0.001, dialect=Dialect(task_ids="global"))
    with EmulatorServer(config) as srv:
        assert srv.emulator is not None
        srv.emulator.jobs.pending_polls = 3
        yield srv


class RecordingProgress(Progress):
    """A real rich Progress that also keeps every update the batch command gives it."""

    updates: list[dict[str, Any]]

    def update(self, task_id: Any, **fields: Any) -> None:
        self.updates.append(fields)
        super().update(task_id, **fields)


def test_the_cli_batch_bar_moves_item_by_item_and_shows_done_beside_it(
    server: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import netsuite_async.cli.cmd_batch as cmd_batch
    from netsuite_async.cli.progress import make_progress

    made: list[RecordingProgress] = []

    def recording_progress(*, transient: bool = False) -> Progress:
        real = make_progress(transient=transient)
        progress = RecordingProgress(*real.columns, console=real.console, transient=transient)
        progress.updates = []
        made.append(progress)
        return progress

    monkeypatch.setattr(cmd_batch, "make_progress", recording_progress)
    for key in [k for k in os.environ if k.startswith("NETSUITE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("NETSUITE_CONFIG", str(tmp_path / "no-config.toml"))
    emu_config = tmp_path / "emulator.json"
    emu_config.write_text(json.dumps(server.config_data), encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in customers(N, "CLI")), encoding="utf-8")

    result = CliRunner().invoke(main, ["--emulator-config", str(emu_config), "--progress", "bar", "batch", "create",
                                       "customer", "--from", str(source)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"created {N} of {N} customer records\n"
    completed = [u["completed"] for u in made[0].updates]
    assert completed == sorted(completed)
    assert set(range(1, N + 1)) <= set(completed)  # the bar took every count from 1 to N
    details = [u["detail"] for u in made[0].updates]
    assert "read · 0 done" in details
    assert details[-1] == f"read · {N} done"
    assert f"{N}/{N} read · {N} done" in result.stderr  # the final bar, as a non-terminal shows it
