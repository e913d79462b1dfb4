"""``netsuite-async demo`` as a benchmark: the README's proof block is rendered from this run's numbers.

Runs ``netsuite-async --json demo`` in a subprocess (its own interpreter and event loop, the emulator in process as
the demo always runs it) with the demo's defaults: 1,000 customers and 2,000 sales orders on an account with a
limit of 5 concurrent requests and 20 ms of latency (``NETSUITE_BENCH_QUICK=1``: 200 and 400). The JSONL file it
writes goes to a temporary directory and is deleted; only the numbers are kept, in ``<results>/demo.json``:
``params`` (the demo's options), ``rows`` (one per step) and ``summary`` (the totals the demo prints).

Run: ``python benchmarks/bench_demo.py`` (or ``python benchmarks/run.py --only demo``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import quick, write_result

OUT_NAME = "netsuite-async-demo.jsonl"


def run_demo_cli(customers: int, orders: int, limit: int, latency_ms: float) -> dict[str, Any]:
    """The demo's ``--json`` report, from a subprocess run in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as scratch:
        command = [
            sys.executable, "-m", "netsuite_async.cli", "--json", "demo", "--customers", str(customers),
            "--orders", str(orders), "--limit", str(limit), "--latency-ms", str(latency_ms), "--out", OUT_NAME,
        ]
        proc = subprocess.run(command, cwd=scratch, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"netsuite-async demo exited {proc.returncode}:\n{proc.stderr}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"netsuite-async demo printed no JSON report:\n{proc.stdout}\n{proc.stderr}")
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def summarize(report: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The demo's ``--json`` report as result rows (one per step) and the summary the README's block reads."""
    limit, latency_ms = int(report["options"]["limit"]), float(report["options"]["latency_ms"])
    ideal = float(report["ideal_requests_per_second"])
    rps = float(report["requests_per_second"])
    rows = []
    for phase in report["phases"]:
        seconds = float(phase["seconds"])
        phase_rps = phase["requests"] / seconds if seconds > 0 else 0.0
        rows.append({
            "step": phase["name"], "items": phase["items"], "failed": phase["failed"],
            "requests": phase["requests"], "seconds": round(seconds, 3), "requests_per_s": round(phase_rps, 1),
            # As the demo prints it: no share of the ideal for a step too small to fill the limit.
            "fraction_of_ideal": round(phase_rps / ideal, 3) if ideal and phase["requests"] >= 4 * limit else None,
            "note": phase["note"],
        })
    summary = {
        "requests": report["requests"],
        "requests_per_s": round(rps, 1),
        "ideal_rps": ideal,
        "fraction_of_ideal": round(rps / ideal, 3) if ideal else None,
        "answered_429": report["http_429"],
        "retries": report["retries"],
        "max_in_flight": report["max_in_flight"],
        "seconds": round(float(report["duration_seconds"]), 2),
        # What one request at a time would take: every request waits the full latency.
        "sequential_seconds_estimate": round(report["requests"] * latency_ms / 1000.0, 1),
        "rows_written": report["rows_written"],
        "out": Path(report["options"]["out"]).name,
        "not_available": report["not_available"],
    }
    return rows, summary


def main() -> None:
    customers, orders = (200, 400) if quick() else (1000, 2000)
    limit, latency_ms = 5, 20.0
    rows, summary = summarize(run_demo_cli(customers, orders, limit, latency_ms))
    path = write_result(
        "demo",
        {"customers": customers, "orders": orders, "limit": limit, "latency_ms": latency_ms,
         "command": f"netsuite-async demo --customers {customers} --orders {orders} --limit {limit} "
                    f"--latency-ms {latency_ms:g}"},
        rows,
        summary=summary,
    )
    print(json.dumps(summary), flush=True)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
