"""The ``netsuite-async`` command line (click + rich; install the ``cli`` extra).

The console script enters through `netsuite_async.cli._entry.run`, which says which extra to install when
click or rich is missing instead of failing with a traceback. ``main`` (the click group) is imported on first use,
so ``import netsuite_async.cli`` itself never needs click.

Examples:
    $ pip install 'netsuite-asyncio-client[cli]'
    $ netsuite-async demo
    $ netsuite-async --json record get customer 1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsuite_async.cli.app import main

__all__ = ["main"]


def __getattr__(name: str) -> Any:
    if name == "main":
        from netsuite_async.cli.app import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
