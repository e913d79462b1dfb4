"""Per-invocation CLI state (global options, lazily loaded settings) and the async command runner."""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import anyio
import click

from netsuite_async.cli.config import EMULATOR_CONFIG_WAIT, ConfigError, Settings, load_settings
from netsuite_async.cli.output import Output

__all__ = ["CliState", "fail", "pass_state", "run_async"]

T = TypeVar("T")

#: Exit codes: 1 = NetSuite or network said no, 2 = bad usage/configuration (nothing sent), 130 = interrupted.
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass
class CliState:
    """Global options of one ``netsuite-async`` invocation.

    Examples:
        >>> state = CliState(overrides={"account": "1234567"}, env={"NETSUITE_ACCESS_TOKEN": "x"})
        >>> state.settings().account
        '1234567'
    """

    profile: str | None = None
    config_path: Path | None = None
    emulator_config: Path | None = None
    overrides: dict[str, str | None] = field(default_factory=dict)
    json_mode: bool = False
    verbose: int = 0
    env: dict[str, str] | None = None
    _settings: Settings | None = None
    _output: Output | None = None

    @property
    def output(self) -> Output:
        """The printer for this invocation (JSON or rich)."""
        if self._output is None:
            self._output = Output(json_mode=self.json_mode)
        return self._output

    def settings(self) -> Settings:
        """Load settings once: profile file, environment, emulator config, command-line overrides."""
        if self._settings is None:
            if self.config_path is not None and not self.config_path.expanduser().exists():
                # An explicit --config names a file the user expects to be read: missing is an error.
                raise ConfigError(
                    f"the config file {str(self.config_path)!r} given by --config does not exist: create it "
                    "(profiles are TOML tables, see docs/cli.md) or drop --config to use NETSUITE_* variables"
                )
            self._settings = load_settings(
                profile=self.profile,
                config_path=self.config_path,
                emulator_config=self.emulator_config,
                overrides=self.overrides,
                env=self.env,
                emulator_wait=EMULATOR_CONFIG_WAIT,
            )
        return self._settings


pass_state = click.make_pass_decorator(CliState, ensure=True)


def fail(state: CliState, message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print an error and exit with ``code``."""
    state.output.error(message)
    raise SystemExit(code)


def configure_logging(verbose: int) -> None:
    """``-v`` shows the library's INFO logs, ``-vv`` DEBUG (Authorization headers are redacted by the transport)."""
    if verbose <= 0:
        return
    logging.basicConfig(
        level=logging.DEBUG if verbose > 1 else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def run_async(state: CliState, func: Callable[[], Awaitable[T]]) -> T:
    """Run ``func`` on an event loop and turn failures into one clear line on stderr and an exit code.

    NetSuite and network errors exit 1; configuration and validation errors (raised before anything is sent)
    exit 2. Messages never include secrets: the library's errors and `Settings` are redacted.
    """
    from netsuite_async.errors import NetSuiteError

    async def runner() -> T:
        return await func()

    try:
        return anyio.run(runner)
    except ConfigError as exc:
        fail(state, str(exc), EXIT_USAGE)
    except NetSuiteError as exc:
        if isinstance(exc, (ValueError, TypeError)):
            # Library errors that are also ValueErrors (a mismatched checkpoint, a date filter without the
            # account's date format) refuse the input before anything is sent: a usage error, like any ValueError.
            fail(state, f"{type(exc).__name__}: {exc}", EXIT_USAGE)
        if state.json_mode:
            _json_error(exc)
        fail(state, f"{type(exc).__name__}: {exc}", EXIT_API_ERROR)
    except (ValueError, TypeError) as exc:  # the library refused the input before sending anything
        fail(state, str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        fail(state, "interrupted", EXIT_INTERRUPTED)


def _json_error(exc: BaseException) -> None:
    import json

    payload: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
    for attr in ("status_code", "error_code", "method", "url", "attempts"):
        value = getattr(exc, attr, None)
        if value is not None:
            payload[attr] = value if isinstance(value, (int, str)) else str(value)
    sys.stdout.write(json.dumps(payload, default=str) + "\n")
