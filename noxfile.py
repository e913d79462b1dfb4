"""Developer tasks: `nox -s tests lint typecheck docs bench` (and `minimum` for the oldest dependencies)."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite (asyncio and trio)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


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


@nox.session(python="3.10")
def minimum(session: nox.Session) -> None:
    """The tests against the oldest versions of the runtime dependencies that pyproject.toml allows."""
    import re

    import tomllib  # nox itself runs on 3.11+

    with open("pyproject.toml", "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    pins = [re.sub(r">=", "==", d) for d in deps if ">=" in d]
    session.install("-e", ".[test]")
    session.install(*pins)
    session.run("python", "-m", "pytest", "-x", *session.posargs)
