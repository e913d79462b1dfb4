"""Progress on stderr for the long-running commands (``batch``, ``suiteql --out``, ``demo``).

``--progress`` (``NETSUITE_PROGRESS``) picks how:

- ``auto`` (the default): a bar when stderr is a terminal, else ``lines``;
- ``bar``: a rich progress bar (on a terminal it redraws; elsewhere rich prints it once, at the end);
- ``lines``: a plain line per task every ``--progress-interval`` seconds (``NETSUITE_PROGRESS_INTERVAL``, default
  10), plus its first and its last state: what a log file, CI or ``kubectl logs`` can show of an hour-long job;
- ``none``: nothing (``--json`` on ``demo`` also turns it off).

Every command feeds its progress through `ProgressReporter`, whichever way it is shown. stdout never carries
progress, so it stays parseable.

Examples:
    >>> import io
    >>> clock = iter([0.0, 0.0, 4.0, 12.0, 12.0]).__next__
    >>> out = io.StringIO()
    >>> with LineProgress(interval=10, stream=out, clock=clock) as p:
    ...     task = p.add_task("customers", total=2000, rate="", detail="")
    ...     p.update(task, completed=0)
    ...     p.update(task, completed=500, rate="125/s")      # 4 s after the first line: not printed
    ...     p.update(task, completed=2000, rate="166/s")     # complete: printed
    >>> print(out.getvalue(), end="")
    customers: 0/2,000 · 0% · 0:00:00
    customers: 2,000/2,000 · 100% · 166/s · 0:00:12
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

__all__ = ["MODES", "LineProgress", "NoProgress", "ProgressOptions", "ProgressReporter", "make_progress",
           "progress_options"]

#: The values of ``--progress``.
MODES = ("auto", "bar", "lines", "none")


@dataclass(frozen=True)
class ProgressOptions:
    """How this invocation shows progress (set once by the root command from ``--progress``).

    Examples:
        >>> ProgressOptions().mode, ProgressOptions().interval
        ('auto', 10.0)
    """

    mode: str = "auto"
    interval: float = 10.0


progress_options: ContextVar[ProgressOptions | None] = ContextVar("netsuite_async_cli_progress", default=None)


def make_progress(*, transient: bool = False) -> Any:
    """The progress display ``--progress`` asks for: a rich `Progress`, a `LineProgress` or a `NoProgress`.

    Examples:
        >>> token = progress_options.set(ProgressOptions(mode="none"))
        >>> type(make_progress()).__name__
        'NoProgress'
        >>> progress_options.reset(token)
    """
    options = progress_options.get() or ProgressOptions()
    mode = options.mode
    if mode == "none":
        return NoProgress()
    from rich.console import Console

    console = Console(stderr=True)
    if mode == "lines" or (mode == "auto" and not console.is_terminal):
        return LineProgress(interval=options.interval, heartbeat=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=True, width=140)
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    )


class NoProgress:
    """Shows nothing (``--progress none``, ``demo --json``): the same calls as a rich `Progress`.

    Examples:
        >>> with NoProgress() as p:
        ...     p.update(p.add_task("rows"), completed=3)
    """

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *args: Any, **kwargs: Any) -> int:
        """A task id (always 0)."""
        return 0

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Nothing."""
        return None


@dataclass
class _Task:
    description: str
    total: int | None
    started: float
    completed: int = 0
    rate: str = ""
    detail: str = ""
    printed_at: float | None = None
    printed: str = ""
    finished: bool = False


class LineProgress:
    """Progress as plain lines (``--progress lines``): a task's first state, then at most one line per
    ``interval`` seconds, then its state when it finishes (``finished=True``, or its count reaching its total)
    and, if not shown yet, its last one when the display closes. Takes the same calls as a rich `Progress`
    (``add_task``, ``update``, a ``with`` block). With ``heartbeat=True`` (the CLI's), a task that has not
    finished is shown every ``interval`` even when nothing moves (a batch waiting on NetSuite's jobs, or on its
    first results), so a log shows the command is alive: a thread wakes a few times per interval while the
    ``with`` block runs.

    A line: ``customers: 1,200/2,000 read · 1,200 done · 60% · 850/s · 0:00:01`` (done/total, what a batch's
    count means, the share, the rate, the time since the task began); without a total: ``rows -> out.jsonl:
    12,345 · 9,030/s · 0:00:02``.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> with LineProgress(stream=out, clock=lambda: 0.0) as p:
        ...     p.update(p.add_task("rows -> o.jsonl", rate="", detail=""), completed=12345, rate="9,030/s")
        >>> out.getvalue()
        'rows -> o.jsonl: 12,345 · 9,030/s · 0:00:00\\n'
    """

    def __init__(self, *, interval: float = 10.0, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, heartbeat: bool = False) -> None:
        self.interval = interval
        self._stream = stream
        self._clock = clock
        self._tasks: list[_Task] = []
        self._lock = threading.Lock()  # the heartbeat thread prints too
        self._heartbeat = heartbeat
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LineProgress:
        if self._heartbeat:
            self._thread = threading.Thread(target=self._beat, name="netsuite-async-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for task in self._tasks:
                self._print(task, self._clock(), force=False)

    def _beat(self) -> None:
        while not self._stop.wait(max(self.interval / 4, 0.01)):
            with self._lock:
                now = self._clock()
                for task in self._tasks:  # shown last (or, never shown, begun) an interval ago, not finished
                    last = task.started if task.printed_at is None else task.printed_at
                    if not task.finished and now - last >= self.interval:
                        self._print(task, now, force=True)

    def add_task(self, description: str, total: int | None = None, **fields: Any) -> int:
        """Start a task (nothing is printed until its first update); its id."""
        with self._lock:
            self._tasks.append(_Task(description, total, self._clock(), rate=str(fields.get("rate", "")),
                                     detail=str(fields.get("detail", ""))))
            return len(self._tasks) - 1

    def update(self, task_id: int, *, completed: float | None = None, total: int | None = None,
               rate: str | None = None, detail: str | None = None, **fields: Any) -> None:
        """Record a task's new state; print it when it is the first, finished, or ``interval`` after the last."""
        with self._lock:  # the heartbeat thread reads the task: it must never see half an update
            task = self._tasks[task_id]
            if completed is not None:
                task.completed = int(completed)
            if total is not None:
                task.total = int(total)
            if rate is not None:
                task.rate = rate
            if detail is not None:
                task.detail = detail
            # Finished: all done (a batch's reporter says when: its count is what was read, not what is final).
            finished = fields.get("finished")
            if finished is None:
                finished = task.total is not None and task.completed >= task.total
            newly_finished = bool(finished) and not task.finished
            task.finished = task.finished or bool(finished)
            now = self._clock()
            due = task.printed_at is None or now - task.printed_at >= self.interval
            if due or newly_finished:
                self._print(task, now, force=True)

    def _print(self, task: _Task, now: float, *, force: bool) -> None:
        line = self._line(task, now)
        body = line.rsplit(" · ", 1)[0]  # the same state, whatever the time says
        if not force and body == task.printed.rsplit(" · ", 1)[0]:
            return
        stream = self._stream if self._stream is not None else sys.stderr
        stream.write(line + "\n")
        stream.flush()
        task.printed_at, task.printed = now, line

    @staticmethod
    def _line(task: _Task, now: float) -> str:
        count = f"{task.completed:,}" if task.total is None else f"{task.completed:,}/{task.total:,}"
        parts = [f"{count} {task.detail}" if task.detail else count]
        if task.total:
            parts.append(f"{min(100, task.completed * 100 // task.total)}%")
        if task.rate:
            parts.append(task.rate)
        seconds = int(now - task.started)
        parts.append(f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}")
        return f"{task.description}: " + " · ".join(parts)


class ProgressReporter:
    """Adapts a progress display to the library's progress callbacks (rows done, total when known).

    A batch's `BatchProgress` moves the count by ``read`` (results read, item by item) and shows ``done`` (final
    outcomes, which a collection chunk reaches all at once) and ``failed`` beside it:
    ``1234/2000 read · 1,200 done · 3 failed``.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> with LineProgress(stream=out, clock=lambda: 0.0) as p:
        ...     ProgressReporter(p, "rows", total=100)(done=10)
        >>> out.getvalue().split(" · ")[:2]
        ['rows: 10/100', '10%']
    """

    def __init__(self, progress: Any, description: str, total: int | None = None) -> None:
        self.progress = progress
        self.started = time.monotonic()
        self.task = progress.add_task(description, total=total, rate="", detail="")

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        done, total = _progress_numbers(args, kwargs)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = f"{done / elapsed:,.0f}/s" if done else ""
        update: dict[str, Any] = {"completed": done, "rate": rate}
        if args and hasattr(args[0], "read"):
            update["detail"] = _batch_detail(args[0])
            # The count moves by results read; the batch is finished when every item has its final outcome.
            update["finished"] = total is not None and int(args[0].done) >= total
        if total is not None:
            update["total"] = total
        self.progress.update(self.task, **update)


def _batch_detail(progress: Any) -> str:
    """What the count of a batch means, and the final outcomes beside it: ``read · 1,200 done · 3 failed``."""
    text = f"read · {int(progress.done):,} done"
    failed = int(getattr(progress, "failed", 0) or 0)
    return f"{text} · {failed:,} failed" if failed else text


def _progress_numbers(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, int | None]:
    """Accept the shapes progress callbacks come in: (done, total), done=, or an object with rows/total (a
    batch's progress counts by ``read``, which moves item by item; see `ProgressReporter`)."""
    total: int | None = kwargs.get("total")
    if args and not isinstance(args[0], (int, float)):
        obj = args[0]
        done = getattr(obj, "rows", None)
        if done is None:
            done = getattr(obj, "read", None)
        if done is None:
            done = getattr(obj, "done", getattr(obj, "completed", 0))
        total = getattr(obj, "total", total)
        return int(done or 0), (int(total) if total is not None else None)
    done = kwargs.get("done", kwargs.get("rows", kwargs.get("completed", args[0] if args else 0)))
    if len(args) > 1 and total is None:
        total = args[1]
    return int(done or 0), (int(total) if total is not None else None)
