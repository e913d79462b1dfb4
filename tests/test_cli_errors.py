"""A newcomer's mistakes at the command line: each is ONE line on stderr naming the fix, exit code 2, and nothing
is sent to NetSuite. Also: the help's examples work against the emulator's default data, and human output is tidy.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from netsuite_async.cli import main
from netsuite_async.testing._emulator import EmulatorConfig
from netsuite_async.testing.server import EmulatorServer


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(concurrency=5)) as srv:
        yield srv


@pytest.fixture(scope="module")
def emu_config(server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("emu") / "emulator.json"
    path.write_text(json.dumps(server.config_data), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("NETSUITE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NETSUITE_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.chdir(tmp_path)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def requests_of(server: EmulatorServer) -> int:
    assert server.emulator is not None
    return server.emulator.counters.requests


def one_line_error(result: Result, *needles: str) -> str:
    """Exit 2, exactly one stderr line starting with 'error: ', containing every needle."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert not lines[0].startswith("error: error")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_parquet_without_pyarrow_is_refused_before_connecting_or_drawing_progress(
    emu_config: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed, even where it is
    before = requests_of(server)
    result = run("--emulator-config", str(emu_config), "suiteql", "SELECT id FROM customer", "--out", "x.parquet")
    one_line_error(result, "pyarrow", "netsuite-asyncio-client[parquet]", ".jsonl")
    assert "0/?" not in result.stderr
    assert "━" not in result.stderr
    assert requests_of(server) == before
    assert not (tmp_path / "x.parquet").exists()


def test_three_of_four_tba_variables_names_the_missing_one() -> None:
    env = {
        "NETSUITE_ACCOUNT": "1234567",
        "NETSUITE_CONSUMER_KEY": "ck",
        "NETSUITE_CONSUMER_SECRET": "cs",
        "NETSUITE_TOKEN_ID": "tid",
    }
    line = one_line_error(run("record", "get", "customer", "1", env=env), "NETSUITE_TOKEN_SECRET", "incomplete")
    assert "no credentials configured" not in line
    assert "cs" not in line.split("found", 1)[1].replace("NETSUITE_CONSUMER_SECRET", "")


def test_half_configured_m2m_names_what_is_missing() -> None:
    env = {"NETSUITE_ACCOUNT": "1234567", "NETSUITE_CLIENT_ID": "c", "NETSUITE_CERTIFICATE_ID": "k"}
    one_line_error(run("record", "get", "customer", "1", env=env), "NETSUITE_PRIVATE_KEY_FILE")


def test_placeholder_without_a_value_is_refused_before_sending(emu_config: Path, server: EmulatorServer) -> None:
    before = requests_of(server)
    result = run("--emulator-config", str(emu_config), "suiteql", "SELECT id FROM customer WHERE id > ?")
    one_line_error(result, "1 '?' placeholder", "0 -p value", "-p VALUE")
    too_many = run("--emulator-config", str(emu_config), "suiteql", "SELECT id FROM customer", "-p", "3")
    one_line_error(too_many, "0 '?' placeholder", "1 -p value")
    assert requests_of(server) == before


def test_a_question_mark_inside_a_literal_is_not_a_placeholder(emu_config: Path) -> None:
    result = run("--emulator-config", str(emu_config), "--json", "suiteql", "SELECT id FROM customer WHERE "
                 "companyname = 'who?' AND id > ?", "-p", "0")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""


def test_explicit_missing_config_file_is_an_error_not_ignored() -> None:
    one_line_error(run("--config", "/missing.toml", "auth", "show"), "/missing.toml", "does not exist")


def test_auth_show_exits_nonzero_when_it_reports_a_problem() -> None:
    result = run("--json", "auth", "show")
    assert result.exit_code == 2
    assert "no credentials configured" in json.loads(result.stdout)["problem"]
    assert result.stderr.startswith("error: no credentials configured")


def test_auth_show_exits_zero_when_configured(emu_config: Path) -> None:
    result = run("--emulator-config", str(emu_config), "--json", "auth", "show")
    assert result.exit_code == 0, result.stderr
    assert "problem" not in json.loads(result.stdout)


def test_usage_errors_are_one_line_with_the_help_hint() -> None:
    line = one_line_error(run("record", "get", "customer"), "Missing argument 'RECORD_ID'")
    assert line.endswith(" record get -h'.")  # CliRunner calls the program 'main'
    one_line_error(run("record", "frobnicate"), "No such command 'frobnicate'")


def test_missing_emulator_config_is_waited_for_then_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    from netsuite_async.cli import config

    monkeypatch.setattr(config, "EMULATOR_CONFIG_WAIT", 0.2)
    monkeypatch.setattr("netsuite_async.cli.state.EMULATOR_CONFIG_WAIT", 0.2)
    one_line_error(run("--emulator-config", "later.json", "record", "get", "customer", "1"),
                   "emulator serve --write-config later.json")


def test_emulator_serve_without_uvicorn_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    one_line_error(run("emulator", "serve"), "uvicorn", "netsuite-asyncio-client[cli]")


def test_library_input_errors_have_one_prefix(emu_config: Path) -> None:
    line = one_line_error(run("--emulator-config", str(emu_config), "record", "get", "customer", "x/1"))
    assert "ValueError" not in line


def test_empty_results_say_zero(emu_config: Path) -> None:
    listed = run("--emulator-config", str(emu_config), "record", "list", "customer", "-q", 'companyName IS "none"')
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout == "0 records (customer)\n"
    rows = run("--emulator-config", str(emu_config), "suiteql", "SELECT id FROM customer WHERE id > 100000")
    assert rows.exit_code == 0, rows.stderr
    assert rows.stdout == "0 rows\n"


def test_batch_failures_are_shown_by_input_line_counted_from_one(emu_config: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"companyName": "A"}\n\n{"companyName": "B", "subsidiary": {"id": "999"}}\n', "utf-8")
    result = run("--emulator-config", str(emu_config), "batch", "create", "customer", "--from", str(source))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "created 1 of 2 customer records; 1 failed (each with its error in " \
        f"{tmp_path / 'in.failures.jsonl'})"
    assert lines[1].startswith("  line 3: 400 USER_ERROR: Invalid subsidiary reference key 999.")
    assert "http://" not in result.stdout


def help_examples() -> list[tuple[str, list[str]]]:
    """Every ``netsuite-async ...`` example line in the help of the commands that talk to an account."""
    out: list[tuple[str, list[str]]] = []
    for path in (["record"], ["suiteql"], ["restlet"]):
        text = CliRunner().invoke(main, [*path, "--help"]).stdout
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("netsuite-async "):
                out.append((line, shlex.split(line)[1:]))
    return out


def test_help_examples_work_against_the_emulators_default_data(tmp_path: Path) -> None:
    examples = help_examples()
    assert len(examples) >= 8
    with EmulatorServer(EmulatorConfig(concurrency=5)) as fresh:
        config = tmp_path / "fresh.json"
        config.write_text(json.dumps(fresh.config_data), encoding="utf-8")
        for line, argv in examples:
            result = run("--emulator-config", str(config), "--json", *argv)
            assert result.exit_code == 0, f"{line}\n{result.stderr}"
            assert result.stdout.strip() or "--out" in argv, line
    assert (tmp_path / "tx.jsonl").stat().st_size > 0


def test_every_command_reports_an_unknown_option_in_one_line() -> None:
    def walk(cmd: click.Command, path: list[str]) -> Iterator[list[str]]:
        yield path
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])

    for path in walk(main, []):
        if path[:1] == ["bench"]:
            continue  # hands its arguments to the benchmark runner (argparse)
        result = run(*path, "--definitely-not-an-option")
        one_line_error(result, "--definitely-not-an-option")


def test_export_summary_is_one_tidy_line(emu_config: Path, tmp_path: Path) -> None:
    human = run("--emulator-config", str(emu_config), "suiteql", "SELECT id FROM customer WHERE id <= 3 ORDER BY id",
                "--out", "three.jsonl")
    assert human.exit_code == 0, human.stderr
    assert re.fullmatch(r"3 rows -> three\.jsonl \(jsonl, \d+\.\d\d s\)\n", human.stdout), human.stdout
    machine = run("--emulator-config", str(emu_config), "--json", "suiteql", "SELECT id FROM customer WHERE id <= 3",
                  "--out", "again.csv")
    data = json.loads(machine.stdout)
    assert (data["rows"], data["format"]) == (3, "csv")
    assert len(repr(data["seconds"]).split(".")[1]) <= 3
