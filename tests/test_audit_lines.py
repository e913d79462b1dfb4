"""The JSONL audit line: built from cached per-combination templates, it must be exactly the line rendered field by
field, valid JSON with the keys of AUDIT_KEYS in order and the event's own sentence, whatever the strings hold
(quotes, backslashes, control characters, braces, percent signs, unicode, the template's own placeholder
characters)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsuite_async import audit as audit_module
from netsuite_async.audit import AUDIT_KEYS, AuditEvent, AuditLog

NASTY = [
    'cust"omer', "back\\slash", "ctl\x00\x01\x1f\x7f", "line\nbreak\ttab\r", "uni é 漢 🙂", "{brace}", "{0}", "}{",
    "%s %d %%", "\u2028\u2029", "\ue000", "x\ue001y", "\ue002\ue003", "\ud7ff", "",
]

ACTIONS = [
    "records.get", "records.create", "records.update", "records.delete", "records.list", "records.get_many",
    "records.transform", "suiteql.page", "suiteql.all", "restlets.call", "request", "jobs.submit", "jobs.get",
    "metadata.catalog", "metadata.openapi", "metadata.json_schema", "batch.create", "changes", "some.new_action",
]


def _reference(event: AuditEvent) -> dict[str, Any]:
    """The line the standard library's encoder makes of to_dict() (the definition of a correct line)."""
    return json.loads(json.dumps(event.to_dict(), ensure_ascii=False))


def _assert_line(event: AuditEvent) -> str:
    line = event.to_json()
    assert "\n" not in line
    assert "\r" not in line
    parsed = json.loads(line)
    assert list(parsed) == list(AUDIT_KEYS)
    assert parsed == _reference(event)
    assert parsed["text"] == event.text
    # The template path and the field-by-field rendering agree to the byte.
    assert line == event._render()
    return line


@pytest.mark.parametrize("nasty", NASTY)
@pytest.mark.parametrize("where", ["agent", "record_type", "record_id", "reason", "path", "tables", "outcome"])
def test_nasty_strings_in_every_field_give_valid_identical_lines(nasty: str, where: str) -> None:
    for action in ("records.get", "suiteql.page", "request"):
        for decision, outcome in (("allowed", "ok"), ("allowed", "ServerError"), ("denied", "denied")):
            event = AuditEvent(action=action, agent="bot", record_type="customer", record_id="7", decision=decision,
                               reason="it has read access to customer", outcome=outcome, status=200, attempts=1,
                               duration_ms=12.345, at=1_764_670_000.25)
            if where == "tables":
                event.tables = ["customer", nasty]
            elif where == "path":
                event.record_id = None
                event.method, event.path = "GET", nasty
            else:
                setattr(event, where, nasty)
            _assert_line(event)
            # The same combination again: now from the cached template.
            again = AuditEvent(**{f: getattr(event, f) for f in
                                  ("action", "agent", "record_type", "record_id", "tables", "method", "path",
                                   "decision", "reason", "outcome", "status", "attempts")},
                               duration_ms=0.05, at=1_764_670_001.999)
            _assert_line(again)


def test_templates_are_used_for_ordinary_calls_and_never_for_placeholder_characters() -> None:
    audit_module._TEMPLATES.clear()
    for i in range(50):
        _assert_line(AuditEvent(action="records.get", agent="bench-bot", record_type="customer", record_id=str(i),
                                decision="allowed", reason="it has read access to customer", outcome="ok",
                                status=200, attempts=1, duration_ms=i * 1.37))
    templates = list(audit_module._TEMPLATES.values())
    assert len(templates) == 1
    assert templates[0] is not False
    event = AuditEvent(action="records.get", agent="bot\ue000", record_type="customer", record_id="1", outcome="ok",
                       status=200, attempts=1, duration_ms=1.0)
    _assert_line(event)
    assert [v for k, v in audit_module._TEMPLATES.items() if "bot\ue000" in k] == [False]


def test_values_the_templates_do_not_cover_are_rendered_in_full() -> None:
    odd = [
        AuditEvent(action="records.get", record_type="customer", record_id="", outcome="ok", duration_ms=1.0),
        AuditEvent(action="records.get_many", record_type="customer", count=True, outcome="ok", duration_ms=1.0),
        AuditEvent(action="records.get", record_type="customer", record_id="7", count=2, outcome="ok"),
        AuditEvent(action="records.get", record_type="customer", record_id="7", outcome="ok", duration_ms=1e20),
        AuditEvent(action="records.get", record_type="customer", record_id="7", outcome="ok", duration_ms=3),  # type: ignore[arg-type]
    ]
    for event in odd:
        _assert_line(event)


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_and_outcome_shape(action: str) -> None:
    for fields in ({"record_id": "42"}, {"count": 3}, {"path": "/services/rest/x", "method": "POST"}, {},
                   {"tables": ["customer", "transaction"], "count": 0}, {"script": "12", "deploy": "1"},
                   {"target_type": "invoice", "record_id": "9"}):
        for decision, outcome, status in (("allowed", "ok", 204), ("allowed", "ok", None), ("allowed", None, None),
                                          ("allowed", "APIError", 500), ("allowed", "cancelled", None),
                                          ("denied", "denied", None)):
            for duration in (0.0, 0.05, 0.25, 212.449, 99_999.95):
                _assert_line(AuditEvent(action=action, agent="finance-bot", record_type="customer",
                                        decision=decision, reason="a reason", outcome=outcome, status=status,
                                        attempts=2, duration_ms=duration, **fields))  # type: ignore[arg-type]


_text = st.text(alphabet=st.characters(codec="utf-8", categories=None), max_size=12) | st.sampled_from(NASTY)


@settings(max_examples=300, deadline=None)
@given(agent=st.none() | _text, record_type=st.none() | _text, record_id=st.none() | _text, reason=_text,
       action=st.sampled_from(ACTIONS), tables=st.none() | st.lists(_text, max_size=3),
       path=st.none() | _text, count=st.none() | st.integers(min_value=0, max_value=10**12),
       status=st.none() | st.sampled_from([200, 204, 404, 429]), denied=st.booleans(),
       duration=st.floats(min_value=0.0, max_value=1e7, allow_nan=False), at=st.floats(0, 4e9))
def test_property_any_strings_give_the_reference_line(agent: str | None, record_type: str | None,
                                                     record_id: str | None, reason: str, action: str,
                                                     tables: list[str] | None, path: str | None, count: int | None,
                                                     status: int | None, denied: bool, duration: float,
                                                     at: float) -> None:
    event = AuditEvent(action=action, agent=agent, record_type=record_type, record_id=record_id, tables=tables,
                       path=path, count=count, decision="denied" if denied else "allowed", reason=reason,
                       outcome="denied" if denied else "ok", status=status, attempts=1, duration_ms=duration, at=at)
    _assert_line(event)
    _assert_line(event)  # the cached template


def test_jsonl_file_holds_one_parseable_line_per_event_with_nasty_strings(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog.jsonl(path)
    events = [AuditEvent(action="records.get", agent=s or "a", record_type=s, record_id=s or "1", reason=s,
                         outcome="ok", status=200, attempts=1, duration_ms=1.5) for s in NASTY * 3]
    for event in events:
        log.record(event)
    log.close()
    raw = path.read_bytes()
    lines = raw.decode("utf-8").split("\n")
    assert lines[-1] == ""
    assert len(lines) - 1 == len(events)
    for line, event in zip(lines, events, strict=False):
        assert json.loads(line) == _reference(event)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
