"""SuiteQL extraction throughput: ordered parallel stream vs a sequential page loop vs the ideal.

The emulator runs in its own process on loopback with ``C`` concurrent requests allowed and ``L`` ms of
latency per request, seeded with N customers (N = 1,000,000; ``NETSUITE_BENCH_QUICK=1``: 200,000). Measured:

- ``stream``: ``client.suiteql.stream("SELECT id, email FROM customer ORDER BY id")``: past the 100,000-row
  cap, so it runs by keyset windows, pages in parallel under the governor;
- ``sequential``: the loop most code writes, one keyset page after another (``WHERE id > :last``), on a
  prefix of the rows (its rate does not depend on N);
- ``ideal``: C pages of 1,000 rows per L, the most the account's limit allows;
- peak memory: the process's peak RSS growth and tracemalloc's peak during streams of N/10 and N rows;
- ``strictest``: the same stream (and one without ORDER BY, read in key order) against an emulator started with
  ``--strictest`` (``totalResults`` capped at 100,000, ``hasMore`` false at offset 99,000, an empty page past
  the cap, rows without a unique order shuffled on every request): every row must still come back once, in order.

Run: ``python benchmarks/bench_suiteql.py``; writes ``benchmarks/results/suiteql.json``.
``NETSUITE_BENCH_SUITEQL_ROWS=250000`` overrides N (a shorter run on a busy machine).
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import emulator_process, quick, write_result

from netsuite_async.auth.bearer import BearerToken
from netsuite_async.client import NetSuiteClient

CONCURRENCY = 5
LATENCY_MS = 40.0
PAGE = 1000
QUERY = "SELECT id, email FROM customer ORDER BY id"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_stream(
    ns: NetSuiteClient, max_rows: int | None, *, trace: bool, query: str = QUERY
) -> dict[str, Any]:
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    rows = 0
    last = 0
    async with ns.suiteql.stream(query, max_rows=max_rows) as stream:
        async for row in stream:
            key = int(row["id"])
            if key <= last:
                raise AssertionError(f"out of order: {key} after {last}")
            last = key
            rows += 1
    seconds = time.perf_counter() - started
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds),
            "tracemalloc_peak_mb": round(peak / 2**20, 2) if trace else None}


async def run_sequential(ns: NetSuiteClient, limit_rows: int) -> dict[str, Any]:
    started = time.perf_counter()
    rows = 0
    last = 0
    while rows < limit_rows:
        page = await ns.suiteql.page(
            "SELECT id, email FROM customer WHERE id > ? ORDER BY id", params=[last], limit=PAGE
        )
        if not page.items:
            break
        rows += len(page.items)
        last = int(page.items[-1]["id"])
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


async def main() -> None:
    n = int(os.environ.get("NETSUITE_BENCH_SUITEQL_ROWS") or (200_000 if quick() else 1_000_000))
    ideal = CONCURRENCY * PAGE / (LATENCY_MS / 1000)
    print(f"seeding {n:,} customers in the emulator process (C={CONCURRENCY}, L={LATENCY_MS} ms)...", flush=True)
    with emulator_process(concurrency=CONCURRENCY, latency_ms=LATENCY_MS, seed=f"customers={n}",
                          timeout=900) as emu:
        async with NetSuiteClient(emu.config.get("account", "1234567_SB1"), BearerToken(emu.token),
                                  base_url=emu.base_url, concurrency=CONCURRENCY) as ns:
            total = await ns.suiteql.count("SELECT id FROM customer")
            seq = await run_sequential(ns, min(total, 50_000))
            print(f"sequential page loop: {seq}", flush=True)
            rss0 = rss_mb()
            small = await run_stream(ns, max(total // 10, 1), trace=True)
            print(f"stream (N/10, traced): {small}", flush=True)
            big = await run_stream(ns, None, trace=True)
            print(f"stream (N, traced):    {big}", flush=True)
            rss_traced = rss_mb()
            fast = await run_stream(ns, None, trace=False)
            print(f"stream (N, untraced):  {fast}", flush=True)
            stats = ns.governor.stats()
    print("the same stream against an emulator started with --strictest...", flush=True)
    with emulator_process(concurrency=CONCURRENCY, latency_ms=LATENCY_MS, seed=f"customers={n}",
                          timeout=900, extra_args=["--strictest"]) as emu:
        async with NetSuiteClient(emu.config.get("account", "1234567_SB1"), BearerToken(emu.token),
                                  base_url=emu.base_url, concurrency=CONCURRENCY) as ns:
            strict_total = await ns.suiteql.count("SELECT id FROM customer")
            strict = await run_stream(ns, None, trace=False)
            print(f"stream (N, strictest): {strict}", flush=True)
            unordered = await run_stream(ns, None, trace=False, query="SELECT id, email FROM customer")
            print(f"stream without ORDER BY (N, strictest): {unordered}", flush=True)
            strict_stats = ns.governor.stats()
    for result in (strict, unordered):
        if result["rows"] != total or strict_total != total:
            raise AssertionError(f"strictest dialect: {result['rows']} rows, count {strict_total}, expected {total}")
    rows = [
        {"method": "sequential page loop", "rows": seq["rows"], "seconds": seq["seconds"],
         "rows_per_s": seq["rows_per_s"], "of_ideal": round(seq["rows_per_s"] / ideal, 3)},
        {"method": "suiteql.stream (keyset windows, parallel)", "rows": fast["rows"], "seconds": fast["seconds"],
         "rows_per_s": fast["rows_per_s"], "of_ideal": round(fast["rows_per_s"] / ideal, 3)},
        {"method": "suiteql.stream, strictest dialect", "rows": strict["rows"], "seconds": strict["seconds"],
         "rows_per_s": strict["rows_per_s"], "of_ideal": round(strict["rows_per_s"] / ideal, 3)},
        {"method": "suiteql.stream without ORDER BY, strictest dialect", "rows": unordered["rows"],
         "seconds": unordered["seconds"], "rows_per_s": unordered["rows_per_s"],
         "of_ideal": round(unordered["rows_per_s"] / ideal, 3)},
        {"method": "ideal (C pages per L)", "rows": None, "seconds": None, "rows_per_s": round(ideal),
         "of_ideal": 1.0},
    ]
    memory = {
        "tracemalloc_peak_mb_n_over_10": small["tracemalloc_peak_mb"],
        "tracemalloc_peak_mb_n": big["tracemalloc_peak_mb"],
        "rss_peak_mb_before_streams": round(rss0, 1),
        "rss_peak_mb_after_streams": round(rss_traced, 1),
    }
    print(f"total rows {total:,}; ideal {ideal:,.0f} rows/s; speed-up over sequential "
          f"{fast['rows_per_s'] / seq['rows_per_s']:.1f}x; memory {memory}; governor {stats}")
    path = write_result(
        "suiteql",
        {"rows": total, "concurrency": CONCURRENCY, "latency_ms": LATENCY_MS, "page_size": PAGE},
        rows,
        memory=memory,
        governor={"limit": stats.limit, "limited": stats.limited, "cuts": stats.cuts,
                  "strictest_limited": strict_stats.limited},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    anyio.run(main)
