"""The `netsuite-async` commands against the emulator served on loopback (thread mode, real sockets)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No NETSUITE_* from the developer's shell, and no real profile file."""
    import os

    for key in list(os.environ):
        if key.startswith("NETSUITE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NETSUITE_CONFIG", str(tmp_path / "no-config.toml"))


def secrets_of(server: EmulatorServer) -> list[str]:
    keys = ("consumer_secret", "token_secret", "private_key", "auth_code_client_secret", "static_token")
    return [server.config_data[k] for k in keys if server.config_data.get(k)]


def cli(emu_config: Path, *args: str, input: str | None = None, auth: str | None = None) -> Result:
    argv = ["--emulator-config", str(emu_config)]
    if auth:
        argv += ["--auth", auth]
    return CliRunner().invoke(main, [*argv, "--json", *args], input=input, catch_exceptions=False)


def ok_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


pytestmark = pytest.mark.usefixtures("clean_env")


def test_record_create_get_update_upsert_delete_round_trip(emu_config: Path) -> None:
    created = ok_json(cli(emu_config, "record", "create", "customer", "--data", '{"companyName": "CLI Co"}'))
    cid = str(created["id"])
    assert cid.isdigit()

    ok_json(cli(emu_config, "record", "update", "customer", cid, "--data", '{"email": "ap@cli.example"}'))
    got = ok_json(cli(emu_config, "record", "get", "customer", cid, "--fields", "email,companyName"))
    assert got["email"] == "ap@cli.example"
    assert got["companyName"] == "CLI Co"

    up = ok_json(cli(emu_config, "record", "upsert", "customer", "eid:CLI-1", "--data", '{"companyName": "Up"}'))
    by_eid = ok_json(cli(emu_config, "record", "get", "customer", "eid:CLI-1"))
    assert str(by_eid["id"]) == str(up["id"])

    assert ok_json(cli(emu_config, "record", "delete", "customer", cid))["deleted"] is True
    gone = cli(emu_config, "record", "get", "customer", cid)
    assert gone.exit_code == 1
    assert json.loads(gone.stdout.splitlines()[0])["error"] == "NotFoundError"


def test_record_body_from_stdin_and_file(emu_config: Path, tmp_path: Path) -> None:
    body = tmp_path / "c.json"
    body.write_text('{"companyName": "From File"}', encoding="utf-8")
    from_file = ok_json(cli(emu_config, "record", "create", "customer", "--data", f"@{body}"))
    from_stdin = ok_json(cli(emu_config, "record", "create", "customer", "--data", "-", input='{"companyName": "In"}'))
    assert from_file["id"] != from_stdin["id"]


def test_transform_sales_order_into_invoice(emu_config: Path) -> None:
    cust = ok_json(cli(emu_config, "record", "create", "customer", "--data", '{"companyName": "T"}'))
    item = ok_json(cli(emu_config, "record", "create", "inventoryItem", "--data", '{"itemId": "W-1"}'))
    order = {"entity": {"id": str(cust["id"])}, "item": {"items": [{"item": {"id": str(item["id"])}, "quantity": 2}]}}
    so = ok_json(cli(emu_config, "record", "create", "salesOrder", "--data", json.dumps(order)))
    inv = ok_json(cli(emu_config, "record", "transform", "salesOrder", str(so["id"]), "invoice"))
    assert inv["type"] == "invoice"


def test_suiteql_streams_json_lines_with_bound_parameters(emu_config: Path) -> None:
    result = cli(emu_config, "suiteql", "SELECT id, companyname FROM customer WHERE id <= ? ORDER BY id", "-p", "3")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["1", "2", "3"]


def test_suiteql_parameter_injection_stays_a_literal(emu_config: Path) -> None:
    evil = "x' OR '1'='1"
    result = cli(emu_config, "suiteql", "SELECT id FROM customer WHERE companyname = ?", "-p", evil)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == ""


def test_suiteql_writes_a_jsonl_file(emu_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    summary = ok_json(cli(emu_config, "suiteql", "SELECT id, email FROM customer ORDER BY id", "--out", str(out)))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert summary["rows"] == len(lines) >= 50
    assert set(json.loads(lines[0])) == {"id", "email"}


def test_batch_create_from_jsonl_gives_one_result_per_line(emu_config: Path, tmp_path: Path) -> None:
    source = tmp_path / "customers.jsonl"
    source.write_text("".join(json.dumps({"companyName": f"Batch {i}"}) + "\n" for i in range(7)), encoding="utf-8")
    summary = ok_json(cli(emu_config, "batch", "create", "customer", "--from", str(source)))
    assert summary == {"total": 7, "succeeded": 7, "failed": 0}


def test_a_checkpoint_from_another_input_is_a_usage_error_exit_2(emu_config: Path, tmp_path: Path) -> None:
    source = tmp_path / "customers.jsonl"
    checkpoint = tmp_path / "customers.ckpt"
    source.write_text("".join(json.dumps({"companyName": f"Ckpt {i}"}) + "\n" for i in range(3)), encoding="utf-8")
    first = cli(emu_config, "batch", "create", "customer", "--from", str(source), "--checkpoint", str(checkpoint))
    assert first.exit_code == 0, first.output
    source.write_text("".join(json.dumps({"companyName": f"Other {i}"}) + "\n" for i in range(3)), encoding="utf-8")
    second = cli(emu_config, "batch", "create", "customer", "--from", str(source), "--checkpoint", str(checkpoint))
    assert second.exit_code == 2
    assert "Checkpoint" in second.output


def test_restlet_call_passes_unicode_params_and_body(emu_config: Path) -> None:
    out = ok_json(
        cli(emu_config, "restlet", "customscript_echo", "1", "-X", "POST", "-p", "q=a&b é", "--data", '{"hi": "wörld"}')
    )
    assert "wörld" in json.dumps(out, ensure_ascii=False)
    assert "a&b é" in json.dumps(out, ensure_ascii=False)


def test_metadata_catalog_lists_customer(emu_config: Path) -> None:
    out = ok_json(cli(emu_config, "metadata", "catalog"))
    assert "customer" in json.dumps(out)


def test_each_auth_kind_reaches_the_emulator(emu_config: Path) -> None:
    for kind in ("tba", "m2m", "bearer"):
        got = ok_json(cli(emu_config, "record", "get", "customer", "1", "--fields", "companyName", auth=kind))
        assert got["id"] == "1" or str(got.get("id")) == "1", kind


def test_auth_show_masks_every_secret(emu_config: Path, server: EmulatorServer) -> None:
    result = cli(emu_config, "auth", "show")
    shown = ok_json(result)
    assert shown["auth_kind"] == "tba"
    assert shown["consumer_secret"] == "***"
    for secret in secrets_of(server):
        assert secret not in result.output


def test_auth_mint_checks_m2m_without_printing_the_token(
    emu_config: Path, tmp_path: Path, server: EmulatorServer
) -> None:
    token_file = tmp_path / "token.txt"
    result = cli(emu_config, "auth", "mint", "--token-file", str(token_file), auth="m2m")
    info = ok_json(result)
    token = token_file.read_text(encoding="utf-8")
    assert token
    assert token not in result.output
    assert info["fingerprint"].startswith("sha256:")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    for secret in secrets_of(server):
        assert secret not in result.output

    inspected = ok_json(cli(emu_config, "auth", "inspect", f"@{token_file}"))
    assert inspected["fingerprint"] == info["fingerprint"]
    assert token not in json.dumps(inspected)


def test_auth_mint_with_tba_explains_there_is_nothing_to_mint(emu_config: Path) -> None:
    result = cli(emu_config, "auth", "mint", auth="tba")
    assert result.exit_code == 2
    assert "no tokens to mint" in result.stderr


def test_authorize_url_then_exchange_stores_tokens_usable_by_later_commands(
    emu_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: EmulatorServer
) -> None:
    import urllib.parse

    import httpx2

    state_file = tmp_path / "state.json"
    start = ok_json(cli(emu_config, "auth", "authorize-url", "--state-file", str(state_file), auth="code"))
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert start["authorize_url"].startswith(server.base_url)
    # The emulator's authorize page logs the user in at once and redirects back with a code.
    answer = httpx2.get(start["authorize_url"], follow_redirects=False)
    assert answer.status_code in (302, 303), answer.text
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["location"]).query))
    assert query["state"] == start["state"]

    monkeypatch.setenv("NETSUITE_TOKEN_STORE", str(tmp_path / "tokens.json"))
    stored = ok_json(
        cli(
            emu_config,
            "auth",
            "exchange",
            "--code",
            query["code"],
            "--state",
            query["state"],
            "--state-file",
            str(state_file),
            auth="code",
        )
    )
    assert stored["stored"] is True
    got = ok_json(cli(emu_config, "record", "get", "customer", "1", auth="code"))
    assert str(got["id"]) == "1"


def test_bad_record_id_exits_2_and_sends_nothing(emu_config: Path, server: EmulatorServer) -> None:
    assert server.emulator is not None
    before = server.emulator.counters.requests
    result = cli(emu_config, "record", "get", "customer", "../1")
    assert result.exit_code == 2
    assert result.stderr == "error: invalid internal id '../1': expected a positive integer\n"
    assert server.emulator.counters.requests == before


def test_invalid_json_body_is_a_usage_error(emu_config: Path) -> None:
    result = cli(emu_config, "record", "create", "customer", "--data", "{not json")
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr


def test_missing_credentials_exit_2_with_a_hint() -> None:
    result = CliRunner().invoke(main, ["--account", "1234567", "record", "get", "customer", "1"])
    assert result.exit_code == 2
    assert "no credentials configured" in result.stderr


def test_human_output_renders_a_record(emu_config: Path) -> None:
    result = CliRunner().invoke(main, ["--emulator-config", str(emu_config), "record", "get", "customer", "1"])
    assert result.exit_code == 0, result.output
    assert '"id": "1"' in result.stdout


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for command in ("demo", "record", "suiteql", "batch", "restlet", "metadata", "emulator", "auth", "bench"):
        assert command in result.stdout


def test_exchange_takes_a_code_that_begins_with_a_dash(
    emu_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Codes are random URL-safe text, so one in 64 begins with '-'; it must not be read as an option."""
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"state": "s1", "code_verifier": "v" * 64}), encoding="utf-8")
    monkeypatch.setenv("NETSUITE_TOKEN_STORE", str(tmp_path / "tokens.json"))
    for code_args in (["--code", "-Abc"], ["--", "-Abc"]):
        argv = ["auth", "exchange", "--state", "s1", "--state-file", str(state_file), *code_args]
        result = cli(emu_config, *argv, auth="code")
        # The emulator never issued this code, so the exchange itself is refused, but by the server.
        assert "No such option" not in result.output
        assert result.exit_code not in (0, 2), result.output
        assert "invalid_grant" in result.output, result.output
    twice = ["auth", "exchange", "A", "--code", "B", "--state", "s1", "--state-file", str(state_file)]
    both = cli(emu_config, *twice, auth="code")
    assert both.exit_code == 2
    assert "give the code once" in both.output
