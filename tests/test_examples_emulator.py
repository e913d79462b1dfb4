"""Every example runs against the emulator in the mode its docstring documents, and names what it needs."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


# FastAPI and aiohttp examples: asyncio only (the default backend; no both_backends marker here).


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"emulated_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_each_example_names_its_dependencies_and_one_emulator_command(path: Path) -> None:
    doc = path.read_text(encoding="utf-8").split('"""')[1]
    assert re.search(r"Needs(?: only this library)?: ``pip install [^`]*netsuite-asyncio-client", doc), path.name
    blocks = re.findall(r"```bash\n(.*?)```", doc, flags=re.S)
    emulator_only = "always runs against the built-in emulator" in doc
    assert any("NETSUITE_EMULATOR=1" in b or "--emulator" in b or emulator_only for b in blocks), path.name


@pytest.mark.anyio
async def test_fastapi_app_emulator_mode_starts_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSUITE_EMULATOR", "1")
    app: Any = load("fastapi_app").create_app()
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/customers/1")
            assert response.status_code == 200, response.text
            assert response.json()["id"] == "1"
            listed = await http.get("/customers", params={"limit": 100})
            assert len(listed.json()) == 50


@pytest.mark.anyio
async def test_fastapi_oauth_login_emulator_mode_logs_in_and_reads(tmp_path: Path) -> None:
    app: Any = load("fastapi_oauth_login").create_app({"NETSUITE_EMULATOR": "1"})
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            before = await http.get("/customers/1")
            assert before.status_code == 401
            assert "/login" in before.json()["detail"]

            login = await http.get("/login")
            assert login.status_code == 302
            callback = login.headers["location"]
            assert callback.startswith("/callback?")
            assert "code=" in callback
            assert "state=" in callback

            done = await http.get(callback)
            assert done.status_code == 200, done.text
            assert done.json()["authorized"] is True
            replayed = await http.get(callback)  # the same code and state a second time: refused
            assert replayed.status_code == 400

            after = await http.get("/customers/1")
            assert after.status_code == 200, after.text
            assert after.json()["id"] == "1"
            assert (await http.get("/customers/999999")).status_code == 404


def test_fastapi_oauth_login_without_settings_names_the_variables() -> None:
    module = load("fastapi_oauth_login")
    with pytest.raises(SystemExit, match="NETSUITE_AUTH_CODE_CLIENT_SECRET"):
        module.make_auth({"NETSUITE_ACCOUNT": "1", "NETSUITE_AUTH_CODE_CLIENT_ID": "c",
                          "NETSUITE_REDIRECT_URI": "http://localhost:8000/callback"})


@pytest.mark.anyio
async def test_aiohttp_app_emulator_mode_is_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSUITE_EMULATOR", "1")
    async with load("aiohttp_app").client_from_env() as ns:
        customer = await ns.records.get("customer", 1)
        assert customer["id"] == "1"


def test_etl_with_a_missing_csv_says_what_to_do_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "etl.py"), "--emulator", "missing.csv"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "etl.py: error: missing.csv does not exist: pass a CSV file, or --generate N to write N sample rows to it"
    ]


def test_etl_documented_emulator_command_runs(tmp_path: Path) -> None:
    doc = (EXAMPLES / "etl.py").read_text(encoding="utf-8").split('"""')[1]
    command = next(b for b in re.findall(r"```bash\n(.*?)```", doc, flags=re.S) if "--emulator" in b).strip()
    argv = command.split()
    assert argv[:2] == ["python", "examples/etl.py"]
    argv[2:] = [a.replace("500", "60") for a in argv[2:]]  # same command, a smaller file to keep the suite fast
    result = subprocess.run([sys.executable, str(EXAMPLES / "etl.py"), *argv[2:]], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len((tmp_path / "changed.jsonl").read_text(encoding="utf-8").splitlines()) == 60
