"""Shared test configuration: anyio's pytest plugin runs async tests, on asyncio by default.

Backends, in one place:

- every ``@pytest.mark.anyio`` test runs on asyncio (the ``anyio_backend`` fixture below);
- a test, class or module marked ``@pytest.mark.both_backends`` runs once per backend, ``[asyncio]`` and
  ``[trio]`` (``pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]`` for a whole module);
- a test that parametrizes ``anyio_backend`` itself (``@pytest.mark.parametrize("anyio_backend", ...)``) keeps
  exactly the backends it names.

``--anyio-backends asyncio`` (what ``nox -s quick`` passes) narrows ``both_backends`` tests to asyncio for the
inner loop; the default, and CI, run both.
"""

from __future__ import annotations

import pytest

BACKENDS = ("asyncio", "trio")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--anyio-backends",
        default=",".join(BACKENDS),
        help="comma-separated backends that @pytest.mark.both_backends tests run on (default: asyncio,trio)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_backends: run this async test on asyncio and on trio")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "anyio_backend" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("both_backends") is None:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if "anyio_backend" in (names if isinstance(names, (list, tuple)) else [n.strip() for n in names.split(",")]):
            return  # the test names its backends itself
    wanted = [b.strip() for b in str(metafunc.config.getoption("--anyio-backends")).split(",") if b.strip()]
    unknown = sorted(set(wanted) - set(BACKENDS))
    if unknown:
        raise pytest.UsageError(f"--anyio-backends: unknown backend(s) {unknown}; choose from {list(BACKENDS)}")
    metafunc.parametrize("anyio_backend", wanted, indirect=True)


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> object:
    """The backend an async test runs on: asyncio, or each of asyncio and trio under ``both_backends``."""
    return getattr(request, "param", "asyncio")
