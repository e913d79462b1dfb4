"""The console script's entry point: one clear line instead of a traceback when the ``cli`` extra is missing."""

from __future__ import annotations

import sys

__all__ = ["CLI_DEPENDENCIES", "MISSING_EXTRA", "run"]

#: Top-level modules the command line needs beyond the library (the ``cli`` extra).
CLI_DEPENDENCIES = ("click", "rich")

MISSING_EXTRA = (
    "netsuite-async: the command line needs the 'cli' extra ({missing} is not installed): "
    "pip install 'netsuite-asyncio-client[cli]'"
)


def run() -> None:
    """Run ``netsuite-async``; exit 2 with one line naming the extra when click or rich is missing.

    Examples:
        >>> "netsuite-asyncio-client[cli]" in MISSING_EXTRA
        True
    """
    try:
        from netsuite_async.cli.app import main
    except ModuleNotFoundError as exc:
        if exc.name not in CLI_DEPENDENCIES:
            raise
        sys.stderr.write(MISSING_EXTRA.format(missing=exc.name) + "\n")
        raise SystemExit(2) from None
    main()
