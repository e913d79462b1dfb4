"""The emulator's Dialect (one field per undocumented NetSuite behaviour) and the `emulator serve` flags.

Each field must be reachable every way a user configures the emulator: Python (``Dialect``, ``EmulatorConfig``,
``FakeNetSuite(dialect=...)``), a dialect file, the pytest marker, and one ``emulator serve`` flag per field.
Bad values are refused before anything starts: ``ValueError`` in Python, exit 2 with a one-line message on the
command line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netsuite_async.cli.app import main
from netsuite_async.cli.cmd_emulator import build_dialect
from netsuite_async.testing import FakeNetSuite
from netsuite_async.testing._dialect import DATE_FORMATS, Dialect, DialectField, dialect_fields
from netsuite_async.testing._emulator import EmulatorConfig

FIELDS = list(dialect_fields())


def _flag_value(value: Any) -> str:
    return "none" if value is None else str(value).lower()


# -- the Dialect itself ---------------------------------------------------------------------------------------------


def test_every_field_is_documented_with_choices_default_strictest_and_evidence() -> None:
    assert [f.name for f in FIELDS] == list(Dialect().to_dict())
    for f in FIELDS:
        assert isinstance(f, DialectField)
        assert f.help
        assert f.evidence
        assert len(f.choices) >= 2, f.name
        assert f.default in f.choices, f.name
        assert f.strictest in f.choices, f.name
        assert f.flag == "--" + f.name.replace("_", "-")
    assert next(f for f in FIELDS if f.name == "date_format").choices == DATE_FORMATS


def test_strictest_takes_each_fields_strictest_value_and_differs_from_the_default_somewhere() -> None:
    strict = Dialect.strictest()
    for f in FIELDS:
        assert getattr(strict, f.name) == f.strictest
    assert strict != Dialect()


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_every_choice_of_every_field_is_accepted_and_round_trips(field: DialectField, tmp_path: Path) -> None:
    for i, choice in enumerate(field.choices):
        d = Dialect().replace(**{field.name: choice})
        assert getattr(d, field.name) == choice
        assert Dialect.from_dict(d.to_dict()) == d
        path = tmp_path / f"{field.name}-{i}.json"
        d.save(path)
        assert json.loads(path.read_text())["dialect"][field.name] == choice
        assert Dialect.load(path) == d
        assert Dialect.coerce(path) == d
        assert Dialect.coerce(str(path)) == d


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"suiteql_total": "exact"}, "suiteql_total"),
        ({"suiteql_has_more_at_cap": 1}, "suiteql_has_more_at_cap"),
        ({"suiteql_has_more_at_cap": "true"}, "suiteql_has_more_at_cap"),
        ({"idempotency_conflict_status": "409"}, "idempotency_conflict_status"),
        ({"idempotency_conflict_status": 500}, "idempotency_conflict_status"),
        ({"list_max_pages": 0}, "list_max_pages"),
        ({"list_max_pages": True}, "list_max_pages"),
        ({"list_max_pages": "1000"}, "list_max_pages"),
        ({"task_ids": "random"}, "task_ids"),
        ({"date_format": "DD.MM.YYYY"}, "date_format"),
        ({"progress_word": "running"}, "progress_word"),
    ],
)
def test_invalid_values_are_refused_with_the_field_named(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Dialect(**changes)
    with pytest.raises(ValueError, match=match):
        Dialect.from_dict(changes)


def test_a_list_page_limit_other_than_1000_is_allowed_for_scaled_tests() -> None:
    assert Dialect(list_max_pages=10).list_max_pages == 10


def test_from_dict_accepts_the_probe_file_shape_and_refuses_unknown_fields() -> None:
    wrapped = {"dialect": {"task_ids": "global"}, "measured": {"requests": 12}, "account": "1234567_SB1"}
    assert Dialect.from_dict(wrapped).task_ids == "global"
    with pytest.raises(ValueError, match="unknown dialect field"):
        Dialect.from_dict({"task_id": "global"})


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"dialect": {"suiteql_total": "maybe"}}'])
def test_bad_dialect_files_are_value_errors_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError):
        Dialect.load(path)
    with pytest.raises(ValueError, match="cannot read"):
        Dialect.load(tmp_path / "missing.json")


def test_coerce_takes_every_documented_form_and_refuses_others() -> None:
    assert Dialect.coerce(None) == Dialect()
    assert Dialect.coerce("default") == Dialect()
    assert Dialect.coerce("strictest") == Dialect.strictest()
    assert Dialect.coerce({"progress_word": "processing"}).progress_word == "processing"
    d = Dialect(task_ids="global")
    assert Dialect.coerce(d) is d
    with pytest.raises(TypeError):
        Dialect.coerce(42)  # type: ignore[arg-type]


def test_dialect_is_immutable_and_hashable() -> None:
    d = Dialect()
    with pytest.raises(AttributeError):
        d.task_ids = "global"  # type: ignore[misc]
    assert len({Dialect(), Dialect(), Dialect.strictest()}) == 2


# -- reaching the emulator --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_every_python_entry_point_carries_the_dialect(tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    Dialect(task_ids="global", date_format="YYYY-MM-DD").save(path)
    assert EmulatorConfig(dialect="strictest").dialect == Dialect.strictest()
    assert EmulatorConfig(dialect={"progress_word": "processing"}).dialect.progress_word == "processing"
    for value in (path, str(path)):
        async with FakeNetSuite(dialect=value) as fake:
            assert fake.config.dialect.task_ids == "global"
            assert fake.emulator.config.dialect.date_format == "YYYY-MM-DD"
    with pytest.raises(ValueError, match="not both"):
        FakeNetSuite(dialect="strictest", config=EmulatorConfig())
    with pytest.raises(ValueError):
        FakeNetSuite(dialect={"task_ids": "sometimes"})


@pytest.mark.anyio
@pytest.mark.netsuite_emulator(dialect="strictest")
async def test_the_pytest_marker_carries_the_dialect(netsuite_emulator: Any) -> None:
    assert netsuite_emulator.config.dialect == Dialect.strictest()


@pytest.mark.anyio
@pytest.mark.netsuite_emulator(dialect={"idempotency_conflict_status": 409})
async def test_the_pytest_marker_takes_a_dict(netsuite_emulator: Any) -> None:
    assert netsuite_emulator.config.dialect.idempotency_conflict_status == 409


# -- `netsuite-async emulator serve` flags ------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[EmulatorConfig, dict[str, Any]]]:
    """Capture what `emulator serve` would serve instead of listening on a socket."""
    calls: list[tuple[EmulatorConfig, dict[str, Any]]] = []

    def fake_serve(config: EmulatorConfig, **kwargs: Any) -> None:
        calls.append((config, kwargs))

    monkeypatch.setattr("netsuite_async.testing.server.serve", fake_serve)
    return calls


def _serve(*args: str) -> Any:
    return CliRunner().invoke(main, ["emulator", "serve", *args])


def _error_line(output: str) -> str:
    """The whole output must be one line, an error naming the problem (no usage block)."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].lower().startswith("error"), output
    return lines[0]


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_every_dialect_flag_parses_every_choice(field: DialectField, served: list[Any]) -> None:
    for choice in field.choices:
        result = _serve(field.flag, _flag_value(choice))
        assert result.exit_code == 0, result.output
        config = served[-1][0]
        assert getattr(config.dialect, field.name) == choice
        # Every other field keeps its default.
        assert config.dialect == Dialect().replace(**{field.name: choice})
        # The value as the docs write it (M/D/YYYY, True) works too: flags are not case-sensitive.
        assert _serve(field.flag, str(choice)).exit_code == 0
        assert getattr(served[-1][0].dialect, field.name) == choice


def test_help_lists_every_dialect_flag_with_its_default_and_strictest() -> None:
    result = CliRunner().invoke(main, ["emulator", "serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    for f in FIELDS:
        assert f.flag in flat
    assert "strictest:" in flat
    assert "--dialect" in flat


def test_strictest_flag_and_overrides(served: list[Any]) -> None:
    assert _serve("--strictest").exit_code == 0
    assert served[-1][0].dialect == Dialect.strictest()
    assert _serve("--strictest", "--task-ids", "per-job").exit_code == 0
    assert served[-1][0].dialect == Dialect.strictest().replace(task_ids="per-job")
    assert _serve().exit_code == 0
    assert served[-1][0].dialect == Dialect()


def test_dialect_file_flag_and_overrides(served: list[Any], tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    measured = Dialect(suiteql_total="capped", date_format="D/M/YYYY", list_max_pages=None)
    path.write_text(json.dumps({"dialect": measured.to_dict(), "measured": {"requests": 9}}))
    assert _serve("--dialect", str(path)).exit_code == 0
    assert served[-1][0].dialect == measured
    assert _serve("--dialect", str(path), "--date-format", "m/d/yyyy").exit_code == 0
    assert served[-1][0].dialect == measured.replace(date_format="M/D/YYYY")


def test_governance_flags_reach_the_config(served: list[Any]) -> None:
    result = _serve("--concurrency", "20", "--allocated-to-others", "5", "--integration-limit", "4")
    assert result.exit_code == 0, result.output
    config = served[-1][0]
    assert (config.concurrency, config.integration_limit, config.allocated_to_others) == (20, 4, 5)
    assert config.unallocated == 11


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--task-ids", "random"], "--task-ids"),
        (["--suiteql-total", "exact"], "--suiteql-total"),
        (["--idempotency-conflict-status", "500"], "--idempotency-conflict-status"),
        (["--list-max-pages", "50"], "--list-max-pages"),
        (["--date-format", "DD.MM.YYYY"], "--date-format"),
        (["--no-such-flag", "x"], "--no-such-flag"),
        (["--dialect", "/nonexistent/dialect.json"], "--dialect"),
        (["--strictest", "--dialect", "__FILE__"], "--strictest"),
        (["--dialect", "__BADFILE__"], "--dialect"),
        (["--dialect", "__UNKNOWNFIELD__"], "unknown dialect field"),
        (["--concurrency", "5", "--allocated-to-others", "5"], "allocated_to_others"),
    ],
)
def test_bad_flags_exit_2_with_one_error_line(
    args: list[str], mentions: str, served: list[Any], tmp_path: Path
) -> None:
    good = tmp_path / "good.json"
    Dialect().save(good)
    bad = tmp_path / "bad.json"
    bad.write_text('{"dialect": {"task_ids": "sometimes"}}')
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"dialect": {"task_idz": "global"}}')
    subst = {"__FILE__": str(good), "__BADFILE__": str(bad), "__UNKNOWNFIELD__": str(unknown)}
    result = _serve(*[subst.get(a, a) for a in args])
    assert result.exit_code == 2, result.output
    assert mentions in _error_line(result.output)
    assert served == []


def test_build_dialect_matches_flag_text_to_typed_choices() -> None:
    d = build_dialect(None, False, {"idempotency_conflict_status": "409", "list_max_pages": "none",
                                    "suiteql_has_more_at_cap": "false", "date_format": "yyyy-mm-dd"})
    assert d.idempotency_conflict_status == 409
    assert d.list_max_pages is None
    assert d.suiteql_has_more_at_cap is False
    assert d.date_format == "YYYY-MM-DD"


def test_a_child_process_emulator_plays_the_configured_dialect_and_limits() -> None:
    import httpx2

    from netsuite_async.testing.server import EmulatorServer

    config = EmulatorConfig(concurrency=9, allocated_to_others=4, dialect=Dialect(date_format="YYYY-MM-DD"))
    with EmulatorServer(config, mode="process", seed={"customers": 2}) as srv:
        headers = {"Authorization": f"Bearer {srv.config_data['static_token']}"}
        with httpx2.Client(base_url=srv.base_url, headers=headers) as http:
            limits = http.get("/services/rest/system/v1/governanceLimits").json()
            iso = http.get("/services/rest/record/v1/customer", params={"q": "dateCreated AFTER 1999-12-31"})
            slashed = http.get("/services/rest/record/v1/customer", params={"q": "dateCreated AFTER 12/31/1999"})
    assert limits["accountUnallocatedConcurrencyLimit"] == 5
    assert iso.status_code == 200
    assert slashed.status_code == 400
