"""Emulator dialects: how the emulator answers where NetSuite's documentation is silent.

NetSuite does not document several behaviours that a client depends on (see ``docs/netsuite-behaviour.md``).
Public clients that run against real accounts disagree about them, so the emulator never encodes one guess: each
uncertain behaviour is a named field of `Dialect`, and the client is tested under every value.

A dialect reaches the emulator through ``EmulatorConfig(dialect=...)``, ``FakeNetSuite(dialect=...)``, the pytest
plugin's marker (``@pytest.mark.netsuite_emulator(dialect=...)``) and ``netsuite-async emulator serve`` (one flag
per field, e.g. ``--suiteql-total capped``, plus ``--dialect FILE`` and ``--strictest``). ``netsuite-async probe
--out FILE`` writes a dialect file measured on a real account.

Examples:
    >>> d = Dialect(suiteql_total="capped", task_ids="global")
    >>> d.suiteql_total, d.task_ids
    ('capped', 'global')
    >>> Dialect.strictest().create_result_location
    False
    >>> Dialect.from_dict(d.to_dict()) == d
    True
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from netsuite_async._checks import is_int

__all__ = ["DATE_FORMATS", "Dialect", "DialectField", "dialect_fields"]

#: The record-filter date formats an account can be set to (NetSuite's date format preference, as used in ``q``).
DATE_FORMATS: tuple[str, ...] = ("M/D/YYYY", "D/M/YYYY", "YYYY-MM-DD")

TotalStyle = Literal["true", "capped"]
PastCap = Literal["refuse", "empty"]
TaskIds = Literal["per-job", "global"]
ProgressWord = Literal["pending", "processing"]


def _meta(help: str, choices: tuple[Any, ...], strictest: Any, evidence: str) -> dict[str, Any]:
    return {"help": help, "choices": choices, "strictest": strictest, "evidence": evidence}


@dataclass(frozen=True)
class Dialect:
    """One reading of NetSuite's undocumented behaviours, played by the emulator.

    The defaults are the most common public reading; `strictest` picks, for each field, the variant that is
    hardest on a client. Every field is documented (help, choices, public evidence) in ``dialect_fields()``.

    Examples:
        >>> Dialect().suiteql_total
        'true'
        >>> Dialect(idempotency_conflict_status=409).idempotency_conflict_status
        409
    """

    suiteql_total: TotalStyle = field(
        default="true",
        metadata=_meta(
            "SuiteQL totalResults past 100,000 rows: the true count, or capped at 100,000",
            ("true", "capped"),
            "capped",
            "hotglue raises when totalResults > 100,000 (true count); Salto treats exactly 100,000 as maybe capped",
        ),
    )
    suiteql_has_more_at_cap: bool = field(
        default=True,
        metadata=_meta(
            "SuiteQL hasMore on the last page before the cap (offset 99,000) when more rows exist",
            (True, False),
            False,
            "public code handles the flag at offset 99,000 both ways",
        ),
    )
    suiteql_past_cap: PastCap = field(
        default="refuse",
        metadata=_meta(
            "SuiteQL page at offset >= 100,000: refused with 400, or answered with no rows",
            ("refuse", "empty"),
            "empty",
            "offset >= 100,000 is refused with 400 in public reports; an empty page would look like the end",
        ),
    )
    list_total: TotalStyle = field(
        default="true",
        metadata=_meta(
            "record collection totalResults past 100,000 records: the true count, or capped",
            ("true", "capped"),
            "capped",
            "same cap as SuiteQL; public connectors disagree on the total",
        ),
    )
    list_has_more_at_cap: bool = field(
        default=False,
        metadata=_meta(
            "record collection hasMore on the last page before the cap when more records exist",
            (True, False),
            False,
            "handled both ways in public code",
        ),
    )
    list_past_cap: PastCap = field(
        default="refuse",
        metadata=_meta(
            "record collection page at offset >= 100,000: refused with 400, or answered with no items",
            ("refuse", "empty"),
            "empty",
            "as for SuiteQL",
        ),
    )
    list_max_pages: int | None = field(
        default=1000,
        metadata=_meta(
            "record collections return at most this many pages (a page size under 100 lowers the total); "
            "None for no page limit",
            (1000, None),
            1000,
            "NetSuite returns at most 1,000 pages of a collection",
        ),
    )
    unstable_order: bool = field(
        default=False,
        metadata=_meta(
            "queries without a unique ORDER BY read each page from an order that differs between requests",
            (False, True),
            True,
            "Oracle warns that without a unique sort order rows can be dropped or repeated between pages",
        ),
    )
    task_ids: TaskIds = field(
        default="per-job",
        metadata=_meta(
            "async task ids: numbered 1..n in each job, or unique across the account (a single request's task "
            "id equals its job id; a batch's ids do not start at 1)",
            ("per-job", "global"),
            "global",
            "one production integration reads a single request's result at task/{job id}; MuleSoft takes task "
            "ids from the links",
        ),
    )
    create_result_location: bool = field(
        default=True,
        metadata=_meta(
            "a create's task result carries Location (204 + Location), or has neither Location nor body",
            (True, False),
            False,
            "MuleSoft observed an empty body for a successful create's task result",
        ),
    )
    progress_word: ProgressWord = field(
        default="pending",
        metadata=_meta(
            "the progress word of an unfinished job or task",
            ("pending", "processing"),
            "processing",
            "Oracle's docs show pending; MuleSoft's connector saw processing",
        ),
    )
    idempotency_conflict_status: int = field(
        default=400,
        metadata=_meta(
            "HTTP status of IDEMPOTENCY_ERROR for a repeated idempotency key (with the earlier job's Location)",
            (400, 409),
            409,
            "Oracle's example answers 400; MuleSoft saw 409",
        ),
    )
    sync_batch_read: bool = field(
        default=True,
        metadata=_meta(
            "the 2026.1 batch read (?ids=...&expandRecords=true) is accepted when sent synchronously",
            (True, False),
            False,
            "public implementations send it asynchronously; a synchronous one may be refused",
        ),
    )
    date_format: str = field(
        default="M/D/YYYY",
        metadata=_meta(
            "the account's date format preference, used by record-filter (q) dates",
            DATE_FORMATS,
            "D/M/YYYY",
            "q dates follow the account's preference; Airbyte's connector probes it per account",
        ),
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            choices = f.metadata["choices"]
            if f.name == "list_max_pages":
                if value is not None and (not is_int(value) or value < 1):
                    raise ValueError(f"Dialect.list_max_pages must be None or an int >= 1, got {value!r}")
                continue
            if value not in choices or type(value) is not type(choices[0]):
                raise ValueError(f"Dialect.{f.name} must be one of {list(choices)!r}, got {value!r}")

    @classmethod
    def strictest(cls) -> Dialect:
        """The variant hardest on a client, for every field.

        Examples:
            >>> Dialect.strictest().suiteql_total
            'capped'
        """
        return cls(**{f.name: f.metadata["strictest"] for f in fields(cls)})

    def replace(self, **changes: Any) -> Dialect:
        """A copy with some fields changed (validated).

        Examples:
            >>> Dialect().replace(task_ids="global").task_ids
            'global'
        """
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every field.

        Examples:
            >>> Dialect().to_dict()["task_ids"]
            'per-job'
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Dialect:
        """Build from a dict; unknown keys are an error, missing keys keep their defaults.

        A ``"dialect"`` key holding the dict (as written by ``netsuite-async probe --out``) is accepted too, and
        so are other top-level keys beside it (the probe's measurements).

        Examples:
            >>> Dialect.from_dict({"progress_word": "processing"}).progress_word
            'processing'
        """
        if "dialect" in data and isinstance(data["dialect"], Mapping):
            data = data["dialect"]
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown dialect field(s) {unknown}; known: {sorted(known)}")
        return cls(**dict(data))

    @classmethod
    def load(cls, path: str | Path) -> Dialect:
        """Read a dialect JSON file (``netsuite-async probe --out FILE`` writes one).

        Examples:
            >>> import tempfile, os
            >>> p = os.path.join(tempfile.mkdtemp(), "d.json")
            >>> Dialect(task_ids="global").save(p)
            >>> Dialect.load(p).task_ids
            'global'
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read dialect file {str(path)!r}: {exc}") from None
        if not isinstance(data, Mapping):
            raise ValueError(f"dialect file {str(path)!r} must hold a JSON object")
        return cls.from_dict(data)

    def save(self, path: str | Path) -> None:
        """Write this dialect as JSON (``{"dialect": {...}}``).

        Examples:
            >>> import tempfile, os
            >>> Dialect().save(os.path.join(tempfile.mkdtemp(), "d.json"))
        """
        Path(path).write_text(json.dumps({"dialect": self.to_dict()}, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def coerce(cls, value: Dialect | Mapping[str, Any] | str | Path | None) -> Dialect:
        """A Dialect from a Dialect, a dict, ``"strictest"``/``"default"``, a file path, or None (default).

        Examples:
            >>> Dialect.coerce("strictest") == Dialect.strictest()
            True
            >>> Dialect.coerce(None) == Dialect()
            True
        """
        if value is None or value == "default":
            return cls()
        if isinstance(value, Dialect):
            return value
        if value == "strictest":
            return cls.strictest()
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        if isinstance(value, (str, Path)):
            return cls.load(value)
        raise TypeError(f"dialect must be a Dialect, a dict, 'strictest' or a file path, not {type(value).__name__}")


@dataclass(frozen=True)
class DialectField:
    """Documentation of one dialect field (for the CLI's flags and the docs table).

    Examples:
        >>> next(f for f in dialect_fields() if f.name == "task_ids").choices
        ('per-job', 'global')
    """

    name: str
    help: str
    choices: tuple[Any, ...]
    default: Any
    strictest: Any
    evidence: str

    @property
    def flag(self) -> str:
        """The ``emulator serve`` flag, e.g. ``--task-ids``.

        Examples:
            >>> DialectField("task_ids", "", (), None, None, "").flag
            '--task-ids'
        """
        return "--" + self.name.replace("_", "-")


def dialect_fields() -> Iterator[DialectField]:
    """Every dialect field with its help, choices, default, strictest variant and public evidence.

    Examples:
        >>> [f.name for f in dialect_fields()][:2]
        ['suiteql_total', 'suiteql_has_more_at_cap']
    """
    for f in fields(Dialect):
        yield DialectField(
            name=f.name,
            help=f.metadata["help"],
            choices=tuple(f.metadata["choices"]),
            default=f.default,
            strictest=f.metadata["strictest"],
            evidence=f.metadata["evidence"],
        )
