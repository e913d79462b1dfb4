"""The audit log: one record per call through the client (agents and root), written after the call ends.

Every `AuditEvent` says who (``agent``, ``None`` for the application's own root client), what
(``action`` such as ``records.create``), where (``record_type`` and ``record_id``, or the SuiteQL ``tables``, or
the RESTlet ``script``, or the raw ``method`` and ``path``), the ``decision`` and its ``reason``, the ``outcome``
(``"ok"`` or the error's type), the last HTTP ``status``, the ``attempts`` and the ``duration_ms``, and one
plain-English ``text``. It never holds request or response bodies, field values, SuiteQL text (which carries
literal values), query parameters, tokens or secrets.

Sinks (give `AuditLog` several to write to all of them):

* `AuditLog.jsonl`: a JSON Lines file, opened append-only and created ``0600``. Each line is written with
  one ``os.write`` on an ``O_APPEND`` descriptor, so lines from concurrent tasks, threads or processes never
  interleave or tear.
* `AuditLog.to_logger`: a `logging` logger (the text as the message, the record as ``extra["audit"]``).
* `AuditLog.to_callable`: any callable taking the `AuditEvent`.

A sink that fails (a full disk, a callback that raises) never turns a finished call into a failure: the error is
logged on ``netsuite_async.audit`` and counted in `AuditLog.errors`.

Examples:
    >>> events = []
    >>> log = AuditLog.to_callable(events.append)
    >>> log.record(AuditEvent(agent="support-bot", action="records.delete", record_type="customer",
    ...                       record_id="7", decision="denied", reason="it has read access to customer"))
    >>> events[0].text
    'support-bot tried to delete customer 7: denied, it has read access to customer'
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AUDIT_KEYS", "AuditEvent", "AuditLog"]

logger = logging.getLogger("netsuite_async.audit")

#: The keys of every JSONL audit line, in the order written.
AUDIT_KEYS = (
    "time", "agent", "action", "record_type", "record_id", "target_type", "tables", "script", "deploy", "method",
    "path", "count", "decision", "reason", "outcome", "status", "attempts", "duration_ms", "text",
)

# action -> (verb for "tried to …", past tense)
_VERBS: dict[str, tuple[str, str]] = {
    "records.get": ("read", "read"),
    "records.get_many": ("read", "read"),
    "records.sublist": ("read a sublist of", "read a sublist of"),
    "records.sub_resource": ("read a sub-resource of", "read a sub-resource of"),
    "records.list": ("list", "listed"),
    "records.create": ("create", "created"),
    "records.update": ("update", "updated"),
    "records.upsert": ("upsert", "upserted"),
    "records.delete": ("delete", "deleted"),
    "records.transform": ("transform", "transformed"),
    "batch.create": ("batch-create", "batch-created"),
    "batch.update": ("batch-update", "batch-updated"),
    "batch.upsert": ("batch-upsert", "batch-upserted"),
    "batch.delete": ("batch-delete", "batch-deleted"),
    "metadata.catalog": ("list", "listed"),
    "metadata.json_schema": ("read the JSON Schema of", "read the JSON Schema of"),
    "metadata.openapi": ("read the OpenAPI document of", "read the OpenAPI document of"),
    "restlets.call": ("call", "called"),
    "request": ("send", "sent"),
    "jobs.submit": ("submit", "submitted"),
    "jobs.get": ("look up", "looked up"),
    "changes": ("follow changes to", "followed changes to"),
}


# The last whole second formatted (calls come many per second): one tuple, replaced whole, so a thread never reads
# one second's number with another's text.
_second: tuple[int, str] = (-1, "")


def _second_text(whole: int) -> str:
    global _second
    cached = _second
    if cached[0] != whole:
        # time.strftime on a struct is several times cheaper than datetime.isoformat.
        cached = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return cached[1]


def _iso(at: float) -> str:
    whole = int(at)
    return f"{_second_text(whole)}.{int((at - whole) * 1000):03d}Z"


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# The C string encoder json itself uses; the line is assembled by hand because this runs once per call.
_STR: Any = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def _js(value: object) -> str:
    kind = type(value)
    if kind is str:
        return str(_STR(value))
    if value is None:
        return "null"
    if kind is int or kind is float:
        return repr(value)
    if kind is list:
        return "[" + ",".join(_js(v) for v in value) + "]"  # type: ignore[attr-defined]
    return _ENCODE(value)


@dataclass(slots=True)
class AuditEvent:
    """One audited call. ``to_dict()`` gives the JSONL line's object; ``text`` the plain-English sentence.

    Examples:
        >>> e = AuditEvent(agent="finance-bot", action="records.create", record_type="invoice", record_id="1042",
        ...                decision="allowed", reason="it has write access to invoice", outcome="ok", status=204,
        ...                attempts=1, duration_ms=212.4)
        >>> e.text
        'finance-bot created invoice 1042: allowed, 204 in 212 ms'
        >>> sorted(e.to_dict())[:3]
        ['action', 'agent', 'attempts']
    """

    action: str
    agent: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    target_type: str | None = None
    tables: list[str] | None = None
    script: str | None = None
    deploy: str | None = None
    method: str | None = None
    path: str | None = None
    count: int | None = None
    decision: str = "allowed"
    reason: str = ""
    outcome: str | None = None
    status: int | None = None
    attempts: int = 0
    duration_ms: float = 0.0
    at: float = field(default_factory=time.time)
    """When the call started (seconds since the epoch); written as the ISO 8601 UTC ``time`` key."""
    _text: str | None = field(default=None, repr=False)

    @property
    def time(self) -> str:
        """When the call started, ISO 8601 in UTC with milliseconds (``2026-12-02T10:00:00.123Z``)."""
        return _iso(self.at)

    @property
    def text(self) -> str:
        """The one-line sentence ("finance-bot created invoice 1042: allowed, 204 in 212 ms")."""
        if self._text is None:
            self._text = self._sentence()
        return self._text

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the audit line (keys in `AUDIT_KEYS` order; absent targets are null)."""
        return {
            "time": self.time, "agent": self.agent, "action": self.action, "record_type": self.record_type,
            "record_id": self.record_id, "target_type": self.target_type, "tables": self.tables,
            "script": self.script, "deploy": self.deploy, "method": self.method, "path": self.path,
            "count": self.count, "decision": self.decision, "reason": self.reason, "outcome": self.outcome,
            "status": self.status, "attempts": self.attempts, "duration_ms": round(self.duration_ms, 1),
            "text": self.text,
        }

    def to_json(self) -> str:
        """The JSONL line (without its newline): `to_dict` as compact JSON, keys in `AUDIT_KEYS` order.

        Examples:
            >>> AuditEvent(action="request", method="GET", path="/x", at=0.0).to_json()[:47]
            '{"time":"1970-01-01T00:00:00.000Z","agent":null'
        """
        return self._line()[:-1]

    def _line(self) -> str:
        # The line with its newline, from a template cached per combination of the fields that repeat from call to
        # call (who, what, the decision, the outcome, the status, the attempts): only the time, the one value
        # that names the target (record id, count or path) and the duration are formatted per call. Anything
        # the template does not cover is rendered in full by _render (the reference the templates are built
        # from and checked against).
        rid, count, path = self.record_id, self.count, self.path
        if count is None and path is None:
            if rid is None:
                kind, slot = 0, ""
            elif type(rid) is str and rid:
                kind, slot = 1, _STR(rid)[1:-1]
            else:
                return self._render() + "\n"
        elif rid is None and path is None and type(count) is int:
            kind, slot = 2, str(count)
        elif rid is None and count is None and type(path) is str:
            kind, slot = 3, _STR(path)[1:-1]
        else:
            return self._render() + "\n"
        ms = self.duration_ms
        if type(ms) is not float or not 0.0 <= ms < 1e15:
            return self._render() + "\n"
        tables = self.tables
        key = (kind, self.agent, self.action, self.record_type, self.target_type,
               None if tables is None else tuple(tables), self.script, self.deploy, self.method, self.decision,
               self.reason, self.outcome, self.status, self.attempts)
        template = _TEMPLATES.get(key)
        fresh = template is None
        if fresh:
            if len(_TEMPLATES) >= 4096:  # bounded: a long-lived process seeing ever new combinations starts over
                _TEMPLATES.clear()
            template = _template(self, kind)
            if template is False:
                _TEMPLATES[key] = False
        if template is False or template is None:
            return self._render() + "\n"
        at = self.at
        whole = int(at)
        cached = _second
        second = cached[1] if cached[0] == whole else _second_text(whole)
        milli = int((at - whole) * 1000)
        shape, p = template  # type: ignore[misc]
        # The shapes of _SHAPES: the time, the target value in its field, the duration, then in the sentence the
        # target value (absent for targets it does not name) and the milliseconds (absent when denied).
        if shape == 0:
            line = f"{p[0]}{second}.{milli:03d}Z{p[1]}{slot}{p[2]}{ms:.1f}{p[3]}{slot}{p[4]}{ms:.0f}{p[5]}"
        elif shape == 1:
            line = f"{p[0]}{second}.{milli:03d}Z{p[1]}{slot}{p[2]}{ms:.1f}{p[3]}{ms:.0f}{p[4]}"
        elif shape == 2:
            line = f"{p[0]}{second}.{milli:03d}Z{p[1]}{slot}{p[2]}{ms:.1f}{p[3]}{slot}{p[4]}"
        else:
            line = f"{p[0]}{second}.{milli:03d}Z{p[1]}{slot}{p[2]}{ms:.1f}{p[3]}"
        if fresh:
            # A new template is checked once against the full rendering of the event it was made from.
            full = self._render() + "\n"
            if line != full:
                template, line = False, full
            _TEMPLATES[key] = template
        return line

    def _render(self, at: str | None = None, duration: str | None = None, ms: str | None = None) -> str:
        """The line built field by field (no template)."""
        text = self.text if ms is None else self._sentence(ms)
        if duration is None:
            duration = _js(round(self.duration_ms, 1))
        return (
            f'{{"time":"{_iso(self.at) if at is None else at}","agent":{_js(self.agent)},'
            f'"action":{_js(self.action)},"record_type":{_js(self.record_type)},"record_id":{_js(self.record_id)},'
            f'"target_type":{_js(self.target_type)},"tables":{_js(self.tables)},"script":{_js(self.script)},'
            f'"deploy":{_js(self.deploy)},"method":{_js(self.method)},"path":{_js(self.path)},'
            f'"count":{_js(self.count)},"decision":{_js(self.decision)},"reason":{_js(self.reason)},'
            f'"outcome":{_js(self.outcome)},"status":{_js(self.status)},"attempts":{_js(self.attempts)},'
            f'"duration_ms":{duration},"text":{_STR(text)}}}'
        )

    def _target(self) -> str:
        a = self.action
        if a == "records.transform":
            target = f"{self.record_type} {self.record_id}" if self.record_id else str(self.record_type)
            return f"{target} into {self.target_type}"
        if a.startswith("suiteql."):
            return ", ".join(self.tables) if self.tables else "tables it could not determine"
        if a == "restlets.call":
            return f"RESTlet {self.script} (deploy {self.deploy})"
        if a in ("request", "jobs.submit"):
            return f"{self.method} {self.path}"
        if a == "jobs.get":
            return f"job {self.record_id}"
        if a == "metadata.catalog":
            return "the metadata catalog"
        if a == "metadata.openapi" and not self.record_type:
            return "every record type"
        if a.startswith("batch.") or a == "records.get_many":
            return f"{self.count if self.count is not None else 'many'} {self.record_type} records"
        if a == "records.list":
            return f"{self.record_type} records"
        if self.record_id:
            return f"{self.record_type} {self.record_id}"
        return str(self.record_type)

    def _sentence(self, ms_text: str | None = None) -> str:
        who = self.agent if self.agent is not None else "the application"
        if self.action.startswith("suiteql."):
            verb, past = ("run SuiteQL over", "ran SuiteQL over")
        else:
            verb, past = _VERBS.get(self.action, (self.action, f"called {self.action} on"))
        target = self._target()
        ms = f"{f'{self.duration_ms:.0f}' if ms_text is None else ms_text} ms"
        if self.decision != "allowed":
            return f"{who} tried to {verb} {target}: denied, {self.reason}"
        if self.outcome in (None, "ok"):
            done = f"{self.status} in {ms}" if self.status is not None else f"done in {ms}"
            return f"{who} {past} {target}: allowed, {done}"
        status = f" ({self.status})" if self.status is not None else ""
        return f"{who} tried to {verb} {target}: allowed, failed with {self.outcome}{status} in {ms}"


# Placeholders (private-use characters, which JSON leaves unescaped) marking where a template's per-call values go.
_T, _V, _D, _M = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKS = (_T, _V, _D, _M)
_TEMPLATES: dict[tuple[Any, ...], tuple[int, tuple[str, ...]] | bool] = {}


def _template(e: AuditEvent, kind: int) -> tuple[int, tuple[str, ...]] | bool:
    """The literal pieces of ``e``'s line between its per-call values, and which values go between them (the
    shapes of ``_SHAPES``); False when a field of the key holds a placeholder character (such lines are always
    rendered in full)."""
    fixed = (e.agent, e.action, e.record_type, e.target_type, e.script, e.deploy, e.method, e.decision, e.reason,
             e.outcome, *(e.tables or ()))
    if any(isinstance(v, str) and any(m in v for m in _MARKS) for v in fixed):
        return False
    probe = copy.copy(e)
    probe._text = None
    if kind == 1:
        probe.record_id = _V
    elif kind == 2:
        probe.count = _V  # type: ignore[assignment]
    elif kind == 3:
        probe.path = _V
    line = probe._render(_T, _D, _M) + "\n"
    if kind == 2:
        line = line.replace(f'"count":"{_V}"', f'"count":{_V}')
    split = _SPLIT.split(line)
    pieces, marks = split[0::2], split[1::2]
    if kind == 0:  # no target value: an empty one where the shapes expect it
        if _V in marks:
            return False
        pieces.insert(1, "")
        marks.insert(1, _V)
        at = marks.index(_D) + 1
        pieces.insert(at, "")
        marks.insert(at, _V)
    shape = _SHAPES.get("".join(marks))
    if shape is None:
        return False
    return shape, tuple(pieces)


_SPLIT = re.compile(f"({_T}|{_V}|{_D}|{_M})")
# The orders the per-call values can come in: the time, the target value in its field, the duration, then in the
# sentence the target value (absent for targets it does not name) and the milliseconds (absent when denied).
_SHAPES = {_T + _V + _D + _V + _M: 0, _T + _V + _D + _M: 1, _T + _V + _D + _V: 2, _T + _V + _D: 3}


Sink = Callable[[AuditEvent], None]


class AuditLog:
    """Where audit events go: one or more sinks, each given every event.

    Examples:
        >>> import tempfile, pathlib, json
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl"
        >>> log = AuditLog.jsonl(path)
        >>> log.record(AuditEvent(action="records.get", record_type="customer", record_id="1", outcome="ok",
        ...                       status=200, attempts=1, duration_ms=3.2))
        >>> log.close()
        >>> json.loads(path.read_text())["text"]
        'the application read customer 1: allowed, 200 in 3 ms'
        >>> oct(path.stat().st_mode & 0o777)
        '0o600'
    """

    def __init__(self, *sinks: Sink) -> None:
        for sink in sinks:
            if not callable(sink):
                raise TypeError(f"an audit sink must be callable, not {type(sink).__name__}")
        self._sinks: tuple[Sink, ...] = sinks
        self._closers: list[Callable[[], None]] = []
        #: Sink failures so far (each also logged on ``netsuite_async.audit``).
        self.errors = 0

    # -- constructors ---------------------------------------------------------------------------------------
    @classmethod
    def jsonl(cls, path: str | os.PathLike[str]) -> AuditLog:
        """Append JSON Lines to ``path`` (created ``0600``; one ``write`` per line, ``O_APPEND``)."""
        sink = _JsonlSink(path)
        log = cls(sink)
        log._closers.append(sink.close)
        return log

    @classmethod
    def to_logger(cls, target: logging.Logger | str = "netsuite_async.audit", level: int = logging.INFO) -> AuditLog:
        """Log each event's text on ``target`` at ``level``, with the record as ``extra={"audit": {...}}``."""
        log_to = logging.getLogger(target) if isinstance(target, str) else target

        def sink(event: AuditEvent) -> None:
            if log_to.isEnabledFor(level):
                log_to.log(level, "%s", event.text, extra={"audit": event.to_dict()})

        return cls(sink)

    @classmethod
    def to_callable(cls, fn: Sink) -> AuditLog:
        """Hand each `AuditEvent` to ``fn`` (called synchronously, after the call ends)."""
        return cls(fn)

    @classmethod
    def combine(cls, logs: Sequence[AuditLog]) -> AuditLog:
        """One log writing to every sink of ``logs``."""
        out = cls(*(s for log in logs for s in log._sinks))
        for log in logs:
            out._closers.extend(log._closers)
        return out

    # -- use ------------------------------------------------------------------------------------------------
    def record(self, event: AuditEvent) -> None:
        """Give ``event`` to every sink; a failing sink is logged and counted, never raised."""
        for sink in self._sinks:
            try:
                sink(event)
            except Exception:
                self.errors += 1
                logger.exception("audit sink %r failed; the event was: %s", sink, event.text)

    def close(self) -> None:
        """Close the files this log opened. Safe to call twice."""
        closers, self._closers = self._closers, []
        for close in closers:
            close()

    def __repr__(self) -> str:
        return f"AuditLog(sinks={len(self._sinks)})"


class _JsonlSink:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        self._fd: int | None = os.open(self.path, flags, 0o600)
        # Not the owner, or no fchmod (Windows): keep what is there.
        with contextlib.suppress(OSError, AttributeError):
            os.fchmod(self._fd, 0o600)
        self._lock = threading.Lock()

    def __call__(self, event: AuditEvent) -> None:
        line = event._line().encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise ValueError(f"audit log {self.path} is closed")
            # O_APPEND puts each write at the end atomically; one write per line means no interleaving.
            written = os.write(self._fd, line)
            while written < len(line):  # only on a nearly full disk
                written += os.write(self._fd, line[written:])

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __repr__(self) -> str:
        return f"AuditLog.jsonl({self.path!r})"
