"""The doc passages the benchmark runner writes (benchmarks/docs_blocks.py): markers in place, every block rendered
from the committed results, idempotent, and a block whose result is missing left untouched."""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
RESULTS = BENCHMARKS / "results"

# Blocks whose markers are not placed yet (none: docs/observability.md's tracing table is a snippet include of
# benchmarks/results/tracing.md, which bench_tracing.py itself writes from the same run).
PENDING_MARKERS: set[str] = set()


def load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def blocks() -> ModuleType:
    return load("docs_blocks")


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob("*.json"))
            if p.name != "summary.json"}


def copy_tree(blocks: ModuleType, tmp_path: Path) -> Path:
    """The files holding blocks, copied under tmp_path (the tests never write to the checkout)."""
    for block in blocks.BLOCKS:
        target = tmp_path / block.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / block.path, target)
    return tmp_path


def passage(text: str, name: str) -> str:
    start = text.index(f"<!-- bench:{name} -->")
    return text[start:text.index("<!-- /bench -->", start)]


def test_every_block_has_its_markers(blocks: ModuleType) -> None:
    names = [b.name for b in blocks.BLOCKS]
    assert len(names) == len(set(names))
    for block in blocks.BLOCKS:
        text = (ROOT / block.path).read_text(encoding="utf-8")
        if block.name in PENDING_MARKERS and not blocks.has_marker(text, block.name):
            continue
        assert text.count(f"<!-- bench:{block.name} -->") == 1, block.name
        assert blocks.has_marker(text, block.name), block.name
    # every marker in those files belongs to a block the runner knows
    for path in {b.path for b in blocks.BLOCKS}:
        text = (ROOT / path).read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith("<!-- bench:"):
                assert line.removeprefix("<!-- bench:").removesuffix(" -->") in names, line


def test_committed_results_render_every_block(blocks: ModuleType, committed: dict[str, Any]) -> None:
    strictest = any(str(r.get("method", "")).startswith("suiteql.stream, strictest")
                    for r in committed.get("suiteql", {}).get("rows", []))
    expect_missing = {
        "readme-demo": "demo" not in committed,
        "testing-emulator": "bench_emulator" not in committed,
        "suiteql-strictest": not strictest,
    }
    for block in blocks.BLOCKS:
        if expect_missing.get(block.name):
            with pytest.raises(blocks.MissingResult):
                block.render(committed)
            continue
        body = block.render(committed)
        # Every block says where its numbers come from (a block following another one says "in the same run").
        assert "by the benchmark runner" in body.lower() or "in the same run" in body.lower(), block.name
        assert blocks.END not in body


def test_rendered_numbers_come_from_the_results(blocks: ModuleType, committed: dict[str, Any]) -> None:
    transport = {r.get("scenario"): r for r in committed["transport"]["rows"]}
    known = transport["netsuite-async, limit known (C=10)"]
    compare = blocks.readme_compare(committed)
    assert f"**{known['throughput_rps']:.1f}** ({known['fraction_of_ideal']:.2f})" in compare
    gather = transport["unbounded gather, bare httpx2"]
    assert f"{gather['ok']:,} of {gather['requests']:,} succeeded" in compare
    stream = next(r for r in committed["suiteql"]["rows"] if r["method"].startswith("suiteql.stream (keyset"))
    assert f"**{stream['rows_per_s']:,}**" in compare
    assert f"| {stream['rows_per_s']:,} |" in blocks.suiteql(committed)

    peers = blocks.readme_peers(committed)
    for r in committed["governor"]["rows"]:
        if r.get("group") == "too_high" and "C=" in r["scenario"]:
            assert f"{r['failed']:,} of {r['requests']:,} failed" in peers or r["failed"] == 0
    assert "jacobsvante's `netsuite`" in peers

    redis = blocks.scaling_redis(committed)
    for r in committed["redis"]["rows"]:
        assert f"| {r['fraction_of_ideal']:.2f} | {r['answered_429']} of {r['requests']} |" in redis
    policy = blocks.agents_cost(committed)
    assert f"{committed['policy']['worst_overhead_pct_loopback']:.1f}% of a loopback call" in policy
    batch = blocks.batch_cost(committed)
    for r in committed["batch"]["rows"]:
        assert f"| {r['attempts_per_record']:.2f} |" in batch


def test_rerendering_is_idempotent(blocks: ModuleType, committed: dict[str, Any], tmp_path: Path) -> None:
    root = copy_tree(blocks, tmp_path)
    blocks.update_docs(committed, root)
    first = {b.path: (root / b.path).read_text(encoding="utf-8") for b in blocks.BLOCKS}
    again = blocks.update_docs(committed, root)
    assert again.written == []
    assert {b.path: (root / b.path).read_text(encoding="utf-8") for b in blocks.BLOCKS} == first
    assert set(again.rendered) >= {"readme-compare", "readme-peers", "suiteql", "agents-cost", "scaling-redis",
                                   "batch-cost"}


def test_a_missing_result_leaves_its_block_untouched(blocks: ModuleType, committed: dict[str, Any],
                                                     tmp_path: Path) -> None:
    root = copy_tree(blocks, tmp_path)
    before = (root / "README.md").read_text(encoding="utf-8")
    partial = {k: v for k, v in committed.items() if k != "transport"}
    outcome = blocks.update_docs(partial, root)
    skipped = dict(outcome.skipped)
    assert "transport.json" in skipped["readme-compare"]
    assert "readme-compare" not in outcome.rendered
    assert "readme-peers" in outcome.rendered
    after = (root / "README.md").read_text(encoding="utf-8")
    assert passage(after, "readme-compare") == passage(before, "readme-compare")
    # A result without a field a block reads is skipped the same way, not an error.
    suiteql = copy.deepcopy(committed["suiteql"])
    del suiteql["memory"]
    outcome = blocks.update_docs({**committed, "suiteql": suiteql}, root)
    assert "suiteql" in dict(outcome.skipped)


def test_markers_are_required_and_the_body_cannot_close_them(blocks: ModuleType) -> None:
    with pytest.raises(ValueError, match="no <!-- bench:x -->"):
        blocks.replace_block("no markers here\n", "x", "body")
    text = "a\n<!-- bench:x -->\nold\n<!-- /bench -->\nb\n"
    assert blocks.replace_block(text, "x", "new") == "a\n<!-- bench:x -->\n\nnew\n\n<!-- /bench -->\nb\n"
    with pytest.raises(ValueError, match="end marker"):
        blocks.replace_block(text, "x", "new <!-- /bench -->")


def test_wrapped_prose_never_starts_a_line_as_markdown(blocks: ModuleType) -> None:
    text = "word " * 20 + "- not a list " + "x" * 90 + " 1. not a list either, and 14.6 µs stays whole"
    wrapped = blocks.para(text)
    lines = wrapped.splitlines()
    assert len(lines) > 1
    assert all(not blocks.MARKDOWN_START.match(line) for line in lines[1:])
    assert all(len(line) <= blocks.WIDTH for line in lines)
    assert "14.6 µs" in wrapped
    assert " ".join(wrapped.split()) == " ".join(text.split())


def test_suiteql_strictest_block_from_the_benchmarks_rows(blocks: ModuleType, committed: dict[str, Any]) -> None:
    doc = copy.deepcopy(committed["suiteql"])
    total = doc["params"]["rows"]
    doc["rows"][2:2] = [
        {"method": "suiteql.stream, strictest dialect", "rows": total, "seconds": 30.0, "rows_per_s": 33333,
         "of_ideal": 0.267},
        {"method": "suiteql.stream without ORDER BY, strictest dialect", "rows": total, "seconds": 25.0,
         "rows_per_s": 40000, "of_ideal": 0.32},
    ]
    doc["governor"]["strictest_limited"] = 0
    body = blocks.suiteql_strictest({"suiteql": doc})
    stream = next(r for r in doc["rows"] if r["method"].startswith("suiteql.stream (keyset"))
    assert f"| 33,333 | 0.27 | {33333 / stream['rows_per_s']:.2f} | {total:,} |" in body
    assert "with 0 429s under the strictest dialect" in body


def test_emulator_block(blocks: ModuleType) -> None:
    doc = {"benchmark": "bench_emulator", "params": {"seconds": 5.0, "connections": 16, "target_req_per_s": 2000},
           "machine": {"cpus": 2, "python": "3.11.7", "load_average": [0.5, 0.5, 0.5]},
           "rows": [{"route": "record get", "requests": 30000, "non_200": 0, "wall_req_per_s": 6000,
                     "server_cpu_s": 4.9, "req_per_cpu_s": 6122},
                    {"route": "record list (limit 10)", "requests": 9000, "non_200": 0, "wall_req_per_s": 1800,
                     "server_cpu_s": 5.0, "req_per_cpu_s": 1800}]}
    body = blocks.testing_emulator({"bench_emulator": doc})
    assert "| record get | 6,122 | 6,000 | 0 |" in body
    assert "not met for record list (limit 10)" in body


@pytest.mark.anyio
@pytest.mark.both_backends
async def test_demo_block_from_a_real_demo_run(blocks: ModuleType, tmp_path: Path) -> None:
    from netsuite_async.cli.demo import DemoOptions, run_demo

    bench_demo = load("bench_demo")
    options = DemoOptions(customers=20, orders=40, limit=3, latency_ms=5, out=tmp_path / "demo.jsonl")
    report = (await run_demo(options, show_progress=False)).as_dict()
    rows, summary = bench_demo.summarize(report)
    doc = {"benchmark": "demo", "params": {"customers": 20, "orders": 40, "limit": 3, "latency_ms": 5.0},
           "machine": {"cpus": 2}, "rows": rows, "summary": summary}
    body = blocks.readme_demo({"demo": doc})
    assert f"│ {report['requests']:,}" in body
    assert "(limit 3)" in body
    assert "40 -> demo.jsonl" in body
    assert "20 customers and 40 sales orders" in body
    assert summary["rows_written"] == 40
    assert [r["step"] for r in rows][-1] == "SuiteQL -> JSONL"


def test_a_full_run_rewrites_the_blocks_its_benchmarks_cover(
    blocks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """run.py end to end in a copy of the tree: the script run (stubbed: it writes the committed governor result,
    as bench_governor.py would) leads to readme-peers being rewritten and readme-compare being skipped."""
    root = copy_tree(blocks, tmp_path)
    readme = root / "README.md"
    readme.write_text(blocks.replace_block(readme.read_text(encoding="utf-8"), "readme-peers", "placeholder"),
                      encoding="utf-8")
    before = readme.read_text(encoding="utf-8")
    run = load("run")
    results = root / "benchmarks" / "results"
    results.mkdir(parents=True)

    def fake_script(script: Path, where: Path, quick: bool, timeout: float) -> dict[str, Any]:
        shutil.copyfile(RESULTS / "governor.json", where / "governor.json")
        return {"script": script.name, "exit": 0, "seconds": 0.0}

    monkeypatch.setattr(run, "HERE", root / "benchmarks")
    monkeypatch.setattr(run, "run_script", fake_script)
    monkeypatch.setattr(run, "discover", lambda only: [Path("bench_governor.py")])
    run.main([])
    after = readme.read_text(encoding="utf-8")
    assert "placeholder" not in passage(after, "readme-peers")
    assert "jacobsvante's `netsuite`" in passage(after, "readme-peers")
    assert passage(after, "readme-compare") == passage(before, "readme-compare")
    out = capsys.readouterr().out
    assert "doc block skipped, left unchanged: readme-compare: results/transport.json" in out
    assert (root / "docs" / "benchmarks.md").is_file()


def test_runs_with_a_results_directory_or_quick_write_no_docs(blocks: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    run = load("run")
    calls: list[object] = []

    def record(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return blocks.Outcome()

    monkeypatch.setattr(run, "run_script", lambda *a, **k: {"script": "bench_x.py", "exit": 0, "seconds": 0.0})
    monkeypatch.setattr(run, "discover", lambda only: [Path("bench_x.py")])
    monkeypatch.setattr(run.docs_blocks, "update_docs", record)
    run.main(["--results", str(tmp_path)])
    run.main(["--quick", "--results", str(tmp_path / "q")])
    assert calls == []


def test_an_only_run_keeps_the_other_benchmarks_last_results(
    blocks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run.py --only governor`` after a full run: governor's result and script line are replaced, every other
    benchmark keeps its last result and line (summary.json, results.md), and the exit code and the PASS/FAIL lines
    are this run's alone (a kept benchmark's missed target does not fail it)."""
    run = load("run")
    previous_transport = json.loads((RESULTS / "transport.json").read_text(encoding="utf-8"))
    missed = {"rows": [{"scenario": "old", "target": "t", "pass": False}]}
    (tmp_path / "summary.json").write_text(json.dumps({
        "quick": False,
        "runs": [{"script": "bench_governor.py", "exit": 0, "seconds": 1.0, "at": "2026-12-01 10:00 UTC"},
                 {"script": "bench_transport.py", "exit": 0, "seconds": 2.0, "at": "2026-12-01 10:01 UTC"},
                 {"script": "bench_x.py", "exit": 0, "seconds": 3.0, "at": "2026-12-01 10:02 UTC"}],
        "results": {"governor": {"rows": []}, "transport": previous_transport, "x": missed},
    }), encoding="utf-8")

    def fake_script(script: Path, where: Path, quick: bool, timeout: float) -> dict[str, Any]:
        shutil.copyfile(RESULTS / "governor.json", where / "governor.json")
        return {"script": script.name, "exit": 0, "seconds": 0.5, "at": "2026-12-03 12:00 UTC"}

    monkeypatch.setattr(run, "run_script", fake_script)
    monkeypatch.setattr(run, "discover", lambda only: [Path("bench_governor.py")])
    code = run.main(["--only", "governor", "--results", str(tmp_path)])
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert sorted(summary["results"]) == ["governor", "transport", "x"]
    assert summary["results"]["transport"] == previous_transport
    assert summary["results"]["governor"] == json.loads((RESULTS / "governor.json").read_text(encoding="utf-8"))
    assert [(r["script"], r["at"]) for r in summary["runs"]] == [
        ("bench_governor.py", "2026-12-03 12:00 UTC"), ("bench_transport.py", "2026-12-01 10:01 UTC"),
        ("bench_x.py", "2026-12-01 10:02 UTC")]
    page = (tmp_path / "results.md").read_text(encoding="utf-8")
    for name in ("governor", "transport", "x"):
        assert f"## {name}" in page
    # The kept benchmark's missed target is in the summary, but this run (governor only) is judged on its own.
    assert any(t["benchmark"] == "x" and t["pass"] is False for t in summary["targets"])
    out = capsys.readouterr().out
    assert "x: old" not in out
    assert code == (0 if all(t["pass"] for t in run.targets({"governor": summary["results"]["governor"]})) else 1)


def test_a_quick_run_never_merges(blocks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run = load("run")
    (tmp_path / "summary.json").write_text(json.dumps({"quick": False, "runs": [], "results": {"x": {"rows": []}}}),
                                           encoding="utf-8")
    monkeypatch.setattr(run, "run_script", lambda *a, **k: {"script": "bench_governor.py", "exit": 0, "seconds": 0.0})
    monkeypatch.setattr(run, "discover", lambda only: [Path("bench_governor.py")])
    run.main(["--quick", "--only", "governor", "--results", str(tmp_path)])
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["results"] == {}
