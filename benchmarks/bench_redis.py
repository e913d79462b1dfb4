"""Redis governor benchmark (issue 8): many worker processes, one account.

Against an emulator in its own process (concurrency limit C, latency L) and a private ``redis-server``:

- ``shared``: 4 worker processes, each a NetSuiteClient with ``RedisGovernor(limit=C)`` on one key. Aggregate
  throughput against the ideal C/L, and how many requests were answered 429 (target: none).
- ``shared_told_4x``: the same, every process told 4C: the shared limit must find C (slow start from 5, one cut
  to the fleet's in-flight estimate), as one local governor told too much does. How many 429s that costs.
- ``local_naive`` (comparison): the same 4 processes each with a local governor of C: together they ask 4C of
  an account that allows C, so the emulator answers 429 and the adaptive governors must back off.
- ``local_split`` (comparison): each process with C/4, the static split people do by hand.
- ``lease overhead``: the time one slot costs (take + give back), RedisGovernor vs the local AdaptiveGovernor,
  sequential and uncontended; the difference is the per-request overhead of a Redis lease, in µs.
- ``hand-off``: the time per slot when nearly every slot is handed to a queued waiter (limit 2, 8 callers in
  2 governors, nothing done inside the slot): release, wake-up (BLPOP) and the waiter's claim.

Run: ``python benchmarks/bench_redis.py [--runs N] [--quick]`` (``--help``; ``NETSUITE_BENCH_QUICK=1`` is
``--quick``). Needs ``redis-server`` on PATH. With ``--runs N`` every scenario runs N times, interleaved, and
the report gives each number's median (the box may be shared) next to every run's. Writes
``benchmarks/results/redis.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import anyio
import redis.asyncio as aioredis
from harness import emulator_process, quick, write_result

from netsuite_async import BearerToken, NetSuiteClient
from netsuite_async.errors import NetSuiteError
from netsuite_async.governor import AdaptiveGovernor, Governor, Outcome
from netsuite_async.governor.redis import RedisGovernor

PATH = "/record/v1/customer/1"
PROCESSES = 4


# -- a private redis-server ----------------------------------------------------------------------------------
class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("install redis-server (apt-get install redis-server) to run this benchmark")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="ns-bench-redis-")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:  # start-up of an external server: poll with a deadline
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(8).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


# -- worker processes ------------------------------------------------------------------------------------------
async def worker(args: dict[str, Any]) -> None:
    """One worker process: waits for the go signal, runs its share, prints one JSON line."""
    control = aioredis.Redis.from_url(args["redis"])
    governor: Governor
    if args["mode"].startswith("shared"):
        governor = RedisGovernor(args["redis"], key=args["key"], limit=args["limit"])
    else:
        governor = AdaptiveGovernor(args["limit"])
    ok = failed = 0
    async with NetSuiteClient(
        args["account"], BearerToken(args["token"]), governor=governor, base_url=args["base_url"]
    ) as ns:
        await ns.request("GET", PATH)  # warm the connection pool outside the measured window
        print("ready", flush=True)
        await control.blpop([f"{args['key']}:go"], timeout=60)
        start = time.time()

        async def run() -> None:
            nonlocal ok, failed
            for _ in range(args["requests"]):
                try:
                    await ns.request("GET", PATH)
                    ok += 1
                except NetSuiteError:
                    failed += 1

        async with anyio.create_task_group() as tg:
            for _ in range(args["tasks"]):
                tg.start_soon(run)
        end = time.time()
        stats = ns.governor.stats()
    await control.aclose()
    print(
        json.dumps(
            {"ok": ok, "failed": failed, "limited": stats.limited, "cuts": stats.cuts, "start": start, "end": end}
        ),
        flush=True,
    )


MODES = ("shared", "shared_told_4x", "local_naive", "local_split")


def run_fleet(mode: str, *, redis_url: str, emu: Any, limit: int, tasks: int, requests: int) -> dict[str, Any]:
    key = f"bench-{uuid.uuid4().hex[:8]}"
    per_process_limit = {"local_split": max(1, limit // PROCESSES), "shared_told_4x": 4 * limit}.get(mode, limit)
    args = {
        "mode": mode,
        "redis": redis_url,
        "key": key,
        "limit": per_process_limit,
        "tasks": tasks,
        "requests": requests,
        "account": emu.config["account"],
        "token": emu.token,
        "base_url": emu.base_url,
    }
    procs = [
        subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(args)], stdout=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"worker failed to start: {line!r}")

        async def go() -> None:
            client = aioredis.Redis.from_url(redis_url)
            await client.rpush(f"{key}:go", *["go"] * PROCESSES)
            await client.aclose()

        anyio.run(go)
        reports = []
        for p in procs:
            assert p.stdout is not None
            reports.append(json.loads(p.stdout.readline()))
            p.wait(timeout=60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    seconds = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    ok = sum(r["ok"] for r in reports)
    return {
        "mode": mode,
        "processes": PROCESSES,
        "governor_limit_per_process": per_process_limit,
        "requests": PROCESSES * tasks * requests,
        "ok": ok,
        "failed": sum(r["failed"] for r in reports),
        "answered_429": sum(r["limited"] for r in reports),
        "cuts": max(r["cuts"] for r in reports) if mode.startswith("shared") else sum(r["cuts"] for r in reports),
        "seconds": round(seconds, 3),
        "throughput_rps": round(ok / seconds, 1),
    }


# -- lease overhead --------------------------------------------------------------------------------------------
async def slot_cost(gov: Governor, n: int) -> float:
    """Mean seconds for one take + give-back, sequential (no waiting)."""
    for _ in range(50):  # warm up: connections, script cache
        async with gov.slot() as permit:
            permit.record(Outcome.SUCCESS)
    start = time.perf_counter()
    for _ in range(n):
        async with gov.slot() as permit:
            permit.record(Outcome.SUCCESS)
    return (time.perf_counter() - start) / n


async def handoff_cost(redis_url: str, n: int) -> float:
    """Mean seconds per slot when almost every slot goes to a queued waiter in another governor."""
    key = f"bench-{uuid.uuid4().hex[:8]}"
    governors = [RedisGovernor(redis_url, key=key, limit=2) for _ in range(2)]
    callers = 8
    per_caller = max(1, n // callers)

    async def run(gov: RedisGovernor) -> None:
        for _ in range(per_caller):
            async with gov.slot() as permit:
                permit.record(Outcome.SUCCESS)

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i in range(callers):
            tg.start_soon(run, governors[i % 2])
    seconds = time.perf_counter() - start
    for gov in governors:
        await gov.aclose()
    return seconds / (per_caller * callers)


async def overhead(redis_url: str, n: int) -> dict[str, Any]:
    local = AdaptiveGovernor(8)
    remote = RedisGovernor(redis_url, key=f"bench-{uuid.uuid4().hex[:8]}", limit=8)
    local_s = await slot_cost(local, n)
    redis_s = await slot_cost(remote, n)
    await remote.aclose()
    handoff_s = await handoff_cost(redis_url, n)
    return {
        "slots": n,
        "local_us_per_slot": round(local_s * 1e6, 1),
        "redis_us_per_slot": round(redis_s * 1e6, 1),
        "redis_lease_overhead_us": round((redis_s - local_s) * 1e6, 1),
        "redis_round_trips_per_slot": 2,
        "redis_handoff_us_per_slot": round(handoff_s * 1e6, 1),
        "redis_round_trips_per_handoff": 3,
    }


def _median_rows(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per mode, the median of every number over the runs."""
    out = []
    for mode in MODES:
        rows = [row for run in runs for row in run if row["mode"] == mode]
        if not rows:
            continue
        merged: dict[str, Any] = {"mode": mode, "runs": len(rows)}
        for k, v in rows[0].items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                merged[k] = statistics.median(r[k] for r in rows)
        out.append(merged)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="run every scenario N times; report medians")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    options = parser.parse_args(argv)
    if options.quick:
        os.environ["NETSUITE_BENCH_QUICK"] = "1"
    small = quick()
    limit, latency_ms = 8, 50.0
    tasks, requests = (4, 8) if small else (6, 30)
    redis_server = RedisServer()
    runs: list[list[dict[str, Any]]] = []
    overheads: list[dict[str, Any]] = []
    try:
        with emulator_process(concurrency=limit, latency_ms=latency_ms) as emu:
            ideal = limit / (latency_ms / 1000)
            for run in range(options.runs):
                overheads.append(anyio.run(overhead, redis_server.url, 300 if small else 3000))
                rows: list[dict[str, Any]] = []
                for mode in MODES:
                    row = run_fleet(mode, redis_url=redis_server.url, emu=emu, limit=limit, tasks=tasks,
                                    requests=requests)
                    row["ideal_rps"] = round(ideal, 1)
                    row["fraction_of_ideal"] = round(row["throughput_rps"] / ideal, 3)
                    row["run"] = run + 1
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                runs.append(rows)
    finally:
        redis_server.stop()
    medians = _median_rows(runs)
    over = {k: statistics.median(o[k] for o in overheads) for k in overheads[0]}
    for row in medians:
        print("median", json.dumps(row))
    print("median", json.dumps(over))
    path = write_result(
        "redis",
        {
            "limit": limit,
            "latency_ms": latency_ms,
            "processes": PROCESSES,
            "tasks_per_process": tasks,
            "requests_per_task": requests,
            "quick": small,
            "runs": options.runs,
        },
        medians,
        lease_overhead=over,
        every_run=[row for run in runs for row in run],
        every_lease_overhead=overheads,
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        anyio.run(worker, json.loads(sys.argv[2]))
    else:
        main()
