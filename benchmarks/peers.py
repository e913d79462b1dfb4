"""Other NetSuite clients, each in its own virtual environment, measured against the same loopback emulator.

The only peer today is jacobsvante's ``netsuite`` 0.12 (PyPI ``netsuite==0.12.*``, httpx 0.2x + authlib). Its
environment is made once under ``benchmarks/.peers/`` (git-ignored) with ``python -m venv`` and pip, and reused.
``peer_netsuite012.py`` is the load script that runs *inside* that environment; it is only ever pointed at the
emulator's loopback URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
NETSUITE_SPEC = "netsuite==0.12.*"


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_netsuite012(*, install: bool = True, timeout: float = 300.0) -> tuple[Path | None, str]:
    """The Python of a virtual environment holding ``netsuite`` 0.12, made on first use.

    Returns ``(python, "")`` when ready, or ``(None, reason)`` when it is not (and ``install`` is False, or pip
    failed: no network, no index).
    """
    env_dir = PEERS / "netsuite-0.12"
    python = _python(env_dir)
    marker = env_dir / "installed.txt"
    if marker.is_file() and python.is_file():
        return python, ""
    if not install:
        return None, f"{NETSUITE_SPEC} not installed (run a full benchmark once to make {env_dir})"
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    try:
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", NETSUITE_SPEC],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"pip install {NETSUITE_SPEC} timed out"
    if proc.returncode != 0:
        return None, f"pip install {NETSUITE_SPEC} failed: {proc.stderr.strip()[-300:]}"
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('netsuite'))"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()
    marker.write_text(version + "\n", encoding="utf-8")
    return python, ""


def run_netsuite012(python: Path, job: dict[str, Any], timeout: float = 300.0) -> dict[str, Any]:
    """Run one load job (see peer_netsuite012.py) in the peer's environment and return its JSON result."""
    proc = subprocess.run(
        [str(python), str(HERE / "peer_netsuite012.py"), json.dumps(job)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"netsuite 0.12 load script failed: {proc.stderr.strip()[-1000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    py, why = ensure_netsuite012()
    print(py or why)
    sys.exit(0 if py else 1)
