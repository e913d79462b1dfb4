"""A change feed over SuiteQL: new and updated records, polled by ``lastmodifieddate`` (NetSuite has no webhooks).

Each poll asks for the rows modified at or after the watermark (the latest ``lastmodifieddate`` delivered, to
the second), ordered by ``lastmodifieddate`` then ``id``. Rows of the watermark second that were already
delivered with the same ``lastmodifieddate`` value are skipped, so a row is never repeated across polls, and a
row written late within the watermark second (with a lower id) is still seen. The position (watermark + the
rows seen in its second) is kept in a `Checkpoint`, so a feed resumes where it stopped.

Delivery is at-least-once across crashes: the checkpoint is saved after every ``save_every`` rows the consumer
has taken and at the end of every poll; after a crash at most that many rows come again.

Examples:
    >>> async def follow(ns: "NetSuiteClient") -> None:
    ...     feed = changes(ns, "customer", since="2026-01-01T00:00:00Z", poll_interval=60,
    ...                    checkpoint=JSONFileCheckpoint("customer-feed.json"))
    ...     async for row in feed:
    ...         print(row["id"], row["lastmodifieddate"])
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import anyio
import anyio.to_thread

from netsuite_async._call_options import check_headers, check_timeout
from netsuite_async._checks import is_int, positive_int, positive_number
from netsuite_async._files import write_json_atomic
from netsuite_async.identifiers import validate_field_name, validate_record_type
from netsuite_async.suiteql import ROW_CAP

if TYPE_CHECKING:
    from netsuite_async.suiteql import SuiteQL

__all__ = [
    "ChangeMark",
    "Changes",
    "Checkpoint",
    "JSONFileCheckpoint",
    "MemoryCheckpoint",
    "changes",
]

_SECOND_FORMAT = "%Y-%m-%d %H:%M:%S"
_CHANGED_AT = "ns_async_changed_at"


@dataclass(frozen=True)
class ChangeMark:
    """A position in a change feed.

    ``since`` is the watermark (``YYYY-MM-DD HH:MM:SS``, NetSuite's time); ``seen`` maps the ids delivered in
    that second to the ``lastmodifieddate`` value they were delivered with.

    Examples:
        >>> ChangeMark("2026-01-01 00:00:00").to_json()
        {'since': '2026-01-01 00:00:00', 'seen': {}}
    """

    since: str
    seen: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict.

        Examples:
            >>> ChangeMark.from_json(ChangeMark("2026-01-01 00:00:00", {"7": "x"}).to_json()).seen
            {'7': 'x'}
        """
        return {"since": self.since, "seen": dict(self.seen)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChangeMark:
        """Read what `to_json` wrote (validated).

        Examples:
            >>> ChangeMark.from_json({"since": "2026-01-01 00:00:00"}).since
            '2026-01-01 00:00:00'
        """
        since = data.get("since")
        seen = data.get("seen", {})
        if not isinstance(since, str) or not isinstance(seen, Mapping):
            raise ValueError("a change-feed checkpoint needs 'since' (str) and 'seen' (object)")
        return cls(_normalise_since(since), {str(k): str(v) for k, v in seen.items()})


@runtime_checkable
class Checkpoint(Protocol):
    """Where a change feed keeps its position, per feed key (``"<record type>"`` or your own ``name``).

    Examples:
        >>> class Mine:
        ...     async def load(self, key: str) -> ChangeMark | None: ...
        ...     async def save(self, key: str, mark: ChangeMark) -> None: ...
        >>> isinstance(Mine(), Checkpoint)
        True
    """

    async def load(self, key: str) -> ChangeMark | None:
        """The saved position, or None for a new feed."""
        ...

    async def save(self, key: str, mark: ChangeMark) -> None:
        """Persist the position."""
        ...


class MemoryCheckpoint:
    """Positions kept in memory (tests, or one process that shares a checkpoint between feeds).

    Examples:
        >>> cp = MemoryCheckpoint()
        >>> cp.marks
        {}
    """

    def __init__(self) -> None:
        self.marks: dict[str, ChangeMark] = {}

    async def load(self, key: str) -> ChangeMark | None:
        """The saved position for ``key``."""
        return self.marks.get(key)

    async def save(self, key: str, mark: ChangeMark) -> None:
        """Keep ``mark`` for ``key``."""
        self.marks[key] = mark


class JSONFileCheckpoint:
    """Positions in one JSON file, written atomically (temp file + rename), so a crash never corrupts it.

    Examples:
        >>> cp = JSONFileCheckpoint("feeds.json")
        >>> cp.path.name
        'feeds.json'
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = anyio.Lock()

    async def load(self, key: str) -> ChangeMark | None:
        """The saved position for ``key``, or None when the file or the key does not exist."""
        data = await anyio.to_thread.run_sync(self._read)
        entry = data.get(key)
        return None if entry is None else ChangeMark.from_json(entry)

    async def save(self, key: str, mark: ChangeMark) -> None:
        """Write ``mark`` for ``key``, keeping the other keys in the file."""
        async with self._lock:
            await anyio.to_thread.run_sync(self._write, key, mark)

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        data = json.loads(text) if text.strip() else {}
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} is not a change-feed checkpoint file")
        return data

    def _write(self, key: str, mark: ChangeMark) -> None:
        data = self._read()
        data[key] = mark.to_json()
        write_json_atomic(self.path, data, indent=1, sort_keys=True)


def _normalise_since(value: str | _dt.datetime | _dt.date) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.strftime(_SECOND_FORMAT)
    if isinstance(value, _dt.date):
        return value.strftime("%Y-%m-%d 00:00:00")
    if not isinstance(value, str):
        raise TypeError(f"since must be a datetime, date or ISO-8601 string, not {type(value).__name__}")
    try:
        parsed = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"since must be ISO-8601 (e.g. '2026-01-01T00:00:00Z'), not {value!r}") from None
    return _normalise_since(parsed)



@runtime_checkable
class _HasSuiteQL(Protocol):
    """A client: anything with a ``suiteql`` namespace (`NetSuiteClient`, an agent's view)."""

    @property
    def suiteql(self) -> SuiteQL: ...


class Changes:
    """An async iterator of new and updated rows of one record type (see `changes`).

    ``client`` is a `NetSuiteClient` (or an agent's view of one), or the `SuiteQL` service itself
    (``ns.suiteql``): the feed only runs SuiteQL queries.

    Examples:
        >>> async def catch_up(ns: "NetSuiteClient") -> int:
        ...     feed = Changes(ns, "customer", since="2026-01-01T00:00:00Z", once=True)
        ...     return len([row async for row in feed])
    """

    def __init__(
        self,
        client: SuiteQL | _HasSuiteQL,
        record_type: str,
        *,
        since: str | _dt.datetime | _dt.date | None = None,
        poll_interval: float = 30.0,
        checkpoint: Checkpoint | None = None,
        name: str | None = None,
        columns: Sequence[str] | None = None,
        where: str | None = None,
        params: Sequence[object] | None = None,
        batch_size: int = 10_000,
        save_every: int = 500,
        once: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._table = validate_record_type(record_type).lower()
        if since is None and checkpoint is None:
            raise ValueError("give since= (where the feed starts) or a checkpoint= holding a position")
        self._since = None if since is None else _normalise_since(since)
        positive_number("poll_interval", poll_interval)
        if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
            raise TypeError("checkpoint must have async load(key) and save(key, mark) methods")
        if not is_int(batch_size) or not 1 <= batch_size <= ROW_CAP:
            raise ValueError(f"batch_size must be an int from 1 to {ROW_CAP}, not {batch_size!r}")
        positive_int("save_every", save_every)
        if columns is None:
            cols = "t.*"
        else:
            if isinstance(columns, str):
                raise TypeError("columns must be a list of column names, not a str")
            names = ["id", "lastmodifieddate"]
            for c in columns:
                name = validate_field_name(c, what="column").lower()
                if name not in names:
                    names.append(name)
            cols = ", ".join(f"t.{n}" for n in names)
        if where is not None and (not isinstance(where, str) or not where.strip()):
            raise ValueError("where must be a non-empty SuiteQL condition or None")
        if where is not None and ";" in where:
            raise ValueError("where must be one condition, without ';'")
        self._columns = cols
        self._where = where
        self._params = list(params) if params is not None else []
        # What the feed reads through: a client's ``suiteql`` namespace, or a SuiteQL service given directly.
        self._suiteql: SuiteQL = client.suiteql if isinstance(client, _HasSuiteQL) else client
        self._interval = float(poll_interval)
        self._checkpoint = checkpoint
        self._key = name or self._table
        self._batch = batch_size
        self._save_every = save_every
        self._once = once
        # Per-call options, checked now and passed to every poll's SuiteQL stream (its pages and count query).
        options: dict[str, Any] = {}
        if timeout is not None:
            options["timeout"] = check_timeout(timeout)
        if headers is not None:
            options["headers"] = check_headers(headers)
        self._options = options
        self.mark: ChangeMark | None = None
        """The position after the last row taken (updated as you iterate)."""
        self._gen: AsyncGenerator[dict[str, Any], None] | None = None

    def _query(self) -> str:
        extra = f" AND ({self._where})" if self._where else ""
        return (
            f"SELECT {self._columns}, "  # noqa: S608 - validated names; values bound by suiteql_params
            f"TO_CHAR(t.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS {_CHANGED_AT} FROM {self._table} t "
            "WHERE t.lastmodifieddate >= TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS')"
            f"{extra} ORDER BY t.lastmodifieddate, t.id"
        )


    def __aiter__(self) -> Changes:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self._gen is None:
            self._gen = self._run()
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        """Stop the feed (the position already saved stays saved)."""
        if self._gen is not None:
            await self._gen.aclose()

    async def __aenter__(self) -> Changes:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _run(self) -> AsyncGenerator[dict[str, Any], None]:
        mark = await self._checkpoint.load(self._key) if self._checkpoint is not None else None
        if mark is None:
            assert self._since is not None
            mark = ChangeMark(self._since)
        self.mark = mark
        query = self._query()
        batch = self._batch
        unsaved = 0
        while True:
            delivered = 0
            returned = 0
            stream = self._suiteql.stream(
                query, params=[mark.since, *self._params], max_rows=batch, page_size=min(1000, batch), **self._options
            )
            async with stream as rows:
                async for row in rows:
                    returned += 1
                    changed = str(row.pop(_CHANGED_AT, ""))
                    rid = str(row.get("id", ""))
                    raw = str(row.get("lastmodifieddate", changed))
                    if changed == mark.since:
                        if mark.seen.get(rid) == raw:
                            continue  # delivered before with this very modification
                        mark = ChangeMark(mark.since, {**mark.seen, rid: raw})
                    elif changed > mark.since:
                        mark = ChangeMark(changed, {rid: raw})
                    else:  # pragma: no cover - the query never returns older rows
                        continue
                    self.mark = mark
                    yield row
                    delivered += 1
                    unsaved += 1
                    if self._checkpoint is not None and unsaved >= self._save_every:
                        await self._checkpoint.save(self._key, mark)
                        unsaved = 0
            if self._checkpoint is not None and unsaved:
                await self._checkpoint.save(self._key, mark)
                unsaved = 0
            if returned >= batch:
                if delivered == 0:
                    # A whole batch of rows already seen in one second: widen the batch to get past them.
                    if batch >= ROW_CAP:
                        raise RuntimeError(
                            f"more than {ROW_CAP:,} rows of {self._table} share one lastmodifieddate second"
                        )
                    batch = min(ROW_CAP, batch * 2)
                continue  # more rows are waiting: poll again at once
            batch = self._batch
            if self._once:
                return
            await anyio.sleep(self._interval)


def changes(client: SuiteQL | _HasSuiteQL, record_type: str, **kwargs: Any) -> Changes:
    """New and updated rows of ``record_type``, polled through SuiteQL; see `Changes` for arguments.

    Keyword arguments: ``since`` (datetime/date/ISO string; required unless the checkpoint has a position),
    ``poll_interval`` (seconds, default 30), ``checkpoint`` (`Checkpoint`), ``name`` (checkpoint key,
    default the record type), ``columns`` (default all), ``where`` (extra SuiteQL condition on alias ``t``,
    ``?`` placeholders bound from ``params``), ``batch_size`` (rows per poll, default 10,000), ``save_every``
    (rows between checkpoint saves, default 500), ``once`` (stop when caught up instead of polling forever),
    ``timeout`` (per-attempt read timeout of every request the feed sends) and ``headers`` (added to them).

    Examples:
        >>> async def new_customers(ns: "NetSuiteClient") -> None:
        ...     async for row in changes(ns, "customer", since="2026-01-01T00:00:00Z", once=True):
        ...         print(row["id"])
    """
    return Changes(client, record_type, **kwargs)
