"""The pytest plugin's fixtures give a configured emulator and a connected NetSuiteClient."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


@pytest.mark.netsuite_emulator(concurrency=3, seed={"customers": 4})
async def test_fixtures_serve_the_marked_configuration(netsuite_emulator: Any, netsuite_client: Any) -> None:
    customer = await netsuite_client.records.get("customer", 4)
    assert customer["id"] == "4"
    assert netsuite_emulator.config.concurrency == 3
    assert netsuite_emulator.counters.requests == 1


async def test_fixtures_default_to_an_empty_account(netsuite_client: Any, netsuite_emulator: Any) -> None:
    ref = await netsuite_client.records.create("customer", {"companyName": "Plugin Co"})
    assert ref.id == "1"
    assert netsuite_emulator.counters.writes == 1


def test_importing_the_plugin_does_not_import_the_emulator() -> None:
    import subprocess
    import sys

    code = (
        "import sys, netsuite_async.testing.pytest_plugin;"
        "print(any(m.startswith('netsuite_async.testing._') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
