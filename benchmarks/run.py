"""Run every benchmark and write JSON, a Markdown table and PNG plots.

    python benchmarks/run.py [--quick] [--only transport] [--results DIR] [--timeout SECONDS]

``--quick`` runs only the governor benchmark, trimmed to under a minute, unless ``--only`` names others.
Every row with a target carries ``pass``; the run ends with a PASS/FAIL line per target and exits non-zero when
a target was missed or a script failed.

Each ``bench_*.py`` runs in its own process (and starts its emulator in yet another one, see harness.py). When
all have finished this writes, in the results directory:

- ``summary.json``: every benchmark's result document, plus how each script exited;
- ``results.md``: one Markdown table per benchmark (docs/benchmarks.md includes it);
- ``throughput_vs_limit.png``: throughput against the concurrency limit: netsuite-async, an unbounded gather on
  bare httpx2, a sequential loop, and the ideal C/L;
- ``adaptive_convergence.png``: throughput and the adaptive governor's limit over time when configured 4x too
  high;
- ``governor_clients.png``: fraction of C/L and share of requests answered 429 per client (netsuite-async, bare
  httpx2 + semaphore, netsuite 0.12, a sequential loop) from the governor benchmark.

A run that writes to the default results directory (not ``--quick``) also regenerates ``docs/benchmarks.md`` (and
copies the plots to ``docs/assets/benchmarks/``), and rewrites every ``<!-- bench:NAME -->`` ... ``<!-- /bench -->``
passage of the README and docs/*.md from the results (``docs_blocks.py``). With ``--only``, the benchmarks it did
not run keep their last results (``merge_previous``: read back from ``summary.json``), so the page and the passages
always cover every benchmark; each script's line in the Scripts table says when it ran (``at``, UTC). A passage
whose benchmark has no result at all is left as it is, and the run prints that it skipped it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # docs_blocks is a sibling module: benchmarks/ is not a package

import docs_blocks  # noqa: E402

QUICK_DEFAULT = ("governor",)


def discover(only: list[str]) -> list[Path]:
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in only}
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
        missing = wanted - {s.stem.removeprefix("bench_") for s in scripts}
        if missing:
            raise SystemExit(f"no such benchmark: {', '.join(sorted(missing))}")
    return scripts


def run_script(script: Path, results: Path, quick: bool, timeout: float) -> dict[str, Any]:
    env = dict(os.environ, NETSUITE_BENCH_RESULTS=str(results), PYTHONUNBUFFERED="1")
    if quick:
        env["NETSUITE_BENCH_QUICK"] = "1"
    started = time.perf_counter()
    print(f"== {script.name}", flush=True)
    try:
        proc = subprocess.run([sys.executable, str(script)], env=env, cwd=HERE.parent, timeout=timeout, check=False)
        code: int | str = proc.returncode
    except subprocess.TimeoutExpired:
        code = "timeout"
    seconds = time.perf_counter() - started
    print(f"== {script.name}: exit {code} in {seconds:.1f} s", flush=True)
    at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(time.time() - seconds))
    return {"script": script.name, "exit": code, "seconds": round(seconds, 1), "at": at}


def merge_previous(results: Path, docs: dict[str, Any], runs: list[dict[str, Any]]
                   ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """This run's results and scripts over the last non-quick run's (``results/summary.json``): a result document
    this run did not write and a script it did not run are kept as they were (with the ``at`` of their run).

    Used for every ``--only`` run (not ``--quick``), so that re-running one benchmark never drops the others from
    ``summary.json``, ``results.md`` and docs/benchmarks.md; what the run prints and exits with is its own.
    """
    try:
        previous = json.loads((results / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return docs, runs
    if not isinstance(previous, dict) or previous.get("quick"):
        return docs, runs
    rerun = {r["script"] for r in runs}
    kept_runs = [r for r in previous.get("runs") or [] if isinstance(r, dict) and r.get("script") not in rerun]
    kept_docs = {k: v for k, v in (previous.get("results") or {}).items() if k not in docs}
    merged_runs = sorted([*kept_runs, *runs], key=lambda r: str(r.get("script")))
    return dict(sorted({**kept_docs, **docs}.items())), merged_runs


def load_results(results: Path, since: float) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    for path in sorted(results.glob("*.json")):
        if path.name == "summary.json" or path.stat().st_mtime < since:
            continue
        try:
            docs[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            docs[path.stem] = {"error": f"{path.name} is not valid JSON"}
    return docs


def _fmt(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "**no**"
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value).replace("|", "\\|")


def table(rows: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for r in rows:
        columns += [k for k in r if k not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return lines


def rows_of(doc: Any) -> list[dict[str, Any]]:
    """A benchmark's rows: its ``rows`` list when it follows the convention, else its flat scalar fields."""
    if isinstance(doc, dict) and isinstance(doc.get("rows"), list) and all(isinstance(r, dict) for r in doc["rows"]):
        return list(doc["rows"])
    if isinstance(doc, dict):
        flat = {k: v for k, v in doc.items() if isinstance(v, (str, int, float, bool)) or v is None}
        nested = [v for v in doc.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if nested:
            return list(nested[0])
        return [flat] if flat else []
    if isinstance(doc, list) and all(isinstance(r, dict) for r in doc):
        return list(doc)
    return []


def markdown(docs: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    out = ["# Benchmark results", ""]
    machine = next((d.get("machine") for d in docs.values() if isinstance(d, dict) and d.get("machine")), None)
    if machine:
        out += [
            f"Measured on {machine.get('platform')}, Python {machine.get('python')}, "
            f"{machine.get('cpus')} CPUs (load average at the time: {machine.get('load_average')}).",
            "",
        ]
    for name, doc in docs.items():
        out += [f"## {name}", ""]
        params = doc.get("params") if isinstance(doc, dict) else None
        if params:
            out += ["Parameters: " + ", ".join(f"`{k}={v}`" for k, v in params.items()), ""]
        rows = rows_of(doc)
        out += [*table(rows), ""] if rows else ["(no rows)", ""]
    out += ["## Scripts", "", *table(runs), ""]
    return "\n".join(out)


def plots(docs: dict[str, Any], results: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping plots (pip install 'netsuite-asyncio-client[bench]')")
        return []
    written: list[Path] = []
    series = (docs.get("transport") or {}).get("series") or {}
    sweep = series.get("limit_sweep") or []
    if sweep:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        limits = [p["limit"] for p in sweep]
        ax.plot(limits, [p["ideal_rps"] for p in sweep], "k--", label="ideal C/L")
        ax.plot(limits, [p["library_rps"] for p in sweep], "o-", label="netsuite-async (governed)")
        ax.plot(limits, [p["bare_gather_ok_rps"] for p in sweep], "s-", label="gather on bare httpx2 (successes)")
        ax.plot(limits, [p["sequential_rps"] for p in sweep], "^-", label="sequential loop")
        ax.set_xlabel("account concurrency limit C")
        ax.set_ylabel("successful requests / s")
        ax.set_title("Throughput against the concurrency limit")
        ax.grid(alpha=0.3)
        ax.legend()
        path = results / "throughput_vs_limit.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    timeline = series.get("adaptive_timeline") or {}
    if timeline.get("t"):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.plot(timeline["t"], timeline["rps"], label="throughput (requests/s)")
        ax.axhline(timeline["ideal_rps"], color="k", linestyle="--", label="ideal C/L")
        ax.set_xlabel("seconds")
        ax.set_ylabel("requests / s")
        ax2 = ax.twinx()
        ax2.step(timeline["limit_t"], timeline["limit"], where="post", color="tab:red", label="governor limit")
        ax2.axhline(timeline["limit_c"], color="tab:red", linestyle=":", label="true limit C")
        ax2.set_ylabel("concurrency limit")
        ax2.set_ylim(0, timeline["ceiling"] * 1.1)
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="lower right")
        ax.set_title(f"Adaptive governor configured {timeline['ceiling']} against a limit of {timeline['limit_c']}")
        ax.grid(alpha=0.3)
        path = results / "adaptive_convergence.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def targets(docs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row with a target (``pass`` true or false), as benchmark, scenario, target, pass and key numbers."""
    keys = ("fraction_of_ideal", "share_429", "answered_429", "failed", "vs_bare", "cpu_ratio", "throughput_ratio",
            "ratio", "shares_while_both_ran")
    out: list[dict[str, Any]] = []
    for name, doc in docs.items():
        for r in rows_of(doc):
            if r.get("pass") in (True, False):
                numbers = ", ".join(f"{k}={_fmt(r[k])}" for k in keys if k in r and r[k] is not None)
                out.append({"benchmark": name, "scenario": r.get("scenario", ""), "target": r.get("target", ""),
                            "measured": numbers, "pass": r["pass"]})
    return out


def print_summary(found: list[dict[str, Any]], runs: list[dict[str, Any]]) -> bool:
    """Print PASS/FAIL per target; True when every target was met and every script exited 0."""
    print("\n== targets")
    for t in found:
        print(f"{'PASS' if t['pass'] else 'FAIL'}  {t['benchmark']}: {t['scenario']} [{t['target']}] {t['measured']}")
    bad_scripts = [r for r in runs if r["exit"] != 0]
    for r in bad_scripts:
        print(f"FAIL  script {r['script']} exited {r['exit']}")
    ok = all(t["pass"] for t in found) and not bad_scripts
    missed = sum(1 for t in found if not t["pass"])
    print(f"== {len(found) - missed} of {len(found)} targets met" + ("" if ok else " -- NOT ALL TARGETS MET"))
    return ok


def governor_plot(docs: dict[str, Any], results: Path) -> list[Path]:
    rows = [r for r in rows_of(docs.get("governor") or {}) if r.get("group") in ("too_high", "known")
            and r.get("fraction_of_ideal") is not None]
    if not rows:
        return []
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    labels = [str(r["scenario"]).replace(", ", "\n", 1) for r in rows]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 7.5), sharex=True)
    xs = range(len(rows))
    colours = ["tab:blue" if str(r["scenario"]).startswith("netsuite-async") else "tab:gray" for r in rows]
    ax1.bar(xs, [r["fraction_of_ideal"] for r in rows], color=colours)
    ax1.axhline(0.85, color="k", linestyle=":", label="target for netsuite-async told 4x too high (0.85)")
    ax1.set_ylabel("successful requests/s ÷ (C/L)")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.grid(axis="y", alpha=0.3)
    bars = ax2.bar(xs, [100 * r["share_429"] for r in rows], color=colours)
    for bar, r in zip(bars, rows, strict=True):
        ax2.annotate(f"{r.get('failed', 0)} of {r.get('requests', '?')}\nfailed", (bar.get_x() + bar.get_width() / 2,
                     bar.get_height()), ha="center", va="bottom", fontsize=6)
    ax2.axhline(2, color="k", linestyle=":", label="target: <= 2% answered 429")
    ax2.set_ylabel("% of requests answered 429")
    ax2.set_ylim(0, 110)
    ax2.legend(loc="upper right", fontsize=8)
    ax2.grid(axis="y", alpha=0.3)
    ax2.set_xticks(list(xs))
    ax2.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax1.set_title("GETs fired at once, L = 50 ms: netsuite-async (blue) beside other clients (gray)")
    ax1.set_ylim(0, 1.1)
    fig.tight_layout()
    path = results / "governor_clients.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]


DOCS_INTRO = """# Benchmarks

Everything here is measured against the emulator served on loopback in a separate process, with a concurrency
limit **C** and a fixed latency **L** per request, so the best any client can do is **C / L** requests per second.
This page is written by the benchmark runner; no number on it is typed by hand.
Last run: {command}. The Scripts table at the end says when each benchmark ran (`--only NAME` re-runs one and
keeps the others' last results).

```bash
python benchmarks/run.py                   # every benchmark (about 15 minutes): rewrites this page
python benchmarks/run.py --only tracing    # one benchmark; the others keep their last results
python benchmarks/run.py --quick           # under a minute, PASS/FAIL per target, exit 1 on a miss
netsuite-async bench --quick               # the same from the CLI
```

`benchmarks/README.md` describes each script. The numbers depend on the machine: the emulator adds a few
milliseconds per request over loopback, and a busy machine adds more (the load average is recorded below).
jacobsvante's `netsuite` 0.12 runs in its own virtual environment made by the runner (`benchmarks/peers.py`),
pointed only at the loopback emulator; it opens a new HTTP client per request and does not retry, so it is run
with fewer requests ({peer_requests}) than the others.
"""


KEPT = re.compile(r"<!-- kept: .*?-->\n.*?<!-- /kept -->\n", re.S)


def kept_sections(page: str) -> list[str]:
    """Blocks of the current docs page marked ``<!-- kept: ... -->`` ... ``<!-- /kept -->``: sections about
    benchmarks this run did not measure, written by hand from their own runs; carried over verbatim."""
    return KEPT.findall(page)


def docs_page(docs: dict[str, Any], runs: list[dict[str, Any]], found: list[dict[str, Any]], plot_names: list[str],
              command: str, kept: list[str] | None = None) -> str:
    gov_params = (docs.get("governor") or {}).get("params") or {}
    out = [DOCS_INTRO.format(command=f"`{command}`", peer_requests=gov_params.get("peer_requests", "fewer")), ""]
    out += ["## Targets", "", *table(found), ""]
    captions = {
        "governor_clients.png": "Throughput and 429s per client, limit told 4x too high and known",
        "adaptive_convergence.png": "The adaptive governor converging from 4x too high (transport benchmark)",
        "throughput_vs_limit.png": "Throughput against the concurrency limit (transport benchmark)",
    }
    for name in plot_names:
        out += [f"![{captions.get(name, name)}](assets/benchmarks/{name})", ""]
    if kept:
        out += ["## Measured in other runs", "",
                "The sections below come from their own benchmark runs, not from the one above.", ""]
        out += [block for block in kept]
    out += ["## All results", "", markdown(docs, runs).split("\n", 2)[2]]
    return "\n".join(out)


def copy_to_docs(results: Path, plots_written: list[Path], page: str) -> None:
    """Full runs regenerate docs/benchmarks.md and its plots (quick runs never overwrite them)."""
    target = HERE.parent / "docs" / "assets" / "benchmarks"
    target.mkdir(parents=True, exist_ok=True)
    for path in [*plots_written, results / "results.md"]:
        shutil.copyfile(path, target / (path.name if path.suffix == ".png" else "results.md.txt"))
    (HERE.parent / "docs" / "benchmarks.md").write_text(page, encoding="utf-8")
    print(f"wrote docs/benchmarks.md and copied plots and results to {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--only", action="append", default=[], help="run only this benchmark (repeatable)")
    parser.add_argument("--results", type=Path, default=None, help="default benchmarks/results (quick: .../quick)")
    parser.add_argument(
        "--no-docs", action="store_true", help="do not copy plots and the table into docs/assets/benchmarks"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="per script, seconds")
    args = parser.parse_args(argv)
    default = HERE / "results" / "quick" if args.quick else HERE / "results"
    results: Path = (args.results or default).resolve()
    results.mkdir(parents=True, exist_ok=True)
    since = time.time() - 1.0
    only = args.only or (list(QUICK_DEFAULT) if args.quick else [])
    runs = [run_script(s, results, args.quick, args.timeout) for s in discover(only)]
    docs = load_results(results, since)
    ran, ran_docs = runs, docs  # this run's: what it prints and exits with
    if args.only and not args.quick:
        docs, runs = merge_previous(results, docs, runs)
    found = targets(docs)
    summary = {"runs": runs, "results": docs, "quick": args.quick, "targets": found}
    (results / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    (results / "results.md").write_text(markdown(docs, runs), encoding="utf-8")
    written = governor_plot(docs, results) + plots(docs, results)
    print(f"wrote {results / 'summary.json'}, {results / 'results.md'}" + "".join(f", {p}" for p in written))
    if not args.quick and not args.no_docs and args.results is None:
        command = "python benchmarks/run.py" + "".join(f" --only {o}" for o in only)
        current = HERE.parent / "docs" / "benchmarks.md"
        kept = kept_sections(current.read_text(encoding="utf-8")) if current.is_file() else []
        copy_to_docs(results, written, docs_page(docs, runs, found, [p.name for p in written], command, kept))
        # The numbers quoted elsewhere (README, docs/*.md) come from the same results: see docs_blocks.py.
        docs_blocks.report(docs_blocks.update_docs(docs, HERE.parent))
    failed = [r for r in ran if r["exit"] != 0]
    for r in failed:
        print(f"FAILED: {r['script']} (exit {r['exit']})", file=sys.stderr)
    return 0 if print_summary(targets(ran_docs), ran) else 1


if __name__ == "__main__":
    raise SystemExit(main())
