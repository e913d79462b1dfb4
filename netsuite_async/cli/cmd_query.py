"""``netsuite-async suiteql``, ``restlet`` and ``metadata``: read-side commands."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from netsuite_async.cli.cmd_records import read_json_argument
from netsuite_async.cli.config import ConfigError
from netsuite_async.cli.connect import make_client
from netsuite_async.cli.output import plural, to_jsonable
from netsuite_async.cli.progress import ProgressReporter, make_progress
from netsuite_async.cli.state import CliState, pass_state, run_async

if TYPE_CHECKING:
    from netsuite_async.export import ExportFormat

__all__ = ["check_placeholders", "metadata", "parse_param", "require_pyarrow", "restlet", "suiteql"]

FORMATS = ("jsonl", "csv", "parquet")


def parse_param(text: str) -> Any:
    """A ``--param`` value: JSON when it parses (numbers, true/false, null, lists), else the text itself.

    Examples:
        >>> parse_param("42"), parse_param("Acme's"), parse_param("[1, 2]")
        (42, "Acme's", [1, 2])
    """
    try:
        return json.loads(text)
    except ValueError:
        return text


def _format_for(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    raise ConfigError(f"cannot tell the format of {str(path)!r} from its suffix: pass --format jsonl|csv|parquet")


def check_placeholders(query: str, params: list[Any]) -> None:
    """Refuse, before anything is sent, a query whose ``?`` placeholders and ``-p`` values do not pair up.

    Examples:
        >>> check_placeholders("SELECT id FROM customer WHERE id > ?", [40])
        >>> check_placeholders("SELECT id FROM customer WHERE id > ?", [])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        netsuite_async.cli.config.ConfigError: the query has 1 '?' placeholder(s) but 0 -p value(s) were given: ...
    """
    from netsuite_async.suiteql_params import placeholder_positions

    try:
        count = len(placeholder_positions(query))
    except ValueError as exc:
        raise ConfigError(f"the query is not valid SuiteQL: {exc}") from None
    if count != len(params):
        raise ConfigError(
            f"the query has {count} '?' placeholder(s) but {len(params)} -p value(s) were given: "
            "pass one -p VALUE per '?', in order"
        )


def require_pyarrow() -> None:
    """Parquet output needs pyarrow; say so (exit 2) before connecting or drawing a progress bar."""
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        raise ConfigError(
            "writing Parquet needs pyarrow: pip install 'netsuite-asyncio-client[parquet]' "
            "(or write --out FILE.jsonl or FILE.csv)"
        )


@click.command()
@click.argument("query")
@click.option("-p", "--param", "params", multiple=True, help="value for a ? placeholder (repeat, in order)")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default=None, help="output file format")
@click.option("--page-size", type=click.IntRange(1, 1000), default=1000, show_default=True)
@click.option("--max-rows", type=click.IntRange(min=1), default=None, help="stop after this many rows")
@pass_state
def suiteql(
    state: CliState,
    query: str,
    params: tuple[str, ...],
    out: Path | None,
    fmt: str | None,
    page_size: int,
    max_rows: int | None,
) -> None:
    """Run a SuiteQL query and stream every row (pages fetched in parallel under the governor).

    \b
    Values for ? placeholders are bound client-side into safe literals:
      netsuite-async suiteql "SELECT id, email FROM customer WHERE id > ? ORDER BY id" -p 40
    Write a file with a progress bar (format from the suffix or --format):
      netsuite-async suiteql "SELECT * FROM transaction ORDER BY id" --out tx.jsonl
    Without --out, rows print as JSON lines (--json) or a table.
    """
    bound = [parse_param(p) for p in params]
    check_placeholders(query, bound)
    fmt_final = _format_for(out, fmt) if out is not None else None
    if fmt_final == "parquet":
        require_pyarrow()

    def rows_of(ns: Any) -> AsyncIterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"params": bound or None, "page_size": page_size}
        if max_rows is not None:
            kwargs["max_rows"] = max_rows
        stream: AsyncIterator[dict[str, Any]] = ns.suiteql.stream(query, **kwargs)
        return stream

    if out is not None:

        async def export() -> Any:
            from netsuite_async.export import export_rows

            async with make_client(state.settings()) as ns:
                with make_progress() as progress:
                    reporter = ProgressReporter(progress, f"rows -> {out.name}")
                    return await export_rows(rows_of(ns), out, cast("ExportFormat | None", fmt_final), reporter)

        summary = to_jsonable(run_async(state, export))
        if isinstance(summary, dict) and isinstance(summary.get("seconds"), float):
            summary["seconds"] = round(summary["seconds"], 3)  # a duration: the other digits are noise
        if state.json_mode or not isinstance(summary, dict):
            state.output.result(summary)
        else:
            seconds = summary.get("seconds")
            took = f", {seconds:.2f} s" if isinstance(seconds, (int, float)) else ""
            state.output.line(
                f"{plural(int(summary.get('rows', 0)), 'row')} -> {summary.get('path', out)} "
                f"({summary.get('format', fmt_final)}{took})"
            )
        return

    async def collect() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async with make_client(state.settings()) as ns:
            async for row in rows_of(ns):
                if state.json_mode:
                    sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                else:
                    rows.append(row)
        return rows

    rows = run_async(state, collect)
    if not state.json_mode:
        if rows:
            state.output.table(rows, title=plural(len(rows), "row"))
        else:
            state.output.line(plural(0, "row"))


@click.command()
@click.argument("script")
@click.argument("deploy", default="1")
@click.option("-X", "--method", type=click.Choice(["GET", "POST", "PUT", "DELETE"]), default="GET")
@click.option("-p", "--param", "params", multiple=True, help="query parameter NAME=VALUE (repeatable)")
@click.option("--data", "data", default=None, help="JSON body: inline, @file.json or -")
@click.option("--text", "text", default=None, help="plain-text body (Content-Type: text/plain)")
@pass_state
def restlet(
    state: CliState,
    script: str,
    deploy: str,
    method: str,
    params: tuple[str, ...],
    data: str | None,
    text: str | None,
) -> None:
    """Call a RESTlet by script and deployment id.

    \b
    Examples:
      netsuite-async restlet customscript_echo 1 -X POST --data '{"hello": "world"}'
      netsuite-async restlet customscript_echo 1 -p email=a@example.com
    """
    query: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="--param")
        query[name] = value
    body = read_json_argument(data)
    if body is not None and text is not None:
        raise click.UsageError("pass either --data or --text, not both")

    async def go() -> Any:
        async with make_client(state.settings()) as ns:
            return await ns.restlets.call(
                script=script, deploy=deploy, method=method, params=query or None, json=body, text=text
            )

    state.output.result(run_async(state, go))


@click.group()
def metadata() -> None:
    """Record metadata: the catalog, JSON Schema, OpenAPI."""


@metadata.command("catalog")
@pass_state
def catalog_cmd(state: CliState) -> None:
    """List the record types the account exposes."""

    async def go() -> Any:
        async with make_client(state.settings()) as ns:
            return await ns.metadata.catalog()

    state.output.result(run_async(state, go))


@metadata.command("schema")
@click.argument("record_type")
@pass_state
def schema_cmd(state: CliState, record_type: str) -> None:
    """The JSON Schema of one record type."""

    async def go() -> Any:
        async with make_client(state.settings()) as ns:
            return await ns.metadata.json_schema(record_type)

    state.output.result(run_async(state, go))


@metadata.command("openapi")
@click.argument("record_types", nargs=-1)
@pass_state
def openapi_cmd(state: CliState, record_types: tuple[str, ...]) -> None:
    """The OpenAPI 3 document for some record types (all when none given; slow on large accounts)."""

    async def go() -> Any:
        async with make_client(state.settings()) as ns:
            return await ns.metadata.openapi(list(record_types) or None)

    state.output.result(run_async(state, go))
