"""`netsuite-async probe`: it reports exactly the variant the emulator plays, and its file reproduces it.

Most tests run the emulator with a scaled row cap (``EmulatorConfig(max_results=CAP)``, ``probe(cap=CAP)``) so a
table "past the cap" needs a few thousand rows, not 100,000; one test runs at NetSuite's real cap.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netsuite_async.cli.app import main
from netsuite_async.probe import NETSUITE_CAP, ProbeResult, ProductionWriteError, is_production, load_date_format, probe
from netsuite_async.testing import FakeNetSuite
from netsuite_async.testing._dialect import Dialect, dialect_fields
from netsuite_async.testing._emulator import EmulatorConfig
from netsuite_async.testing.server import EmulatorServer

pytestmark = pytest.mark.anyio

CAP = 3000
ROWS = CAP + 700  # past the cap, and more than 1,001 records for the page-limit check
FIELDS = {f.name: f for f in dialect_fields()}
# Dialect fields the emulator plays (all of them). The probe must report exactly these as configured.
EMULATED = set(FIELDS)
# Fields the probe measures at all (unstable_order cannot be seen in a bounded number of requests).
MEASURABLE = set(FIELDS) - {"unstable_order"}
REQUIRED_JSON_KEYS = {"concurrency_limit", "unallocated_limit", "suiteql_total", "list_total", "date_format",
                      "task_ids", "create_result_location", "collections", "idempotency_conflict_status",
                      "requests"}


def _config(dialect: Dialect | str | Path, **kwargs: Any) -> EmulatorConfig:
    return EmulatorConfig(max_results=CAP, dialect=dialect, **kwargs)  # type: ignore[arg-type]


async def _probe(fake: FakeNetSuite, *, writes: bool = True, pending_polls: int = 1, **kwargs: Any) -> ProbeResult:
    fake.emulator.jobs.pending_polls = pending_polls
    async with fake.client() as ns:
        return await probe(ns, cap=CAP, writes=writes, poll_interval=0, **kwargs)


def _matches(result: ProbeResult, configured: Dialect, fields: set[str]) -> None:
    measured = result.dialect()
    for name in fields:
        assert name in result.measured_fields(), (name, result.notes)
        assert getattr(measured, name) == getattr(configured, name), (name, result.to_json())


def _pairwise() -> list[Dialect]:
    """Dialects covering every pair of values of every two fields (a greedy covering array, deterministic)."""
    names = [f.name for f in FIELDS.values()]
    choices = {f.name: list(f.choices) for f in FIELDS.values()}
    uncovered = {
        (a, va, b, vb)
        for i, a in enumerate(names) for b in names[i + 1:] for va in choices[a] for vb in choices[b]
    }
    rng = random.Random(12)
    out: list[Dialect] = []
    while uncovered:
        best, best_gain = None, -1
        for _ in range(60):
            # Start from an uncovered pair so that every round makes progress.
            a, va, b, vb = sorted(uncovered, key=repr)[rng.randrange(len(uncovered))]
            cand = {n: rng.choice(choices[n]) for n in names}
            cand[a], cand[b] = va, vb
            gain = sum(
                1 for (x, vx, y, vy) in uncovered if cand[x] == vx and cand[y] == vy
            )
            if gain > best_gain:
                best, best_gain = cand, gain
        assert best is not None
        uncovered = {(x, vx, y, vy) for (x, vx, y, vy) in uncovered if not (best[x] == vx and best[y] == vy)}
        out.append(Dialect(**best))
    return out


def _variants() -> Iterator[Dialect]:
    """The default, the strictest, every single-field variant, and every pair of values of any two fields."""
    yield Dialect()
    yield Dialect.strictest()
    for f in FIELDS.values():
        for choice in f.choices:
            if choice != f.default:
                yield Dialect().replace(**{f.name: choice})
    yield from _pairwise()


VARIANTS = list(_variants())


@pytest.mark.slow  # the whole variant matrix, one emulator each: CI, not `nox -s quick`
@pytest.mark.parametrize("configured", VARIANTS, ids=[f"v{i}" for i in range(len(VARIANTS))])
async def test_the_probe_reports_the_configured_variant_and_its_file_reproduces_it(
    configured: Dialect, tmp_path: Path
) -> None:
    async with FakeNetSuite(config=_config(configured), seed={"customers": ROWS}) as fake:
        first = await _probe(fake)
        assert first.cleaned_up is True
    _matches(first, configured, EMULATED & MEASURABLE)
    path = tmp_path / "account.json"
    first.save(path)
    # The file is a dialect file every entry point accepts; probing an emulator loaded from it answers the same.
    assert Dialect.load(path) == first.dialect()
    async with FakeNetSuite(config=_config(path), seed={"customers": ROWS}) as again_fake:
        again = await _probe(again_fake)
    assert again.dialect() == first.dialect()
    same = {k: v for k, v in first.to_json().items() if k != "notes"}
    assert {k: v for k, v in again.to_json().items() if k != "notes"} == same


async def test_a_read_only_probe_sends_no_write_and_counts_its_requests() -> None:
    async with FakeNetSuite(config=_config(Dialect()), seed={"customers": ROWS}) as fake:
        before = fake.emulator.counters.snapshot()
        result = await _probe(fake, writes=False)
        after = fake.emulator.counters.snapshot()
        methods = {(e.method, e.route) for e in fake.emulator.request_log}
    assert after["writes"] == before["writes"]
    assert fake.emulator.jobs.job_count == 0
    assert {m for m, _ in methods} <= {"GET", "POST"}
    assert all(route in ("suiteql", None) for m, route in methods if m == "POST")
    assert result.requests == after["requests"] - before["requests"]
    assert result.requests <= 20
    assert result.writes is False
    assert result.task_ids is None
    assert result.idempotency_conflict_status is None
    assert result.suiteql_table == "customer"
    assert result.list_record_type == "customer"
    assert not set(result.measured_fields()) & {"task_ids", "create_result_location", "progress_word",
                                                "idempotency_conflict_status", "sync_batch_read"}


async def test_a_write_probe_leaves_nothing_behind_and_counts_its_requests() -> None:
    async with FakeNetSuite(config=_config(Dialect()), seed={"customers": ROWS}) as fake:
        http = fake.http_client(
            headers={"Authorization": f"Bearer {fake.credentials.static_token}", "Prefer": "transient"}
        )
        count_q = {"q": "SELECT COUNT(*) AS n FROM customer"}
        before_rows = (await http.post("/services/rest/query/v1/suiteql", json=count_q)).json()["items"][0]["n"]
        before = fake.emulator.counters.snapshot()
        result = await _probe(fake)
        after = fake.emulator.counters.snapshot()
        after_rows = (await http.post("/services/rest/query/v1/suiteql", json=count_q)).json()["items"][0]["n"]
    assert result.cleaned_up is True
    assert after_rows == before_rows
    assert after["duplicate_writes"] == before["duplicate_writes"]
    assert after["writes"] - before["writes"] == 2  # one create, one delete
    assert result.requests == after["requests"] - before["requests"]
    assert result.collections is True
    assert result.progress_words[0] in ("pending", "processing")
    assert set(REQUIRED_JSON_KEYS) <= set(result.to_json())


@pytest.mark.parametrize("collections", [True, False])
async def test_collections_on_and_off_are_reported_and_records_still_deleted(collections: bool) -> None:
    config = _config(Dialect(), batch_collections=collections)
    async with FakeNetSuite(config=config, seed={"customers": ROWS}) as fake:
        result = await _probe(fake)
    assert result.collections is collections
    assert result.cleaned_up is True
    assert result.task_ids == "per-job"  # a second job (the delete) tells it even when job 1 is ambiguous
    if not collections:
        assert result.sync_batch_read is None
        assert "--no-batch-collections" in result.emulator_flags()


@pytest.mark.parametrize("date_format", ["M/D/YYYY", "D/M/YYYY", "YYYY-MM-DD"])
async def test_the_date_format_is_measured_and_read_back_by_the_client(date_format: str, tmp_path: Path) -> None:
    async with FakeNetSuite(config=_config(Dialect(date_format=date_format)), seed={"customers": 5}) as fake:
        result = await _probe(fake, writes=False)
    assert result.date_format == date_format
    path = tmp_path / "account.json"
    result.save(path)
    assert load_date_format(path) == date_format
    env = {"NETSUITE_ACCOUNT": "1234567_SB1", "NETSUITE_ACCESS_TOKEN": "x", "NETSUITE_DIALECT": str(path),
           "NETSUITE_CONFIG": str(tmp_path / "none.toml")}
    from netsuite_async.cli.config import load_settings

    assert load_settings(env=env).resolved_date_format() == date_format


@pytest.mark.parametrize(
    ("kwargs", "limits"),
    [
        ({"concurrency": 15}, (15, 15, None, "accountLimit")),
        ({"concurrency": 20, "allocated_to_others": 6}, (20, 14, None, "accountLimit")),
        ({"concurrency": 25, "integration_limit": 10, "allocated_to_others": 5}, (25, 10, 10, "integrationSpecific")),
    ],
)
async def test_governance_limits_are_reported_and_become_serve_flags(
    kwargs: dict[str, int], limits: tuple[Any, ...]
) -> None:
    async with FakeNetSuite(config=_config(Dialect(), **kwargs), seed={"customers": 5}) as fake:
        result = await _probe(fake, writes=False)
    got = (result.concurrency_limit, result.unallocated_limit, result.integration_limit, result.integration_limit_type)
    assert got == limits
    assert result.governance == "ok"
    flags = result.emulator_flags()

    def flag(name: str) -> int | None:
        return int(flags[flags.index(name) + 1]) if name in flags else None

    rebuilt = EmulatorConfig(
        concurrency=flag("--concurrency") or 0,
        integration_limit=flag("--integration-limit"),
        allocated_to_others=flag("--allocated-to-others") or 0,
    )
    assert (rebuilt.concurrency, rebuilt.unallocated) == (limits[0], limits[1])


async def test_governance_not_permitted_and_small_accounts_are_reported_not_guessed() -> None:
    async with FakeNetSuite(config=_config(Dialect(), governance_readable=False), seed={"customers": 5}) as fake:
        result = await _probe(fake, writes=False)
    assert result.governance == "not permitted"
    assert result.concurrency_limit is None
    assert result.suiteql_total is None
    assert result.list_total is None
    assert result.list_page_limit is None
    assert any("not measurable" in n for n in result.notes)
    # Unmeasured fields are written at their strictest, so tests run against the hardest reading.
    assert result.dialect().suiteql_total == "capped"
    assert result.date_format == "M/D/YYYY"


async def test_writes_are_refused_on_a_production_account_before_any_request() -> None:
    assert is_production("1234567")
    assert not is_production("1234567_SB1")
    assert not is_production("1234567-sb2")
    assert not is_production("TSTDRV1234567")
    production = EmulatorConfig(account="1234567", max_results=CAP)
    async with FakeNetSuite(config=production, seed={"customers": 5}) as fake, fake.client() as ns:
        with pytest.raises(ProductionWriteError, match="allow_production_writes"):
            await probe(ns, cap=CAP, writes=True)
        assert fake.emulator.counters.requests == 0
        result = await probe(ns, cap=CAP, writes=True, allow_production_writes=True, poll_interval=0)
    assert result.cleaned_up is True


async def test_an_account_that_refuses_the_create_is_reported_and_nothing_is_left() -> None:
    async with FakeNetSuite(config=_config(Dialect()), seed={"customers": 5}) as fake, fake.client() as ns:
        result = await probe(ns, cap=CAP, writes=True, write_type="salesOrder", poll_interval=0)
    assert result.create_result_location is None
    assert any("task result answered 400" in n for n in result.notes), result.notes
    assert result.cleaned_up is True


@pytest.mark.slow  # seeds past the 100,000 cap: CI, not `nox -s quick`
async def test_the_probe_at_netsuites_real_cap() -> None:
    async with FakeNetSuite(seed={"customers": NETSUITE_CAP + 1500}) as fake, fake.client() as ns:
        result = await probe(ns, writes=False)
    assert result.suiteql_table == "customer"
    assert result.suiteql_total == "true"
    assert result.suiteql_has_more_at_cap is True
    assert result.suiteql_past_cap == "refuse"
    assert result.list_total == "true"
    assert result.list_past_cap == "refuse"


def test_bad_arguments_raise_before_anything_is_sent() -> None:
    import anyio

    from netsuite_async import NetSuiteClient
    from netsuite_async.auth.bearer import BearerToken

    async def go(**kwargs: Any) -> None:
        async with NetSuiteClient("1234567_SB1", auth=BearerToken("t"), base_url="http://127.0.0.1:9") as ns:
            await probe(ns, **kwargs)

    for kwargs, exc in (({"table": "customer; DROP"}, ValueError), ({"cap": 10}, ValueError),
                        ({"write_body": [1]}, TypeError), ({"record_type": "../x"}, ValueError)):
        with pytest.raises(exc):
            anyio.run(lambda kw=kwargs: go(**kw))  # type: ignore[misc]


# -- the command line ---------------------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("NETSUITE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NETSUITE_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture(scope="module")
def served() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(max_results=CAP, concurrency=8, allocated_to_others=2,
                            dialect=Dialect(date_format="D/M/YYYY"))
    with EmulatorServer(config, seed={"customers": ROWS}) as srv:
        yield srv


def _emu_file(srv: EmulatorServer, tmp_path: Path) -> Path:
    path = tmp_path / "emulator.json"
    path.write_text(json.dumps(srv.config_data), encoding="utf-8")
    return path


def test_cli_probe_json_and_out_file_against_a_served_emulator(
    served: EmulatorServer, tmp_path: Path, clean_env: None
) -> None:
    srv = served
    out = tmp_path / "account.json"
    runner = CliRunner()
    result = runner.invoke(main, ["--emulator-config", str(_emu_file(srv, tmp_path)), "probe", "--json", "--writes",
                                  "--cap", str(CAP), "--poll-interval", "0", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= REQUIRED_JSON_KEYS
    assert data["date_format"] == "D/M/YYYY"
    assert (data["concurrency_limit"], data["unallocated_limit"]) == (8, 6)
    assert data["cleaned_up"] is True
    for secret in (srv.config_data["static_token"], srv.config_data["consumer_secret"]):
        assert secret not in result.output
        assert secret not in out.read_text()
    # The file works with `emulator serve --dialect` (flags parsed, config built).
    captured: list[EmulatorConfig] = []
    import netsuite_async.testing.server as server_module

    real_serve = server_module.serve
    server_module.serve = lambda config, **kw: captured.append(config)  # type: ignore[assignment]
    try:
        flags = json.loads(out.read_text())["probe"]["emulator_flags"]
        served_run = runner.invoke(main, ["emulator", "serve", "--dialect", str(out), *flags])
    finally:
        server_module.serve = real_serve
    assert served_run.exit_code == 0, served_run.output
    assert captured[0].dialect == Dialect.load(out)
    assert captured[0].dialect.date_format == "D/M/YYYY"
    assert (captured[0].concurrency, captured[0].unallocated) == (8, 6)


def test_cli_probe_table_output_is_read_only_by_default(
    served: EmulatorServer, tmp_path: Path, clean_env: None
) -> None:
    srv = served
    assert srv.emulator is not None
    writes_before = srv.emulator.counters.writes
    result = CliRunner().invoke(main, ["--emulator-config", str(_emu_file(srv, tmp_path)), "probe",
                                       "--cap", str(CAP)])
    assert result.exit_code == 0, result.output
    assert "record-filter date format" in result.output
    assert "D/M/YYYY" in result.output
    assert "requests sent" in result.output
    assert srv.emulator.counters.writes == writes_before


def test_cli_probe_refuses_writes_on_production_with_exit_2(tmp_path: Path, clean_env: None) -> None:
    env = {"NETSUITE_ACCOUNT": "1234567", "NETSUITE_ACCESS_TOKEN": "x", "NETSUITE_BASE_URL": "http://127.0.0.1:9"}
    result = CliRunner().invoke(main, ["probe", "--writes"], env=env)
    assert result.exit_code == 2
    assert "--allow-production-writes" in result.output
    bad = CliRunner().invoke(main, ["probe", "--table", "x;y"], env=env)
    assert bad.exit_code == 2



async def test_a_create_job_it_cannot_follow_is_reported_as_maybe_left_not_as_cleaned() -> None:
    from netsuite_async import RetryPolicy

    async with FakeNetSuite(config=_config(Dialect()), seed={"customers": 5}) as fake:
        fake.emulator.faults.script(match="GET /async/v1/job/", times=None)
        async with fake.client(retry=RetryPolicy(max_attempts=1)) as ns:
            result = await probe(ns, cap=CAP, writes=True, poll_interval=0)
        assert result.cleaned_up is False
        assert any("netsuite-async-probe-" in n for n in result.notes), result.notes
        # The note was warranted: the job runs later and creates the record.
        fake.emulator.faults.scripted.clear()
        await fake.emulator.jobs.run_pending()
        assert fake.emulator.counters.writes >= 1


async def test_a_delete_that_fails_is_reported_with_what_to_delete() -> None:
    from netsuite_async import RetryPolicy

    async with FakeNetSuite(config=_config(Dialect()), seed={"customers": 5}) as fake:
        fake.emulator.faults.script(match="DELETE /record/v1/customer", kind="html", times=None)
        async with fake.client(retry=RetryPolicy(max_attempts=1)) as ns:
            result = await probe(ns, cap=CAP, writes=True, poll_interval=0)
    assert result.cleaned_up is False
    assert any("delete it by hand" in n for n in result.notes), result.notes
