"""``netsuite-async audit show FILE``: read a JSONL audit log, filtered by agent, decision, action and time."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from netsuite_async.cli.state import CliState, fail, pass_state

__all__ = ["audit", "parse_time", "read_audit"]

def parse_time(value: str) -> _dt.datetime:
    """An ISO 8601 date or time (``2026-12-02``, ``2026-12-02T10:00``, ``…Z``); naive times are UTC.

    Examples:
        >>> parse_time("2026-12-02T10:00Z").isoformat()
        '2026-12-02T10:00:00+00:00'
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time (e.g. 2026-12-02T10:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


def read_audit(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for every line of a JSONL audit log; a line that is not a JSON object raises.

    Examples:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "a.jsonl"
        >>> _ = p.write_text('{"agent": null, "action": "records.get"}\\n')
        >>> [r["action"] for _, r in read_audit(p)]
        ['records.get']
    """
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise ValueError(f"{path}:{number}: not a JSON line") from None
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: not a JSON object")
            yield number, record


def _target(record: Mapping[str, Any]) -> str:
    if record.get("tables") is not None:
        return ", ".join(record["tables"]) or "(no table)"
    if record.get("script"):
        return f"RESTlet {record['script']}/{record.get('deploy')}"
    if record.get("path"):
        return f"{record.get('method')} {record['path']}"
    parts = [str(record[k]) for k in ("record_type", "record_id") if record.get(k)]
    if record.get("target_type"):
        parts.append(f"-> {record['target_type']}")
    return " ".join(parts)


@click.group()
def audit() -> None:
    """Read audit logs written with --audit FILE or AuditLog.jsonl(...)."""


@audit.command("show")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agent", "agents", multiple=True, help="only this agent (repeat for several; 'root' = no agent)")
@click.option("--decision", type=click.Choice(["allowed", "denied"]), default=None, help="only this decision")
@click.option("--action", "actions", multiple=True, help="only this action, e.g. records.delete (repeatable)")
@click.option("--since", default=None, help="only lines at or after this ISO time (naive = UTC)")
@click.option("--until", default=None, help="only lines before this ISO time (naive = UTC)")
@click.option("--text", "text_only", is_flag=True, help="print the plain-English sentence of each line")
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout (also with the global --json)")
@pass_state
def show(
    state: CliState,
    file: Path,
    agents: tuple[str, ...],
    decision: str | None,
    actions: tuple[str, ...],
    since: str | None,
    until: str | None,
    text_only: bool,
    as_json: bool,
) -> None:
    """Show the lines of audit log FILE that match every filter, as a table, sentences or JSON lines.

    \b
    Examples:
      netsuite-async audit show audit.jsonl --agent support-bot --decision denied
      netsuite-async audit show audit.jsonl --since 2026-12-02T08:00Z --json | jq .text
    """
    start = parse_time(since) if since else None
    end = parse_time(until) if until else None
    wanted_agents = {None if a == "root" else a for a in agents}
    matched: list[dict[str, Any]] = []
    try:
        for number, record in read_audit(file):
            if agents and record.get("agent") not in wanted_agents:
                continue
            if decision and record.get("decision") != decision:
                continue
            if actions and record.get("action") not in actions:
                continue
            if start or end:
                stamp = record.get("time")
                if not isinstance(stamp, str):
                    fail(state, f"{file}:{number}: no time on this line, so --since/--until cannot place it")
                moment = parse_time(stamp)
                if (start and moment < start) or (end and moment >= end):
                    continue
            matched.append(record)
    except (OSError, ValueError) as exc:
        fail(state, str(exc))
    out = state.output
    if as_json or state.json_mode:
        for record in matched:
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    if text_only:
        for record in matched:
            click.echo(f"{record.get('time', '')}  {record.get('text', '')}")
        return
    rows = [
        {
            "time": r.get("time"),
            "agent": r.get("agent") or "(root)",
            "action": r.get("action"),
            "target": _target(r),
            "decision": r.get("decision"),
            "outcome": r.get("outcome") if r.get("status") is None else f"{r.get('outcome')} {r.get('status')}",
            "duration_ms": r.get("duration_ms"),
        }
        for r in matched
    ]
    out.table(rows, title=f"{len(rows)} of the lines in {file}")
