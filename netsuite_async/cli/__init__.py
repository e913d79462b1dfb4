"""The ``netsuite-async`` command line (click + rich).

Example:
    $ netsuite-async demo
    $ netsuite-async --json record get customer 1
"""

from netsuite_async.cli.app import main

__all__ = ["main"]
