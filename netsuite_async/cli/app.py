"""The ``netsuite-async`` command group: global options and subcommand registration."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from netsuite_async._version import __version__
from netsuite_async.cli.cmd_audit import audit
from netsuite_async.cli.cmd_auth import auth
from netsuite_async.cli.cmd_batch import batch
from netsuite_async.cli.cmd_bench import bench
from netsuite_async.cli.cmd_emulator import emulator
from netsuite_async.cli.cmd_probe import probe_cmd
from netsuite_async.cli.cmd_query import metadata, restlet, suiteql
from netsuite_async.cli.cmd_records import record
from netsuite_async.cli.config import AUTH_KINDS
from netsuite_async.cli.connect import AgentOptions, agent_options
from netsuite_async.cli.demo import demo
from netsuite_async.cli.progress import MODES, ProgressOptions, progress_options
from netsuite_async.cli.state import CliState, configure_logging

__all__ = ["CliGroup", "main"]


class CliGroup(click.Group):
    """The command group, with every usage or configuration error as ONE line on stderr (exit 2).

    click's default shows usage, a hint and ``Error: ...`` over three lines; run_async's errors read
    ``error: ...``. Here both read ``error: <what is wrong>. Try '<command> --help'.``
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        prog_name = prog_name or "netsuite-async"  # also under `python -m netsuite_async.cli` and CliRunner
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            hint = ""
            if exc.ctx is not None:
                hint = f" Try '{exc.ctx.command_path} {exc.ctx.help_option_names[0]}'."
            _error_line(exc.format_message() + hint)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            _error_line(exc.format_message())
            sys.exit(exc.exit_code)
        except click.Abort:
            _error_line("interrupted")
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


def _error_line(message: str) -> None:
    from netsuite_async.cli.output import Output

    Output().error(" ".join(message.split()))


@click.group(cls=CliGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--profile", default=None, help="profile (table) in the config file [env: NETSUITE_PROFILE]")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML profiles file [env: NETSUITE_CONFIG; default ~/.config/netsuite-async/config.toml]",
)
@click.option(
    "--emulator-config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON written by `emulator serve --write-config` (waited for a few seconds if the emulator is still "
    "starting) [env: NETSUITE_EMULATOR_CONFIG]",
)
@click.option("--account", default=None, help="account id, e.g. 1234567_SB1 [env: NETSUITE_ACCOUNT]")
@click.option("--base-url", default=None, help="override the REST host (proxy, emulator) [env: NETSUITE_BASE_URL]")
@click.option(
    "--concurrency",
    default=None,
    help="int, 'auto', or a tier such as premium+2 [env: NETSUITE_CONCURRENCY]",
)
@click.option(
    "--date-format",
    default=None,
    help="the account's date format for record filters: M/D/YYYY, D/M/YYYY or YYYY-MM-DD (NetSuite: Home > Set "
    "Preferences > General > Date Format) [env: NETSUITE_DATE_FORMAT]",
)
@click.option("--auth", "auth_kind", type=click.Choice(AUTH_KINDS), default=None, help="which credentials to use")
@click.option("--agent", default=None, envvar="NETSUITE_AGENT",
              help="act as this agent of --policy: every call checked and audited [env: NETSUITE_AGENT]")
@click.option("--policy", "policy_path", default=None, envvar="NETSUITE_POLICY",
              type=click.Path(dir_okay=False), help="TOML access policy (docs/agents.md) [env: NETSUITE_POLICY]")
@click.option("--audit", "audit_path", default=None, envvar="NETSUITE_AUDIT", type=click.Path(dir_okay=False),
              help="append an audit line per call to this JSONL file [env: NETSUITE_AUDIT]")
@click.option("--json", "json_mode", is_flag=True, help="machine-readable JSON on stdout")
@click.option("--progress", "progress_mode", type=click.Choice(MODES), default="auto", envvar="NETSUITE_PROGRESS",
              show_default=True, help="progress of batch, suiteql --out and demo on stderr: a bar on a terminal, "
              "plain lines otherwise (auto), or bar, lines, none [env: NETSUITE_PROGRESS]")
@click.option("--progress-interval", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              envvar="NETSUITE_PROGRESS_INTERVAL",
              help="seconds between progress lines, per task [env: NETSUITE_PROGRESS_INTERVAL]")
@click.option("-v", "--verbose", count=True, help="-v INFO logs, -vv DEBUG (secrets redacted)")
@click.version_option(__version__, prog_name="netsuite-async")
@click.pass_context
def main(
    ctx: click.Context,
    profile: str | None,
    config_path: Path | None,
    emulator_config: Path | None,
    account: str | None,
    base_url: str | None,
    concurrency: str | None,
    date_format: str | None,
    auth_kind: str | None,
    agent: str | None,
    policy_path: str | None,
    audit_path: str | None,
    json_mode: bool,
    progress_mode: str,
    progress_interval: float,
    verbose: int,
) -> None:
    """Asyncio client for NetSuite's REST web services, from the command line.

    \b
    Start here (no credentials, no network):
      netsuite-async demo
    Configure with NETSUITE_* environment variables or a profile in ~/.config/netsuite-async/config.toml;
    see `netsuite-async auth show` for what is configured (secrets are never printed).
    """
    configure_logging(verbose)
    agent_options.set(AgentOptions(agent=agent, policy=policy_path, audit=audit_path))
    progress_options.set(ProgressOptions(progress_mode, progress_interval))
    ctx.obj = CliState(
        profile=profile,
        config_path=config_path,
        emulator_config=emulator_config,
        overrides={"account": account, "base_url": base_url, "concurrency": concurrency, "auth": auth_kind,
                   "date_format": date_format},
        json_mode=json_mode,
        verbose=verbose,
    )


for command in (demo, record, suiteql, batch, restlet, metadata, emulator, auth, bench, audit, probe_cmd):
    main.add_command(command)
