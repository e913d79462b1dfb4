"""pytest plugin (entry point ``netsuite_async``): fixtures for an emulated account and a connected client.

The fixtures are async and work under whichever async test plugin a suite uses:

* anyio's plugin (``@pytest.mark.anyio``), on asyncio and on trio (an ``anyio_backend`` fixture picks);
* pytest-asyncio in *strict* mode (``@pytest.mark.asyncio``; the fixtures need no ``pytest_asyncio.fixture``)
  and in *auto* mode.

Fixtures:

* ``netsuite_emulator`` — a `FakeNetSuite`, configured per test with the
  marker ``@pytest.mark.netsuite_emulator(concurrency=3, latency=0.01, seed={"customers": 10}, ...)``
  (any ``FakeNetSuite`` keyword).
* ``netsuite_client`` — a ``NetSuiteClient`` connected to it (static bearer token), closed after the test.

Importing this module is cheap: the emulator is imported only when a fixture is used.

Examples:
    ```python
    import pytest
    pytestmark = pytest.mark.anyio

    @pytest.mark.netsuite_emulator(seed={"customers": 3})
    async def test_reads_customer(netsuite_client, netsuite_emulator):
        customer = await netsuite_client.records.get("customer", 1)
        assert netsuite_emulator.emulator.counters.requests == 1
    ```
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Generator
from typing import Any

import pytest

#: The async fixtures this plugin defines.
FIXTURES = ("netsuite_emulator", "netsuite_client")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``netsuite_emulator`` marker.

    Examples:
        ```text
        @pytest.mark.netsuite_emulator(concurrency=2)
        ```
    """
    config.addinivalue_line(
        "markers", "netsuite_emulator(**kwargs): FakeNetSuite options for the netsuite_emulator fixture"
    )


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Generator[None, Any, None]:
    """Hand this plugin's async fixtures to pytest-asyncio when it, not anyio, runs the test.

    pytest-asyncio's strict mode runs only fixtures declared with ``pytest_asyncio.fixture``; anyio's plugin runs
    async fixtures of tests that use ``anyio_backend``. A fixture declared for one would be refused (or run on
    the wrong event loop) by the other, so the choice is made per test, here, just before the fixture is set up.

    Examples:
        ```python
        # strict mode, no extra configuration:
        @pytest.mark.asyncio
        async def test_x(netsuite_client): ...
        ```
    """
    if (
        fixturedef.argname not in FIXTURES
        or "anyio_backend" in request.fixturenames
        or not request.config.pluginmanager.has_plugin("asyncio")
    ):
        yield
        return
    import pytest_asyncio

    original = fixturedef.func

    @functools.wraps(original)
    async def for_pytest_asyncio(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async for value in original(*args, **kwargs):
            yield value

    pytest_asyncio.fixture(for_pytest_asyncio)  # marks the function as one pytest-asyncio must run
    fixturedef.func = for_pytest_asyncio

    def restore() -> None:  # after this test: the next one may be anyio's
        fixturedef.func = original

    # Kept until the test ends: pytest-asyncio looks at the fixture again when it calls the test.
    request.node.addfinalizer(restore)
    yield


@pytest.fixture
async def netsuite_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """An in-process emulated NetSuite account (``FakeNetSuite``).

    Examples:
        ```python
        async def test_x(netsuite_emulator): ...
        ```
    """
    from netsuite_async.testing.fake import FakeNetSuite

    marker = request.node.get_closest_marker("netsuite_emulator")
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    async with FakeNetSuite(**kwargs) as fake:
        yield fake


@pytest.fixture
async def netsuite_client(netsuite_emulator: Any) -> AsyncIterator[Any]:
    """A ``NetSuiteClient`` wired to ``netsuite_emulator`` (static bearer token).

    Examples:
        ```python
        async def test_y(netsuite_client): await netsuite_client.records.get("customer", 1)
        ```
    """
    async with netsuite_emulator.client() as client:
        yield client
