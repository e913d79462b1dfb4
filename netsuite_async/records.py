"""The record service (``/services/rest/record/v1``): ``client.records``.

A thin namespace: each method validates its identifiers, builds one
`RequestSpec` and parses the answer. Retries, the concurrency governor and
signing all live in the transport.

Examples:
    ```python
    async with NetSuiteClient(account="1234567_SB1", auth=auth) as ns:
        ref = await ns.records.create("customer", {"companyName": "Acme", "subsidiary": {"id": "1"}})
        cust = await ns.records.get("customer", ref.id, fields=["companyName", "email"])
        await ns.records.update("customer", ref.id, {"email": "ap@acme.example"})
        async for item in ns.records.list("customer", q=Q("email").start_with("ap@")):
            print(item.id)
    ```
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import BaseModel

from netsuite_async._checks import is_int
from netsuite_async._limits import MAX_PAGE_SIZE, MAX_PAGES, ROW_CAP
from netsuite_async._links import last_segment, link_href
from netsuite_async.errors import (
    NetSuiteError,
)
from netsuite_async.identifiers import (
    EXTERNAL_ID_PREFIX,
    RecordId,
    record_path,
    validate_field_name,
    validate_field_names,
    validate_internal_id,
    validate_record_type,
)
from netsuite_async.models import RecordListPage
from netsuite_async.records_list import RecordList
from netsuite_async.records_many import _Learned, _ManyReads, _run_pool
from netsuite_async.records_q import (
    DATE_FORMATS,
    Q,
    _q_text,
    check_date_format,
    format_q_date,
    where,
)
from netsuite_async.records_q import (
    OPERATORS as OPERATORS,
)
from netsuite_async.records_q import (
    QValue as QValue,
)
from netsuite_async.records_writes import _strip_eid, _Writes
from netsuite_async.records_writes import body_sha256 as body_sha256
from netsuite_async.telemetry import traced, traced_iter
from netsuite_async.transport import RequestSpec

if TYPE_CHECKING:
    from netsuite_async._http import Response
    from netsuite_async.jobs import Jobs
    from netsuite_async.transport import Transport

__all__ = [
    "DATE_FORMATS",
    "PropertyNameValidation",
    "Q",
    "RecordList",
    "Records",
    "check_date_format",
    "format_q_date",
    "where",
]

M = TypeVar("M", bound=BaseModel)

_MAX_PAGE_SIZE = MAX_PAGE_SIZE
# NetSuite caps a record collection at 100,000 results, and lists at most 1,000 pages of it; a page beyond either
# is never requested: the list continues with an id filter instead.
_MAX_RESULTS = ROW_CAP
_MAX_PAGES = MAX_PAGES


class PropertyNameValidation(str, enum.Enum):
    """Value of the ``X-NetSuite-PropertyNameValidation`` header: what NetSuite does with unknown field names.

    Set it for every request of a client (``NetSuiteClient(property_name_validation=...)``) or per call
    (``records.create(..., property_name_validation=PropertyNameValidation.ERROR)``); the per-call value wins.

    Examples:

        >>> PropertyNameValidation("Warning") is PropertyNameValidation.WARNING
        True
    """

    ERROR = "Error"
    WARNING = "Warning"
    IGNORE = "Ignore"


# ----------------------------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------------------------


class Records(_ManyReads, _Writes):
    """``client.records``: read, write, list and transform records.

    Every identifier is validated before a request is sent: an internal id is a positive integer (``7`` or
    ``"7"``), an external id is written ``"eid:VALUE"`` (or passed as ``external_id=``) and percent-encoded,
    and record types, field and sublist names are identifiers. Anything else raises `ValueError`.

    Every method also takes ``timeout=`` (the per-attempt read timeout in seconds) and ``headers=`` (merged over
    the client's default headers) for every request that call sends (docs/observability.md, "Per-call options").

    Examples:
        ```python
        ref = await ns.records.create("customer", {"companyName": "Acme"})
        await ns.records.get("customer", "eid:ACME-1", fields=["email"])
        ```
    """

    #: Records one listing can page through by offset (NetSuite: 100,000). Lower it to match an emulator
    #: configured with a smaller ``max_results``.
    row_cap: int = _MAX_RESULTS
    #: Pages NetSuite lists of one collection (1,000): with a page size under 100 this binds before the cap.
    max_pages: int = _MAX_PAGES

    def __init__(
        self,
        transport: Transport,
        jobs: Jobs,
        *,
        property_name_validation: PropertyNameValidation | str | None = None,
        date_format: str | None = None,
    ) -> None:
        self._transport = transport
        self._jobs = jobs
        #: ``X-NetSuite-PropertyNameValidation`` sent when a call passes none (the client's setting).
        self.property_name_validation = property_name_validation
        #: The account's date format for ``q`` dates (the client's ``date_format``).
        self.date_format = date_format
        # What get_many() learns about the account (shared with the copies per-call options make).
        self._learned = _Learned()

    # -- plumbing --------------------------------------------------------------------------------------------

    def _headers(self, property_name_validation: PropertyNameValidation | str | None) -> dict[str, str]:
        value = property_name_validation
        if value is None:
            value = self.property_name_validation
        if value is None:
            return {}
        return {"X-NetSuite-PropertyNameValidation": PropertyNameValidation(value).value}

    async def _send(self, spec: RequestSpec) -> Response:
        return await self._transport.send(spec)

    @staticmethod
    def _target(record_id: RecordId | None, external_id: str | None) -> RecordId:
        if external_id is not None:
            if record_id is not None:
                raise TypeError("pass either a record id or external_id=, not both")
            return EXTERNAL_ID_PREFIX + _strip_eid(external_id)
        if record_id is None:
            raise TypeError("a record id (or external_id=) is required")
        return record_id

    # -- reads -----------------------------------------------------------------------------------------------

    @overload
    async def get(
        self,
        record_type: str,
        record_id: RecordId | None = ...,
        *,
        external_id: str | None = ...,
        fields: Sequence[str] | None = ...,
        expand_sub_resources: bool = ...,
        simple_enum_format: bool = ...,
        model: None = ...,
        property_name_validation: PropertyNameValidation | str | None = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> dict[str, Any]: ...

    @overload
    async def get(
        self,
        record_type: str,
        record_id: RecordId | None = ...,
        *,
        external_id: str | None = ...,
        fields: Sequence[str] | None = ...,
        expand_sub_resources: bool = ...,
        simple_enum_format: bool = ...,
        model: type[M],
        property_name_validation: PropertyNameValidation | str | None = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> M: ...

    @traced("records.get", type_arg=0)
    async def get(
        self,
        record_type: str,
        record_id: RecordId | None = None,
        *,
        external_id: str | None = None,
        fields: Sequence[str] | None = None,
        expand_sub_resources: bool = False,
        simple_enum_format: bool = False,
        model: type[BaseModel] | None = None,
        property_name_validation: PropertyNameValidation | str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Read one record (``GET /record/v1/{type}/{id}``) as a dict, or as ``model`` when given.

        Raises `NotFoundError` when there is no such record.

        Examples:
            ```python
            cust = await ns.records.get("customer", 107, fields=["email", "companyName"])
            same = await ns.records.get("customer", external_id="CUST-107")
            order = await ns.records.get("salesOrder", 7, expand_sub_resources=True, model=SalesOrder)
            ```
        """
        path = record_path(record_type, self._target(record_id, external_id))
        params = _read_params(fields, expand_sub_resources, simple_enum_format)
        response = await self._send(
            RequestSpec(method="GET", path=path, params=params, headers=self._headers(property_name_validation))
        )
        data = response.json()
        if model is not None:
            return model.model_validate(data)
        return dict(data)

    # -- sub-resources ---------------------------------------------------------------------------------------

    @traced("records.sublist", type_arg=0)
    async def sublist(
        self,
        record_type: str,
        record_id: RecordId,
        name: str,
        *,
        expand: bool = True,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Read the lines of a sublist (``GET /record/v1/salesOrder/1/item``), in order.

        With ``expand=True`` (default) every line comes with its fields: when NetSuite lists a line by its links
        only, that line is read from its own URL (``…/item/1``), concurrently under the governor. With
        ``expand=False`` lines are returned as NetSuite lists them.

        Examples:
            ```python
            lines = await ns.records.sublist("salesOrder", 7, "item")
            total = sum(line["amount"] for line in lines)
            ```
        """
        path = record_path(record_type, record_id, validate_field_name(name, what="sublist name"))
        response = await self._send(RequestSpec(method="GET", path=path, headers=self._headers(None)))
        data = response.json()
        items = data.get("items") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise NetSuiteError(f"sublist {name!r} of {record_type} {record_id!r} answered without an items list")
        lines = [dict(line) for line in items if isinstance(line, Mapping)]
        if not expand:
            return lines
        bare = [i for i, line in enumerate(lines) if set(line) <= {"links"} and _line_number(line) is not None]

        def read_line(index: int) -> Any:
            async def run() -> None:
                lines[index] = await self.sub_resource(record_type, record_id, name, _line_number(lines[index]))

            return run

        await _run_pool([read_line(i) for i in bare])
        return lines

    @traced("records.sub_resource", type_arg=0)
    async def sub_resource(
        self,
        record_type: str,
        record_id: RecordId,
        name: str,
        line: int | str | None = None,
        *,
        simple_enum_format: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Read a sub-resource or one sublist line: ``/salesOrder/1/item/2``, ``/employee/107/subsidiary``.

        Examples:
            ```python
            line = await ns.records.sub_resource("salesOrder", 7, "item", 1)
            sub = await ns.records.sub_resource("employee", 107, "subsidiary")
            ```
        """
        validate_field_name(name, what="sub-resource name")
        parts: list[str | int] = [name] if line is None else [name, validate_internal_id(line)]
        path = record_path(record_type, record_id, *parts)
        params = _read_params(None, False, simple_enum_format)
        response = await self._send(RequestSpec(method="GET", path=path, params=params, headers=self._headers(None)))
        return dict(response.json())

    @traced_iter("records.list", type_arg=0)
    def list(
        self,
        record_type: str,
        *,
        q: Q | str | None = None,
        page_size: int = _MAX_PAGE_SIZE,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RecordList:
        """List a record type's ids: ``async for`` gives every `RecordRef`, ``await`` the first page.

        Pages are read at offsets 0, ``page_size``, 2×``page_size`` … (NetSuite wants offsets that are a
        multiple of the limit); no page is read twice or skipped. NetSuite lists at most 100,000 records and
        1,000 pages by offset, and whether ``totalResults`` and ``hasMore`` say so at that point is not
        documented, so a listing that reaches either limit (or ends on a full page, or is refused or cut short
        while NetSuite said more) continues by keyset: the same filter with ``id GREATER <last id>``, from
        offset 0. A listing that cannot continue (its ids were not in increasing order, or NetSuite refused the
        combined filter) raises `RecordListCapError` instead of ending short.
        ``q`` is a `Q` (safe) or a raw filter string (sent as is; it is wrapped in parentheses when
        combined with the id filter).

        Examples:
            ```python
            first_page = await ns.records.list("customer", page_size=100)
            async for ref in ns.records.list("customer", q=Q("email").end_with("@acme.example")):
                print(ref.id)
            ```
        """
        validate_record_type(record_type)
        if not is_int(page_size):
            raise TypeError(f"page_size must be an int, not {type(page_size).__name__}")
        if not 1 <= page_size <= _MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {_MAX_PAGE_SIZE}, not {page_size}")
        return RecordList(self, record_type, _q_text(q, self.date_format), page_size)

    async def _list_page(self, record_type: str, q: str | None, limit: int, offset: int) -> RecordListPage:
        params: list[tuple[str, str | int]] = [("limit", limit), ("offset", offset)]
        if q is not None:
            params.append(("q", q))
        response = await self._send(
            RequestSpec(method="GET", path=record_path(record_type), params=params, headers=self._headers(None))
        )
        data = response.json()
        if not isinstance(data, Mapping):
            raise NetSuiteError(f"listing {record_type!r} answered {type(data).__name__}, not an object")
        # NetSuite lists {links, id} only; the type is known from the request and the URL from the self link.
        items = [
            {"type": record_type, "url": link_href(item, "self"), **item}
            for item in data.get("items") or []
            if isinstance(item, Mapping)
        ]
        return RecordListPage.model_validate({**data, "items": items, "record_type": record_type})


# ----------------------------------------------------------------------------------------------------------
# module helpers
# ----------------------------------------------------------------------------------------------------------


def _line_number(line: Mapping[str, Any]) -> str | None:
    last = last_segment(link_href(line, "self"))
    return last if last is not None and last.isdigit() and last.isascii() else None


def _read_params(
    fields: Sequence[str] | None, expand_sub_resources: bool, simple_enum_format: bool
) -> list[tuple[str, str]] | None:
    params: list[tuple[str, str]] = []
    if fields is not None:
        params.append(("fields", ",".join(validate_field_names(fields))))
    if expand_sub_resources:
        params.append(("expandSubResources", "true"))
    if simple_enum_format:
        params.append(("simpleEnumFormat", "true"))
    return params or None
