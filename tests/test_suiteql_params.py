"""Specification of client-side SuiteQL parameter binding (suiteql_params)."""

from __future__ import annotations

import datetime as dt
import enum
import sqlite3
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netsuite_async.suiteql_params import bind, placeholder_positions, render_literal, tokenize


class Color(str, enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "NULL"),
        (True, "'T'"),
        (False, "'F'"),
        (0, "0"),
        (42, "42"),
        (-7, "(-7)"),
        (10**30, "1" + "0" * 30),
        (1.5, "1.5"),
        (-0.25, "(-0.25)"),
        (1e-7, "0.0000001"),
        (1e20, "100000000000000000000"),
        (Decimal("12.3400"), "12.3400"),
        (Decimal("-5"), "(-5)"),
        ("plain", "'plain'"),
        ("", "''"),
        ("o'neil", "'o''neil'"),
        ("''", "''''''"),
        ("back\\slash", "'back\\slash'"),
        ("line\nbreak", "'line\nbreak'"),
        (Color.RED, "'red'"),
        (dt.date(2024, 2, 29), "TO_DATE('2024-02-29', 'YYYY-MM-DD')"),
        (dt.datetime(2024, 1, 2, 3, 4, 5), "TO_TIMESTAMP('2024-01-02 03:04:05', 'YYYY-MM-DD HH24:MI:SS')"),
        (
            dt.datetime(2024, 1, 2, 3, 4, 5, 120000),
            "TO_TIMESTAMP('2024-01-02 03:04:05.120000', 'YYYY-MM-DD HH24:MI:SS.FF6')",
        ),
        (
            dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "TO_TIMESTAMP('2024-01-02 03:04:05', 'YYYY-MM-DD HH24:MI:SS')",
        ),
        ([1, 2, 3], "(1, 2, 3)"),
        (("a", None, True), "('a', NULL, 'T')"),
    ],
)
def test_render_literal_renders_each_supported_type_as_a_safe_literal(value: object, expected: str) -> None:
    assert render_literal(value) == expected


@pytest.mark.parametrize("value", [b"bytes", {"a": 1}, {1, 2}, object(), 1j, bytearray(b"x")])
def test_render_literal_refuses_unsupported_types_with_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="cannot bind"):
        render_literal(value)


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), Decimal("NaN"), Decimal("Infinity"), "a\x00b", []]
)
def test_render_literal_refuses_non_finite_numbers_nul_and_empty_lists(value: object) -> None:
    with pytest.raises(ValueError, match="cannot bind"):
        render_literal(value)


def test_render_literal_refuses_nested_lists() -> None:
    with pytest.raises(TypeError, match="nested"):
        render_literal([1, [2]])


def test_bind_replaces_placeholders_in_order() -> None:
    q = bind("SELECT id FROM customer WHERE email = ? AND id IN ? AND isinactive = ?", ["a@x", [1, 2], False])
    assert q == "SELECT id FROM customer WHERE email = 'a@x' AND id IN (1, 2) AND isinactive = 'F'"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT '?' AS q FROM customer WHERE id = ?",
        "SELECT id FROM customer -- where is ?\nWHERE id = ?",
        "SELECT /* ? ? */ id FROM customer WHERE id = ?",
        'SELECT "weird?col" FROM customer WHERE id = ?',
        "SELECT 'it''s ?' FROM customer WHERE id = ?",
        "SELECT q'[it's ?]' FROM customer WHERE id = ?",
        "SELECT nq'{?}' FROM customer WHERE id = ?",
    ],
)
def test_question_marks_inside_literals_identifiers_and_comments_are_not_placeholders(query: str) -> None:
    assert len(placeholder_positions(query)) == 1
    assert bind(query, [5]).endswith("id = 5")


def test_wrong_placeholder_count_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="2 '\\?' placeholder"):
        bind("SELECT ? , ?", [1])
    with pytest.raises(ValueError, match="1 '\\?' placeholder"):
        bind("SELECT ?", [1, 2])


def test_params_must_be_a_sequence_not_a_string() -> None:
    with pytest.raises(TypeError):
        bind("SELECT ?", "x")  # type: ignore[arg-type]


def test_none_params_leave_the_query_unchanged() -> None:
    assert bind("SELECT 1 FROM dual", None) == "SELECT 1 FROM dual"


@pytest.mark.parametrize("query", ["SELECT 'open", 'SELECT "open', "SELECT /* open", "SELECT q'[open'"])
def test_unterminated_literals_are_refused_before_binding(query: str) -> None:
    with pytest.raises(ValueError, match="unterminated"):
        bind(query, [])


def test_negative_number_after_minus_cannot_become_a_comment() -> None:
    q = bind("SELECT 10 -? AS v FROM dual", [-5])
    assert "--" not in q
    assert q == "SELECT 10 -(-5) AS v FROM dual"


INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE customer; --",
    "\\'; DROP TABLE customer; --",
    "x' UNION SELECT password FROM employee --",
    "*/ OR 1=1 /*",
    "-- comment",
    "?",
    "q'[",
    "''''",
]


def _run_in_sqlite(query: str) -> object:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE customer (id INTEGER, email TEXT)")
    conn.execute("INSERT INTO customer VALUES (1, 'a@x')")
    row = conn.execute(query).fetchone()
    # The table must survive whatever was bound.
    assert conn.execute("SELECT COUNT(*) FROM customer").fetchone() == (1,)
    return None if row is None else row[0]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_attempts_stay_inside_one_string_literal(attack: str) -> None:
    q = bind("SELECT ? AS v FROM customer WHERE email = ?", [attack, attack])
    kinds = [t.kind for t in tokenize(q)]
    assert kinds.count("string") == 2
    assert "comment" not in kinds
    # "<>" so the one row comes back and shows the bound value arrived intact.
    assert _run_in_sqlite(q.replace("WHERE email = ", "WHERE email <> ")) == attack


@given(st.text().filter(lambda s: "\x00" not in s))
def test_any_string_round_trips_as_exactly_one_literal(text: str) -> None:
    q = bind("SELECT ? AS v FROM customer", [text])
    tokens = list(tokenize(q))
    assert [t.kind for t in tokens] == ["code", "string", "code"]
    assert tokens[1].text[1:-1].replace("''", "'") == text
    assert _run_in_sqlite(q) == text


@given(st.lists(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans())))
def test_numbers_and_lists_render_without_comments_or_extra_placeholders(values: list[object]) -> None:
    q = bind("SELECT 1 -? FROM customer", [values if values else 0])
    kinds = [t.kind for t in tokenize(q)]
    assert "comment" not in kinds
    assert "param" not in kinds
