"""An offline emulator of NetSuite's REST web services, for tests, demos and benchmarks.

Three ways in: `FakeNetSuite` (in process, no sockets), `serve`
/ `EmulatorServer` (uvicorn on loopback), and the pytest plugin
(fixtures ``netsuite_emulator`` and ``netsuite_client``). See docs/testing.md.

Examples:
    ```python
    from netsuite_async.testing import FakeNetSuite

    async with FakeNetSuite(concurrency=5, seed={"customers": 10}) as fake:
        async with fake.client() as ns:
            print(await ns.records.get("customer", 1))
    ```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsuite_async.testing._dialect import Dialect
    from netsuite_async.testing._emulator import Emulator, EmulatorConfig
    from netsuite_async.testing._restlets import RestletError
    from netsuite_async.testing.fake import FakeNetSuite
    from netsuite_async.testing.server import EmulatorServer, serve

__all__ = ["Dialect", "Emulator", "EmulatorConfig", "EmulatorServer", "FakeNetSuite", "RestletError", "serve"]

_WHERE = {
    "Dialect": "netsuite_async.testing._dialect",
    "Emulator": "netsuite_async.testing._emulator",
    "EmulatorConfig": "netsuite_async.testing._emulator",
    "RestletError": "netsuite_async.testing._restlets",
    "FakeNetSuite": "netsuite_async.testing.fake",
    "EmulatorServer": "netsuite_async.testing.server",
    "serve": "netsuite_async.testing.server",
}


def __getattr__(name: str) -> Any:
    # Lazy: the pytest plugin imports this package, and must stay cheap to import.
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'netsuite_async.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
