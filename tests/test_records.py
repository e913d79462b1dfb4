"""Specification of ``client.records`` against the in-process emulator (FakeNetSuite)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel

from netsuite_async import BadRequestError, NetSuiteClient, NotFoundError
from netsuite_async.records import PropertyNameValidation, Q, where
from netsuite_async.testing import FakeNetSuite

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.both_backends,
    pytest.mark.netsuite_emulator(concurrency=4, seed={"customers": 25, "items": 2, "sales_orders": 2}),
]



@pytest.fixture
def fake(netsuite_emulator: FakeNetSuite) -> FakeNetSuite:
    """The suite's own pytest plugin's emulator, configured by this module's ``netsuite_emulator`` marker."""
    return netsuite_emulator


@pytest.fixture
def ns(netsuite_client: NetSuiteClient) -> NetSuiteClient:
    """The plugin's client wired to ``fake``."""
    return netsuite_client


def _requests(fake: FakeNetSuite, route: str) -> list[dict[str, str]]:
    return [dict(entry.query) for entry in fake.emulator.request_log if entry.route == route]


async def test_create_get_update_delete_round_trip(ns: NetSuiteClient) -> None:
    ref = await ns.records.create("customer", {"companyName": "Zoë & Co", "email": "ap@zoe.example"})
    assert ref.type == "customer"
    assert ref.id.isdigit()
    assert ref.url is not None
    assert ref.url.endswith(f"/record/v1/customer/{ref.id}")

    got = await ns.records.get("customer", ref.id, fields=["companyName", "email"])
    assert (got["companyName"], got["email"]) == ("Zoë & Co", "ap@zoe.example")

    await ns.records.update("customer", int(ref.id), {"email": "new@zoe.example"})
    assert (await ns.records.get("customer", ref.id))["email"] == "new@zoe.example"

    await ns.records.delete("customer", ref.id)
    with pytest.raises(NotFoundError):
        await ns.records.get("customer", ref.id)


async def test_get_parses_into_a_model_keeping_unknown_fields(ns: NetSuiteClient) -> None:
    class Customer(BaseModel, extra="allow"):
        id: str
        companyName: str

    ref = await ns.records.create("customer", {"companyName": "Model Co", "email": "m@co.example"})
    customer = await ns.records.get("customer", ref.id, model=Customer)
    assert customer.companyName == "Model Co"
    assert customer.model_extra is not None
    assert customer.model_extra["email"] == "m@co.example"


async def test_external_ids_with_reserved_and_unicode_characters_read_and_upsert(
    fake: FakeNetSuite, ns: NetSuiteClient
) -> None:
    external_id = "ACME 1?x=y#frag ü東"
    first = await ns.records.upsert("customer", external_id, {"companyName": "Upserted"})
    again = await ns.records.upsert("customer", f"eid:{external_id}", {"companyName": "Upserted twice"})
    assert first.id == again.id

    by_eid = await ns.records.get("customer", f"eid:{external_id}")
    by_kw = await ns.records.get("customer", external_id=external_id)
    by_id = await ns.records.get("customer", first.id)
    assert by_eid["id"] == by_kw["id"] == by_id["id"] == first.id
    assert by_id["externalId"] == external_id
    assert by_id["companyName"] == "Upserted twice"

    await ns.records.update("customer", None, {"email": "e@x.example"}, external_id=external_id)
    await ns.records.delete("customer", external_id=external_id)
    with pytest.raises(NotFoundError):
        await ns.records.get("customer", first.id)


async def test_transform_returns_a_ref_to_the_new_record(ns: NetSuiteClient) -> None:
    order = (await ns.records.list("salesOrder")).items[0]
    invoice = await ns.records.transform("salesOrder", order.id, "invoice")
    assert invoice.type == "invoice"
    body = await ns.records.get("invoice", invoice.id)
    assert body["id"] == invoice.id


async def test_sublists_and_lines_are_read_with_their_fields(ns: NetSuiteClient) -> None:
    order = (await ns.records.list("salesOrder")).items[0]
    lines = await ns.records.sublist("salesOrder", order.id, "item")
    assert len(lines) >= 1
    assert all("quantity" in line and "item" in line for line in lines)
    first = await ns.records.sub_resource("salesOrder", order.id, "item", 1)
    assert first["quantity"] == lines[0]["quantity"]


async def test_list_reads_every_page_once_at_multiples_of_the_page_size(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    refs = [ref async for ref in ns.records.list("customer", page_size=10)]
    assert len(refs) == 25
    assert len({r.id for r in refs}) == 25
    assert all(r.type == "customer" for r in refs)
    offsets = [(q["limit"], q["offset"]) for q in _requests(fake, "record.list")]
    assert offsets == [("10", "0"), ("10", "10"), ("10", "20")]


async def test_awaiting_a_list_gives_the_first_page_only(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    page = await ns.records.list("customer", page_size=7)
    assert page.has_more is True
    assert page.total_results == 25
    assert page.offset == 0
    assert [r.id for r in page.items] == [str(i) for i in range(1, 8)]
    assert len(_requests(fake, "record.list")) == 1


async def test_list_with_an_exact_multiple_of_the_page_size_stops_on_has_more_false(
    fake: FakeNetSuite, ns: NetSuiteClient
) -> None:
    pages = [page async for page in ns.records.list("customer", page_size=5).pages()]
    assert [len(p.items) for p in pages] == [5, 5, 5, 5, 5]
    assert pages[-1].has_more is False
    assert len(_requests(fake, "record.list")) == 5


async def test_q_builder_values_are_quoted_so_user_input_cannot_change_the_filter(ns: NetSuiteClient) -> None:
    tricky = 'Quote "Co" OR email EMPTY'
    ref = await ns.records.create("customer", {"companyName": tricky, "email": "quote@co.example"})
    await ns.records.create("customer", {"companyName": "Quote Co", "email": "other@co.example"})
    found = [r.id async for r in ns.records.list("customer", q=Q("companyName").is_(tricky))]
    assert found == [ref.id]
    starts = [r.id async for r in ns.records.list("customer", q=Q("email").start_with("quote@"))]
    assert starts == [ref.id]


async def test_q_builder_combines_conditions_with_and_or_and_lists(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    q = where("id", "ANY_OF", 1, 2, 3, 20) & (Q("id").less(3) | Q("id").greater_or_equal(20))
    ids = sorted([int(r.id) async for r in ns.records.list("customer", q=q)])
    assert ids == [1, 2, 20]
    async with fake.client(date_format="M/D/YYYY") as dated:
        before_2000 = Q("dateCreated").before(dt.date(2000, 1, 1))
        none_before = [r async for r in dated.records.list("customer", q=before_2000)]
    assert none_before == []


async def test_a_bad_raw_q_is_a_bad_request_naming_the_parameter(ns: NetSuiteClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        await ns.records.list("customer", q="email WOBBLES 3")
    assert any(d.error_query_param == "q" for d in caught.value.details)


@pytest.mark.parametrize("bad", ["../x", "1?a=b", "", "1/!transform/invoice", 0, "eid:"])
async def test_bad_identifiers_send_nothing_to_netsuite(fake: FakeNetSuite, ns: NetSuiteClient, bad: object) -> None:
    before = fake.emulator.counters.requests
    with pytest.raises(ValueError):
        await ns.records.get("customer", bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await ns.records.delete("customer", bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await ns.records.transform("salesOrder", bad, "invoice")  # type: ignore[arg-type]
    assert fake.emulator.counters.requests == before


async def test_property_name_validation_error_rejects_unknown_fields_per_call(ns: NetSuiteClient) -> None:
    body = {"companyName": "Strict Co", "noSuchField": 1}
    with pytest.raises(BadRequestError):
        await ns.records.create("customer", body, property_name_validation=PropertyNameValidation.ERROR)
    ref = await ns.records.create("customer", body)
    assert ref.id


async def test_property_name_validation_set_on_the_client_applies_to_every_write(fake: FakeNetSuite) -> None:
    async with fake.client(property_name_validation="Error") as strict:
        with pytest.raises(BadRequestError):
            await strict.records.create("customer", {"companyName": "X", "noSuchField": 1})
        ref = await strict.records.create(
            "customer", {"companyName": "X", "noSuchField": 1}, property_name_validation="Ignore"
        )
        assert ref.id


async def test_get_many_uses_the_batch_read_and_returns_input_order_with_none_for_missing(
    fake: FakeNetSuite, ns: NetSuiteClient
) -> None:
    await ns.records.upsert("customer", "BATCH-1", {"companyName": "Batch One"})
    ids: list[int | str] = [5, "eid:BATCH-1", 999_999, 2, "3"]
    out = await ns.records.get_many("customer", ids, fields=["companyName"])
    assert out[0] is not None
    assert out[0]["id"] == "5"
    assert out[1] is not None
    assert out[1]["companyName"] == "Batch One"
    assert out[2] is None
    assert [r["id"] for r in (out[3], out[4]) if r] == ["2", "3"]
    batch_reads = [q for q in _requests(fake, "record.list") if "ids" in q]
    assert len(batch_reads) == 1
    assert fake.emulator.counters.per_route.get("record.get", 0) == 0


async def test_get_many_splits_the_batch_read_into_requests_of_100_ids(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    wanted = [i for i in range(1, 26)] * 10  # 250 ids, repeats allowed
    out = await ns.records.get_many("customer", wanted)
    assert [r["id"] for r in out if r] == [str(i) for i in wanted]
    assert len([q for q in _requests(fake, "record.list") if "ids" in q]) == 3


async def test_get_many_falls_back_to_concurrent_gets_under_the_governor_once_learned() -> None:
    emulator = FakeNetSuite(concurrency=3, latency=0.005, seed={"customers": 30}, batch_collections=False)
    async with emulator as fake, fake.client() as ns:
        out = await ns.records.get_many("customer", [*range(30, 0, -1), 404_404])
        assert [r["id"] if r else None for r in out] == [*(str(i) for i in range(30, 0, -1)), None]
        assert fake.emulator.counters.max_in_flight <= 3
        assert fake.emulator.counters.limited == 0
        fake.emulator.request_log.clear()
        again = await ns.records.get_many("customer", [7])
        assert again[0] is not None
        assert again[0]["id"] == "7"
        assert [e.route for e in fake.emulator.request_log] == ["record.get"]
        with pytest.raises(NotFoundError):
            await ns.records.get_many("customer", [1, 404_404], missing="raise")
