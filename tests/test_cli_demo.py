"""`netsuite-async demo` — the README's first command — run as a user would: a subprocess, a clean environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def command() -> list[str]:
    """The installed console script next to this interpreter, else the module entry point."""
    script = shutil.which("netsuite-async", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "netsuite_async.cli"]


def clean_env(home: Path) -> dict[str, str]:
    """Nothing but PATH and an empty HOME: no credentials, no profile, no NETSUITE_* variables."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}


def run_demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *args],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_demo_runs_the_etl_without_credentials_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "orders.jsonl"
    proc = run_demo(tmp_path, "demo", "--customers", "120", "--orders", "250", "--latency-ms", "5", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    stdout = proc.stdout
    for expected in (
        "create customers",
        "create sales orders",
        "SuiteQL -> JSONL",
        "ideal throughput C/L",
        "429 CONCURRENCY_LIMIT_EXCEEDED",
        "retries",
        "duration",
        "max in flight at the server",
    ):
        assert expected in stdout, expected
    assert "250 -> " in stdout  # rows written
    assert "not available yet" not in proc.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 250
    assert {"id", "tranid", "customer_id", "companyname", "email"} <= set(rows[0])
    assert len({r["id"] for r in rows}) == 250


def test_demo_json_summary_reports_requests_429s_and_the_limit_held(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    proc = run_demo(
        tmp_path,
        "--json",
        "demo",
        "--customers",
        "60",
        "--orders",
        "90",
        "--limit",
        "3",
        "--latency-ms",
        "5",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["rows_written"] == 90
    assert report["max_in_flight"] <= 3
    assert report["http_429"] == 0
    assert all(p["failed"] == 0 for p in report["phases"])
    assert report["requests"] > 0
    assert report["ideal_requests_per_second"] == pytest.approx(600.0)
    assert report["not_available"] == []


def test_demo_rejects_bad_options_before_doing_anything(tmp_path: Path) -> None:
    proc = run_demo(tmp_path, "demo", "--limit", "0")
    assert proc.returncode == 2
    assert "--limit" in proc.stderr
