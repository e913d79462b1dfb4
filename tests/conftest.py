"""Shared test configuration: anyio's pytest plugin runs async tests (asyncio by default)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio unless a module parametrizes this fixture over ("asyncio", "trio")."""
    return "asyncio"
