"""Write a stream of rows to JSON Lines, CSV or Parquet with flat memory and a progress callback.

Rows are written in batches as they arrive, so memory does not grow with the row count. The file appears
under its name only when complete: it is written to ``<path>.part`` and renamed at the end.

Examples:
    >>> async def extract(ns: "NetSuiteClient") -> None:
    ...     rows = ns.suiteql.stream("SELECT id, email FROM customer ORDER BY id")
    ...     await export_rows(rows, "customers.jsonl", "jsonl", progress=print)
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import AsyncIterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, Protocol

import anyio.to_thread
from pydantic import BaseModel

from netsuite_async._checks import positive_int

__all__ = ["ExportFormat", "ExportProgress", "ExportResult", "ProgressCallback", "export_rows"]

ExportFormat = Literal["jsonl", "csv", "parquet"]
_SUFFIXES: dict[str, ExportFormat] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class ExportProgress:
    """How far an export is: rows written, elapsed seconds, rows/s and the expected total (when known).

    Examples:
        >>> p = ExportProgress(rows=500, elapsed=2.0, total=1500)
        >>> p.rows_per_second, p.eta
        (250.0, 4.0)
    """

    rows: int
    elapsed: float
    total: int | None = None

    @property
    def rows_per_second(self) -> float:
        """Average rate since the start."""
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the average rate, or None without a total or a rate."""
        rate = self.rows_per_second
        if self.total is None or rate <= 0:
            return None
        return max(0.0, (self.total - self.rows) / rate)


class ProgressCallback(Protocol):
    """Called with an `ExportProgress` while rows are written (and once at the end).

    Examples:
        >>> def show(p: ExportProgress) -> None:
        ...     print(f"{p.rows} rows, {p.rows_per_second:.0f}/s")
    """

    def __call__(self, progress: ExportProgress, /) -> None: ...


@dataclass(frozen=True)
class ExportResult:
    """What `export_rows` wrote.

    Examples:
        >>> ExportResult(rows=3, path=Path("x.csv"), format="csv", seconds=0.1).rows
        3
    """

    rows: int
    path: Path
    format: ExportFormat
    seconds: float


def _as_dict(row: Any) -> Mapping[str, Any]:
    if isinstance(row, BaseModel):
        return row.model_dump(mode="json")
    if isinstance(row, Mapping):
        return row
    raise TypeError(f"rows must be mappings or pydantic models, not {type(row).__name__}")


def _format_for(path: Path, fmt: str | None) -> ExportFormat:
    if fmt is None:
        guessed = _SUFFIXES.get(path.suffix.lower())
        if guessed is None:
            raise ValueError(f"cannot tell the format from {path.name!r}: pass format='jsonl', 'csv' or 'parquet'")
        return guessed
    if fmt not in ("jsonl", "csv", "parquet"):
        raise ValueError(f"format must be 'jsonl', 'csv' or 'parquet', not {fmt!r}")
    return fmt  # type: ignore[return-value]


class _Writer(Protocol):
    def write(self, batch: list[Mapping[str, Any]]) -> None: ...
    def close(self) -> None: ...


class _JSONLWriter:
    def __init__(self, fh: IO[str]) -> None:
        self._fh = fh

    def write(self, batch: list[Mapping[str, Any]]) -> None:
        self._fh.write("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in batch))

    def close(self) -> None:
        self._fh.flush()


class _CSVWriter:
    def __init__(self, fh: IO[str], columns: Sequence[str] | None) -> None:
        self._fh = fh
        self._columns = list(columns) if columns is not None else None
        self._known: set[str] = set(self._columns or ())
        self._header_written = False

    def _header(self) -> list[str]:
        if self._columns is None:
            self._columns = []
        if not self._header_written:
            csv.writer(self._fh).writerow(self._columns)
            self._header_written = True
        return self._columns

    def write(self, batch: list[Mapping[str, Any]]) -> None:
        if self._columns is None:
            # NetSuite leaves NULL columns out of a row: take the header from the whole first batch.
            self._columns = []
            for r in batch:
                for k in r:
                    if k not in self._known:
                        self._known.add(k)
                        self._columns.append(k)
        self._header()
        for r in batch:
            extra = [k for k in r if k not in self._known]
            if extra:
                raise ValueError(
                    f"row has columns {extra} not in the CSV header {self._columns}: pass columns=[...] to "
                    "export_rows"
                )
        buf = io.StringIO()
        out = csv.writer(buf)
        cols = self._header()
        out.writerows([["" if r.get(c) is None else r.get(c) for c in cols] for r in batch])
        self._fh.write(buf.getvalue())

    def close(self) -> None:
        self._header()
        self._fh.flush()


class _ParquetWriter:
    def __init__(self, path: Path, columns: Sequence[str] | None) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError(
                "Parquet output needs pyarrow: pip install 'netsuite-asyncio-client[parquet]'"
            ) from None
        self._pa: Any = pa
        self._pq: Any = pq
        self._path = path
        self._columns = list(columns) if columns is not None else None
        self._writer: Any = None

    def write(self, batch: list[Mapping[str, Any]]) -> None:
        pa = self._pa
        if self._columns is None:
            self._columns = list(dict.fromkeys(k for r in batch for k in r))
        known = set(self._columns)
        for r in batch:
            extra = [k for k in r if k not in known]
            if extra:
                raise ValueError(f"row has columns {extra} not in the Parquet schema: pass columns=[...]")
        if self._writer is None:
            # SuiteQL values are strings: keep them so, and let the reader cast.
            schema = pa.schema([(c, pa.string()) for c in self._columns])
            self._writer = self._pq.ParquetWriter(str(self._path), schema)
        arrays = [
            pa.array([None if r.get(c) is None else str(r.get(c)) for r in batch], type=pa.string())
            for c in self._columns
        ]
        self._writer.write_table(pa.Table.from_arrays(arrays, names=self._columns))

    def close(self) -> None:
        if self._writer is None:
            pa = self._pa
            cols = self._columns or []
            self._writer = self._pq.ParquetWriter(str(self._path), pa.schema([(c, pa.string()) for c in cols]))
        self._writer.close()


def _open_text(path: Path) -> IO[str]:
    return open(path, "w", encoding="utf-8", newline="")  # export_rows closes it


async def export_rows(
    rows: AsyncIterable[Any],
    path: str | os.PathLike[str],
    format: ExportFormat | None = None,
    progress: ProgressCallback | None = None,
    *,
    total: int | None = None,
    columns: Sequence[str] | None = None,
    batch_size: int = 1000,
    progress_interval: float = 0.25,
) -> ExportResult:
    """Write ``rows`` (dicts or pydantic models) to ``path`` as JSON Lines, CSV or Parquet.

    ``format`` defaults from the suffix. ``progress`` is called at most every ``progress_interval`` seconds
    and once at the end; ``total`` defaults to the stream's ``total`` (``RowStream.total``, NetSuite's
    ``totalResults``) once known. CSV and Parquet take their columns from ``columns`` or from the first batch
    (a later row with a new column raises ValueError). Parquet needs the ``parquet`` extra (pyarrow).

    Examples:
        >>> async def to_csv(ns: "NetSuiteClient") -> int:
        ...     rows = ns.suiteql.stream("SELECT id, email FROM customer ORDER BY id")
        ...     return (await export_rows(rows, "customers.csv")).rows
    """
    target = Path(path)
    fmt = _format_for(target, format)
    positive_int("batch_size", batch_size)
    if columns is not None and (isinstance(columns, str) or not all(isinstance(c, str) for c in columns)):
        raise TypeError("columns must be a list of column names")
    part = target.with_name(target.name + ".part")
    started = time.perf_counter()
    last_report = started
    count = 0

    def report() -> None:
        if progress is not None:
            known = total if total is not None else getattr(rows, "total", None)
            progress(ExportProgress(rows=count, elapsed=time.perf_counter() - started, total=known))

    fh: IO[str] | None = None
    writer: _Writer
    if fmt == "parquet":
        writer = _ParquetWriter(part, columns)
    else:
        fh = await anyio.to_thread.run_sync(_open_text, part)
        writer = _JSONLWriter(fh) if fmt == "jsonl" else _CSVWriter(fh, columns)
    ok = False
    try:
        batch: list[Mapping[str, Any]] = []
        async for row in rows:
            batch.append(_as_dict(row))
            if len(batch) >= batch_size:
                # File writes run in a worker thread so a slow disk never stalls the page fetches.
                await anyio.to_thread.run_sync(writer.write, batch)
                count += len(batch)
                batch = []
                now = time.perf_counter()
                if now - last_report >= progress_interval:
                    last_report = now
                    report()
        if batch:
            await anyio.to_thread.run_sync(writer.write, batch)
            count += len(batch)
        await anyio.to_thread.run_sync(writer.close)
        ok = True
    finally:
        if fh is not None:
            fh.close()
        if ok:
            os.replace(part, target)
        else:
            part.unlink(missing_ok=True)
    report()
    return ExportResult(rows=count, path=target, format=fmt, seconds=time.perf_counter() - started)
