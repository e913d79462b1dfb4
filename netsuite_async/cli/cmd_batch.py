"""``netsuite-async batch create|update|upsert|delete TYPE --from FILE.jsonl``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from netsuite_async.cli.connect import make_client
from netsuite_async.cli.progress import ProgressReporter, make_progress
from netsuite_async.cli.state import EXIT_API_ERROR, CliState, pass_state, run_async

if TYPE_CHECKING:
    from netsuite_async.batch import Operation

__all__ = ["batch", "describe_batch", "summarize_batch"]

OPERATIONS = ("create", "update", "upsert", "delete")


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def summarize_batch(result: Any) -> dict[str, Any]:
    """Counts from a `BatchResult` (works with any sequence of item results).

    Examples:
        >>> class R:
        ...     def __init__(self, ok): self.ok = ok
        >>> summarize_batch([R(True), R(False)])
        {'total': 2, 'succeeded': 1, 'failed': 1}
    """
    items = list(result)
    ok = sum(1 for item in items if getattr(item, "ok", False))
    return {"total": len(items), "succeeded": ok, "failed": len(items) - ok}


@click.command()
@click.argument("operation", type=click.Choice(OPERATIONS))
@click.argument("record_type")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON Lines input: one record body per line (update/delete lines carry an id)",
)
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="resumable progress file: rerun with the same input and checkpoint to skip finished lines",
)
@click.option(
    "--failures",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="write each failed input line with NetSuite's error to this JSONL file",
)
@pass_state
def batch(
    state: CliState,
    operation: str,
    record_type: str,
    source: Path,
    checkpoint: Path | None,
    failures: Path | None,
) -> None:
    """Bulk-write records from a JSONL file: exactly one result per input line, none applied twice.

    Uses NetSuite's collection batches (100 records per request) when the account accepts them, else single
    asynchronous requests with idempotency keys, all under the concurrency governor.

    \b
    Examples:
      netsuite-async batch create customer --from customers.jsonl --checkpoint customers.ckpt \\
          --failures failed.jsonl
    """
    total = _count_lines(source)
    if failures is None:
        failures = source.with_name(source.stem + ".failures.jsonl")

    async def go() -> Any:
        from netsuite_async.batch import run_batch_file

        async with make_client(state.settings()) as ns:
            with make_progress() as progress:
                reporter = ProgressReporter(progress, f"{operation} {record_type}", total=total)
                return await run_batch_file(
                    ns,
                    cast("Operation", operation),
                    record_type,
                    source,
                    checkpoint=checkpoint,
                    failures_path=failures,
                    on_progress=reporter,
                )

    result = run_async(state, go)
    summary = summarize_batch(result)
    if summary["failed"]:
        summary["failures_file"] = str(failures)
    if state.json_mode:
        state.output.result(summary)
    else:
        for line in describe_batch(operation, record_type, summary, failures):
            state.output.line(line)
    if summary["failed"]:
        raise SystemExit(EXIT_API_ERROR)


_PAST = {"create": "created", "update": "updated", "upsert": "upserted", "delete": "deleted"}


def describe_batch(
    operation: str, record_type: str, summary: dict[str, Any], failures: Path, shown: int = 5
) -> list[str]:
    """The human summary of a batch run: counts, then the first failures by input line (counted from 1).

    Examples:
        >>> describe_batch("create", "customer", {"total": 3, "succeeded": 3, "failed": 0}, Path("f.jsonl"))
        ['created 3 of 3 customer records']
    """
    head = f"{_PAST.get(operation, operation)} {summary['succeeded']:,} of {summary['total']:,} {record_type} records"
    if not summary["failed"]:
        return [head]
    lines = [f"{head}; {summary['failed']:,} failed (each with its error in {failures})"]
    for entry in _first_failures(failures, shown):
        error = entry.get("error") or {}
        parts = [str(p) for p in (error.get("status"), error.get("code")) if p]
        text = " ".join(parts)
        detail = error.get("detail") or error.get("message") or ""
        text = f"{text}: {detail}" if text else str(detail)
        if error.get("path"):
            text += f" (field {error['path']!r})"
        lines.append(f"  line {entry.get('line', '?')}: {text}")
    if summary["failed"] > shown:
        lines.append(f"  ... and {summary['failed'] - shown:,} more")
    return lines


def _first_failures(path: Path, count: int) -> list[dict[str, Any]]:
    import json

    out: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as fh:
            for raw in fh:
                if len(out) >= count:
                    break
                try:
                    value = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    out.append(value)
    except OSError:
        pass
    return out
