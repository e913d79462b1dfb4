"""Batches from and to JSONL files: `read_jsonl`, `run_batch_file` (what ``netsuite-async batch`` runs) and
`write_failures`. Re-exported by `netsuite_async.batch`.

Examples:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "in.jsonl"
    >>> _ = path.write_text('{"companyName": "A"}' + chr(10) + chr(10) + '{"companyName": "B"}' + chr(10))
    >>> read_jsonl(path)
    [(1, {'companyName': 'A'}), (3, {'companyName': 'B'})]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from netsuite_async.batch_engine import MAX_CHUNK_SIZE, Operation
from netsuite_async.batch_results import BatchResult, ProgressCallback
from netsuite_async.errors import APIError

if TYPE_CHECKING:
    from netsuite_async.batch import Batch

__all__ = ["read_jsonl", "run_batch_file", "write_failures"]

def read_jsonl(path: str | os.PathLike[str]) -> list[tuple[int, Any]]:
    """Read a JSONL file into ``(line number, value)`` pairs, skipping blank lines; bad JSON raises ValueError.

    Examples:
        ```python
        rows = read_jsonl("customers.jsonl")     # [(1, {...}), (2, {...})]
        ```
    """
    out: list[tuple[int, Any]] = []
    with Path(path).open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                out.append((line_no, json.loads(line)))
            except ValueError as exc:
                raise ValueError(f"{path}:{line_no}: not valid JSON ({exc})") from None
    return out


class _HasBatch(Protocol):
    """What `run_batch_file` needs of a client: its ``batch`` namespace."""

    @property
    def batch(self) -> Batch: ...


async def run_batch_file(
    client: _HasBatch,
    op: Operation,
    record_type: str,
    input_path: str | os.PathLike[str],
    checkpoint: str | os.PathLike[str] | None = None,
    failures_path: str | os.PathLike[str] | None = None,
    on_progress: ProgressCallback | None = None,
    *,
    chunk_size: int = MAX_CHUNK_SIZE,
    use_collections: bool | None = None,
) -> BatchResult:
    """Run a batch from a JSONL file (one item per line); what ``netsuite-async batch`` calls.

    ``failures_path`` receives one JSON line per failed item: ``{"index", "line", "input", "error": {"status",
    "code", "detail", "path", "message"}}`` — fix the lines and run them again. The input is read and validated
    completely before the first request.

    Examples:
        ```python
        result = await run_batch_file(ns, "create", "customer", "customers.jsonl",
                                      checkpoint="customers.ckpt", failures_path="failures.jsonl")
        ```
    """
    rows = read_jsonl(input_path)
    items = [value for _, value in rows]
    result = await client.batch.run(op, record_type, items, chunk_size=chunk_size, on_progress=on_progress,
                                    checkpoint=checkpoint, use_collections=use_collections)
    if failures_path is not None:
        write_failures(failures_path, result, rows)
    return result


def write_failures(path: str | os.PathLike[str], result: BatchResult, rows: Sequence[tuple[int, Any]]) -> int:
    """Write the failed items of ``result`` as JSONL (see `run_batch_file`); returns how many.

    Examples:
        ```python
        write_failures("failures.jsonl", result, read_jsonl("customers.jsonl"))
        ```
    """
    count = 0
    with Path(path).open("w", encoding="utf-8") as handle:
        for item in result.failures:
            line_no, value = rows[item.index]
            error = item.error
            info: dict[str, Any] = {"message": str(error) if error is not None else "unknown"}
            if isinstance(error, APIError):
                info.update(status=error.status_code, code=error.error_code, detail=error.detail,
                            path=next((d.error_path for d in error.details if d.error_path), None))
            handle.write(json.dumps({"index": item.index, "line": line_no, "input": value, "error": info},
                                    ensure_ascii=False) + "\n")
            count += 1
    return count
