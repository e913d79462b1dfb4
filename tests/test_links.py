"""The one reader of links and URL ids (``netsuite_async/_links.py``, issue 16).

The odd inputs are the ones the readers it replaced each handled (trailing slashes, query strings, ``eid:`` ids,
absent or malformed links), and the library's users of it are checked end to end: a write's ``Location``, an
asynchronous job's ``Location`` and a job's task listing, read from the emulator.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from netsuite_async import NetSuiteClient
from netsuite_async._links import (
    is_id,
    job_id_in_location,
    job_path,
    last_segment,
    link_href,
    record_in_location,
    rest_path,
    task_id_in_href,
    url_path,
)
from netsuite_async.jobs import record_ref_from_location
from netsuite_async.models import RecordRef

PACKAGE = Path(__file__).resolve().parents[1] / "netsuite_async"
HOST = "https://1234567.suitetalk.api.netsuite.com/services/rest"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (f"{HOST}/record/v1/customer/647", ("customer", "647")),
        (f"{HOST}/record/v1/customer/647/", ("customer", "647")),
        (f"{HOST}/record/v1/customer/647?fields=id", ("customer", "647")),
        (f"{HOST}/record/v1/customer/647#top", ("customer", "647")),
        (f"{HOST}/record/v1/customrecord_x_1/9", ("customrecord_x_1", "9")),
        (f"{HOST}/record/v1/customer/eid:CUST-1", ("customer", "eid:CUST-1")),
        (f"{HOST}/record/v1/customer/eid:A%2FB", ("customer", "eid:A%2FB")),
        ("/services/rest/record/v1/invoice/12", ("invoice", "12")),
        (f"  {HOST}/record/v1/customer/5  ", ("customer", "5")),
        (f"{HOST}/record/v1/salesOrder/7/item/1", None),
        (f"{HOST}/record/v1/customer/647//", None),
        (f"{HOST}/record/v1/customer", None),
        (f"{HOST}/record/v1/1customer/7", None),
        (f"{HOST}/async/v1/job/7", None),
        ("https://x/?next=/record/v1/customer/7", None),
        ("http://[broken/record/v1/customer/7", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_record_in_location(location: Any, expected: tuple[str, str] | None) -> None:
    assert record_in_location(location) == expected


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (f"{HOST}/async/v1/job/15", "15"),
        (f"{HOST}/async/v1/job/15/", "15"),
        (f"{HOST}/async/v1/job/15?x=1", "15"),
        ("/services/rest/async/v1/job/a_b.c~-9", "a_b.c~-9"),
        (f"{HOST}/async/v1/job/15/task/1", None),
        (f"{HOST}/async/v1/job/", None),
        (f"{HOST}/async/v1/job/1%2F2", None),
        (f"{HOST}/record/v1/customer/15", None),
        (None, None),
        ("", None),
    ],
)
def test_job_id_in_location_and_job_path(location: Any, expected: str | None) -> None:
    assert job_id_in_location(location) == expected
    assert job_path(location) == (None if expected is None else f"/async/v1/job/{expected}")


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        (f"{HOST}/async/v1/job/15/task/5120", "5120"),
        (f"{HOST}/async/v1/job/15/task/1/", "1"),
        (f"{HOST}/async/v1/job/15/task/1?expand=true", "1"),
        (f"{HOST}/async/v1/job/15/task/1/result", None),
        (f"{HOST}/async/v1/job/15/task", None),
        (None, None),
    ],
)
def test_task_id_in_href(href: Any, expected: str | None) -> None:
    assert task_id_in_href(href) == expected


@pytest.mark.parametrize(
    ("doc", "rel", "expected"),
    [
        ({"links": [{"rel": "self", "href": "/a"}]}, "self", "/a"),
        ({"links": [{"rel": "next", "href": "/n"}, {"rel": "self", "href": "/s"}]}, "self", "/s"),
        ({"links": [{"rel": "self", "href": "/first"}, {"rel": "self", "href": "/second"}]}, "self", "/first"),
        ({"links": [{"rel": "self", "href": 7}, {"rel": "self", "href": "/text"}]}, "self", "/text"),
        ({"links": [{"rel": "related", "href": "/r"}]}, "related", "/r"),
        ({"links": [{"rel": "related", "href": "/r"}]}, "self", None),
        ({"links": [{"rel": "self"}]}, "self", None),
        ({"links": ["self", None, 3]}, "self", None),
        ({"links": "self"}, "self", None),
        ({"links": {"rel": "self", "href": "/a"}}, "self", None),
        ({"links": 5}, "self", None),
        ({"links": None}, "self", None),
        ({}, "self", None),
        (None, "self", None),
        ("links", "self", None),
    ],
)
def test_link_href(doc: Any, rel: str, expected: str | None) -> None:
    assert link_href(doc, rel) == expected


def test_the_small_readers() -> None:
    assert last_segment(f"{HOST}/record/v1/salesOrder/7/item/2/?x=1") == "2"
    assert last_segment("https://x/") is None
    assert last_segment("") is None
    assert url_path(f"{HOST}/record/v1/customer/7?x=1#y") == "/services/rest/record/v1/customer/7"
    assert url_path("   ") is None
    assert rest_path(f"{HOST}/async/v1/job/1/task/1") == "/async/v1/job/1/task/1"
    assert rest_path("/async/v1/job/1") == "/async/v1/job/1"
    assert [is_id(t) for t in ("1", "abc_.~-", "", "1/2", "1 2", "é")] == [True, True, False, False, False, False]
    with pytest.raises(TypeError):
        is_id(7)  # type: ignore[arg-type]


def test_the_public_location_readers_agree() -> None:
    loc = f"{HOST}/record/v1/customer/eid:CUST-1/"
    ref = record_ref_from_location(loc)
    assert ref == RecordRef(type="customer", id="eid:CUST-1", url=loc)
    assert RecordRef.from_location("ignored", loc) == ref
    assert record_ref_from_location(None) is None
    assert record_ref_from_location(f"{HOST}/async/v1/job/7") is None
    # from_location keeps its reading of URLs outside /record/v1 (last segment = id, the one before = type).
    assert RecordRef.from_location("customer", "https://x/7") == RecordRef(type="customer", id="7", url="https://x/7")
    assert RecordRef.from_location("customer", "https://x/thing/7/?q=1").type == "thing"
    with pytest.raises(ValueError, match="cannot read a record id"):
        RecordRef.from_location("customer", "https://x/")


# -- the library reads NetSuite's URLs only here ------------------------------------------------------------------


def _library_modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "testing" not in p.relative_to(PACKAGE).parts]


def _strings(path: Path) -> list[str]:
    return [n.value for n in ast.walk(ast.parse(path.read_text("utf-8"))) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


def test_no_other_module_of_the_library_parses_links_or_url_ids() -> None:
    # The patterns of the readers that were copied before issue 16: a job, task or record id regex, and the
    # walk over links comparing rel to "self".
    patterns = ("/async/v1/job/([", "/task/([", "/record/v1/([", "[A-Za-z0-9_.~-]+")
    offenders = []
    for path in _library_modules():
        if path.name == "_links.py":
            continue
        source = path.read_text("utf-8")
        offenders += [f"{path.name}: {s!r}" for s in _strings(path) if any(p in s for p in patterns)]
        if 'get("rel") ==' in source or "get('rel') ==" in source:
            offenders.append(f"{path.name}: compares a link's rel")
    assert offenders == []


def test_the_emulator_does_not_use_the_clients_readers() -> None:
    users = [p.name for p in sorted((PACKAGE / "testing").rglob("*.py")) if "_links" in p.read_text("utf-8")]
    assert users == []


# -- end to end, against the emulator ------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.netsuite_emulator(seed={"customers": 1})
async def test_a_create_and_an_async_job_are_read_through_the_shared_readers(
    netsuite_client: NetSuiteClient,
) -> None:
    ns = netsuite_client
    ref = await ns.records.create("customer", {"companyName": "New"})
    assert ref.type == "customer"
    assert ref.id.isdigit()
    assert ref.url is not None
    assert record_in_location(ref.url) == ("customer", ref.id)
    upserted = await ns.records.upsert("customer", "CUST-9", {"companyName": "Upserted"})
    assert upserted.type == "customer"
    assert upserted.id.isdigit()
    job = await ns.jobs.submit("POST", "/record/v1/customer", json={"companyName": "Later"})
    assert job_id_in_location(f"{HOST}{job.path}") == job.id
    tasks = await job.task_ids()
    assert len(tasks) == 1
    assert is_id(tasks[0])
    result = await job.wait(deadline=60)
    assert result.ref is not None
    assert result.ref.type == "customer"
    assert (await ns.records.get("customer", result.ref.id))["companyName"] == "Later"
