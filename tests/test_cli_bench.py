"""The benchmark runner's report (Markdown table, PNG plots) and how `netsuite-async bench` finds it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from netsuite_async.cli import main
from netsuite_async.cli.cmd_bench import find_benchmarks

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def run_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", BENCHMARKS / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def transport_doc() -> dict[str, object]:
    return {
        "benchmark": "transport",
        "params": {"limit_c": 10, "latency_ms": 100.0},
        "machine": {"platform": "test", "python": "3.11", "cpus": 2, "load_average": [0.1, 0.1, 0.1]},
        "rows": [
            {"scenario": "known | limit", "fraction_of_ideal": 0.95, "pass": True},
            {"scenario": "4x", "fraction_of_ideal": 0.8, "pass": False},
        ],
        "series": {
            "limit_sweep": [
                {
                    "limit": c,
                    "ideal_rps": c * 10.0,
                    "library_rps": c * 9.5,
                    "bare_gather_ok_rps": 10.0,
                    "sequential_rps": 10.0,
                }
                for c in (1, 2, 5, 10)
            ],
            "adaptive_timeline": {
                "t": [0.125, 0.375, 0.625],
                "rps": [50.0, 90.0, 95.0],
                "limit_t": [0.0, 0.2, 0.4],
                "limit": [40.0, 28.0, 11.0],
                "ideal_rps": 100.0,
                "ceiling": 40,
                "limit_c": 10,
            },
        },
    }


def test_markdown_has_a_table_per_benchmark_with_escaped_cells(run_module: ModuleType) -> None:
    text = run_module.markdown({"transport": transport_doc()}, [{"script": "bench_transport.py", "exit": 0}])
    assert "## transport" in text
    assert "| scenario | fraction_of_ideal | pass |" in text
    assert "known \\| limit" in text
    assert "**no**" in text  # a missed target stands out
    assert "`limit_c=10`" in text


def test_rows_of_tolerates_documents_without_the_rows_convention(run_module: ModuleType) -> None:
    assert run_module.rows_of({"rows_per_second": 10.0, "nested": {"a": 1}}) == [{"rows_per_second": 10.0}]
    assert run_module.rows_of({"results": [{"a": 1}, {"a": 2}]}) == [{"a": 1}, {"a": 2}]


def test_plots_are_written_as_png(run_module: ModuleType, tmp_path: Path) -> None:
    written = run_module.plots({"transport": transport_doc()}, tmp_path)
    assert {p.name for p in written} == {"throughput_vs_limit.png", "adaptive_convergence.png"}
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_load_results_reads_only_this_runs_files(run_module: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "transport.json").write_text(json.dumps(transport_doc()), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    docs = run_module.load_results(tmp_path, since=0.0)
    assert docs["transport"]["benchmark"] == "transport"
    assert "error" in docs["broken"]
    assert run_module.load_results(tmp_path, since=4102444800.0) == {}  # files older than the run are ignored


def test_unknown_benchmark_name_is_refused(run_module: ModuleType) -> None:
    with pytest.raises(SystemExit, match="no such benchmark: nope"):
        run_module.discover(["nope"])


def test_bench_command_finds_the_checkout_benchmarks(tmp_path: Path) -> None:
    assert find_benchmarks(BENCHMARKS.parent) == BENCHMARKS
    assert find_benchmarks(BENCHMARKS / "results") == BENCHMARKS


def test_bench_help_describes_the_outputs() -> None:
    result = CliRunner().invoke(main, ["bench", "--help"])
    assert result.exit_code == 0
    assert "JSON" in result.stdout
    assert "plots" in result.stdout


def governor_doc(passed: bool) -> dict[str, object]:
    return {
        "benchmark": "governor",
        "params": {"latency_ms": 50.0, "peer_requests": 120},
        "rows": [
            {"group": "too_high", "scenario": "netsuite-async, C=5, told 20 (4x)", "fraction_of_ideal": 0.9,
             "share_429": 0.01, "answered_429": 6, "failed": 0, "target": ">= 0.85 of C/L", "pass": passed},
            {"group": "too_high", "scenario": "bare httpx2 + semaphore, C=5, told 20", "fraction_of_ideal": 0.5,
             "share_429": 0.5, "target": "comparison", "pass": None},
        ],
    }


def test_targets_lists_only_rows_with_a_verdict_and_the_summary_fails_on_a_miss(
    run_module: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    found = run_module.targets({"governor": governor_doc(False)})
    assert [t["scenario"] for t in found] == ["netsuite-async, C=5, told 20 (4x)"]
    assert "share_429=0.010" in found[0]["measured"]
    assert run_module.print_summary(found, [{"script": "bench_governor.py", "exit": 0}]) is False
    out = capsys.readouterr().out
    assert "FAIL  governor: netsuite-async, C=5, told 20 (4x)" in out
    assert "NOT ALL TARGETS MET" in out
    ok = run_module.targets({"governor": governor_doc(True)})
    assert run_module.print_summary(ok, [{"script": "bench_governor.py", "exit": 0}]) is True
    assert run_module.print_summary(ok, [{"script": "bench_governor.py", "exit": 1}]) is False  # a crashed script


def test_the_docs_page_is_generated_from_the_run(run_module: ModuleType, tmp_path: Path) -> None:
    docs = {"governor": governor_doc(True), "transport": transport_doc()}
    runs = [{"script": "bench_governor.py", "exit": 0, "seconds": 1.0}]
    written = run_module.governor_plot(docs, tmp_path)
    assert [p.name for p in written] == ["governor_clients.png"]
    page = run_module.docs_page(docs, runs, run_module.targets(docs), ["governor_clients.png"],
                                "python benchmarks/run.py --only governor")
    assert page.startswith("# Benchmarks")
    assert "`python benchmarks/run.py --only governor`" in page
    assert "## Targets" in page
    assert "netsuite-async, C=5, told 20 (4x)" in page
    assert "(assets/benchmarks/governor_clients.png)" in page
    assert "fewer requests (120)" in page
    assert "## governor" in page
    assert "## transport" in page


def test_kept_sections_of_the_docs_page_are_carried_over_verbatim(run_module: ModuleType) -> None:
    current = ("# Benchmarks\n\nold numbers\n\n<!-- kept: policy -->\n## Access policy\n\n| a |\n|---|\n| 1 |\n"
               "<!-- /kept -->\n\n## All results of the last full run\n")
    kept = run_module.kept_sections(current)
    assert kept == ["<!-- kept: policy -->\n## Access policy\n\n| a |\n|---|\n| 1 |\n<!-- /kept -->\n"]
    page = run_module.docs_page({"governor": governor_doc(True)}, [], [], [], "python benchmarks/run.py", kept)
    assert kept[0] in page
    assert "old numbers" not in page
    assert "## Measured in other runs" in page
