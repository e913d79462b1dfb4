"""``netsuite-async bench``: run the benchmark suite (benchmarks/run.py) from a source checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from netsuite_async.cli.state import CliState, fail, pass_state

__all__ = ["bench", "find_benchmarks"]


def find_benchmarks(start: Path | None = None) -> Path | None:
    """The ``benchmarks/`` directory holding ``run.py``: $NETSUITE_ASYNC_BENCHMARKS, the current directory or a
    parent, or next to the installed package (editable installs).

    Examples:
        >>> find_benchmarks(Path("/nonexistent")) is None or True
        True
    """
    candidates: list[Path] = []
    if os.environ.get("NETSUITE_ASYNC_BENCHMARKS"):
        candidates.append(Path(os.environ["NETSUITE_ASYNC_BENCHMARKS"]))
    here = (start or Path.cwd()).resolve()
    candidates += [p / "benchmarks" for p in (here, *here.parents)]
    candidates.append(Path(__file__).resolve().parents[2] / "benchmarks")
    for candidate in candidates:
        if (candidate / "run.py").is_file():
            return candidate
    return None


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option(
    "--quick", is_flag=True,
    help="the governor benchmark, trimmed to under a minute: PASS/FAIL per target, exit 1 on a miss",
)
@click.option("--only", multiple=True, help="run only these benchmarks (e.g. transport); repeatable")
@click.option(
    "--results",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="output directory (default benchmarks/results)",
)
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
@pass_state
def bench(state: CliState, quick: bool, only: tuple[str, ...], results: Path | None, extra: tuple[str, ...]) -> None:
    """Run every benchmark against the emulator on loopback; write JSON, a Markdown table and PNG plots.

    Each benchmark runs in its own process against an emulator server in another process, so client and
    server do not share a CPU's event loop. The benchmarks ship with the source checkout (benchmarks/run.py);
    see docs/benchmarks.md.
    """
    where = find_benchmarks()
    if where is None:
        fail(
            state,
            "benchmarks/run.py not found: run from a source checkout of netsuite-async "
            "(or set NETSUITE_ASYNC_BENCHMARKS to its benchmarks directory)",
        )
    argv = [sys.executable, str(where / "run.py")]
    if quick:
        argv.append("--quick")
    for name in only:
        argv += ["--only", name]
    if results is not None:
        argv += ["--results", str(results)]
    argv += list(extra)
    # argv is this interpreter, a file found on disk and the user's own flags: no shell, nothing injected.
    raise SystemExit(subprocess.call(argv))  # noqa: S603
