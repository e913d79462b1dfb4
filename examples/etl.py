"""An ETL job: load customers from a CSV file into NetSuite, then extract what changed to JSON Lines.

1. **Load**: upsert every CSV row as a customer by external id (idempotent by nature), in NetSuite's batches of
   100 under the concurrency governor, with a checkpoint so a crashed run restarted with the same input does no
   work twice. Rows NetSuite rejects are written to a failures file with its error; the rest still load.
2. **Extract**: stream every customer modified since the run started through SuiteQL (pages fetched in
   parallel, in order) to a JSONL file with flat memory, however many rows there are.

Needs only this library: ``pip install netsuite-asyncio-client``.

Against the built-in emulator, with generated input (no credentials, no network):

```bash
python examples/etl.py --emulator --generate 500 customers.csv --out changed.jsonl
```

Against a real account (TBA credentials in the environment, named as the ``netsuite-async`` command names them):

```bash
NETSUITE_ACCOUNT=1234567_SB1 NETSUITE_CONSUMER_KEY=… NETSUITE_CONSUMER_SECRET=… NETSUITE_TOKEN_ID=… \\
NETSUITE_TOKEN_SECRET=… python examples/etl.py customers.csv --out changed.jsonl
```

CSV columns: ``external_id, company_name, email, phone`` (extra columns are ignored).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio

from netsuite_async import NetSuiteClient
from netsuite_async.auth import TokenAuth
from netsuite_async.export import export_rows

COLUMNS = {"external_id": "externalId", "company_name": "companyName", "email": "email", "phone": "phone"}


@dataclass
class EtlReport:
    """What one run did."""

    rows_in: int
    loaded: int
    failed: int
    extracted: int
    requests: int
    seconds: float


def read_customers(path: Path) -> list[dict[str, Any]]:
    """CSV rows -> NetSuite customer bodies (empty cells left out, so they do not clear fields)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            {field: row[column].strip() for column, field in COLUMNS.items() if (row.get(column) or "").strip()}
            for row in csv.DictReader(fh)
        ]


def generate_csv(path: Path, count: int) -> None:
    """Write ``count`` sample customers (for trying the example against the emulator)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(COLUMNS))
        for i in range(1, count + 1):
            writer.writerow([f"ETL-{i:06d}", f"ETL Customer {i}", f"billing{i}@etl.example", f"+1-555-{i % 10000:04d}"])


async def run_etl(ns: NetSuiteClient, source: Path, out: Path, *, checkpoint: Path | None = None) -> EtlReport:
    """Load ``source`` into NetSuite, then extract what changed since the start to ``out``.

    Examples:
        ```python
        report = await run_etl(ns, Path("customers.csv"), Path("changed.jsonl"), checkpoint=Path("load.ckpt"))
        ```
    """
    started = time.perf_counter()
    calls_before = ns.transport.stats.attempts
    # Start a minute early: a clock a little behind NetSuite's must not make the extract miss rows.
    since = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
    bodies = read_customers(source)
    missing = [i for i, body in enumerate(bodies) if "externalId" not in body]
    if missing:
        raise ValueError(f"rows without external_id (needed for idempotent upserts): {missing[:10]}")

    result = await ns.batch.upsert("customer", bodies, checkpoint=checkpoint)
    if result.failures:
        failures = out.with_name(out.stem + ".failures.jsonl")
        with failures.open("w", encoding="utf-8") as fh:
            for item in result.failures:
                fh.write(json.dumps({"input": bodies[item.index], "error": str(item.error)}) + "\n")

    rows = ns.suiteql.stream(
        "SELECT id, externalid, companyname, email, lastmodifieddate FROM customer "
        "WHERE lastmodifieddate >= ? ORDER BY id",
        params=[since],  # bound client-side into an explicit TO_TIMESTAMP literal
    )
    exported = await export_rows(rows, out, "jsonl")
    return EtlReport(
        rows_in=len(bodies),
        loaded=result.succeeded,
        failed=result.failed,
        extracted=exported.rows,
        requests=ns.transport.stats.attempts - calls_before,
        seconds=round(time.perf_counter() - started, 3),
    )


@asynccontextmanager
async def open_client(emulator: bool) -> AsyncIterator[NetSuiteClient]:
    """The real account from the environment, or the in-process emulator."""
    if emulator:
        from netsuite_async.testing import FakeNetSuite

        async with FakeNetSuite(concurrency=5, latency=0.01) as fake, fake.client() as ns:
            yield ns
        return
    auth = TokenAuth(
        consumer_key=os.environ["NETSUITE_CONSUMER_KEY"],
        consumer_secret=os.environ["NETSUITE_CONSUMER_SECRET"],
        token_id=os.environ["NETSUITE_TOKEN_ID"],
        token_secret=os.environ["NETSUITE_TOKEN_SECRET"],
    )
    async with NetSuiteClient(os.environ["NETSUITE_ACCOUNT"], auth, concurrency="auto") as ns:
        yield ns


async def main(argv: list[str] | None = None) -> EtlReport:
    parser = argparse.ArgumentParser(description="Load customers from CSV, extract what changed to JSONL.")
    parser.add_argument("source", type=Path, help="CSV input")
    parser.add_argument("--out", type=Path, default=Path("changed.jsonl"))
    parser.add_argument("--checkpoint", type=Path, default=None, help="resume file for the load")
    parser.add_argument("--emulator", action="store_true", help="run against the in-process emulator")
    parser.add_argument("--generate", type=int, default=0, help="first write this many sample rows to SOURCE")
    args = parser.parse_args(argv)
    if args.generate:
        generate_csv(args.source, args.generate)
    elif not args.source.is_file():
        # One line and exit code 2 before connecting, not a traceback from deep inside the load.
        print(f"etl.py: error: {args.source} does not exist: pass a CSV file, or --generate N to write N sample "
              "rows to it", file=sys.stderr)
        raise SystemExit(2)
    async with open_client(args.emulator) as ns:
        report = await run_etl(ns, args.source, args.out, checkpoint=args.checkpoint)
    print(json.dumps(asdict(report)))
    return report


if __name__ == "__main__":
    anyio.run(main)
