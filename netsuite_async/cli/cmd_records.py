"""``netsuite-async record get|create|update|upsert|delete|transform|list``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from netsuite_async.cli.config import ConfigError
from netsuite_async.cli.connect import make_client
from netsuite_async.cli.output import plural
from netsuite_async.cli.state import CliState, pass_state, run_async

__all__ = ["read_json_argument", "record"]


def read_json_argument(value: str | None, *, what: str = "body") -> Any:
    """Parse a JSON argument given inline, as ``@path`` or as ``-`` (stdin).

    Examples:
        >>> read_json_argument('{"companyName": "Acme"}')
        {'companyName': 'Acme'}
    """
    if value is None:
        return None
    if value == "-":
        text = sys.stdin.read()
        origin = "stdin"
    elif value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the {what} file {str(path)!r}: {exc.strerror}") from None
        origin = str(path)
    else:
        text, origin = value, "the command line"
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"the {what} from {origin} is not valid JSON: {exc}") from None


def _optional_body(value: str | None) -> dict[str, Any] | None:
    data = read_json_argument(value)
    if data is not None and not isinstance(data, dict):
        raise ConfigError("the record body must be a JSON object")
    return data


def _body(value: str | None) -> dict[str, Any]:
    data = _optional_body(value)
    if data is None:
        raise ConfigError("a record body is required: --data '{...}', --data @file.json or --data -")
    return data


def _split(values: tuple[str, ...]) -> list[str] | None:
    out = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return out or None


DATA_HELP = "record body as JSON: inline, @file.json, or - for stdin"


@click.group()
def record() -> None:
    """Read and write records (REST record service, /record/v1).

    \b
    Examples:
      netsuite-async record get customer 1 --fields email,companyName
      netsuite-async record create customer --data '{"companyName": "Acme", "subsidiary": {"id": "1"}}'
      netsuite-async record upsert customer eid:ACME-1 --data '{"companyName": "Acme"}'
      netsuite-async record transform salesOrder 11 invoice
      netsuite-async record list customer -q 'companyName START_WITH "A"' --max 5
    """


@record.command("get")
@click.argument("record_type")
@click.argument("record_id")
@click.option("--fields", multiple=True, help="only these fields (comma-separated or repeated)")
@click.option("--expand", is_flag=True, help="expandSubResources=true: include sublists and subrecords")
@click.option("--simple-enum", is_flag=True, help="simpleEnumFormat=true")
@pass_state
def get_cmd(
    state: CliState, record_type: str, record_id: str, fields: tuple[str, ...], expand: bool, simple_enum: bool
) -> None:
    """Get one record by internal id, or by external id as eid:VALUE."""

    async def go() -> Any:
        async with make_client(state.settings()) as ns:
            return await ns.records.get(
                record_type,
                record_id,
                fields=_split(fields),
                expand_sub_resources=expand,
                simple_enum_format=simple_enum,
            )

    state.output.result(run_async(state, go))


@record.command("create")
@click.argument("record_type")
@click.option("--data", "data", required=True, help=DATA_HELP)
@pass_state
def create_cmd(state: CliState, record_type: str, data: str) -> None:
    """Create a record; prints its new id (NetSuite answers 204 with a Location header)."""
    body = _body(data)

    async def go() -> Any:
        async with make_client(state.settings()) as ns:
            return await ns.records.create(record_type, body)

    state.output.result(run_async(state, go))


@record.command("update")
@click.argument("record_type")
@click.argument("record_id")
@click.option("--data", "data", required=True, help=DATA_HELP)
@click.option("--replace", multiple=True, help="sublists to replace instead of merge (comma-separated)")
@click.option("--replace-selected-fields", is_flag=True, help="replaceSelectedFields=true")
@pass_state
def update_cmd(
    state: CliState,
    record_type: str,
    record_id: str,
    data: str,
    replace: tuple[str, ...],
    replace_selected_fields: bool,
) -> None:
    """Update fields of a record (PATCH); omitted fields are unchanged, null clears a field."""
    body = _body(data)

    async def go() -> None:
        async with make_client(state.settings()) as ns:
            await ns.records.update(
                record_type,
                record_id,
                body,
                replace=_split(replace),
                replace_selected_fields=replace_selected_fields,
            )

    run_async(state, go)
    state.output.result({"updated": True, "type": record_type, "id": record_id})


@record.command("upsert")
@click.argument("record_type")
@click.argument("external_id")
@click.option("--data", "data", required=True, help=DATA_HELP)
@pass_state
def upsert_cmd(state: CliState, record_type: str, external_id: str, data: str) -> None:
    """Create or update a record by external id (PUT .../eid:EXTERNAL_ID)."""
    body = _body(data)
    if external_id.startswith("eid:"):
        external_id = external_id[len("eid:") :]

    async def go() -> Any:
        async with make_client(state.settings()) as ns:
            return await ns.records.upsert(record_type, external_id, body)

    state.output.result(run_async(state, go))


@record.command("delete")
@click.argument("record_type")
@click.argument("record_id")
@pass_state
def delete_cmd(state: CliState, record_type: str, record_id: str) -> None:
    """Delete a record by internal id (or eid:VALUE)."""

    async def go() -> None:
        async with make_client(state.settings()) as ns:
            await ns.records.delete(record_type, record_id)

    run_async(state, go)
    state.output.result({"deleted": True, "type": record_type, "id": record_id})


@record.command("transform")
@click.argument("record_type")
@click.argument("record_id")
@click.argument("target_type")
@click.option("--data", "data", default=None, help="optional body for the new record: " + DATA_HELP)
@pass_state
def transform_cmd(state: CliState, record_type: str, record_id: str, target_type: str, data: str | None) -> None:
    """Transform a record into another type (e.g. salesOrder -> invoice)."""
    body = _optional_body(data)

    async def go() -> Any:
        async with make_client(state.settings()) as ns:
            return await ns.records.transform(record_type, record_id, target_type, body)

    state.output.result(run_async(state, go))


@record.command("list")
@click.argument("record_type")
@click.option("-q", "--query", "q", default=None, help="filter, e.g. 'email START_WITH \"a\"'")
@click.option("--max", "max_items", type=click.IntRange(min=1), default=None, help="stop after this many")
@pass_state
def list_cmd(state: CliState, record_type: str, q: str | None, max_items: int | None) -> None:
    """List record ids of a type (every page), optionally filtered with q."""

    async def go() -> list[Any]:
        refs: list[Any] = []
        async with make_client(state.settings()) as ns:
            async for ref in ns.records.list(record_type, q=q):
                refs.append(ref)
                if max_items is not None and len(refs) >= max_items:
                    break
        return refs

    refs = run_async(state, go)
    if state.json_mode:
        state.output.result(refs)
    elif refs:
        title = f"{plural(len(refs), 'record')} ({record_type})"
        state.output.table([{"id": getattr(r, "id", r)} for r in refs], title=title)
    else:
        state.output.line(f"{plural(0, 'record')} ({record_type})")
