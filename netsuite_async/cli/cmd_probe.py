"""``netsuite-async probe``: learn how an account behaves where NetSuite is undocumented; write a dialect file.

Read-only by default and bounded (see `netsuite_async.probe` and docs/know-your-account.md). ``--writes``
adds one asynchronous create (deleted afterwards) and is refused on a production account id unless
``--allow-production-writes`` is given too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from netsuite_async.cli.cmd_records import read_json_argument
from netsuite_async.cli.config import ConfigError
from netsuite_async.cli.connect import make_client
from netsuite_async.cli.state import CliState, pass_state, run_async

__all__ = ["probe_cmd"]


@click.command("probe")
@click.option("--table", default=None, help="SuiteQL table with more than 100,000 rows for the cap checks "
              "[default: the first of transactionline, transaction, systemnote, customer, item, contact that has]")
@click.option("--record-type", default=None, help="record type for the record-collection checks "
              "[default: --table when it is a record type, else customer, contact, employee, vendor, partner]")
@click.option("--writes", is_flag=True, help="also run the write checks: one asynchronous create, deleted after")
@click.option("--allow-production-writes", is_flag=True, help="permit --writes on a production account id")
@click.option("--write-type", default="customer", show_default=True, help="record type the write checks create")
@click.option("--write-body", default=None, help="extra fields (JSON or @file.json) for the created record, e.g. "
              "'{\"subsidiary\": {\"id\": \"1\"}}'")
@click.option("--json", "json_flag", is_flag=True, help="one JSON object on stdout")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write an emulator dialect file (for emulator serve --dialect, FakeNetSuite(dialect=...), the "
              "pytest marker and the client's date format)")
@click.option("--cap", type=click.IntRange(2000), default=100_000, show_default=True,
              help="NetSuite's row cap; change it only against an emulator with a scaled cap")
@click.option("--poll-interval", type=click.FloatRange(0), default=1.0, show_default=True,
              help="first delay between job status polls (seconds; grows to 10)")
@pass_state
def probe_cmd(
    state: CliState,
    /,
    table: str | None,
    record_type: str | None,
    writes: bool,
    allow_production_writes: bool,
    write_type: str,
    write_body: str | None,
    json_flag: bool,
    out_file: Path | None,
    cap: int,
    poll_interval: float,
) -> None:
    """Measure how this account answers where NetSuite's documentation is silent.

    \b
    Read-only by default (safe on production; about a dozen requests):
      netsuite-async probe --out account-dialect.json
    Then run the emulator like the account:
      netsuite-async emulator serve --dialect account-dialect.json
    On a sandbox, also the write checks (everything created is deleted):
      netsuite-async --account 1234567_SB1 probe --writes --out account-dialect.json
    """
    from netsuite_async.identifiers import validate_record_type
    from netsuite_async.probe import is_production, probe

    if json_flag:
        state.json_mode = True
    settings = state.settings()
    account = settings.require_account()
    for name, value in (("--table", table), ("--record-type", record_type), ("--write-type", write_type)):
        if value is not None:
            try:
                validate_record_type(value)
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from None
    if writes and is_production(account) and not allow_production_writes:
        raise ConfigError(
            f"{account} is a production account id: --writes creates and deletes one {write_type}. Run it on a "
            "sandbox (1234567_SB1), or add --allow-production-writes"
        )
    body: Any = read_json_argument(write_body) if write_body else None
    if body is not None and not isinstance(body, dict):
        raise ConfigError("--write-body must be a JSON object")

    async def go() -> Any:
        async with make_client(settings) as ns:
            return await probe(
                ns, table=table, record_type=record_type, writes=writes,
                allow_production_writes=allow_production_writes, write_type=write_type, write_body=body, cap=cap,
                poll_interval=poll_interval,
            )

    result = run_async(state, go)
    if out_file is not None:
        result.save(out_file)
    if state.json_mode:
        data = result.to_json()
        if out_file is not None:
            data["out"] = str(out_file)
        state.output.result(data)
    else:
        state.output.table([{"check": k, "answer": v} for k, v in result.rows()], title="netsuite-async probe")
        for note in result.notes:
            state.output.info(f"note: {note}")
        if out_file is not None:
            flags = " ".join(result.emulator_flags())
            state.output.info(f"wrote {out_file}; run the emulator like this account with:\n"
                              f"  netsuite-async emulator serve --dialect {out_file}" + (f" {flags}" if flags else ""))
