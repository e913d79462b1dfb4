"""Specification of ``client.metadata`` against the in-process emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsuite_async import NetSuiteClient, NotFoundError
from netsuite_async.testing import FakeNetSuite

pytestmark = [pytest.mark.anyio, pytest.mark.netsuite_emulator()]


@pytest.fixture
def fake(netsuite_emulator: FakeNetSuite) -> FakeNetSuite:
    """The suite's own pytest plugin's emulator, configured by this module's ``netsuite_emulator`` marker."""
    return netsuite_emulator


@pytest.fixture
def ns(netsuite_client: NetSuiteClient) -> NetSuiteClient:
    """The plugin's client wired to ``fake``."""
    return netsuite_client


async def test_catalog_lists_record_types(ns: NetSuiteClient) -> None:
    names = {entry.name for entry in await ns.metadata.catalog()}
    assert {"customer", "salesOrder"} <= names or {"customer", "salesorder"} <= names


async def test_json_schema_describes_one_type(ns: NetSuiteClient) -> None:
    schema = await ns.metadata.json_schema("customer")
    assert "properties" in schema
    assert "companyName" in schema["properties"]


async def test_openapi_for_selected_types(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    spec = await ns.metadata.openapi(["customer", "salesOrder"])
    assert "openapi" in spec
    assert any("/customer" in path for path in spec["paths"])
    sent = [dict(e.query) for e in fake.emulator.request_log if e.route == "metadata.catalog"]
    assert sent == [{"select": "customer,salesOrder"}]


async def test_unknown_type_is_not_found(ns: NetSuiteClient) -> None:
    with pytest.raises(NotFoundError):
        await ns.metadata.json_schema("noSuchRecord")


async def test_disk_cache_answers_repeat_calls_without_a_request(
    fake: FakeNetSuite, ns: NetSuiteClient, tmp_path: Path
) -> None:
    ns.metadata.enable_cache(tmp_path, ttl=600)
    first = await ns.metadata.json_schema("customer")
    before = fake.emulator.counters.requests
    assert await ns.metadata.json_schema("customer") == first
    assert fake.emulator.counters.requests == before
    async with fake.client() as other:  # a new process/client on the same account reads the same files
        other.metadata.enable_cache(tmp_path, ttl=600)
        assert await other.metadata.json_schema("customer") == first
    assert fake.emulator.counters.requests == before
    await ns.metadata.json_schema("customer", refresh=True)
    assert fake.emulator.counters.requests == before + 1


async def test_expired_cache_entries_are_fetched_again(fake: FakeNetSuite, ns: NetSuiteClient, tmp_path: Path) -> None:
    ns.metadata.enable_cache(tmp_path, ttl=600)
    await ns.metadata.catalog()
    for file in tmp_path.iterdir():  # age the entry instead of waiting for it to expire
        file.write_text(file.read_text().replace('"saved_at": ', '"saved_at": -1000 + '), encoding="utf-8")
    before = fake.emulator.counters.requests
    await ns.metadata.catalog()
    assert fake.emulator.counters.requests == before + 1


def test_cache_ttl_must_be_positive(tmp_path: Path) -> None:
    from netsuite_async.metadata import Metadata

    metadata = Metadata(transport=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ttl"):
        metadata.enable_cache(tmp_path, ttl=0)
