"""Developer tasks: `nox -s tests lint typecheck docs bench` (and `minimum` for the oldest dependencies).

`nox -s quick` is the inner loop (under a minute on a quiet machine); `nox -s tests` and CI (`.ci/run`) run
everything.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
PYTHONS = ["3.11", "3.12", "3.13"]  # requires-python >= 3.11 (httpx2 needs it)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite (asyncio and trio)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


# The inner loop: what `nox -s quick` leaves out, CI (`.ci/run`) and `nox -s tests` still run.
QUICK_ARGS = [
    "-m", "not slow",  # long simulations, subprocess-heavy CLI/plugin/example runs, 100k-row seeds
    "--anyio-backends", "asyncio",  # both_backends tests on asyncio only; trio runs in the full suite
    "--ignore", "tests/redis",  # needs a redis-server; the Redis governor and token cache run in CI
    "-x", "-q", "-p", "no:cacheprovider",
]


@nox.session(python=False)
def quick(session: nox.Session) -> None:
    """The inner loop in the current environment: not slow, asyncio only, no Redis, stop at the first failure.

    Runs in the active venv (no install step), so it starts at once; extra arguments go to pytest
    (`nox -s quick -- tests/test_records.py`). Everything it skips runs in `nox -s tests` and in CI.
    """
    session.run("python", "-m", "pytest", *QUICK_ARGS, *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation strictly."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark against the loopback emulator; JSON, Markdown and plots into benchmarks/results."""
    session.install("-e", ".[bench,redis]")
    session.run("python", "benchmarks/run.py", *session.posargs)


def minimum_pins(deps: list[str]) -> list[str]:
    """``httpx2>=2.16,<3`` -> ``httpx2==2.16``: each runtime dependency pinned to its declared floor."""
    import re

    pins = []
    for dep in deps:
        if ";" in dep:  # environment markers: not for this interpreter's floor
            continue
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+)", dep)
        if match:
            pins.append(f"{match.group(1)}=={match.group(2)}")
    return pins


@nox.session(python="3.11")
def minimum(session: nox.Session) -> None:
    """The tests against the oldest versions of the runtime dependencies that pyproject.toml allows."""
    import tomllib

    with open("pyproject.toml", "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    pins = minimum_pins(deps)
    # One resolution for the package, its test extra and the floors together: pip fails here if they conflict.
    session.install("-e", ".[test]", *pins)
    session.run("python", "-m", "pip", "check")
    session.run("python", "-m", "pytest", "-x", *session.posargs)
