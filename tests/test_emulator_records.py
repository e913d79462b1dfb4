"""The emulator's record service behaves like NetSuite's (and is strict where NetSuite is undocumented)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from netsuite_async.testing.fake import FakeNetSuite

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]

R = "/services/rest/record/v1"



@pytest.fixture
async def fake() -> AsyncIterator[FakeNetSuite]:
    async with FakeNetSuite(seed={"customers": 12, "items": 3, "sales_orders": 4, "invoices": 1}) as f:
        yield f


@pytest.fixture
def http(fake: FakeNetSuite) -> httpx2.AsyncClient:
    client: httpx2.AsyncClient = fake.http_client(headers={"Authorization": f"Bearer {fake.credentials.static_token}"})
    return client


def error_of(resp: httpx2.Response) -> dict[str, Any]:
    assert resp.headers["content-type"].startswith("application/vnd.oracle.resource+json; type=error")
    body = resp.json()
    assert body["status"] == resp.status_code
    detail: dict[str, Any] = body["o:errorDetails"][0]
    return detail


async def test_create_answers_204_with_location_and_the_record_reads_back(http: httpx2.AsyncClient) -> None:
    resp = await http.post(f"{R}/customer", json={"companyName": "Acme", "email": "a@acme.test"})
    assert resp.status_code == 204
    assert resp.content == b""
    location = resp.headers["location"]
    assert location.startswith("http://emulator.test/services/rest/record/v1/customer/")
    got = await http.get(location)
    assert got.status_code == 200
    body = got.json()
    assert body["companyName"] == "Acme"
    assert body["id"] == location.rsplit("/", 1)[1]
    assert body["links"][0] == {"rel": "self", "href": location}


async def test_seeded_customers_have_ids_from_one_up(http: httpx2.AsyncClient) -> None:
    resp = await http.get(f"{R}/customer", params={"limit": 5})
    assert [item["id"] for item in resp.json()["items"]] == ["1", "2", "3", "4", "5"]


async def test_create_counts_writes_and_duplicate_payloads(fake: FakeNetSuite, http: httpx2.AsyncClient) -> None:
    body = {"companyName": "Twice Inc."}
    assert (await http.post(f"{R}/customer", json=body)).status_code == 204
    assert (await http.post(f"{R}/customer", json=body)).status_code == 204
    assert fake.counters.writes == 2
    assert fake.counters.duplicate_writes == 1


async def test_mandatory_field_missing_is_user_error_with_error_path(http: httpx2.AsyncClient) -> None:
    resp = await http.post(f"{R}/customer", json={"email": "x@y.test"})
    assert resp.status_code == 400
    detail = error_of(resp)
    assert detail["o:errorCode"] == "USER_ERROR"
    assert detail["o:errorPath"] == "companyName"


async def test_wrong_value_type_is_rejected_with_error_path(http: httpx2.AsyncClient) -> None:
    resp = await http.post(f"{R}/customer", json={"companyName": "A", "isPerson": "yes"})
    assert resp.status_code == 400
    assert error_of(resp)["o:errorPath"] == "isPerson"


async def test_unknown_field_is_ignored_unless_name_validation_is_error(http: httpx2.AsyncClient) -> None:
    ok = await http.post(f"{R}/customer", json={"companyName": "A", "nonsense": 1})
    assert ok.status_code == 204
    strict = await http.post(
        f"{R}/customer",
        json={"companyName": "A", "nonsense": 1},
        headers={"X-NetSuite-PropertyNameValidation": "Error"},
    )
    assert strict.status_code == 400
    assert error_of(strict)["o:errorPath"] == "nonsense"


async def test_unknown_record_type_is_404(http: httpx2.AsyncClient) -> None:
    resp = await http.get(f"{R}/notARecordType/1")
    assert resp.status_code == 404
    assert error_of(resp)["o:errorCode"] == "NONEXISTENT_ID"


async def test_missing_record_is_404_nonexistent_id(http: httpx2.AsyncClient) -> None:
    resp = await http.get(f"{R}/customer/99999")
    assert resp.status_code == 404
    assert error_of(resp)["o:errorCode"] == "NONEXISTENT_ID"


async def test_reference_to_missing_record_is_rejected(http: httpx2.AsyncClient) -> None:
    resp = await http.post(
        f"{R}/salesOrder", json={"entity": {"id": "4242"}, "item": {"items": [{"item": {"id": "1"}}]}}
    )
    assert resp.status_code == 400
    assert error_of(resp)["o:errorPath"] == "entity"


async def test_patch_changes_only_given_fields_and_null_clears(http: httpx2.AsyncClient) -> None:
    before = (await http.get(f"{R}/customer/1")).json()
    resp = await http.patch(f"{R}/customer/1", json={"email": "new@x.test", "phone": None})
    assert resp.status_code == 204
    after = (await http.get(f"{R}/customer/1")).json()
    assert after["email"] == "new@x.test"
    assert "phone" not in after
    assert after["companyName"] == before["companyName"]
    assert after["lastModifiedDate"] > before["lastModifiedDate"]


async def test_patch_replace_swaps_a_sublist_and_without_it_lines_are_added(http: httpx2.AsyncClient) -> None:
    order = (await http.get(f"{R}/salesOrder/1", params={"expandSubResources": "true"})).json()
    n = order["item"]["totalResults"]
    line = {"item": {"id": "1"}, "quantity": 2, "rate": 10.0}
    await http.patch(f"{R}/salesOrder/1", json={"item": {"items": [line]}})
    added = (await http.get(f"{R}/salesOrder/1", params={"expandSubResources": "true"})).json()
    assert added["item"]["totalResults"] == n + 1
    await http.patch(f"{R}/salesOrder/1", params={"replace": "item"}, json={"item": {"items": [line]}})
    replaced = (await http.get(f"{R}/salesOrder/1", params={"expandSubResources": "true"})).json()
    assert replaced["item"]["totalResults"] == 1
    assert replaced["total"] == 20.0


async def test_upsert_by_external_id_inserts_then_updates(http: httpx2.AsyncClient) -> None:
    first = await http.put(f"{R}/customer/eid:CRM-77", json={"companyName": "Upsert Co"})
    assert first.status_code == 204
    second = await http.put(f"{R}/customer/eid:CRM-77", json={"email": "u@x.test"})
    assert second.headers["location"] == first.headers["location"]
    got = (await http.get(f"{R}/customer/eid:CRM-77")).json()
    assert got["companyName"] == "Upsert Co"
    assert got["email"] == "u@x.test"
    assert got["externalId"] == "CRM-77"


async def test_put_on_an_internal_id_is_refused(http: httpx2.AsyncClient) -> None:
    assert (await http.put(f"{R}/customer/1", json={"companyName": "x"})).status_code == 405


async def test_duplicate_external_id_on_create_is_rejected(http: httpx2.AsyncClient) -> None:
    resp = await http.post(f"{R}/customer", json={"companyName": "Dup", "externalId": "CUST-000001"})
    assert resp.status_code == 400
    assert error_of(resp)["o:errorPath"] == "externalId"


async def test_delete_removes_the_record(http: httpx2.AsyncClient) -> None:
    assert (await http.delete(f"{R}/customer/2")).status_code == 204
    assert (await http.get(f"{R}/customer/2")).status_code == 404
    assert (await http.delete(f"{R}/customer/2")).status_code == 404


async def test_transform_sales_order_into_invoice_copies_lines(http: httpx2.AsyncClient) -> None:
    resp = await http.post(f"{R}/salesOrder/2/!transform/invoice", json={})
    assert resp.status_code == 204
    assert "/record/v1/invoice/" in resp.headers["location"]
    invoice = (await http.get(resp.headers["location"], params={"expandSubResources": "true"})).json()
    order = (await http.get(f"{R}/salesOrder/2", params={"expandSubResources": "true"})).json()
    assert invoice["createdFrom"]["id"] == "2"
    assert invoice["total"] == order["total"]
    assert len(invoice["item"]["items"]) == len(order["item"]["items"])
    assert order["orderStatus"]["id"] == "G"


async def test_transform_customer_into_sales_order(http: httpx2.AsyncClient) -> None:
    resp = await http.post(
        f"{R}/customer/3/!transform/salesOrder",
        json={"item": {"items": [{"item": {"id": "1"}, "quantity": 1, "rate": 5.0}]}},
    )
    assert resp.status_code == 204
    order = (await http.get(resp.headers["location"])).json()
    assert order["entity"]["id"] == "3"


async def test_sub_resources_list_lines_and_one_line(http: httpx2.AsyncClient) -> None:
    lines = await http.get(f"{R}/salesOrder/1/item")
    assert lines.status_code == 200
    first = lines.json()["items"][0]
    one = await http.get(first["links"][0]["href"])
    assert one.status_code == 200
    assert one.json()["item"]["id"] == first["item"]["id"]
    assert (await http.get(f"{R}/salesOrder/1/item/999")).status_code == 404


async def test_fields_and_simple_enum_format(http: httpx2.AsyncClient) -> None:
    body = (await http.get(f"{R}/salesOrder/3", params={"fields": "orderStatus,tranId"})).json()
    assert set(body) == {"links", "id", "orderStatus", "tranId"}
    assert body["orderStatus"] == {"id": "B", "refName": "Pending Fulfillment"}
    simple = (await http.get(f"{R}/salesOrder/3", params={"simpleEnumFormat": "true"})).json()
    assert simple["orderStatus"] == "B"
    assert simple["item"] == {
        "links": [{"rel": "self", "href": "http://emulator.test/services/rest/record/v1/salesOrder/3/item"}]
    }


async def test_list_pages_with_links_has_more_and_total(http: httpx2.AsyncClient) -> None:
    page = (await http.get(f"{R}/customer", params={"limit": 5, "offset": 5})).json()
    assert page["count"] == 5
    assert page["offset"] == 5
    assert page["totalResults"] == 12
    assert page["hasMore"] is True
    rels = {link["rel"] for link in page["links"]}
    assert rels == {"self", "first", "previous", "next", "last"}
    last = (await http.get(next(x["href"] for x in page["links"] if x["rel"] == "last"))).json()
    assert last["offset"] == 10
    assert last["hasMore"] is False
    assert [i["id"] for i in last["items"]] == ["11", "12"]


@pytest.mark.parametrize(
    ("params", "query_param"),
    [
        ({"limit": "1001"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10", "offset": "15"}, "offset"),
        ({"limit": "abc"}, "limit"),
        ({"bogus": "1"}, "bogus"),
        ({"q": "email START_WITH"}, "q"),
        ({"q": 'nosuchfield IS "a"'}, "q"),
        ({"q": "email GREATER 5"}, "q"),
        ({"q": 'email FROBNICATE "a"'}, "q"),
    ],
)
async def test_bad_list_parameters_answer_invalid_parameter(
    http: httpx2.AsyncClient, params: dict[str, str], query_param: str
) -> None:
    resp = await http.get(f"{R}/customer", params=params)
    assert resp.status_code == 400
    detail = error_of(resp)
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert detail["o:errorQueryParam"] == query_param


async def test_offset_past_100000_results_is_refused(http: httpx2.AsyncClient) -> None:
    resp = await http.get(f"{R}/customer", params={"limit": 1000, "offset": 100000})
    assert resp.status_code == 400
    assert error_of(resp)["o:errorQueryParam"] == "offset"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("id GREATER 10", ["11", "12"]),
        ("id BETWEEN [3, 4]", ["3", "4"]),
        ("id ANY_OF [1, 5, 9]", ["1", "5", "9"]),
        ('entityId IS "CUST000007"', ["7"]),
        ('entityId START_WITH "CUST00001"', ["10", "11", "12"]),
        ('companyName CONTAIN "globex" AND id LESS 5', ["2"]),
        ('(id EQUAL 1 OR id EQUAL 2) AND NOT_A_FIELD_FREE IS_NOT "x"', None),
        ("id LESS_OR_EQUAL 2 OR id GREATER_OR_EQUAL 12", ["1", "2", "12"]),
        ('externalId END_WITH "03"', ["3"]),
        ("dateCreated ON_OR_AFTER 1/1/2024", [str(i) for i in range(1, 13)]),
        ("dateCreated ON_OR_AFTER 2024-01-01", None),
        ("dateCreated BEFORE 1/1/2024", []),
        ("id EQUAL_NOT 1 AND id LESS 4", ["2", "3"]),
    ],
)
async def test_q_filters(http: httpx2.AsyncClient, q: str, expected: list[str] | None) -> None:
    resp = await http.get(f"{R}/customer", params={"q": q})
    if expected is None:
        assert resp.status_code == 400
        return
    assert resp.status_code == 200, resp.text
    assert [i["id"] for i in resp.json()["items"]] == expected


async def test_batch_read_by_ids_with_expand_records(http: httpx2.AsyncClient) -> None:
    resp = await http.get(f"{R}/customer", params={"ids": "3,eid:CUST-000001,999", "expandRecords": "true"})
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert [i["id"] for i in items] == ["3", "1"]
    assert items[1]["externalId"] == "CUST-000001"


async def test_batch_read_is_refused_without_the_feature() -> None:
    async with FakeNetSuite(batch_collections=False, seed={"customers": 1}) as fake:
        http = fake.http_client(headers={"Authorization": f"Bearer {fake.credentials.static_token}"})
        resp = await http.get(f"{R}/customer", params={"ids": "1"})
        assert resp.status_code == 400
        assert error_of(resp)["o:errorQueryParam"] == "ids"


async def test_custom_record_types_and_custom_fields_are_accepted(http: httpx2.AsyncClient) -> None:
    resp = await http.post(f"{R}/customrecord_widget", json={"name": "W1", "custrecord_size": 3})
    assert resp.status_code == 204
    got = (await http.get(resp.headers["location"])).json()
    assert got["custrecord_size"] == 3
    cust = await http.post(f"{R}/customer", json={"companyName": "C", "custentity_tier": "gold"})
    assert (await http.get(cust.headers["location"])).json()["custentity_tier"] == "gold"


async def test_records_written_are_visible_in_sqlite_tables(fake: FakeNetSuite, http: httpx2.AsyncClient) -> None:
    await http.post(f"{R}/customer", json={"companyName": "Sql Co", "isPerson": False, "subsidiary": {"id": "1"}})
    row = fake.emulator.store.connection.execute(
        "SELECT companyname, isperson, subsidiary FROM customer WHERE companyname = 'Sql Co'"
    ).fetchone()
    assert row == ("Sql Co", "F", 1)
    types = fake.emulator.store.connection.execute('SELECT DISTINCT type FROM "transaction" ORDER BY type').fetchall()
    assert types == [("CustInvc",), ("SalesOrd",)]


async def test_last_modified_dates_strictly_increase_even_within_a_millisecond(
    fake: FakeNetSuite, http: httpx2.AsyncClient
) -> None:
    for i in range(20):
        await http.patch(f"{R}/customer/{1 + i % 3}", json={"comments": str(i)})
    stamps = [
        r[0]
        for r in fake.emulator.store.connection.execute(
            "SELECT lastmodifieddate FROM customer WHERE id <= 3 ORDER BY lastmodifieddate"
        )
    ]
    assert len(set(stamps)) == 3
    assert fake.emulator.clock.next() > max(stamps)
