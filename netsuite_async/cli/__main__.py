"""``python -m netsuite_async.cli`` = ``netsuite-async`` (used by benchmarks to start an emulator process)."""

from netsuite_async.cli import main

if __name__ == "__main__":
    main()
