"""Specification of the emulator's SuiteQL endpoint: NetSuite's answer shape, strictness and the Oracle subset."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from netsuite_async.testing._emulator import Emulator, EmulatorConfig
from netsuite_async.testing._metadata import lookup
from netsuite_async.testing._suiteql import SuiteQLError, translate

pytestmark = pytest.mark.anyio

URL = "http://emulator.test/services/rest/query/v1/suiteql"


def make_emu(**config: Any) -> Emulator:
    emu = Emulator(EmulatorConfig(**config))
    emu.store.bulk_insert(lookup("customer"), [
        {"id": i, "companyName": f"C{i}", "email": None if i == 2 else f"c{i}@x.test", "isInactive": i == 3,
         "dateCreated": f"2024-01-0{i}T10:00:00.000Z", "lastModifiedDate": f"2024-02-0{i}T10:00:00.500Z"}
        for i in range(1, 6)
    ])
    return emu


async def post(emu: Emulator, q: str, *, params: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None) -> httpx2.Response:
    h = {"Authorization": f"Bearer {emu.credentials.static_token}", "Prefer": "transient"}
    h.update(headers or {})
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=emu.app)) as http:
        return await http.post(URL, params=params or {}, json={"q": q}, headers=h)


async def test_answer_has_netsuites_shape_with_string_values_and_null_columns_left_out() -> None:
    emu = make_emu()
    resp = await post(emu, "SELECT id, email, isInactive FROM customer ORDER BY id", params={"limit": 2,
                      "offset": 2})
    body = resp.json()
    assert resp.status_code == 200
    assert body["count"] == 2
    assert body["hasMore"] is True
    assert body["offset"] == 2
    assert body["totalResults"] == 5
    assert body["items"] == [{"links": [], "id": "3", "email": "c3@x.test", "isinactive": "T"},
                             {"links": [], "id": "4", "email": "c4@x.test", "isinactive": "F"}]
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["next"].endswith("limit=2&offset=4")
    assert rels["previous"].endswith("limit=2&offset=0")
    assert rels["last"].endswith("limit=2&offset=4")


@pytest.mark.parametrize(
    ("params", "headers", "q", "code"),
    [
        ({}, {"Prefer": ""}, "SELECT id FROM customer", "INVALID_HEADER"),
        ({"limit": 1001}, {}, "SELECT id FROM customer", "INVALID_PARAMETER"),
        ({"limit": 0}, {}, "SELECT id FROM customer", "INVALID_PARAMETER"),
        ({"limit": 10, "offset": 5}, {}, "SELECT id FROM customer", "INVALID_PARAMETER"),
        ({"limit": 1000, "offset": 99_001}, {}, "SELECT id FROM customer", "INVALID_PARAMETER"),
        ({"limit": "x"}, {}, "SELECT id FROM customer", "INVALID_PARAMETER"),
        ({}, {}, "DELETE FROM customer", "INVALID_PARAMETER"),
        ({}, {}, "SELECT id FROM customer; DROP TABLE customer", "INVALID_PARAMETER"),
        ({}, {}, "SELECT id FROM nosuchtable", "INVALID_PARAMETER"),
        ({}, {}, "SELECT id FROM customer WHERE id = ?", "INVALID_PARAMETER"),
    ],
)
async def test_invalid_requests_get_netsuites_error_document(
    params: dict[str, Any], headers: dict[str, str], q: str, code: str
) -> None:
    emu = make_emu()
    resp = await post(emu, q, params=params, headers=headers)
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith("application/vnd.oracle.resource+json; type=error")
    assert resp.json()["o:errorDetails"][0]["o:errorCode"] == code
    count = emu.store.connection.execute("SELECT COUNT(*) FROM customer").fetchone()[0]
    assert count == 5


async def test_offset_plus_limit_up_to_the_configured_cap_is_allowed() -> None:
    emu = make_emu(max_results=10)
    assert (await post(emu, "SELECT id FROM customer", params={"limit": 5, "offset": 5})).status_code == 200
    assert (await post(emu, "SELECT id FROM customer", params={"limit": 5, "offset": 10})).status_code == 400


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("SELECT NVL(email, 'none') AS e FROM customer WHERE id = 2", [{"e": "none"}]),
        ("SELECT NVL2(email, 'y', 'n') AS e FROM customer WHERE id = 2", [{"e": "n"}]),
        ("SELECT DECODE(isinactive, 'T', 'off', 'on') AS s FROM customer WHERE id IN (2, 3) ORDER BY id",
         [{"s": "on"}, {"s": "off"}]),
        ("SELECT companyname || '-' || id AS x FROM customer WHERE id = 1", [{"x": "C1-1"}]),
        ("SELECT TO_CHAR(datecreated, 'YYYY-MM-DD') AS d FROM customer WHERE id = 4", [{"d": "2024-01-04"}]),
        ("SELECT id FROM customer WHERE datecreated >= TO_DATE('01/04/2024', 'MM/DD/YYYY') ORDER BY id",
         [{"id": "4"}, {"id": "5"}]),
        ("SELECT id FROM customer WHERE lastmodifieddate < TO_TIMESTAMP('2024-02-02 10:00:01', "
         "'YYYY-MM-DD HH24:MI:SS') ORDER BY id", [{"id": "1"}, {"id": "2"}]),
        ("SELECT id FROM customer ORDER BY id FETCH FIRST 2 ROWS ONLY", [{"id": "1"}, {"id": "2"}]),
        ("SELECT id FROM customer ORDER BY id OFFSET 3 ROWS FETCH NEXT 1 ROWS ONLY", [{"id": "4"}]),
        ("SELECT * FROM (SELECT id FROM customer ORDER BY id DESC) WHERE ROWNUM <= 2", [{"id": "5"}, {"id": "4"}]),
        ("SELECT BUILTIN.DF(isinactive) AS f FROM customer WHERE id = 3", [{"f": "T"}]),
        ("SELECT 1 AS one FROM dual", [{"one": "1"}]),
        ("SELECT id FROM customer WHERE id < 3 MINUS SELECT id FROM customer WHERE id = 1", [{"id": "2"}]),
        ("SELECT q'[it's]' AS t FROM dual", [{"t": "it's"}]),
        ("SELECT TO_NUMBER('12.5') * 2 AS n FROM dual", [{"n": "25"}]),
    ],
)
async def test_the_oracle_subset_runs_like_suiteql(q: str, expected: list[dict[str, str]]) -> None:
    emu = make_emu()
    resp = await post(emu, q)
    assert resp.status_code == 200, resp.text
    assert [{k: v for k, v in item.items() if k != "links"} for item in resp.json()["items"]] == expected


@pytest.mark.parametrize(
    ("q", "lacking"),
    [
        ("SELECT c.id FROM customer c, entity e WHERE c.id = e.id(+)", "(+)"),
        ("SELECT id FROM customer START WITH id = 1 CONNECT BY PRIOR id = id", "hierarchical"),
        ("SELECT BUILTIN.CONSOLIDATE(id) FROM customer", "BUILTIN.CONSOLIDATE"),
        ("SELECT id FROM customer WHERE ROWNUM <= 2 ORDER BY id", "ROWNUM"),
        ("SELECT REGEXP_SUBSTR(email, 'x') FROM customer", "REGEXP_SUBSTR"),
    ],
)
def test_unsupported_syntax_names_what_the_emulator_lacks(q: str, lacking: str) -> None:
    emu = make_emu()
    from netsuite_async.testing._suiteql import install_functions, run_query

    install_functions(emu.store.connection)
    with pytest.raises(SuiteQLError, match=lacking.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        run_query(emu.store.connection, q, 10, 0)


def test_translation_leaves_string_literals_alone() -> None:
    assert translate("SELECT 'FROM dual MINUS' AS x FROM dual") == "SELECT 'FROM dual MINUS' AS x "


async def test_the_transaction_view_is_reachable_by_its_suiteql_name() -> None:
    emu = make_emu()
    resp = await post(emu, "SELECT COUNT(*) AS n FROM transaction")
    assert resp.status_code == 200, resp.text
    assert resp.json()["items"][0]["n"] == "0"
