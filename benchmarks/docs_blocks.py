"""The numbers quoted outside docs/benchmarks.md, written by the runner from one run's JSON results.

A passage of a Markdown file between ``<!-- bench:NAME -->`` and ``<!-- /bench -->`` is generated: a full run of
``python benchmarks/run.py`` renders block NAME from the result documents of that run (``results/<name>.json``,
loaded by run.py) and replaces what is between the markers; everything outside them is prose written by hand and
is never touched. A block whose benchmark did not run (a result it needs is missing) is left as it is, and the
runner prints which block it skipped and why. Rendering is a pure function of the result documents, so running it
twice on the same results changes nothing.

    from docs_blocks import update_docs
    outcome = update_docs(docs, repo_root)    # docs: {"transport": {...}, "suiteql": {...}, ...}

``BLOCKS`` lists every block: its name, the file holding its markers and the results it reads.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Docs = Mapping[str, Any]


class MissingResult(LookupError):
    """A value a block needs is not in this run's results (its benchmark did not run, or ran without it)."""


# --------------------------------------------------------------------------------------------------- helpers


def need(docs: Docs, name: str) -> dict[str, Any]:
    """The result document ``results/<name>.json`` of this run, or MissingResult."""
    doc = docs.get(name)
    if not isinstance(doc, dict) or ("error" in doc and "rows" not in doc):
        raise MissingResult(f"results/{name}.json is not among this run's results")
    return doc


def field_of(doc: Mapping[str, Any], *path: str) -> Any:
    """``doc[path[0]][path[1]]...``, or MissingResult naming the path."""
    value: Any = doc
    for key in path:
        if not isinstance(value, Mapping) or value.get(key) is None:
            raise MissingResult(f"{doc.get('benchmark', '?')}: no {'.'.join(path)}")
        value = value[key]
    return value


def find_row(doc: Mapping[str, Any], key: str, prefix: str) -> dict[str, Any]:
    """The first row whose ``key`` starts with ``prefix``, or MissingResult."""
    for r in doc.get("rows") or []:
        if isinstance(r, dict) and str(r.get(key, "")).startswith(prefix):
            return r
    raise MissingResult(f"{doc.get('benchmark', '?')}: no row with {key} starting {prefix!r}")


def maybe_row(doc: Mapping[str, Any], key: str, prefix: str) -> dict[str, Any] | None:
    try:
        return find_row(doc, key, prefix)
    except MissingResult:
        return None


def machine(doc: Mapping[str, Any]) -> str:
    """"a 2-core machine (Python 3.11.7, load average 1.4)" from the result's ``machine`` record."""
    m = doc.get("machine") or {}
    cpus = m.get("cpus")
    core = f"a {cpus}-core machine" if cpus else "the benchmark machine"
    details = []
    if m.get("python"):
        details.append(f"Python {m['python']}")
    load = m.get("load_average")
    if isinstance(load, list) and load:
        details.append(f"load average {float(load[0]):.1f}")
    return core + (f" ({', '.join(details)})" if details else "")


def rate(value: float) -> str:
    """A rate with a sensible precision: 9.7, 96.1, 222, 38,761."""
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def us(value: float) -> str:
    return f"{value:,.1f} µs" if value < 100 else f"{value:,.0f} µs"


def pct(share: float) -> str:
    """A share (0.0093) as a percentage (0.9%)."""
    return f"{share * 100:.1f}%" if share < 0.1 else f"{share * 100:.0f}%"


def times(value: float) -> str:
    """A ratio as a multiple: 0.97×, 1.45×, 7.0×, 19×."""
    return f"{value:.2f}×" if value < 2 else f"{value:.1f}×" if value < 10 else f"{value:.0f}×"


WIDTH = 116
MARKDOWN_START = re.compile(r"^(\d+[.)]\s|[-+*>#|]\s|=+$|-+$)")


GLUE = "\x1f"
UNIT = re.compile(r"(\d) (µs|ms|MB|s\b|requests/s|rows/s|records/s)")


def para(text: str) -> str:
    """A prose paragraph wrapped like the hand-written docs; no line may start as a list, quote or heading."""
    glued = UNIT.sub(lambda m: m.group(1) + GLUE + m.group(2), text)  # "14.6 µs" stays on one line
    for width in range(WIDTH, WIDTH - 20, -1):
        lines = textwrap.wrap(glued, width=width, break_long_words=False, break_on_hyphens=False)
        if not any(MARKDOWN_START.match(line) for line in lines[1:]):
            return "\n".join(lines).replace(GLUE, " ")
    return text


def reflow(body: str) -> str:
    """Wrap every one-line prose paragraph of a rendered block (tables, code and lists are left as they are)."""
    paragraphs = body.strip("\n").split("\n\n")
    keep = ("|", "```", "- ", "* ", "#", "<")
    return "\n\n".join(para(p) if "\n" not in p and not p.startswith(keep) else p for p in paragraphs)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def failed_note(r: Mapping[str, Any]) -> str:
    failed = int(r.get("failed") or 0)
    return "none failed" if failed == 0 else f"{failed:,} of {int(r['requests']):,} failed"


# ---------------------------------------------------------------------------------------------- the blocks


def readme_demo(docs: Docs) -> str:
    """README "Proof: the demo": the summary ``netsuite-async demo`` printed in this run (results/demo.json)."""
    doc = need(docs, "demo")
    p, s = field_of(doc, "params"), field_of(doc, "summary")
    limit, latency = int(field_of(p, "limit")), float(field_of(p, "latency_ms"))
    seconds = float(field_of(s, "seconds"))
    lines = [
        ("HTTP requests", f"{int(field_of(s, 'requests')):,}"),
        ("throughput", f"{field_of(s, 'requests_per_s'):,.0f} requests/s ({field_of(s, 'fraction_of_ideal'):.0%} "
                       "of C/L)"),
        ("max in flight at the server", f"{field_of(s, 'max_in_flight')} (limit {limit})"),
        ("429 CONCURRENCY_LIMIT_EXCEEDED", f"{field_of(s, 'answered_429'):,}"),
        ("retries", f"{field_of(s, 'retries'):,}"),
        ("duration", f"{seconds:.2f} s (a sequential loop: ~{field_of(s, 'sequential_seconds_estimate'):.1f} s)"),
        ("rows written", f"{int(field_of(s, 'rows_written')):,} -> {field_of(s, 'out')}"),
    ]
    w1, w2 = max(len(k) for k, _ in lines), max(len(v) for _, v in lines)
    box = [f"│ {k:<{w1}} │ {v:<{w2}} │" for k, v in lines]
    speedup = float(s["sequential_seconds_estimate"]) / seconds if seconds > 0 else 0.0
    return "\n".join([
        f"`netsuite-async demo` batch-creates {int(field_of(p, 'customers')):,} customers and "
        f"{int(field_of(p, 'orders')):,} sales orders on an emulated account with a limit of {limit} concurrent "
        f"requests and {latency:g} ms of latency, then streams the orders back through SuiteQL. Run by the "
        f"benchmark runner on {machine(doc)}:",
        "",
        "```text",
        *box,
        "```",
        "",
        f"C/L is the ceiling any client can reach: the limit divided by the latency (here "
        f"{field_of(s, 'ideal_rps'):,.0f} requests/s). The run reached {field_of(s, 'fraction_of_ideal'):.2f} of "
        f"it, {times(speedup)} faster than one request at a time.",
    ])


def readme_compare(docs: Docs) -> str:
    """README "Compared with what you would otherwise write": transport and SuiteQL against the obvious code."""
    t, q = need(docs, "transport"), need(docs, "suiteql")
    tp, qp = field_of(t, "params"), field_of(q, "params")
    known = find_row(t, "scenario", "netsuite-async, limit known")
    high = find_row(t, "scenario", "netsuite-async, limit 4x")
    seq = find_row(t, "scenario", "sequential loop")
    gather = find_row(t, "scenario", "unbounded gather")
    cpu = maybe_row(t, "scenario", "client CPU per request")
    qseq = find_row(q, "method", "sequential")
    qstream = find_row(q, "method", "suiteql.stream (keyset")
    qideal = find_row(q, "method", "ideal")

    def rps(r: Mapping[str, Any], bold: bool = False) -> str:
        value = rate(float(r["throughput_rps"]))
        return (f"**{value}**" if bold else value) + f" ({float(r['fraction_of_ideal']):.2f})"

    def rows_s(r: Mapping[str, Any], bold: bool = False) -> str:
        value = f"{int(r['rows_per_s']):,}"
        return (f"**{value}**" if bold else value) + f" ({float(r['of_ideal']):.2f})"

    gather_ok = f"{rps(gather)}; {int(gather['ok']):,} of {int(gather['requests']):,} succeeded"
    rows = [
        ["sequential loop, one request at a time", rps(seq), f"{int(seq['answered_429']):,}", rows_s(qseq),
         "by hand"],
        ["`asyncio.gather` over bare httpx2, no limit", gather_ok,
         f"{int(gather['answered_429']):,} ({pct(float(gather['share_429']))})", "—", "none"],
        ["SOAP (SuiteTalk) clients", "—", "—", "—",
         "frozen at 2025.2; see [moving from SOAP](docs/migrating-from-soap.md)"],
        ["**netsuite-async** (limit known)", rps(known, bold=True), f"**{int(known['answered_429']):,}**",
         rows_s(qstream, bold=True), "idempotency keys; unknown outcomes raise"],
        ["**netsuite-async** (limit set 4x too high)", rps(high, bold=True),
         f"{int(high['answered_429']):,} ({pct(float(high['share_429']))}, retried; {failed_note(high)})", "", ""],
    ]
    ideal = float(known["ideal_rps"])
    out = [
        f"Measured by the benchmark runner against the emulator over loopback on {machine(t)}: account limit "
        f"C = {tp['limit_c']}, latency L = {float(tp['latency_ms']):g} ms, so the ideal C/L is {rate(ideal)} "
        f"requests/s; {int(known['requests']):,} GETs per approach ({int(seq['requests']):,} for the sequential "
        f"loop). SuiteQL: C = {qp['concurrency']}, L = {float(qp['latency_ms']):g} ms, {int(qp['rows']):,} rows in "
        f"pages of {int(qp['page_size']):,}, ideal {int(qideal['rows_per_s']):,} rows/s. In parentheses: the "
        "fraction of the ideal. See [benchmarks](docs/benchmarks.md).",
        "",
        *table(["approach", "successful requests/s", "answered 429", "SuiteQL rows/s",
                "duplicate-write protection"], rows),
        "",
    ]
    lib = float(known["throughput_rps"])
    sentence = (
        f"With the limit known, netsuite-async completed {times(lib / float(gather['throughput_rps']))} the "
        f"successful requests per second of the unbounded gather on bare httpx2 and "
        f"{times(lib / float(seq['throughput_rps']))} those of the sequential loop; its "
        f"SuiteQL stream read {times(float(qstream['rows_per_s']) / float(qseq['rows_per_s']))} the rows per second "
        "of a sequential page loop."
    )
    if cpu is not None:
        sentence += (
            f" Client CPU per request: {us(float(cpu['netsuite_async_us']))} against "
            f"{us(float(cpu['bare_httpx2_us']))} for bare httpx2 ({float(cpu['ratio']):.2f}×)."
        )
    return "\n".join([*out, sentence])


SCENARIO = re.compile(r"^(?P<client>.*?), C=(?P<c>\d+)(?:,)?\s*(?P<rest>.*)$")


def _client_label(client: str) -> str:
    if client == "netsuite-async":
        return "**netsuite-async**"
    if client.startswith("jacobsvante netsuite "):
        return f"jacobsvante's `netsuite` {client.removeprefix('jacobsvante netsuite ')}"
    return client


def readme_peers(docs: Docs) -> str:
    """README: netsuite-async beside bare httpx2 + semaphore and jacobsvante's netsuite (results/governor.json)."""
    g = need(docs, "governor")
    p = field_of(g, "params")
    columns: list[tuple[str, int]] = []
    cells: dict[str, dict[tuple[str, int], str]] = {}
    headers: dict[tuple[str, int], str] = {}
    for r in g.get("rows") or []:
        if r.get("group") not in ("known", "too_high") or r.get("fraction_of_ideal") is None:
            continue
        m = SCENARIO.match(str(r.get("scenario", "")))
        if m is None:  # the sequential loop: no C in its name, and it is in the README's other table
            continue
        key = (str(r["group"]), int(m["c"]))
        if key not in headers:
            columns.append(key)
            told = re.search(r"told (\d+)", m["rest"])
            headers[key] = (f"C = {key[1]}, limit known" if key[0] == "known"
                            else f"C = {key[1]}, told {told[1] if told else '4C'}")
        cell = f"{rate(float(r['throughput_rps']))} ({float(r['fraction_of_ideal']):.2f})"
        if key[0] == "too_high":
            cell += f"; {pct(float(r['share_429']))} answered 429, {failed_note(r)}"
        cells.setdefault(m["client"], {})[key] = cell
    if "netsuite-async" not in cells or not columns:
        raise MissingResult("governor: no netsuite-async rows with the limit known or told too high")
    columns.sort(key=lambda k: (k[0] != "known", k[1]))
    rows = [[_client_label(client)] + [by.get(k, "—") for k in columns] for client, by in cells.items()]
    peer_requests = p.get("peer_requests")
    peers = [c for c in cells if c.startswith("jacobsvante")]
    peer_note = (f" ({peer_requests} for jacobsvante's `netsuite`, which opens a new HTTP client per request)"
                 if peers and peer_requests else "")
    out = [
        f"Beside other clients, measured by the benchmark runner on {machine(g)}: `benchmarks/bench_governor.py` "
        f"fires {int(field_of(p, 'requests')):,} GETs at once per client{peer_note} at "
        f"L = {float(field_of(p, 'latency_ms')):g} ms. Successful requests/s, in parentheses the fraction of C/L; "
        "neither other client retries a 429.",
        "",
        *table(["client", *(headers[k] for k in columns)], rows),
    ]
    known = next((r for r in g["rows"] if r.get("group") == "known"
                  and str(r.get("scenario", "")).startswith("netsuite-async")), None)
    tail = []
    if known is not None and known.get("vs_bare") is not None:
        tail.append(f"With the limit known, netsuite-async reached {float(known['vs_bare']):.2f}× the throughput of "
                    "bare httpx2 + semaphore (best run of each; target ≥ 0.95×)")
        peer_known = next((r for r in g["rows"] if r.get("group") == "known"
                           and str(r.get("scenario", "")).startswith("jacobsvante")), None)
        if peer_known is not None and float(peer_known["throughput_rps"]) > 0:
            tail[-1] += (f" and {times(float(known['throughput_rps']) / float(peer_known['throughput_rps']))} that "
                         "of jacobsvante's `netsuite`")
    cpu = next((r for r in g["rows"] if r.get("group") == "cpu_tba"), None)
    if cpu is not None:
        tail.append(f"signing with TBA at L = 5 ms, its client CPU per request was {float(cpu['cpu_ratio']):.2f}× "
                    f"bare httpx2's ({us(float(cpu['netsuite_async_us']))} against "
                    f"{us(float(cpu['bare_httpx2_us']))}; target ≤ 1.15×)")
    if tail:
        out += ["", "; ".join(tail) + "."]
    return "\n".join(out)


def suiteql(docs: Docs) -> str:
    """docs/suiteql.md "Benchmark": rows/s of the stream, a sequential page loop and the ideal; memory."""
    q = need(docs, "suiteql")
    p = field_of(q, "params")
    seq = find_row(q, "method", "sequential")
    stream = find_row(q, "method", "suiteql.stream (keyset")
    ideal = find_row(q, "method", "ideal")
    mem = field_of(q, "memory")
    total = int(field_of(p, "rows"))
    rows = [
        [f"sequential keyset page loop (`WHERE id > ? ORDER BY id`, {int(seq['rows']):,} rows)",
         f"{int(seq['rows_per_s']):,}", f"{float(seq['of_ideal']):.2f}"],
        ["`suiteql.stream` (keyset windows, parallel)", f"{int(stream['rows_per_s']):,}",
         f"{float(stream['of_ideal']):.2f}"],
        [f"ideal: C pages of {int(p['page_size']):,} rows per L", f"{int(ideal['rows_per_s']):,}", "1.00"],
    ]
    small, big = float(field_of(mem, "tracemalloc_peak_mb_n_over_10")), float(field_of(mem, "tracemalloc_peak_mb_n"))
    growth = big / small if small > 0 else 0.0
    shape = ("flat in the row count" if growth < 1.5 else f"{growth:.1f}× for ten times the rows")
    limited = (q.get("governor") or {}).get("limited")
    speed = float(stream["rows_per_s"]) / float(seq["rows_per_s"])
    return "\n".join([
        f"Measured by the benchmark runner on {machine(q)}: C = {p['concurrency']}, "
        f"L = {float(p['latency_ms']):g} ms, {int(p['page_size']):,} rows per page, {total:,} rows:",
        "",
        *table(["method", "rows/s", "of ideal"], rows),
        "",
        f"The stream read {int(stream['rows']):,} rows in {float(stream['seconds']):.1f} s, in order, "
        f"{times(speed)} the sequential loop"
        + (f", with {int(limited):,} 429s" if limited is not None else "")
        + f". Peak traced memory of the stream: {small:.2f} MB for {total // 10:,} rows and {big:.2f} MB for "
        f"{total:,} rows ({shape}); process peak RSS {float(mem['rss_peak_mb_before_streams']):.1f} → "
        f"{float(mem['rss_peak_mb_after_streams']):.1f} MB across all streams.",
    ])


def suiteql_strictest(docs: Docs) -> str:
    """docs/suiteql.md "Under the strictest dialect": the stream against ``--strictest`` in the same run."""
    q = need(docs, "suiteql")
    p = field_of(q, "params")
    default = find_row(q, "method", "suiteql.stream (keyset")
    strict = find_row(q, "method", "suiteql.stream, strictest")
    unordered = find_row(q, "method", "suiteql.stream without ORDER BY, strictest")
    base = float(default["rows_per_s"])

    def line(label: str, r: Mapping[str, Any]) -> list[str]:
        return [label, f"{int(r['rows_per_s']):,}", f"{float(r['of_ideal']):.2f}",
                f"{float(r['rows_per_s']) / base:.2f}", f"{int(r['rows']):,}"]

    limited = (q.get("governor") or {}).get("strictest_limited")
    return "\n".join([
        f"Measured in the same run ({int(p['rows']):,} rows, C = {p['concurrency']}, "
        f"L = {float(p['latency_ms']):g} ms, on {machine(q)}):",
        "",
        *table([f"method ({int(p['rows']):,} rows)", "rows/s", "of ideal", "vs default dialect", "rows back"], [
            line("`suiteql.stream`, `ORDER BY id`, default dialect", default),
            line("`suiteql.stream`, `ORDER BY id`, strictest dialect", strict),
            line("`suiteql.stream`, no `ORDER BY` (read in id order), strictest dialect", unordered),
        ]),
        "",
        "Every stream returned every row once, in order (the benchmark fails otherwise)"
        + (f", with {int(limited):,} 429s under the strictest dialect" if limited is not None else "") + ".",
    ])


POLICY_VARIANTS = (("agent", "the check (`as_agent`)"), ("agent+audit", "the check + audit line"),
                   ("root+audit", "audit line only (no agent)"))


def agents_cost(docs: Docs) -> str:
    """docs/agents.md "What it costs": client CPU per call with and without the policy check and the audit line."""
    d = need(docs, "policy")
    p = field_of(d, "params")
    rows = []
    for server, server_label in (("loopback", "emulator on loopback"), ("mock", "`httpx2.MockTransport`")):
        for op in ("records.get", "suiteql.page"):
            plain = find_row({"rows": [r for r in d["rows"] if r.get("server") == server
                                       and r.get("operation") == op], "benchmark": "policy"}, "variant", "plain")
            cells = [server_label, f"`{op}`", us(float(plain["cpu_us_per_call"]))]
            for variant, _ in POLICY_VARIANTS:
                r = next((x for x in d["rows"] if x.get("server") == server and x.get("operation") == op
                          and x.get("variant") == variant), None)
                cells.append("—" if r is None else
                             f"+{float(r['overhead_us']):.1f} µs ({float(r['overhead_pct']):.1f}%)")
            rows.append(cells)
    classify = maybe_row(d, "operation", "query_tables (new text)")
    target = float(d.get("target_pct") or 5.0)
    worst_loop, worst_mock = float(field_of(d, "worst_overhead_pct_loopback")), float(
        field_of(d, "worst_overhead_pct_mock"))
    verdict = "met" if worst_loop < target else "not met"
    out = [
        f"Measured by the benchmark runner on {machine(d)}: {p['parallel']} calls at a time; the overhead is the "
        f"median of paired differences with the plain client over {p['rounds_loopback']} rounds of "
        f"{p['calls_per_round_loopback']:,} calls on loopback and {p['rounds']} rounds of "
        f"{p['calls_per_round_mock']:,} calls on the MockTransport (no socket: the smallest denominator, the worst "
        "case for a relative overhead).",
        "",
        *table(["server", "call", "client CPU per call, plain", *(label for _, label in POLICY_VARIANTS)], rows),
        "",
        f"Target: under {target:g}% of a call's CPU. The worst overhead measured was {worst_loop:.1f}% of a loopback "
        f"call ({verdict}) and {worst_mock:.1f}% of a MockTransport call.",
    ]
    if classify is not None:
        out[-1] += (f" Classifying a query text seen for the first time ({classify.get('variant', 'a query')}) "
                    f"costs {us(float(classify['cpu_us_per_call']))}.")
    return "\n".join(out)


REDIS_MODES = {
    "shared": "shared `RedisGovernor`, each told C",
    "shared_told_4x": "shared `RedisGovernor`, each told 4C",
    "local_naive": "local governor, C each (together 4C)",
    "local_split": "local governor, C/4 each (hand split)",
}


def scaling_redis(docs: Docs) -> str:
    """docs/scaling-out.md "Benchmarks": a fleet sharing one limit through Redis against C/L; a lease's cost."""
    d = need(docs, "redis")
    p = field_of(d, "params")
    rows = [[REDIS_MODES.get(str(r["mode"]), str(r["mode"])), str(r["governor_limit_per_process"]),
             rate(float(r["throughput_rps"])), f"{float(r['fraction_of_ideal']):.2f}",
             f"{int(r['answered_429']):,} of {int(r['requests']):,}", str(r.get("cuts", "—")), str(r["failed"])]
            for r in d.get("rows") or [] if "mode" in r]
    if not rows:
        raise MissingResult("redis: no fleet rows")
    first = next(r for r in d["rows"] if "mode" in r)
    runs = int(p.get("runs") or 1)
    median = f"the median of {runs} interleaved runs" if runs > 1 else "one run"
    out = [
        f"Measured by the benchmark runner on {machine(d)}, {median}: {p['processes']} worker processes × "
        f"{p['tasks_per_process']} tasks × {p['requests_per_task']} requests against an emulator with C = "
        f"{p['limit']} and L = {float(p['latency_ms']):g} ms (C/L = {rate(float(first['ideal_rps']))} requests/s).",
        "",
        *table([f"fleet of {p['processes']}", "governor limit per process", "successful requests/s", "of C/L",
                "answered 429", "limit cuts", "failed"], rows),
    ]
    lease = d.get("lease_overhead")
    if isinstance(lease, dict) and lease.get("redis_us_per_slot") is not None:
        every = [x["redis_us_per_slot"] for x in d.get("every_lease_overhead") or [] if "redis_us_per_slot" in x]
        spread = (f" (range {min(every):,.0f}–{max(every):,.0f} µs over {len(every)} runs)"
                  if len(every) > 1 else "")
        out += ["", (
            f"A Redis lease cost {us(float(lease['redis_us_per_slot']))} per slot{spread}, "
            f"{lease.get('redis_round_trips_per_slot', 2)} round trips to a local Redis, against "
            f"{us(float(lease['local_us_per_slot']))} for the local governor ({lease['slots']:,} sequential slots)"
            + (f"; a slot handed to a queued waiter cost {us(float(lease['redis_handoff_us_per_slot']))} "
               f"({lease.get('redis_round_trips_per_handoff', 3)} round trips)"
               if lease.get("redis_handoff_us_per_slot") is not None else "") + ".")]
    return "\n".join(out)


def testing_emulator(docs: Docs) -> str:
    """docs/testing.md "Speed": the emulator's own requests/s on one core (results/bench_emulator.json)."""
    d = need(docs, "bench_emulator")
    p = field_of(d, "params")
    target = int(p.get("target_req_per_s") or 2000)
    rows = []
    below = []
    for r in d.get("rows") or []:
        per_cpu = r.get("req_per_cpu_s")
        rows.append([str(r["route"]), f"{int(per_cpu):,}" if per_cpu else "—", f"{int(r['wall_req_per_s']):,}",
                     f"{int(r['non_200']):,}"])
        if not per_cpu or per_cpu < target:
            below.append(str(r["route"]))
    if not rows:
        raise MissingResult("bench_emulator: no rows")
    verdict = ("every route is above it" if not below else f"not met for {', '.join(below)}")
    return "\n".join([
        f"Measured by the benchmark runner on {machine(d)}: {p['connections']} keep-alive connections for "
        f"{float(p['seconds']):g} s per route. Requests per second of the server process's CPU time stay "
        "meaningful on a shared machine; the wall-clock rate is limited by what else the machine runs.",
        "",
        *table(["route", "requests per server CPU-second", "wall-clock requests/s", "non-200"], rows),
        "",
        f"The target is {target:,} simple requests/s on one core: {verdict}.",
    ])


BATCH_LABELS = {
    "sequential": "sequential loop of `records.create`",
    "unbounded gather": "every `records.create` started at once (governed)",
    "batch (collections)": "`ns.batch.create`, collection requests",
    "batch (single async)": "`ns.batch.create`, single asynchronous requests",
}


def batch_cost(docs: Docs) -> str:
    """docs/batch.md: records/s and HTTP requests per record of each approach (results/batch.json)."""
    d = need(docs, "batch")
    p = field_of(d, "params")
    rows = [[BATCH_LABELS.get(str(r["approach"]), str(r["approach"])), f"{int(r['records']):,}",
             rate(float(r["records_per_s"])), f"{float(r['fraction_of_ideal']):.2f}",
             f"{float(r['attempts_per_record']):.2f}"] for r in d.get("rows") or []]
    collections = find_row(d, "approach", "batch (collections)")
    out = [
        f"Measured by the benchmark runner (`benchmarks/bench_batch.py`) on {machine(d)}: creates against the "
        f"emulator with C = {p['concurrency']} and L = {float(p['latency_ms']):g} ms (C/L = "
        f"{rate(float(collections['ideal_records_per_s']))} requests/s):",
        "",
        *table(["approach", "records", "records/s", "of C/L", "HTTP requests per record"], rows),
    ]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ registry


@dataclass(frozen=True)
class Block:
    """A generated passage: its marker name, the file (relative to the repository) and the results it reads."""

    name: str
    path: str
    sources: tuple[str, ...]
    render: Callable[[Docs], str]


BLOCKS: tuple[Block, ...] = (
    Block("readme-demo", "README.md", ("demo",), readme_demo),
    Block("readme-compare", "README.md", ("transport", "suiteql"), readme_compare),
    Block("readme-peers", "README.md", ("governor",), readme_peers),
    Block("suiteql", "docs/suiteql.md", ("suiteql",), suiteql),
    Block("suiteql-strictest", "docs/suiteql.md", ("suiteql",), suiteql_strictest),
    Block("agents-cost", "docs/agents.md", ("policy",), agents_cost),
    Block("scaling-redis", "docs/scaling-out.md", ("redis",), scaling_redis),
    Block("testing-emulator", "docs/testing.md", ("bench_emulator",), testing_emulator),
    Block("batch-cost", "docs/batch.md", ("batch",), batch_cost),
)

END = "<!-- /bench -->"


def marker(name: str) -> re.Pattern[str]:
    return re.compile(r"(<!-- bench:" + re.escape(name) + r" -->\n)(.*?)(" + re.escape(END) + ")", re.S)


def has_marker(text: str, name: str) -> bool:
    return marker(name).search(text) is not None


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with block ``name``'s passage replaced by ``body`` (a blank line either side keeps Markdown apart
    from the comments). ValueError when the markers are missing."""
    pattern = marker(name)
    if pattern.search(text) is None:
        raise ValueError(f"no <!-- bench:{name} --> ... {END} in the text")
    if END in body:
        raise ValueError(f"block {name} renders its own end marker")
    inner = "\n" + body.strip("\n") + "\n\n"
    return pattern.sub(lambda m: m.group(1) + inner + m.group(3), text, count=1)


@dataclass
class Outcome:
    """What ``update_docs`` did: blocks rewritten, files written, blocks skipped with the reason."""

    rendered: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def update_docs(docs: Docs, root: Path, blocks: tuple[Block, ...] = BLOCKS, *, write: bool = True) -> Outcome:
    """Render every block from ``docs`` into its file under ``root``; a block whose results are missing, or whose
    markers are not in its file, is skipped (left unchanged) and listed in the outcome."""
    outcome = Outcome()
    texts: dict[str, str] = {}
    originals: dict[str, str] = {}
    for block in blocks:
        path = root / block.path
        if block.path not in texts:
            if not path.is_file():
                outcome.skipped.append((block.name, f"{block.path} does not exist"))
                continue
            texts[block.path] = originals[block.path] = path.read_text(encoding="utf-8")
        if not has_marker(texts[block.path], block.name):
            outcome.skipped.append((block.name, f"no <!-- bench:{block.name} --> markers in {block.path}"))
            continue
        try:
            body = reflow(block.render(docs))
        except MissingResult as exc:
            outcome.skipped.append((block.name, str(exc)))
            continue
        except (KeyError, TypeError, ValueError) as exc:  # a result written by an older script lacks a field
            outcome.skipped.append((block.name, f"{'/'.join(block.sources)}: unexpected or missing field ({exc!r})"))
            continue
        texts[block.path] = replace_block(texts[block.path], block.name, body)
        outcome.rendered.append(block.name)
    for rel, text in texts.items():
        if text != originals[rel]:
            if write:
                (root / rel).write_text(text, encoding="utf-8")
            outcome.written.append(rel)
    return outcome


def main(argv: list[str] | None = None) -> int:
    """Render every block from the JSON files stored in a results directory (all of them, whatever run wrote
    them); ``--check`` writes nothing and exits 1 when a block would change."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    here = Path(__file__).resolve().parent
    parser.add_argument("--results", type=Path, default=here / "results")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a block is out of date")
    args = parser.parse_args(argv)
    docs = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(args.results.glob("*.json"))
            if p.name != "summary.json"}
    outcome = update_docs(docs, here.parent, write=not args.check)
    report(outcome)
    return 1 if args.check and outcome.written else 0


def report(outcome: Outcome) -> None:
    """Print what was rendered, written and skipped (and why)."""
    print(f"doc blocks rendered: {', '.join(outcome.rendered) or 'none'}")
    if outcome.written:
        print(f"doc blocks changed in: {', '.join(outcome.written)}")
    for name, why in outcome.skipped:
        print(f"doc block skipped, left unchanged: {name}: {why}")


if __name__ == "__main__":
    raise SystemExit(main())
