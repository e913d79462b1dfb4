"""Shared pieces of the benchmark scripts: an emulator in its own process, result files, environment knobs.

Every benchmark talks to the emulator over loopback in a *separate process* (``netsuite-async emulator serve``),
so the client's CPU and event loop are measured on their own.

Conventions for ``bench_*.py`` scripts (``run.py`` relies on them):
- ``NETSUITE_BENCH_QUICK=1`` asks for small sizes (smoke runs, CI);
- ``NETSUITE_BENCH_RESULTS`` names the directory for result files (default ``benchmarks/results``);
- a script writes ``<results>/<name>.json``: an object with ``benchmark``, ``params``, ``rows`` (a list of flat
  dicts: the Markdown table) and optionally ``series`` (data for plots).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def quick() -> bool:
    """True when the run asked for small sizes."""
    return os.environ.get("NETSUITE_BENCH_QUICK", "") not in ("", "0", "false")


def results_dir() -> Path:
    """Where result files go (created on demand)."""
    path = Path(os.environ.get("NETSUITE_BENCH_RESULTS") or HERE / "results")
    path.mkdir(parents=True, exist_ok=True)
    return path


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def write_result(name: str, params: dict[str, Any], rows: list[dict[str, Any]], **extra: Any) -> Path:
    """Write ``<results>/<name>.json`` atomically and return its path."""
    doc = {"benchmark": name, "params": params, "machine": machine(), "rows": rows, **extra}
    path = results_dir() / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


@dataclass
class EmulatorProcess:
    """A running emulator server process and the config it wrote (base_url, account, credentials)."""

    process: subprocess.Popen[bytes]
    config: dict[str, Any]

    @property
    def base_url(self) -> str:
        return str(self.config["base_url"])

    @property
    def token(self) -> str:
        return str(self.config["static_token"])


@contextmanager
def emulator_process(
    *,
    concurrency: int,
    latency_ms: float,
    seed: str | None = "customers=50",
    timeout: float = 60.0,
    extra_args: Sequence[str] = (),
) -> Iterator[EmulatorProcess]:
    """Start ``netsuite-async emulator serve`` on a free loopback port; stop it on exit.

    ``extra_args`` go to ``emulator serve`` as they are (e.g. ``["--strictest"]`` for the dialect hardest on a
    client).

    Example::

        with emulator_process(concurrency=5, latency_ms=20) as emu:
            print(emu.base_url)
    """
    with tempfile.TemporaryDirectory(prefix="ns-bench-") as tmp:
        config_path = Path(tmp) / "emulator.json"
        argv = [
            sys.executable,
            "-m",
            "netsuite_async.cli",
            "emulator",
            "serve",
            "--port",
            "0",
            "--concurrency",
            str(concurrency),
            "--latency-ms",
            str(latency_ms),
            "--write-config",
            str(config_path),
        ]
        if seed:
            argv += ["--seed", seed]
        argv += list(extra_args)
        log = (Path(tmp) / "server.log").open("wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            # Polling a file in a benchmark driver is fine: the server writes it atomically once it listens.
            while not config_path.exists():
                if proc.poll() is not None:
                    log.flush()
                    output = (Path(tmp) / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"emulator exited with {proc.returncode}:\n{output[-4000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"emulator did not start within {timeout} s")
                time.sleep(0.05)
            config = json.loads(config_path.read_text(encoding="utf-8"))
            yield EmulatorProcess(proc, config)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
