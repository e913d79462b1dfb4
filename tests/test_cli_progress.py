"""Progress on stderr (``--progress auto|bar|lines|none``): plain, throttled lines where stderr is not a terminal
(a log file, CI, ``kubectl logs``), a rich bar where it is, nothing on request; stdout never carries it."""

from __future__ import annotations

import io
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner, Result

from netsuite_async.cli import main
from netsuite_async.cli.progress import LineProgress, NoProgress, ProgressOptions, ProgressReporter, make_progress
from netsuite_async.cli.progress import progress_options as options_var


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def test_lines_are_throttled_to_the_interval_with_the_first_and_the_finished_state_always_shown() -> None:
    clock, out = Clock(), io.StringIO()
    with LineProgress(interval=10, stream=out, clock=clock) as progress:
        task = progress.add_task("rows", total=100, rate="", detail="")
        assert lines(out) == []  # nothing before the first update
        progress.update(task, completed=1)
        for second, done in ((3, 20), (9.9, 40)):
            clock.now = second
            progress.update(task, completed=done)
        assert lines(out) == ["rows: 1/100 · 1% · 0:00:00"]
        clock.now = 10.0
        progress.update(task, completed=50, rate="5/s")
        clock.now = 11.0
        progress.update(task, completed=100)  # finished: shown at once
        clock.now = 12.0
        progress.update(task, completed=100)  # the same finished state again: not repeated
    assert lines(out) == ["rows: 1/100 · 1% · 0:00:00", "rows: 50/100 · 50% · 5/s · 0:00:10",
                          "rows: 100/100 · 100% · 5/s · 0:00:11"]


def test_closing_shows_each_task_last_state_once_and_a_count_without_total() -> None:
    clock, out = Clock(), io.StringIO()
    with LineProgress(interval=60, stream=out, clock=clock) as progress:
        task = progress.add_task("rows -> out.jsonl", rate="", detail="")
        progress.update(task, completed=0)
        clock.now = 5.0
        progress.update(task, completed=12_345, rate="2,469/s")
        other = progress.add_task("shown", total=3)
        progress.update(other, completed=3)
    assert lines(out) == ["rows -> out.jsonl: 0 · 0:00:00", "shown: 3/3 · 100% · 0:00:00",
                          "rows -> out.jsonl: 12,345 · 2,469/s · 0:00:05"]


def test_a_batch_is_finished_when_every_item_has_its_outcome_not_when_all_were_read() -> None:
    out = io.StringIO()
    with LineProgress(interval=3600, stream=out, clock=Clock()) as progress:
        report = ProgressReporter(progress, "create customer", total=4)
        report(SimpleNamespace(read=1, done=0, failed=0, total=4))
        report(SimpleNamespace(read=4, done=2, failed=0, total=4))  # all read, half final: not finished
        assert len(lines(out)) == 1
        report(SimpleNamespace(read=4, done=4, failed=1, total=4))
        assert len(lines(out)) == 2
    assert lines(out)[0].startswith("create customer: 1/4 read · 0 done · 25%")
    assert lines(out)[1].startswith("create customer: 4/4 read · 4 done · 1 failed · 100%")


def test_make_progress_follows_the_mode() -> None:
    for mode, kind in (("none", NoProgress), ("lines", LineProgress), ("auto", LineProgress)):  # stderr: no tty
        token = options_var.set(ProgressOptions(mode=mode, interval=2.5))
        try:
            made = make_progress()
        finally:
            options_var.reset(token)
        assert isinstance(made, kind), mode
        if isinstance(made, LineProgress):
            assert made.interval == 2.5
    token = options_var.set(ProgressOptions(mode="bar"))
    try:
        from rich.progress import Progress

        assert isinstance(make_progress(), Progress)
    finally:
        options_var.reset(token)


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    for key in [k for k in os.environ if k.startswith("NETSUITE_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)

    def run(*options: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, [*options, "demo", "--customers", "20", "--orders", "30", "--latency-ms", "1",
                                         "--out", str(tmp_path / "o.jsonl")], env=env, catch_exceptions=False)

    return run


def test_the_demo_on_a_non_terminal_prints_plain_lines_by_default(demo: object) -> None:
    result = demo()  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    err = result.stderr.splitlines()
    assert any(line.startswith("customers: 20/20 read · 20 done · 100%") for line in err), err
    assert any(line.startswith("sales orders: 30/30 read · 30 done · 100%") for line in err), err
    assert any(line.startswith("SuiteQL -> o.jsonl: 30/30 · 100%") for line in err), err
    assert "━" not in result.stderr  # no bar drawn into a log
    assert "customers:" not in result.stdout  # stdout carries the report only


def test_the_demo_with_progress_none_or_bar(demo: object) -> None:
    quiet = demo("--progress", "none")  # type: ignore[operator]
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stderr == ""
    from_env = demo(env={"NETSUITE_PROGRESS": "none"})  # type: ignore[operator]
    assert from_env.stderr == ""
    bar = demo("--progress", "bar")  # type: ignore[operator]
    assert bar.exit_code == 0, bar.stderr
    assert "━" in bar.stderr  # rich's bar, printed once at the end on a non-terminal
    assert "customers:" not in bar.stderr


def test_bad_progress_options_are_usage_errors(demo: object) -> None:
    for options, needle in ((("--progress", "sometimes"), "'sometimes' is not one of"),
                            (("--progress-interval", "0"), "--progress-interval")):
        result = CliRunner().invoke(main, [*options, "demo"])
        assert result.exit_code == 2, result.output
        assert needle in result.stderr


def test_the_heartbeat_shows_a_stalled_task_again_every_interval_and_stops_with_the_display() -> None:
    import time

    out = io.StringIO()
    with LineProgress(interval=0.1, stream=out, heartbeat=True) as progress:
        task = progress.add_task("create customer", total=10)
        progress.update(task, completed=3)
        time.sleep(0.55)  # nothing moves: NetSuite is still running the jobs
        stalled = lines(out)
        progress.update(task, completed=10)
        time.sleep(0.3)  # finished: no heartbeat any more
        assert len(lines(out)) == len(stalled) + 1
    assert 3 <= len(stalled) <= 7, stalled
    assert all(line.startswith("create customer: 3/10 · 30%") for line in stalled)
    assert lines(out)[-1].startswith("create customer: 10/10 · 100%")
    count = len(lines(out))
    time.sleep(0.25)
    assert len(lines(out)) == count  # the thread ended with the display


def test_the_heartbeat_also_shows_a_task_that_has_not_reported_yet() -> None:
    import time

    out = io.StringIO()
    with LineProgress(interval=0.1, stream=out, heartbeat=True) as progress:
        progress.add_task("create customer", total=10, rate="", detail="")
        time.sleep(0.35)  # no result read yet
    assert len(lines(out)) >= 2
    assert all(line.startswith("create customer: 0/10 · 0%") for line in lines(out))
