"""Specification of export_rows: JSONL/CSV files from row streams, progress reports, atomic output."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from netsuite_async.export import ExportProgress, export_rows

pytestmark = pytest.mark.anyio


async def gen_rows(n: int, *, fail_at: int | None = None) -> AsyncIterator[dict[str, Any]]:
    for i in range(1, n + 1):
        if fail_at is not None and i == fail_at:
            raise RuntimeError("the stream broke")
        row: dict[str, Any] = {"id": str(i), "email": f"c{i}@x.test"}
        if i % 2 == 0:
            row["memo"] = f'note, "quoted" {i}'
        yield row


async def test_jsonl_writes_one_object_per_line_and_reports_progress(tmp_path: Path) -> None:
    seen: list[ExportProgress] = []
    out = tmp_path / "rows.jsonl"
    result = await export_rows(gen_rows(2500), out, progress=seen.append, total=2500, batch_size=100,
                               progress_interval=0)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert result.rows == 2500
    assert [json.loads(x)["id"] for x in lines] == [str(i) for i in range(1, 2501)]
    assert seen[-1].rows == 2500
    assert seen[-1].total == 2500
    assert [p.rows for p in seen] == sorted(p.rows for p in seen)
    assert len(seen) >= 25


async def test_csv_header_covers_columns_missing_from_the_first_row(tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    await export_rows(gen_rows(5), out)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys()) == ["id", "email", "memo"]
    assert rows[0]["memo"] == ""
    assert rows[1]["memo"] == 'note, "quoted" 2'


async def test_csv_with_a_column_unseen_in_the_first_batch_fails_loudly(tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    with pytest.raises(ValueError, match="columns="):
        await export_rows(gen_rows(10), out, batch_size=1)
    assert not out.exists()


async def test_models_are_written_as_their_fields(tmp_path: Path) -> None:
    class Row(BaseModel):
        id: int
        ok: bool

    async def models() -> AsyncIterator[Row]:
        yield Row(id=1, ok=True)

    out = tmp_path / "m.jsonl"
    await export_rows(models(), out, "jsonl")
    assert json.loads(out.read_text()) == {"id": 1, "ok": True}


async def test_a_failed_stream_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    with pytest.raises(RuntimeError, match="broke"):
        await export_rows(gen_rows(3000, fail_at=2500), out, batch_size=100)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "fmt"), [("x.txt", None), ("x.jsonl", "xml")])
async def test_unknown_formats_are_refused_before_writing(tmp_path: Path, name: str, fmt: Any) -> None:
    with pytest.raises(ValueError, match="format"):
        await export_rows(gen_rows(1), tmp_path / name, fmt)
    assert list(tmp_path.iterdir()) == []


async def test_parquet_without_pyarrow_says_how_to_install_it(tmp_path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"netsuite-asyncio-client\[parquet\]"):
            await export_rows(gen_rows(1), tmp_path / "x.parquet")
    else:
        result = await export_rows(gen_rows(10), tmp_path / "x.parquet")
        assert result.rows == 10
