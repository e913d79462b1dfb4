"""``netsuite-async demo``: a realistic ETL against the in-process emulator, no credentials, no network.

1. batch-create customers (and a handful of inventory items);
2. batch-create sales orders for them;
3. stream the orders joined to their customers back through SuiteQL into a JSONL file;
4. print a summary: requests, throughput against the ideal (limit / latency), 429s, retries, duration.

Everything runs under the client's concurrency governor against an emulated account whose limit and latency you
choose, so the numbers show what the library does with a real account's only hard limit.
"""

from __future__ import annotations

import importlib.util
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import click

from netsuite_async.cli.cmd_batch import summarize_batch
from netsuite_async.cli.progress import NoProgress, ProgressReporter, make_progress
from netsuite_async.cli.state import CliState, pass_state, run_async

__all__ = ["DemoOptions", "PhaseResult", "demo", "run_demo"]

ORDERS_QUERY = (
    "SELECT t.id, t.tranid, t.trandate, t.entity AS customer_id, c.companyname, c.email, t.memo "
    "FROM transaction t JOIN customer c ON c.id = t.entity "
    "WHERE t.type = ? ORDER BY t.id"
)
CITIES = ("Austin", "Berlin", "Chicago", "Dublin", "Lisbon", "Melbourne", "Osaka", "Toronto", "Zurich")
NOUNS = ("Logistics", "Analytics", "Foods", "Robotics", "Textiles", "Energy", "Pharma", "Outdoor", "Studio")


@dataclass(frozen=True)
class DemoOptions:
    """Size and shape of the demo run.

    Examples:
        >>> DemoOptions(customers=10, orders=20).ideal_rps
        250.0
    """

    customers: int = 1000
    orders: int = 2000
    limit: int = 5
    latency_ms: float = 20.0
    out: Path = Path("netsuite-async-demo.jsonl")
    seed: int = 7

    @property
    def ideal_rps(self) -> float:
        """The best any client can do against the account: limit requests every latency."""
        return self.limit / (self.latency_ms / 1000.0) if self.latency_ms > 0 else float("inf")


@dataclass
class PhaseResult:
    """One step of the ETL: what it did and what it cost in requests and time."""

    name: str
    items: int = 0
    failed: int = 0
    requests: int = 0
    seconds: float = 0.0
    note: str = ""

    def row(self, ideal_rps: float, limit: int) -> dict[str, str]:
        """A table row for the summary (no share of the ideal for steps too small to fill the limit)."""
        rps = self.requests / self.seconds if self.seconds > 0 else 0.0
        saturating = self.requests >= 4 * limit and ideal_rps not in (0.0, float("inf"))
        share = f"{rps / ideal_rps:.0%}" if saturating else "-"
        return {
            "step": self.name,
            "items": f"{self.items:,}" + (f" ({self.failed} failed)" if self.failed else ""),
            "requests": f"{self.requests:,}",
            "seconds": f"{self.seconds:.2f}",
            "items/s": f"{self.items / self.seconds:,.0f}" if self.seconds > 0 else "-",
            "requests/s": f"{rps:,.0f}",
            "of ideal C/L": share,
            "note": self.note,
        }


@dataclass
class DemoReport:
    """Everything the summary prints (also the ``--json`` document)."""

    options: DemoOptions
    phases: list[PhaseResult] = field(default_factory=list)
    requests: int = 0
    limited_429: int = 0
    retries: int = 0
    max_in_flight: int = 0
    seconds: float = 0.0
    rows_written: int = 0
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        o = self.options
        return {
            "options": {
                "customers": o.customers,
                "orders": o.orders,
                "limit": o.limit,
                "latency_ms": o.latency_ms,
                "out": str(o.out),
            },
            "ideal_requests_per_second": o.ideal_rps,
            "requests": self.requests,
            "requests_per_second": self.requests / self.seconds if self.seconds else 0.0,
            "http_429": self.limited_429,
            "retries": self.retries,
            "max_in_flight": self.max_in_flight,
            "duration_seconds": self.seconds,
            "rows_written": self.rows_written,
            "phases": [
                {
                    "name": p.name,
                    "items": p.items,
                    "failed": p.failed,
                    "requests": p.requests,
                    "seconds": p.seconds,
                    "note": p.note,
                }
                for p in self.phases
            ],
            "not_available": self.missing,
        }


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def customer_bodies(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Deterministic, realistic-looking customer bodies.

    Examples:
        >>> customer_bodies(1, random.Random(0))[0]["externalId"]
        'DEMO-C-00001'
    """
    out = []
    for i in range(1, count + 1):
        name = f"{rng.choice(CITIES)} {rng.choice(NOUNS)} {i:05d}"
        out.append(
            {
                "externalId": f"DEMO-C-{i:05d}",
                "companyName": name,
                "email": f"ap{i:05d}@{name.split()[1].lower()}.example",
                "phone": f"+1-555-{rng.randint(1000, 9999)}",
            }
        )
    return out


def order_bodies(count: int, customer_ids: list[str], item_ids: list[str], rng: random.Random) -> list[dict[str, Any]]:
    """Sales orders spread over the customers, each with one to three lines.

    Examples:
        >>> order_bodies(1, ["1"], ["9"], random.Random(0))[0]["entity"]
        {'id': '1'}
    """
    out = []
    for i in range(1, count + 1):
        lines = [
            {"item": {"id": rng.choice(item_ids)}, "quantity": rng.randint(1, 12), "rate": rng.randint(5, 500)}
            for _ in range(rng.randint(1, 3))
        ]
        out.append(
            {
                "externalId": f"DEMO-SO-{i:05d}",
                "entity": {"id": customer_ids[(i - 1) % len(customer_ids)]},
                "tranDate": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "memo": f"demo order {i}",
                "item": {"items": lines},
            }
        )
    return out


async def _create_many(
    ns: Any, record_type: str, bodies: list[dict[str, Any]], on_progress: Callable[..., None]
) -> tuple[list[str], int, str]:
    """Create records through the batch API when present, else one request each under the governor."""
    if _available("netsuite_async.batch"):
        result = await ns.batch.create(record_type, bodies, on_progress=on_progress)
        ids = [str(item.ref.id) for item in result if getattr(item, "ok", False) and item.ref is not None]
        used = getattr(result, "used_collections", None)
        how = "ns.batch: collection batches of 100" if used else "ns.batch: async requests, idempotency keys"
        return ids, summarize_batch(result)["failed"], how
    ids_by_index: dict[int, str] = {}
    failed = 0

    async def one(index: int, body: dict[str, Any]) -> None:
        nonlocal failed
        try:
            ref = await ns.records.create(record_type, body)
        except Exception:  # the demo reports failures in its summary instead of stopping
            failed += 1
        else:
            ids_by_index[index] = str(ref.id)
        on_progress(len(ids_by_index) + failed, len(bodies))

    async with anyio.create_task_group() as tg:
        for index, body in enumerate(bodies):
            tg.start_soon(one, index, body)
    return [ids_by_index[i] for i in sorted(ids_by_index)], failed, "single creates (batch module not present)"


async def run_demo(options: DemoOptions, *, show_progress: bool = True) -> DemoReport:
    """Run the ETL against an in-process emulator and return the report.

    Examples:
        >>> import functools, tempfile
        >>> options = DemoOptions(customers=20, orders=40, latency_ms=5, out=Path(tempfile.mkdtemp()) / "o.jsonl")
        >>> report = anyio.run(functools.partial(run_demo, options, show_progress=False))
        >>> report.rows_written
        40
    """
    from netsuite_async.testing import FakeNetSuite

    report = DemoReport(options)
    rng = random.Random(options.seed)
    started = time.perf_counter()
    async with FakeNetSuite(concurrency=options.limit, latency=options.latency_ms / 1000.0) as fake:
        counters = fake.emulator.counters
        async with fake.client(concurrency=options.limit) as ns:
            with make_progress(transient=False) if show_progress else NoProgress() as progress:

                def phase_start() -> tuple[int, float]:
                    return counters.requests, time.perf_counter()

                def phase_end(phase: PhaseResult, mark: tuple[int, float]) -> None:
                    phase.requests = counters.requests - mark[0]
                    phase.seconds = time.perf_counter() - mark[1]
                    report.phases.append(phase)

                # Items first: orders need something to sell.
                mark = phase_start()
                item_bodies = [
                    {"externalId": f"DEMO-I-{i}", "itemId": f"DEMO-ITEM-{i}", "displayName": f"Widget {i}"}
                    for i in range(1, 6)
                ]
                item_ids: list[str] = []

                async def make_item(body: dict[str, Any]) -> None:
                    item_ids.append(str((await ns.records.create("inventoryItem", body)).id))

                async with anyio.create_task_group() as tg:
                    for body in item_bodies:
                        tg.start_soon(make_item, body)
                phase_end(PhaseResult("create items", items=len(item_ids), note="concurrent records.create"), mark)

                mark = phase_start()
                reporter = ProgressReporter(progress, "customers", total=options.customers)
                customer_ids, failed, how = await _create_many(
                    ns, "customer", customer_bodies(options.customers, rng), reporter
                )
                phase_end(PhaseResult("create customers", len(customer_ids), failed, note=how), mark)
                if not customer_ids:
                    raise click.ClickException("no customers were created; cannot continue the demo")

                mark = phase_start()
                reporter = ProgressReporter(progress, "sales orders", total=options.orders)
                orders = order_bodies(options.orders, customer_ids, sorted(item_ids), rng)
                order_ids, failed, how = await _create_many(ns, "salesOrder", orders, reporter)
                phase_end(PhaseResult("create sales orders", len(order_ids), failed, note=how), mark)

                mark = phase_start()
                if _available("netsuite_async.suiteql"):
                    report.rows_written = await _export_orders(ns, options, progress, len(order_ids))
                    phase_end(
                        PhaseResult("SuiteQL -> JSONL", report.rows_written, note=f"-> {options.out}"),
                        mark,
                    )
                else:
                    report.missing.append("netsuite_async.suiteql (streaming back to JSONL skipped)")
            stats = ns.transport.stats
            report.retries = stats.retries
            report.limited_429 = max(stats.limited, counters.limited)
        report.requests = counters.requests
        report.max_in_flight = counters.max_in_flight
    report.seconds = time.perf_counter() - started
    return report


async def _export_orders(ns: Any, options: DemoOptions, progress: Any, expected: int) -> int:
    rows = ns.suiteql.stream(ORDERS_QUERY, params=["SalesOrd"])
    reporter = ProgressReporter(progress, f"SuiteQL -> {options.out.name}", total=expected)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    if _available("netsuite_async.export"):
        from netsuite_async.export import export_rows

        result = await export_rows(rows, options.out, "jsonl", reporter)
        count = getattr(result, "rows", result)
        return int(count) if isinstance(count, int) else _count_lines(options.out)
    import json

    written = 0
    with options.out.open("w", encoding="utf-8") as fh:
        async for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
            reporter(written, expected)
    return written


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def print_report(state: CliState, report: DemoReport) -> None:
    """The human summary: per-step table, then the totals that matter."""
    out = state.output
    o = report.options
    ideal = o.ideal_rps
    out.table([p.row(ideal, o.limit) for p in report.phases], title="netsuite-async demo: ETL against the emulator")
    rps = report.requests / report.seconds if report.seconds else 0.0
    sequential = report.requests * o.latency_ms / 1000.0
    totals = [
        {"metric": "account concurrency limit (C)", "value": str(o.limit)},
        {"metric": "emulated latency (L)", "value": f"{o.latency_ms:g} ms"},
        {"metric": "ideal throughput C/L", "value": f"{ideal:,.0f} requests/s"},
        {"metric": "HTTP requests", "value": f"{report.requests:,}"},
        {"metric": "throughput", "value": f"{rps:,.0f} requests/s ({rps / ideal:.0%} of C/L)" if ideal else "-"},
        {"metric": "max in flight at the server", "value": f"{report.max_in_flight} (limit {o.limit})"},
        {"metric": "429 CONCURRENCY_LIMIT_EXCEEDED", "value": str(report.limited_429)},
        {"metric": "retries", "value": str(report.retries)},
        {"metric": "duration", "value": f"{report.seconds:.2f} s (a sequential loop: ~{sequential:.1f} s)"},
        {"metric": "rows written", "value": f"{report.rows_written:,} -> {o.out}"},
    ]
    out.table(totals, title="summary")
    for missing in report.missing:
        out.info(f"not available yet: {missing}")


@click.command()
@click.option("--customers", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.option("--orders", type=click.IntRange(1, 200_000), default=2000, show_default=True)
@click.option("--limit", type=click.IntRange(1, 200), default=5, show_default=True, help="account concurrency limit")
@click.option("--latency-ms", type=click.FloatRange(0, 5000), default=20.0, show_default=True, help="emulated latency")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("netsuite-async-demo.jsonl"),
    show_default=True,
    help="JSONL file for the streamed orders",
)
@click.option("--seed", type=int, default=7, show_default=True, help="random seed for the generated data")
@pass_state
def demo(state: CliState, customers: int, orders: int, limit: int, latency_ms: float, out: Path, seed: int) -> None:
    """Run a realistic ETL against the built-in emulator: no credentials, no network.

    Batch-creates customers and sales orders, streams them back through SuiteQL to a JSONL file, and prints
    requests, throughput against the ideal (limit / latency), 429s, retries and duration.
    """
    options = DemoOptions(customers, orders, limit, latency_ms, out, seed)

    async def go() -> DemoReport:
        return await run_demo(options, show_progress=not state.json_mode)

    report = run_async(state, go)
    if state.json_mode:
        state.output.result(report.as_dict())
    else:
        print_report(state, report)
