"""pytest plugin (entry point ``netsuite_async``): fixtures for an emulated account and a connected client.

Fixtures (async; they run under anyio's pytest plugin, so mark tests with ``pytest.mark.anyio``):

* ``netsuite_emulator`` — a :class:`~netsuite_async.testing.FakeNetSuite`, configured per test with the
  marker ``@pytest.mark.netsuite_emulator(concurrency=3, latency=0.01, seed={"customers": 10}, ...)``
  (any ``FakeNetSuite`` keyword).
* ``netsuite_client`` — a ``NetSuiteClient`` connected to it (static bearer token), closed after the test.

Importing this module is cheap: the emulator is imported only when a fixture is used.

Example::

    import pytest
    pytestmark = pytest.mark.anyio

    @pytest.mark.netsuite_emulator(seed={"customers": 3})
    async def test_reads_customer(netsuite_client, netsuite_emulator):
        customer = await netsuite_client.records.get("customer", 1)
        assert netsuite_emulator.emulator.counters.requests == 1
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``netsuite_emulator`` marker.

    Example::

        @pytest.mark.netsuite_emulator(concurrency=2)
    """
    config.addinivalue_line(
        "markers", "netsuite_emulator(**kwargs): FakeNetSuite options for the netsuite_emulator fixture"
    )


@pytest.fixture
async def netsuite_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """An in-process emulated NetSuite account (``FakeNetSuite``).

    Example::

        async def test_x(netsuite_emulator): ...
    """
    from netsuite_async.testing.fake import FakeNetSuite

    marker = request.node.get_closest_marker("netsuite_emulator")
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    async with FakeNetSuite(**kwargs) as fake:
        yield fake


@pytest.fixture
async def netsuite_client(netsuite_emulator: Any) -> AsyncIterator[Any]:
    """A ``NetSuiteClient`` wired to ``netsuite_emulator`` (static bearer token).

    Example::

        async def test_y(netsuite_client): await netsuite_client.records.get("customer", 1)
    """
    async with netsuite_emulator.client() as client:
        yield client
