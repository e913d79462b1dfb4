"""``python -m netsuite_async.cli`` = ``netsuite-async`` (used by benchmarks to start an emulator process)."""

from netsuite_async.cli._entry import run

if __name__ == "__main__":
    run()
