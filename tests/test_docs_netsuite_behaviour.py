"""docs/netsuite-behaviour.md names every dialect field: its flag, its Python field, every variant, the strictest."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsuite_async.testing._dialect import DialectField, dialect_fields

DOC = Path(__file__).resolve().parent.parent / "docs" / "netsuite-behaviour.md"
FIELDS = list(dialect_fields())


def _row(field: DialectField) -> str:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines()
            if line.startswith("|") and f"`{field.flag}`" in line]
    assert len(rows) == 1, f"{field.flag} must have exactly one row in {DOC.name}"
    return rows[0]


def _text(value: object) -> str:
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_the_behaviour_table_documents_every_dialect_field(field: DialectField) -> None:
    row = _row(field)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert len(cells) == 5, row
    behaviour, variants, evidence, option, client = cells
    assert behaviour
    assert f"`{field.name}`" in option
    for choice in field.choices:
        assert f"`{_text(choice)}`" in variants, (field.name, choice)
    assert f"**`{_text(field.strictest)}`**" in variants, field.name
    assert evidence
    assert len(client) > 40, "say what the client does under each variant"


def test_the_page_is_in_the_mkdocs_nav() -> None:
    nav = (DOC.parent.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert "netsuite-behaviour.md" in nav
    assert "know-your-account.md" in nav
