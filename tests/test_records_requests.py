"""What the record, RESTlet and metadata namespaces put on the wire, checked with httpx2.MockTransport.

These tests pin request building (paths, query order, headers, bodies) and refusal of bad input before
anything is sent. Behaviour against a NetSuite-like server is specified in tests/test_records.py (emulator).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from netsuite_async import BearerToken, NetSuiteClient, NotFoundError, RetryPolicy, WriteOutcomeUnknownError
from netsuite_async.records import PropertyNameValidation, Q, body_sha256

pytestmark = pytest.mark.anyio

Handler = Callable[[httpx2.Request], httpx2.Response]


class Wire:
    """Records every request and answers with a replaceable handler."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.handler: Handler = lambda request: httpx2.Response(200, json={})

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.handler(request)


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def ns(wire: Wire) -> AsyncIterator[NetSuiteClient]:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(wire))
    async with NetSuiteClient(
        "1234567_SB1",
        BearerToken("token"),
        http_client=http,
        base_url="http://emu.test",
        retry=RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.001),
    ) as client:
        yield client
    await http.aclose()


def _created(record_type: str, new_id: int) -> Handler:
    return lambda request: httpx2.Response(
        204, headers={"Location": f"http://emu.test/services/rest/record/v1/{record_type}/{new_id}"}
    )


# -- validation before sending ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["../x", "1?a=b", "", "1/!transform/invoice", 0, -4, True, "eid:"])
async def test_get_with_a_bad_id_raises_and_sends_nothing(ns: NetSuiteClient, wire: Wire, bad_id: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        await ns.records.get("customer", bad_id)
    assert wire.requests == []


@pytest.mark.parametrize(
    "call",
    [
        lambda ns: ns.records.get("../customer", 1),
        lambda ns: ns.records.get("customer", 1, fields=["email", "a,b"]),
        lambda ns: ns.records.get("customer", 1, fields="email"),
        lambda ns: ns.records.create("customer", ["not", "a", "mapping"]),
        lambda ns: ns.records.update("customer", "7;DROP", {}),
        lambda ns: ns.records.update("customer", 7, {}, replace=["item/1"]),
        lambda ns: ns.records.upsert("customer", "", {}),
        lambda ns: ns.records.upsert("customer", "a\nb", {}),
        lambda ns: ns.records.delete("customer", "eid:x\x00"),
        lambda ns: ns.records.transform("salesOrder", 1, "../invoice"),
        lambda ns: ns.records.transform("salesOrder", "1/!transform/cashSale", "invoice"),
        lambda ns: ns.records.sublist("salesOrder", 1, "item/2"),
        lambda ns: ns.records.sub_resource("salesOrder", 1, "item", "0"),
        lambda ns: ns.records.get_many("customer", [1, "x"]),
        lambda ns: ns.records.get_many("customer", "123"),
        lambda ns: ns.records.get("customer", 1, property_name_validation="Loud"),
        lambda ns: ns.restlets.call("customscript x", 1),
        lambda ns: ns.restlets.call("customscript_x", "1&script=2"),
        lambda ns: ns.restlets.call("customscript_x", 1, params={"script": "9"}),
        lambda ns: ns.restlets.call("customscript_x", 1, method="GET", json={"a": 1}),
        lambda ns: ns.restlets.call("customscript_x", 1, method="PATCH"),
        lambda ns: ns.restlets.call("customscript_x", 1, method="POST", json={}, text="x"),
        lambda ns: ns.restlets.call("customscript_x", 1, headers={"Content-Type": "application/json; charset=utf-8"}),
        lambda ns: ns.metadata.json_schema("customer/../x"),
        lambda ns: ns.metadata.openapi("customer"),
    ],
)
async def test_bad_input_raises_before_any_request(ns: NetSuiteClient, wire: Wire, call: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        await call(ns)
    assert wire.requests == []


async def test_list_with_a_bad_page_size_or_type_raises_at_once(ns: NetSuiteClient, wire: Wire) -> None:
    for kwargs in ({"page_size": 0}, {"page_size": 1001}, {"q": "  "}):
        with pytest.raises(ValueError):
            ns.records.list("customer", **kwargs)
    with pytest.raises(TypeError):
        ns.records.list("customer", page_size=True)
    with pytest.raises(ValueError):
        ns.records.list("sales order")
    assert wire.requests == []


# -- request shape ------------------------------------------------------------------------------------------------


async def test_get_sends_fields_and_flags_in_order(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(200, json={"id": "7", "email": "a@b.c"})
    record = await ns.records.get(
        "customer", "07", fields=["email", "phone"], expand_sub_resources=True, simple_enum_format=True
    )
    assert record == {"id": "7", "email": "a@b.c"}
    sent = wire.requests[0]
    assert sent.method == "GET"
    assert sent.url.path == "/services/rest/record/v1/customer/7"
    assert list(sent.url.params.multi_items()) == [
        ("fields", "email,phone"),
        ("expandSubResources", "true"),
        ("simpleEnumFormat", "true"),
    ]


async def test_external_ids_are_percent_encoded_into_one_path_segment(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(200, json={"id": "1"})
    await ns.records.get("customer", "eid:A/B?c#d ü")
    await ns.records.get("customer", external_id="A/B?c#d ü")
    for sent in wire.requests:
        assert sent.url.raw_path == b"/services/rest/record/v1/customer/eid:A%2FB%3Fc%23d%20%C3%BC"


async def test_create_posts_the_body_and_reads_the_id_from_location(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = _created("customer", 321)
    ref = await ns.records.create("customer", {"companyName": "Zoë & Co"})
    assert (ref.type, ref.id) == ("customer", "321")
    assert ref.url == "http://emu.test/services/rest/record/v1/customer/321"
    sent = wire.requests[0]
    assert sent.method == "POST"
    assert json.loads(sent.content) == {"companyName": "Zoë & Co"}


async def test_create_is_not_retried_after_a_5xx_and_the_error_carries_type_and_body_hash(
    ns: NetSuiteClient, wire: Wire
) -> None:
    wire.handler = lambda request: httpx2.Response(503, json={"title": "unavailable"})
    body = {"companyName": "Acme", "externalId": "ACME-1"}
    with pytest.raises(WriteOutcomeUnknownError) as caught:
        await ns.records.create("customer", body)
    assert len(wire.requests) == 1
    assert caught.value.context == {
        "record_type": "customer",
        "body_sha256": body_sha256(body),
        "external_id": "ACME-1",
    }


async def test_transform_posts_to_the_transform_path_and_is_not_retried(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = _created("invoice", 88)
    ref = await ns.records.transform("salesOrder", 7, "invoice", {"memo": "x"})
    assert (ref.type, ref.id) == ("invoice", "88")
    assert wire.requests[0].url.raw_path == b"/services/rest/record/v1/salesOrder/7/!transform/invoice"

    wire.handler = lambda request: httpx2.Response(500, json={})
    with pytest.raises(WriteOutcomeUnknownError) as caught:
        await ns.records.transform("salesOrder", 7, "invoice")
    assert len(wire.requests) == 2
    assert caught.value.context["record_type"] == "invoice"
    assert caught.value.context["source"] == "salesOrder/7"


async def test_update_sends_patch_with_replace_parameters(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(204)
    result = await ns.records.update(
        "salesOrder", 5, {"memo": None}, replace=["item", "item", "partners"], replace_selected_fields=True
    )
    assert result is None
    sent = wire.requests[0]
    assert sent.method == "PATCH"
    assert list(sent.url.params.multi_items()) == [("replace", "item,partners"), ("replaceSelectedFields", "true")]
    assert json.loads(sent.content) == {"memo": None}


async def test_upsert_puts_to_the_eid_path_and_strips_an_eid_prefix(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = _created("customer", 9)
    first = await ns.records.upsert("customer", "CUST 1", {"companyName": "A"})
    second = await ns.records.upsert("customer", "eid:CUST 1", {"companyName": "A"})
    assert first.id == second.id == "9"
    assert [r.url.raw_path for r in wire.requests] == [b"/services/rest/record/v1/customer/eid:CUST%201"] * 2
    assert all(r.method == "PUT" for r in wire.requests)


async def test_upsert_is_retried_after_a_5xx_because_put_is_idempotent(ns: NetSuiteClient, wire: Wire) -> None:
    answers = iter([httpx2.Response(503, json={}), _created("customer", 4)(httpx2.Request("PUT", "http://x"))])
    wire.handler = lambda request: next(answers)
    ref = await ns.records.upsert("customer", "C-4", {})
    assert ref.id == "4"
    assert len(wire.requests) == 2


async def test_delete_sends_delete(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(204)
    await ns.records.delete("customer", 3)
    await ns.records.delete("customer", external_id="X-3")
    assert [(r.method, r.url.path) for r in wire.requests] == [
        ("DELETE", "/services/rest/record/v1/customer/3"),
        ("DELETE", "/services/rest/record/v1/customer/eid:X-3"),
    ]


async def test_property_name_validation_comes_from_the_client_and_the_call_wins(wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(200, json={})
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(wire))
    async with NetSuiteClient(
        "1234567", BearerToken("t"), http_client=http, base_url="http://emu.test", property_name_validation="Warning"
    ) as client:
        await client.records.get("customer", 1)
        await client.records.get("customer", 1, property_name_validation=PropertyNameValidation.ERROR)
        await client.records.get("customer", 1, property_name_validation="Ignore")
    await http.aclose()
    assert [r.headers.get("X-NetSuite-PropertyNameValidation") for r in wire.requests] == [
        "Warning",
        "Error",
        "Ignore",
    ]


async def test_no_property_name_validation_header_unless_asked(ns: NetSuiteClient, wire: Wire) -> None:
    await ns.records.get("customer", 1)
    assert "X-NetSuite-PropertyNameValidation" not in wire.requests[0].headers


async def test_list_sends_limit_offset_and_a_rendered_q(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(
        200, json={"items": [{"id": "3", "links": []}], "hasMore": False, "count": 1, "offset": 0}
    )
    refs = [ref async for ref in ns.records.list("customer", q=Q("email").start_with('a"b'), page_size=50)]
    assert [(r.type, r.id) for r in refs] == [("customer", "3")]
    assert list(wire.requests[0].url.params.multi_items()) == [
        ("limit", "50"),
        ("offset", "0"),
        ("q", 'email START_WITH "a\\"b"'),
    ]


async def test_list_never_asks_past_the_100000_result_cap_and_continues_by_id(ns: NetSuiteClient, wire: Wire) -> None:
    # A server that says hasMore true on every page, even past its last record (120,000 of them).
    def page(request: httpx2.Request) -> httpx2.Response:
        offset = int(request.url.params["offset"])
        q = request.url.params.get("q", "")
        after = int(q.rsplit(" ", 1)[1]) if q.startswith("id GREATER") else 0
        first = after + offset + 1
        items = [{"id": str(i)} for i in range(first, min(first + 1000, 120_001))]
        return httpx2.Response(200, json={"items": items, "hasMore": True, "offset": offset, "count": len(items)})

    wire.handler = page
    ids = [int(r.id) async for r in ns.records.list("customer", page_size=1000)]
    assert ids == list(range(1, 120_001))
    offsets = [(r.url.params.get("q"), int(r.url.params["offset"])) for r in wire.requests]
    assert offsets[:100] == [(None, off) for off in range(0, 100_000, 1000)]
    assert offsets[100:] == [("id GREATER 100000", off) for off in range(0, 21_000, 1000)] + [
        ("id GREATER 120000", 0)
    ]


# -- get_many -----------------------------------------------------------------------------------------------------


async def test_get_many_uses_the_batch_read_and_keeps_input_order(ns: NetSuiteClient, wire: Wire) -> None:
    def batch(request: httpx2.Request) -> httpx2.Response:
        assert request.url.params["expandRecords"] == "true"
        return httpx2.Response(
            200,
            json={
                "items": [
                    {"id": "2", "email": "two@x", "externalId": "E-2"},
                    {"id": "1", "email": "one@x"},
                ],
                "hasMore": False,
            },
        )

    wire.handler = batch
    out = await ns.records.get_many("customer", ["eid:E-2", 1, 3], fields=["email"])
    assert [r["email"] if r else None for r in out] == ["two@x", "one@x", None]
    assert len(wire.requests) == 1
    params = dict(wire.requests[0].url.params.multi_items())
    assert params == {"ids": "eid:E-2,1,3", "expandRecords": "true", "fields": "email,externalId"}


async def test_get_many_falls_back_to_gets_once_the_account_rejects_the_batch_read(
    ns: NetSuiteClient, wire: Wire
) -> None:
    def old_account(request: httpx2.Request) -> httpx2.Response:
        if "ids" in request.url.params:
            return httpx2.Response(
                400,
                json={
                    "o:errorDetails": [
                        {
                            "detail": "Invalid query parameter",
                            "o:errorCode": "INVALID_PARAMETER",
                            "o:errorQueryParam": "ids",
                        }
                    ]
                },
            )
        rid = request.url.path.rsplit("/", 1)[-1]
        if rid == "404":
            return httpx2.Response(404, json={"o:errorDetails": [{"detail": "gone", "o:errorCode": "NONEXISTENT_ID"}]})
        return httpx2.Response(200, json={"id": rid})

    wire.handler = old_account
    first = await ns.records.get_many("customer", [5, 404, 6])
    assert first == [{"id": "5"}, None, {"id": "6"}]
    batch_attempts = [r for r in wire.requests if "ids" in r.url.params]
    # Refused synchronously, then tried once as an asynchronous job (some accounts only serve it that way).
    assert [r.headers.get("prefer") for r in batch_attempts] == [None, "respond-async"]
    wire.requests.clear()
    second = await ns.records.get_many("customer", [7])
    assert second == [{"id": "7"}]
    assert [r.url.path for r in wire.requests] == ["/services/rest/record/v1/customer/7"]
    with pytest.raises(NotFoundError):
        await ns.records.get_many("customer", [7, 404], missing="raise")


async def test_get_many_of_nothing_sends_nothing(ns: NetSuiteClient, wire: Wire) -> None:
    assert await ns.records.get_many("customer", []) == []
    assert wire.requests == []


# -- RESTlets -----------------------------------------------------------------------------------------------------


async def test_restlet_call_puts_script_and_deploy_first_and_encodes_params(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(200, json={"ok": True})
    out = await ns.restlets.call("customscript_x", 1, params={"q": "a&b=c", "name": "Zoë 東京 +%", "n": 3})
    assert out == {"ok": True}
    sent = wire.requests[0]
    assert sent.url.path == "/app/site/hosting/restlet.nl"
    assert list(sent.url.params.multi_items()) == [
        ("script", "customscript_x"),
        ("deploy", "1"),
        ("q", "a&b=c"),
        ("name", "Zoë 東京 +%"),
        ("n", "3"),
    ]
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.content == b""


async def test_restlet_post_sends_exact_content_types(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(200, text="done", headers={"Content-Type": "text/plain"})
    assert await ns.restlets.call(12, "customdeploy1", method="post", json={"ü": [1]}) == "done"
    assert await ns.restlets.call(12, 1, method="PUT", text="plain ü") == "done"
    xml = await ns.restlets.call(12, 1, method="POST", text="<a/>", headers={"Content-Type": "application/xml"})
    assert xml == "done"
    assert [r.headers["Content-Type"] for r in wire.requests] == ["application/json", "text/plain", "application/xml"]
    assert json.loads(wire.requests[0].content) == {"ü": [1]}
    assert wire.requests[1].content == "plain ü".encode()


async def test_restlet_over_limit_is_retried_as_a_concurrency_signal(ns: NetSuiteClient, wire: Wire) -> None:
    answers = iter(
        [
            httpx2.Response(
                400, json={"error": {"code": "SSS_REQUEST_LIMIT_EXCEEDED", "message": "Request limit exceeded"}}
            ),
            httpx2.Response(200, json=[1, 2]),
        ]
    )
    wire.handler = lambda request: next(answers)
    assert await ns.restlets.call("customscript_x", 1, method="POST", json={}) == [1, 2]
    assert len(wire.requests) == 2


async def test_restlet_post_is_not_retried_after_a_5xx_unless_idempotent(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(502, text="bad gateway")
    with pytest.raises(WriteOutcomeUnknownError):
        await ns.restlets.call("customscript_x", 1, method="POST", json={})
    assert len(wire.requests) == 1
    answers = iter([httpx2.Response(502, text="bad gateway"), httpx2.Response(200, json={"ok": 1})])
    wire.handler = lambda request: next(answers)
    assert await ns.restlets.call("customscript_x", 1, method="POST", json={}, idempotent=True) == {"ok": 1}


async def test_restlet_empty_answer_is_none(ns: NetSuiteClient, wire: Wire) -> None:
    wire.handler = lambda request: httpx2.Response(204)
    assert await ns.restlets.call("customscript_x", 1, method="DELETE") is None


# -- metadata -----------------------------------------------------------------------------------------------------


async def test_metadata_requests_use_the_right_accept_headers_and_a_long_timeout(
    ns: NetSuiteClient, wire: Wire
) -> None:
    wire.handler = lambda request: httpx2.Response(200, json={"items": [{"name": "customer", "links": []}]})
    catalog = await ns.metadata.catalog()
    await ns.metadata.json_schema("customer")
    await ns.metadata.openapi(["customer", "salesOrder", "customer"])
    assert [c.name for c in catalog] == ["customer"]
    accepts = [r.headers["Accept"] for r in wire.requests]
    assert accepts == ["application/json", "application/schema+json", "application/swagger+json"]
    assert wire.requests[1].url.path == "/services/rest/record/v1/metadata-catalog/customer"
    assert list(wire.requests[2].url.params.multi_items()) == [("select", "customer,salesOrder")]
    assert all(r.extensions["timeout"]["read"] == 180.0 for r in wire.requests)


async def test_metadata_disk_cache_serves_repeat_calls_until_refresh(
    ns: NetSuiteClient, wire: Wire, tmp_path: Path
) -> None:
    wire.handler = lambda request: httpx2.Response(200, json={"type": "object", "n": len(wire.requests)})
    ns.metadata.enable_cache(tmp_path / "meta", ttl=3600)
    first = await ns.metadata.json_schema("customer")
    again = await ns.metadata.json_schema("customer")
    assert first == again == {"type": "object", "n": 1}
    assert len(wire.requests) == 1
    fresh = await ns.metadata.json_schema("customer", refresh=True)
    assert fresh["n"] == 2
    other = await ns.metadata.json_schema("salesOrder")
    assert other["n"] == 3
    files = list((tmp_path / "meta").iterdir())
    assert len(files) == 2
    assert all("token" not in f.read_text() for f in files)
