"""``netsuite-async emulator serve``: the offline NetSuite emulator on loopback.

Where NetSuite's documentation is silent the emulator plays a *dialect* (``netsuite_async.testing.Dialect``):
each field is a flag here (``--suiteql-total capped``, ``--task-ids global``, ...), ``--strictest`` picks the
variant hardest on a client for every field, and ``--dialect FILE`` loads a file written by ``netsuite-async probe``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from netsuite_async.cli.state import CliState, fail, pass_state

__all__ = ["build_dialect", "emulator", "parse_seed", "ready_lines"]


def parse_seed(values: tuple[str, ...]) -> dict[str, int]:
    """``--seed customers=1000 --seed orders=50`` -> ``{"customers": 1000, "orders": 50}``.

    Examples:
        >>> parse_seed(("customers=10",))
        {'customers': 10}
    """
    out: dict[str, int] = {}
    for value in values:
        for part in value.split(","):
            name, sep, number = part.partition("=")
            if not sep or not name.strip() or not number.strip().isdigit():
                raise click.BadParameter(f"{part!r}: expected NAME=COUNT, e.g. customers=1000", param_hint="--seed")
            out[name.strip()] = int(number)
    return out


@click.group()
def emulator() -> None:
    """The offline NetSuite emulator (records, SuiteQL, jobs, RESTlets, auth, governance)."""


def _dialect_options(func: Any) -> Any:
    """One ``emulator serve`` flag per dialect field (``--suiteql-total capped``), plus ``--dialect FILE``
    and ``--strictest``; generated from ``Dialect`` so the flags and the emulator never disagree."""
    from netsuite_async.testing._dialect import dialect_fields

    for f in reversed(list(dialect_fields())):
        choices = [("none" if c is None else str(c).lower()) for c in f.choices]
        func = click.option(
            f.flag,
            f.name,
            type=click.Choice(choices, case_sensitive=False),
            default=None,
            help=f"{f.help} [default: {'none' if f.default is None else str(f.default).lower()}; "
            f"strictest: {'none' if f.strictest is None else str(f.strictest).lower()}]",
        )(func)
    func = click.option(
        "--strictest", is_flag=True, help="start from the variant hardest on a client for every dialect field"
    )(func)
    func = click.option(
        "--dialect",
        "dialect_file",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        default=None,
        help="a dialect file (as written by `netsuite-async probe --out`); the flags below override it",
    )(func)
    return func


def build_dialect(dialect_file: Path | None, strictest: bool, overrides: dict[str, str | None]) -> Any:
    """The emulator's Dialect from ``--dialect``, ``--strictest`` and the per-field flags (flags win).

    Examples:
        >>> build_dialect(None, False, {"task_ids": "global", "suiteql_total": None}).task_ids
        'global'
        >>> build_dialect(None, True, {}).suiteql_total
        'capped'
    """
    from netsuite_async.testing._dialect import Dialect, dialect_fields

    if dialect_file is not None and strictest:
        raise click.UsageError("--dialect and --strictest are alternatives: pass one")
    try:
        base = Dialect.load(dialect_file) if dialect_file is not None else Dialect()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--dialect") from None
    if strictest:
        base = Dialect.strictest()
    changes: dict[str, Any] = {}
    for f in dialect_fields():
        text = overrides.get(f.name)
        if text is None:
            continue
        for choice in f.choices:
            if ("none" if choice is None else str(choice).lower()) == text:
                changes[f.name] = choice
    return base.replace(**changes)


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="interface to listen on (keep it loopback)")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 = any free port")
@click.option("--account", default="1234567_SB1", show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 1000), default=5, show_default=True, help="account limit")
@click.option(
    "--integration-limit",
    type=click.IntRange(1, 1000),
    default=None,
    help="give the emulated integration a share of its own (integrationSpecific)",
)
@click.option(
    "--allocated-to-others",
    type=click.IntRange(0, 1000),
    default=0,
    show_default=True,
    help="slots given to other integrations (lowers accountUnallocatedConcurrencyLimit)",
)
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, show_default=True)
@click.option("--jitter-ms", type=click.FloatRange(0), default=0.0, show_default=True)
@click.option("--seed", "seed", multiple=True, help="demo data sizes, e.g. customers=1000 (repeatable)")
@click.option("--no-seed", is_flag=True, help="start with an empty account")
@click.option("--no-batch-collections", is_flag=True, help="emulate an account without 2026.1 collection batches")
@click.option(
    "--write-config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="once listening, write base_url, account and credentials as JSON (mode 0600) here; removed on Ctrl-C",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="serve HTTPS with this PEM certificate (with --ssl-keyfile); clients must trust it",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="the PEM private key of --ssl-certfile",
)
@_dialect_options
@pass_state
def serve_cmd(
    state: CliState,
    /,
    host: str,
    port: int,
    account: str,
    concurrency: int,
    integration_limit: int | None,
    allocated_to_others: int,
    latency_ms: float,
    jitter_ms: float,
    seed: tuple[str, ...],
    no_seed: bool,
    no_batch_collections: bool,
    write_config: Path | None,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    dialect_file: Path | None,
    strictest: bool,
    **dialect_flags: str | None,
) -> None:
    """Serve the emulator until stopped (Ctrl-C).

    Prints its URL and account, writes the connection file (--write-config) and only then prints "ready".
    Commands given --emulator-config wait a few seconds for that file, so both lines below work when pasted.

    \b
    Point the CLI or your code at it:
      netsuite-async emulator serve --port 8089 --write-config emulator.json &
      netsuite-async --emulator-config emulator.json record get customer 1

    With --ssl-certfile and --ssl-keyfile it serves HTTPS (the base URL in the connection file says https://);
    a client must then trust that certificate, e.g. httpx2.AsyncHTTPTransport(verify=ssl_context).
    """
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        from netsuite_async.testing.server import UVICORN_MISSING

        fail(state, UVICORN_MISSING)
    from netsuite_async.testing._emulator import EmulatorConfig
    from netsuite_async.testing._seed import DEMO_SEED
    from netsuite_async.testing.server import serve

    dialect = build_dialect(dialect_file, strictest, dialect_flags)
    try:
        config = EmulatorConfig(
            account=account,
            concurrency=concurrency,
            integration_limit=integration_limit,
            allocated_to_others=allocated_to_others,
            latency=latency_ms / 1000.0,
            jitter=jitter_ms / 1000.0,
            batch_collections=not no_batch_collections,
            dialect=dialect,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise click.UsageError("--ssl-certfile and --ssl-keyfile go together: pass both to serve HTTPS, or neither")
    kwargs: dict[str, Any] = {"host": host, "port": port, "write_config": write_config}
    if ssl_certfile is not None:
        kwargs.update(ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
    seed_sizes = parse_seed(seed)
    if no_seed:
        kwargs["seed"] = {}
    elif seed_sizes:
        kwargs["seed"] = seed_sizes
    seeded: Mapping[str, int] = kwargs.get("seed", DEMO_SEED)
    if host not in ("127.0.0.1", "localhost", "::1"):
        state.output.info(f"warning: serving on {host}: the emulator's credentials are not secret, keep it private")

    def ready(info: Mapping[str, str]) -> None:
        if state.json_mode:
            state.output.result(
                {
                    "base_url": info["base_url"],
                    "account": info["account"],
                    "config_file": str(write_config) if write_config else None,
                    "seed": dict(seeded),
                }
            )
        for line in ready_lines(info, write_config, seeded, concurrency):
            state.output.info(line)

    with contextlib.suppress(KeyboardInterrupt):
        serve(config, on_ready=ready, **kwargs)
    state.output.info("emulator stopped")


def ready_lines(
    info: Mapping[str, str], write_config: Path | None, seed: Mapping[str, int], concurrency: int
) -> list[str]:
    """What ``emulator serve`` prints once it listens (no secrets: the credentials go to the file only).

    Examples:
        >>> info = {"base_url": "http://127.0.0.1:8089", "account": "1234567_SB1"}
        >>> for line in ready_lines(info, Path("emulator.json"), {"customers": 50}, 5):
        ...     print(line)
        emulator: http://127.0.0.1:8089  account 1234567_SB1  concurrency limit 5  data: 50 customers
        connection file: emulator.json (base URL, account and credentials; mode 0600)
        try: netsuite-async --emulator-config emulator.json record get customer 1
        ready. Press Ctrl-C to stop.
    """
    data = ", ".join(f"{n} {name}" for name, n in seed.items()) or "empty account"
    lines = [f"emulator: {info['base_url']}  account {info['account']}  concurrency limit {concurrency}  data: {data}"]
    if write_config is not None:
        lines.append(f"connection file: {write_config} (base URL, account and credentials; mode 0600)")
        lines.append(f"try: netsuite-async --emulator-config {write_config} record get customer 1")
    else:
        lines.append("credentials: not written; pass --write-config FILE to use the emulator from the CLI or code")
    lines.append("ready. Press Ctrl-C to stop.")
    return lines
