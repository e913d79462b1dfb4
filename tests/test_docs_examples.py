"""Code in README.md and docs/migrating-from-soap.md runs as printed, against the emulator."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netsuite_async.testing import FakeNetSuite
from netsuite_async.testing._emulator import EmulatorConfig
from netsuite_async.testing.server import EmulatorServer, connection_info

ROOT = Path(__file__).resolve().parents[1]


def blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """A fresh emulator on loopback with its connection file in the working directory, as the README has it."""
    monkeypatch.chdir(tmp_path)
    with EmulatorServer(EmulatorConfig()) as server:
        assert server.emulator is not None
        (tmp_path / "emulator.json").write_text(json.dumps(connection_info(server.emulator, server.base_url)))
        yield server


def test_readme_starts_with_the_two_commands() -> None:
    first = blocks(ROOT / "README.md", "bash")[0].splitlines()
    assert first[0].startswith('pip install -e ".[cli]" && netsuite-async demo')
    assert first[1].startswith('pip install -e ".[test]" && python -m pytest')


def test_readme_example_runs_and_prints_what_the_readme_says(
    served: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = ROOT / "README.md"
    (code,) = blocks(readme, "python")
    assert "netsuite-async emulator serve --write-config emulator.json" in blocks(readme, "bash")[2]
    exec(compile(code, "README.md", "exec"), {"__name__": "__main__"})
    printed = capsys.readouterr().out
    text = readme.read_text(encoding="utf-8")
    expected = re.search(r"Against the emulator's default data it prints:\n\n```text\n(.*?)```", text, re.S)
    assert expected is not None
    assert printed == expected.group(1)
    assert served.emulator is not None
    assert served.emulator.counters.max_in_flight <= 5
    assert served.emulator.counters.limited == 0


def soap_settings(fake: Any) -> dict[str, Any]:
    c = fake.credentials
    return {
        "account": fake.config.account,
        "concurrency_limit": 4,
        "consumer_key": c.consumer_key,
        "consumer_secret": c.consumer_secret,
        "token_key": c.token_id,
        "token_secret": c.token_secret,
    }


@pytest.mark.anyio
async def test_soap_settings_map_onto_a_client(capsys: pytest.CaptureFixture[str]) -> None:
    doc = ROOT / "docs" / "migrating-from-soap.md"
    define, call = blocks(doc, "python")
    namespace: dict[str, Any] = {}
    exec(compile(define, str(doc), "exec"), namespace)
    documented: dict[str, Any] = {}
    exec(compile(call.replace("anyio.run(main, soap)", ""), str(doc), "exec"), documented)
    async with FakeNetSuite(seed={"customers": 3}) as fake:
        soap = soap_settings(fake)
        assert set(documented["soap"]) == set(soap)
        assert documented["soap"]["concurrency_limit"] == 4
        await namespace["main"](soap, base_url=fake.base_url, http_client=fake.http_client())
        async with namespace["client_from_soap_settings"](
            soap, base_url=fake.base_url, http_client=fake.http_client()
        ) as ns:
            assert ns.governor.stats().limit == 4
        assert fake.emulator.counters.auth_failures == 0
    assert capsys.readouterr().out.strip()  # the customer's company name


def test_soap_profile_works_from_the_command_line(
    served: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netsuite_async.cli import main

    doc = ROOT / "docs" / "migrating-from-soap.md"
    (profile,) = blocks(doc, "toml")
    config = tmp_path / "config.toml"
    config.write_text(profile, encoding="utf-8")
    config.chmod(0o600)
    data = served.config_data
    env = {
        "NS_CONSUMER_KEY": data["consumer_key"],
        "NS_CONSUMER_SECRET": data["consumer_secret"],
        "NS_TOKEN_KEY": data["token_id"],
        "NS_TOKEN_SECRET": data["token_secret"],
    }
    for key in [k for k in __import__("os").environ if k.startswith("NETSUITE_")]:
        monkeypatch.delenv(key)
    commands = [line.split("#")[0].split() for line in blocks(doc, "bash")[0].strip().splitlines()]
    for argv in commands:
        assert argv[:3] == ["netsuite-async", "--profile", "sandbox"]
        result = CliRunner().invoke(
            main, ["--config", str(config), "--base-url", served.base_url, "--json", *argv[1:]], env=env
        )
        assert result.exit_code == 0, result.stderr
        out = json.loads(result.stdout)
        if argv[3:5] == ["auth", "show"]:
            assert out["auth_kind"] == "tba"
            assert out["concurrency"] == "4"
        else:
            assert out["id"] == "1"
    assert served.emulator is not None
    assert served.emulator.counters.auth_failures == 0
