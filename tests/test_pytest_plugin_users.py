"""The pytest plugin in users' suites: a small suite runs in a subprocess under pytest-asyncio (strict and auto
modes) and under anyio's plugin on asyncio and on trio; every test passes and nothing leaks into later tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ASYNCIO_SUITE = '''
import pytest
{mark}

{each}
@pytest.mark.netsuite_emulator(concurrency=2, seed={{"customers": 3}})
async def test_reads_a_seeded_customer(netsuite_client, netsuite_emulator):
    customer = await netsuite_client.records.get("customer", 3)
    assert customer["id"] == "3"
    assert netsuite_emulator.config.concurrency == 2


{each}
async def test_writes_then_queries(netsuite_client):
    ref = await netsuite_client.records.create("customer", {{"companyName": "User Co"}})
    rows = await netsuite_client.suiteql.all("SELECT companyname FROM customer WHERE id = ?", params=[ref.id])
    assert rows == [{{"companyname": "User Co"}}]


{each}
async def test_a_later_test_gets_a_fresh_account(netsuite_emulator):
    assert netsuite_emulator.counters.requests == 0


def test_a_plain_test_after_them_still_runs():
    assert True
'''

CASES = {
    "pytest-asyncio strict": ("[pytest]\nasyncio_mode = strict\n", "", []),
    "pytest-asyncio auto": ("[pytest]\nasyncio_mode = auto\n", "", []),
    "anyio on asyncio": (
        "[pytest]\n",
        "pytestmark = pytest.mark.anyio\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'",
        ["-p", "no:asyncio"],
    ),
    "anyio on trio": (
        "[pytest]\n",
        "pytestmark = pytest.mark.anyio\n\n@pytest.fixture\ndef anyio_backend():\n    return 'trio'",
        ["-p", "no:asyncio"],
    ),
}


@pytest.mark.slow  # subprocesses: left out of `nox -s quick`, run by CI
@pytest.mark.parametrize("case", list(CASES))
def test_a_users_suite_passes_under_each_async_test_plugin(case: str, tmp_path: Path) -> None:
    ini, mark, extra = CASES[case]
    (tmp_path / "pytest.ini").write_text(
        ini + "asyncio_default_fixture_loop_scope = function\n" if "asyncio_mode" in ini else ini, "utf-8"
    )
    each = "@pytest.mark.asyncio" if "strict" in case else ""
    (tmp_path / "test_user.py").write_text(ASYNCIO_SUITE.format(mark=mark, each=each), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error::pytest.PytestWarning",
         *extra, "test_user.py"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},  # the outer run's options are not theirs
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout, result.stdout[-2000:]
