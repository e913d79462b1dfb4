"""The CLI's global --agent/--policy/--audit options and `audit show`, against an emulator on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from netsuite_async.cli.app import main
from netsuite_async.testing._emulator import EmulatorConfig
from netsuite_async.testing.server import EmulatorServer

POLICY = """
[support-bot]
records = { customer = "read" }

[finance-bot]
suiteql = true
records = { customer = "write" }
"""


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(concurrency=5)) as srv:
        yield srv


@pytest.fixture
def setup(server: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    import os

    for key in list(os.environ):
        if key.startswith("NETSUITE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NETSUITE_CONFIG", str(tmp_path / "no-config.toml"))
    emu = tmp_path / "emulator.json"
    emu.write_text(json.dumps(server.config_data), encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    return emu, policy, tmp_path / "audit.jsonl"


def run(emu: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--emulator-config", str(emu), "--json", *args], catch_exceptions=False)


def test_agent_option_checks_every_command_and_audit_show_filters(
    setup: tuple[Path, Path, Path], server: EmulatorServer
) -> None:
    emu, policy, log = setup
    as_support = ["--policy", str(policy), "--audit", str(log), "--agent", "support-bot"]
    as_finance = ["--policy", str(policy), "--audit", str(log), "--agent", "finance-bot"]
    created = run(emu, *as_finance, "record", "create", "customer", "--data", '{"companyName": "Agent Co"}')
    assert created.exit_code == 0, created.output
    cid = str(json.loads(created.stdout)["id"])
    before = server.emulator.counters.requests
    denied = run(emu, *as_support, "record", "delete", "customer", cid)
    assert denied.exit_code == 1
    assert json.loads(denied.stdout.splitlines()[0])["error"] == "AccessDeniedError"
    assert "it has read access to customer" in denied.output
    refused_query = run(emu, *as_support, "suiteql", "SELECT id FROM customer")
    assert refused_query.exit_code == 1
    assert server.emulator.counters.requests == before, "a denied CLI call reached the emulator"
    got = run(emu, *as_support, "record", "get", "customer", cid)
    assert got.exit_code == 0, got.output
    # Without --agent the CLI is the application itself: unrestricted, still audited.
    assert run(emu, "--audit", str(log), "record", "delete", "customer", cid).exit_code == 0

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(x["agent"], x["action"], x["decision"]) for x in lines] == [
        ("finance-bot", "records.create", "allowed"),
        ("support-bot", "records.delete", "denied"),
        ("support-bot", "suiteql.stream", "denied"),
        ("support-bot", "records.get", "allowed"),
        (None, "records.delete", "allowed"),
    ]

    shown = CliRunner().invoke(main, ["audit", "show", str(log), "--decision", "denied", "--json"])
    assert shown.exit_code == 0, shown.output
    assert [json.loads(x)["action"] for x in shown.stdout.splitlines()] == ["records.delete", "suiteql.stream"]
    root = CliRunner().invoke(main, ["audit", "show", str(log), "--agent", "root", "--text"])
    assert root.stdout.count("\n") == 1
    assert f"the application deleted customer {cid}: allowed" in root.stdout
    future = CliRunner().invoke(main, ["audit", "show", str(log), "--since", "2999-01-01", "--json"])
    assert future.exit_code == 0
    assert future.stdout == ""
    past = CliRunner().invoke(main, ["audit", "show", str(log), "--until", "2000-01-01T00:00Z", "--json"])
    assert past.stdout == ""
    table = CliRunner().invoke(main, ["audit", "show", str(log), "--agent", "support-bot"], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert "support-bot" in table.stdout
    assert "finance-bot" not in table.stdout


def test_agent_without_policy_or_unknown_agent_is_a_usage_error(setup: tuple[Path, Path, Path]) -> None:
    emu, policy, _ = setup
    no_policy = run(emu, "--agent", "support-bot", "record", "get", "customer", "1")
    assert no_policy.exit_code == 2
    assert "--agent needs --policy" in no_policy.output
    unknown = run(emu, "--policy", str(policy), "--agent", "intern", "record", "get", "customer", "1")
    assert unknown.exit_code == 2
    assert "unknown agent 'intern'" in unknown.output
    bad = policy.with_name("bad.toml")
    bad.write_text('[bot]\nrecords = { customer = "root" }\n', encoding="utf-8")
    invalid = run(emu, "--policy", str(bad), "--agent", "bot", "record", "get", "customer", "1")
    assert invalid.exit_code == 2
    assert "unknown level 'root'" in invalid.output


def test_audit_show_rejects_a_file_that_is_not_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("not json\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", "show", str(path)])
    assert result.exit_code == 2
    assert "x.jsonl:1: not a JSON line" in result.output
