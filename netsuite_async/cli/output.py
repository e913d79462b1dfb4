"""Printing for the CLI: rich for people, plain JSON (``--json``) for scripts; diagnostics go to stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Output", "plural", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Convert results (pydantic models, dataclasses, sets, bytes) into JSON-ready values.

    Examples:
        >>> to_jsonable({"a": {1, 2}})
        {'a': [1, 2]}
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(v) for v in items]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return to_jsonable(dump(mode="json"))
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def plural(count: int, noun: str) -> str:
    """``0 rows``, ``1 row``, ``1,234 rows``.

    Examples:
        >>> plural(0, "record"), plural(1, "row"), plural(1234, "row")
        ('0 records', '1 row', '1,234 rows')
    """
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class Output:
    """Where a command's results go.

    In JSON mode stdout carries exactly one JSON document per result (so ``| jq`` works) and every human message
    goes to stderr; otherwise results are rendered with rich.

    Examples:
        >>> out = Output(json_mode=True)
        >>> out.result({"id": "1"})
        {"id": "1"}
    """

    def __init__(self, *, json_mode: bool = False, stdout: Console | None = None, stderr: Console | None = None):
        self.json_mode = json_mode
        self.console = stdout or _console()
        self.err = stderr or Console(stderr=True, highlight=False, soft_wrap=True)

    def result(self, value: Any, *, title: str | None = None) -> None:
        """Print a command's result: JSON in JSON mode, else a readable rendering."""
        data = to_jsonable(value)
        if self.json_mode:
            sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
            sys.stdout.flush()
            return
        if title:
            self.console.print(f"[bold]{title}[/bold]")
        if isinstance(data, (dict, list)):
            self.console.print_json(json.dumps(data, ensure_ascii=False))
        else:
            self.console.print(str(data), markup=False)

    def table(self, rows: Sequence[Mapping[str, Any]], *, title: str | None = None) -> None:
        """Print rows as a table (or a JSON list in JSON mode)."""
        if self.json_mode:
            self.result(list(rows))
            return
        table = Table(title=title)
        columns: list[str] = []
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
        for col in columns:
            table.add_column(col)
        for row in rows:
            table.add_row(*(_cell(row.get(col)) for col in columns))
        self.console.print(table)

    def line(self, message: str) -> None:
        """A plain human result line on stdout (nothing in JSON mode, where ``result`` carries the data)."""
        if not self.json_mode:
            self.console.print(message, markup=False)

    def info(self, message: str) -> None:
        """A human message (progress, hints): always stderr so stdout stays parseable."""
        self.err.print(message, markup=False)

    def error(self, message: str) -> None:
        """An error message on stderr."""
        self.err.print(f"[bold red]error:[/bold red] {_escape(message)}")


def _console() -> Console:
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped output (CI logs, tests) would otherwise be squeezed into 80 columns and wrap every table cell.
        console = Console(highlight=False, soft_wrap=True, width=140)
    return console


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return _escape(str(value))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
