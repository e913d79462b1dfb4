"""``netsuite-async batch create|update|upsert|delete TYPE --from FILE.jsonl``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from netsuite_async.cli.cmd_query import ProgressReporter, make_progress
from netsuite_async.cli.connect import make_client
from netsuite_async.cli.state import EXIT_API_ERROR, CliState, pass_state, run_async

if TYPE_CHECKING:
    from netsuite_async.batch import Operation

__all__ = ["batch", "summarize_batch"]

OPERATIONS = ("create", "update", "upsert", "delete")


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def summarize_batch(result: Any) -> dict[str, Any]:
    """Counts from a :class:`~netsuite_async.batch.BatchResult` (works with any sequence of item results).

    Example:
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
    Example:
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
    state.output.result(summary)
    if summary["failed"]:
        raise SystemExit(EXIT_API_ERROR)
