"""Bulk writes: records/s of ``ns.batch.create`` against a sequential loop and an unbounded gather.

The emulator runs in its own process with a concurrency limit C and a latency L per request, so the ideal for
one-record-per-request writes is C/L records/s. Four ways to create customers:

- ``sequential``: ``for body in rows: await ns.records.create(...)`` — one request in flight;
- ``unbounded gather``: every create started at once (an anyio task group, the asyncio.gather pattern); the
  client's governor keeps C in flight. Synchronous creates: fast, but *not* safe to retry (a lost answer is a
  WriteOutcomeUnknownError), which is what the batch API exists to fix;
- ``batch (collections)``: ``ns.batch.create`` with 2026.1 collection requests: 100 records per request, then
  one result read per record (about 1.03 requests per record);
- ``batch (single async)``: ``ns.batch.create(..., use_collections=False)``, the fallback for accounts without
  collections: each record is an asynchronous request with an idempotency key, then job, task list and result
  reads (4 requests per record, so its ceiling is about C/(4L)).

``fraction_of_ideal`` is records/s divided by C/L. The two batch approaches run a second time against an
emulator serving ``Dialect.strictest()`` (``emulator serve --strictest``: account-wide task ids, create task
results without ``Location``, ``processing`` progress words, 409 key conflicts, batch reads only asynchronous):
every row carries an ``externalId``, so under the strictest dialect the client also looks every new record's id
up by external id (one batch read per chunk, one read per single request). The ``dialect`` column tells the rows
apart.

Run: ``python benchmarks/bench_batch.py`` (``NETSUITE_BENCH_QUICK=1`` for small sizes); writes
``benchmarks/results/batch.json``. ``python benchmarks/bench_batch.py --compare-dialects`` runs only the batch
approaches, under today's default dialect and the strictest one, and writes ``batch_dialects.json``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import emulator_process, quick, write_result

from netsuite_async.auth.bearer import BearerToken
from netsuite_async.client import NetSuiteClient

CONCURRENCY = 5
LATENCY_MS = 20.0


DIALECT_ARGS: dict[str, list[str]] = {"default": [], "strictest": ["--strictest"]}


def rows(prefix: str, n: int) -> list[dict[str, str]]:
    return [
        {"companyName": f"{prefix} {i}", "email": f"{prefix.lower()}.{i}@example.com", "externalId": f"{prefix}-{i}"}
        for i in range(n)
    ]


async def sequential(ns: NetSuiteClient, bodies: list[dict[str, str]]) -> int:
    for body in bodies:
        await ns.records.create("customer", body)
    return len(bodies)


async def unbounded_gather(ns: NetSuiteClient, bodies: list[dict[str, str]]) -> int:
    async with anyio.create_task_group() as tg:
        for body in bodies:
            tg.start_soon(ns.records.create, "customer", body)
    return len(bodies)


async def batch_collections(ns: NetSuiteClient, bodies: list[dict[str, str]]) -> int:
    result = await ns.batch.create("customer", bodies, use_collections=True)
    return result.succeeded


async def batch_single(ns: NetSuiteClient, bodies: list[dict[str, str]]) -> int:
    result = await ns.batch.create("customer", bodies, use_collections=False)
    return result.succeeded


async def measure(
    base_url: str, account: str, token: str, name: str, run: Callable[[NetSuiteClient, list[dict[str, str]]],
                                                                       Awaitable[int]], n: int,
    dialect: str = "default",
) -> dict[str, Any]:
    async with NetSuiteClient(account, auth=BearerToken(token), base_url=base_url, concurrency=CONCURRENCY) as ns:
        ns.jobs.poll_interval = LATENCY_MS / 1000
        bodies = rows(f"{dialect}-{name}".replace(" ", "-").replace("(", "").replace(")", ""), n)
        started = time.perf_counter()
        written = await run(ns, bodies)
        seconds = time.perf_counter() - started
        attempts = ns.transport.stats.attempts
    ideal = CONCURRENCY / (LATENCY_MS / 1000)
    rps = written / seconds
    return {
        "approach": name,
        "dialect": dialect,
        "records": n,
        "written": written,
        "seconds": round(seconds, 2),
        "records_per_s": round(rps, 1),
        "ideal_records_per_s": round(ideal, 1),
        "fraction_of_ideal": round(rps / ideal, 3),
        "http_attempts": attempts,
        "attempts_per_record": round(attempts / max(written, 1), 2),
    }


async def run_dialect(dialect: str, approaches: dict[str, Any], sizes: dict[str, int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with emulator_process(concurrency=CONCURRENCY, latency_ms=LATENCY_MS, seed="customers=10",
                          extra_args=DIALECT_ARGS[dialect]) as emu:
        account = str(emu.config["account"])
        for name, run in approaches.items():
            row = await measure(emu.base_url, account, emu.token, name, run, sizes[name], dialect)
            print(row, flush=True)
            out.append(row)
    return out


async def main() -> None:
    small = quick()
    batch_only = "--compare-dialects" in sys.argv[1:]
    sizes = {
        "sequential": 60 if small else 200,
        "unbounded gather": 200 if small else 1000,
        "batch (collections)": 500 if small else 5000,
        "batch (single async)": 150 if small else 1000,
    }
    approaches = {
        "sequential": sequential,
        "unbounded gather": unbounded_gather,
        "batch (collections)": batch_collections,
        "batch (single async)": batch_single,
    }
    batch_approaches = {name: run for name, run in approaches.items() if name.startswith("batch")}
    out = await run_dialect("default", batch_approaches if batch_only else approaches, sizes)
    out += await run_dialect("strictest", batch_approaches, sizes)
    path = write_result(
        "batch_dialects" if batch_only else "batch",
        {"concurrency": CONCURRENCY, "latency_ms": LATENCY_MS, "quick": small, "sizes": sizes,
         "dialects": {"default": "Dialect()", "strictest": "Dialect.strictest()"}},
        out,
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    anyio.run(main)
