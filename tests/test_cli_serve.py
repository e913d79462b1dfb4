"""The console script as a newcomer runs it, in real subprocesses: ``emulator serve ... &`` followed at once by a
command, and the one-line message when the ``cli`` extra is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "netsuite_async.cli"]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETSUITE_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.mark.slow  # subprocesses: left out of `nox -s quick`, run by CI
@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT like Ctrl-C")
def test_serve_then_a_command_pasted_together_works_and_serve_says_where_everything_is(tmp_path: Path) -> None:
    config = tmp_path / "emulator.json"
    serve = subprocess.Popen(
        [*CLI, "emulator", "serve", "--write-config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
    )
    try:
        # Started at once, like the quickstart's two pasted lines: the command waits for the file.
        command = subprocess.run(
            [*CLI, "--emulator-config", str(config), "--json", "record", "get", "customer", "1"],
            capture_output=True,
            text=True,
            env=clean_env(),
            cwd=tmp_path,
            timeout=120,
        )
        assert command.returncode == 0, command.stderr
        assert json.loads(command.stdout)["id"] == "1"

        assert serve.stderr is not None
        lines: list[str] = []
        for _ in range(20):  # bounded: serve prints four lines then waits
            line = serve.stderr.readline()
            lines.append(line)
            if line.startswith("ready"):
                break
        text = "".join(lines)
        data = json.loads(config.read_text(encoding="utf-8"))
        assert f"emulator: {data['base_url']}" in text
        assert "account 1234567_SB1" in text
        assert f"connection file: {config}" in text
        assert "Ctrl-C to stop" in lines[-1]
        assert (config.stat().st_mode & 0o777) == 0o600
        for secret in ("consumer_secret", "token_secret", "static_token"):
            assert data[secret] not in text

        serve.send_signal(signal.SIGINT)
        _, rest = serve.communicate(timeout=30)
        assert "emulator stopped" in rest
        assert "Traceback" not in rest
        assert not config.exists(), "a stale connection file would point clients at a dead port"
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


def test_console_script_without_the_cli_extra_says_which_extra_to_install() -> None:
    code = (
        "import sys; sys.modules['click'] = None; sys.argv = ['netsuite-async', 'demo']\n"
        "from netsuite_async.cli._entry import run; run()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "netsuite-async: the command line needs the 'cli' extra (click is not installed): "
        "pip install 'netsuite-asyncio-client[cli]'"
    ]


def test_import_netsuite_async_loads_no_cli_or_oauth2_dependency() -> None:
    code = (
        "import netsuite_async, sys\n"
        "heavy = {'click', 'rich', 'uvicorn', 'joserfc', 'cryptography'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "from netsuite_async import ClientCredentials, AuthorizationCode\n"
        "assert 'joserfc' in sys.modules and ClientCredentials.__name__ == 'ClientCredentials'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_lazy_names_are_listed_and_unknown_names_still_raise() -> None:
    import netsuite_async
    import netsuite_async.auth

    for module in (netsuite_async, netsuite_async.auth):
        assert {"ClientCredentials", "AuthorizationCode", "AuthorizationRequest"} <= set(dir(module))
        with pytest.raises(AttributeError):
            _ = module.NoSuchName  # type: ignore[attr-defined]
