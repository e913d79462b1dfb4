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
import hashlib
import json as _json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import BaseModel

from netsuite_async._checks import is_int
from netsuite_async._limits import MAX_PAGE_SIZE, MAX_PAGES, ROW_CAP
from netsuite_async._links import last_segment, link_href, record_in_location
from netsuite_async.errors import (
    NetSuiteError,
)
from netsuite_async.identifiers import (
    EXTERNAL_ID_PREFIX,
    RecordId,
    external_id_segment,
    record_path,
    validate_field_name,
    validate_field_names,
    validate_internal_id,
    validate_record_type,
)
from netsuite_async.models import RecordListPage, RecordRef
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
# Helpers
# ----------------------------------------------------------------------------------------------------------


def body_sha256(body: Mapping[str, Any] | None) -> str:
    """SHA-256 of a request body in canonical JSON (sorted keys, no spaces, UTF-8), as put on write errors.

    Log this next to your writes to tell, after a `WriteOutcomeUnknownError`,
    whether a record came from a given request.

    Examples:

        >>> body_sha256({"b": 1, "a": "x"}) == body_sha256({"a": "x", "b": 1})
        True
    """
    canonical = _json.dumps(body or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_body(body: object, what: str = "body") -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise TypeError(f"{what} must be a mapping (the record's fields), not {type(body).__name__}")
    return body


def _ref_from_response(response: Response, operation: str) -> RecordRef:
    location = response.headers.get("location")
    if not location:
        raise NetSuiteError(f"{operation} succeeded (HTTP {response.status_code}) but NetSuite sent no Location")
    found = record_in_location(location)
    if found is None:
        raise NetSuiteError(f"{operation}: cannot read a record id from Location {location!r}")
    return RecordRef(type=found[0], id=found[1], url=location)


# ----------------------------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------------------------


class Records(_ManyReads):
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

    # -- writes ----------------------------------------------------------------------------------------------

    @traced("records.create", type_arg=0)
    async def create(
        self,
        record_type: str,
        body: Mapping[str, Any],
        *,
        property_name_validation: PropertyNameValidation | str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RecordRef:
        """Create a record (``POST /record/v1/{type}``); returns its `RecordRef` from ``Location``.

        A create is never retried once it may have reached NetSuite (NetSuite ignores idempotency keys on
        synchronous requests): such a failure raises
        `WriteOutcomeUnknownError` whose ``context`` holds ``record_type``,
        ``body_sha256`` (see `body_sha256`) and the body's ``externalId`` when it has one. Give records
        an ``externalId`` and use `upsert` when you need safe retries.

        Examples:
            ```python
            ref = await ns.records.create("customer", {"companyName": "Acme", "externalId": "CUST-1"})
            print(ref.id)
            ```
        """
        path = record_path(record_type)
        payload = _check_body(body)
        response = await self._send(
            RequestSpec(
                method="POST",
                path=path,
                json=dict(payload),
                headers=self._headers(property_name_validation),
                idempotent=False,
                write_context=_write_context(record_type, payload),
            )
        )
        return _ref_from_response(response, f"create {record_type}")

    @traced("records.update", type_arg=0)
    async def update(
        self,
        record_type: str,
        record_id: RecordId | None,
        body: Mapping[str, Any],
        *,
        external_id: str | None = None,
        replace: Sequence[str] | None = None,
        replace_selected_fields: bool = False,
        property_name_validation: PropertyNameValidation | str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Update fields of a record (``PATCH``); omitted fields stay as they are, ``None`` clears a field.

        ``replace`` names sublists whose lines are replaced instead of merged;
        ``replace_selected_fields=True`` makes ``replace`` apply to the listed body fields too.

        Examples:
            ```python
            await ns.records.update("customer", 107, {"email": "ap@acme.example"})
            await ns.records.update("salesOrder", 7, {"item": {"items": [...]}}, replace=["item"])
            ```
        """
        path = record_path(record_type, self._target(record_id, external_id))
        payload = _check_body(body)
        params: list[tuple[str, str]] = []
        if replace is not None:
            params.append(("replace", ",".join(validate_field_names(replace, what="replace name"))))
        if replace_selected_fields:
            params.append(("replaceSelectedFields", "true"))
        await self._send(
            RequestSpec(
                method="PATCH",
                path=path,
                params=params or None,
                json=dict(payload),
                headers=self._headers(property_name_validation),
            )
        )

    @traced("records.upsert", type_arg=0)
    async def upsert(
        self,
        record_type: str,
        external_id: str,
        body: Mapping[str, Any],
        *,
        property_name_validation: PropertyNameValidation | str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RecordRef:
        """Create or update the record with this external id (``PUT /record/v1/{type}/eid:{external id}``).

        ``external_id`` is the bare value (``"CUST-1"``); a leading ``"eid:"`` is taken as the prefix and
        removed. A PUT can be repeated safely, so the transport retries it like any idempotent request.

        Examples:
            ```python
            ref = await ns.records.upsert("customer", "CUST-1", {"companyName": "Acme"})
            ```
        """
        path = record_path(record_type) + "/" + external_id_segment(_strip_eid(external_id))
        payload = _check_body(body)
        response = await self._send(
            RequestSpec(
                method="PUT",
                path=path,
                json=dict(payload),
                headers=self._headers(property_name_validation),
            )
        )
        return _ref_from_response(response, f"upsert {record_type}")

    @traced("records.delete", type_arg=0)
    async def delete(
        self,
        record_type: str,
        record_id: RecordId | None = None,
        *,
        external_id: str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete a record (``DELETE /record/v1/{type}/{id}``).

        Examples:
            ```python
            await ns.records.delete("customer", 107)
            await ns.records.delete("customer", external_id="CUST-1")
            ```
        """
        path = record_path(record_type, self._target(record_id, external_id))
        await self._send(RequestSpec(method="DELETE", path=path, headers=self._headers(None)))

    @traced("records.transform", type_arg=0)
    async def transform(
        self,
        record_type: str,
        record_id: RecordId,
        target_type: str,
        body: Mapping[str, Any] | None = None,
        *,
        property_name_validation: PropertyNameValidation | str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RecordRef:
        """Transform a record into another type (``POST /{type}/{id}/!transform/{target}``).

        For example a sales order into an invoice or an item fulfillment.

        Like `create`, never retried once it may have reached NetSuite
        (`WriteOutcomeUnknownError` carries ``record_type``, ``source`` and
        ``body_sha256``).

        Examples:
            ```python
            invoice = await ns.records.transform("salesOrder", 7, "invoice")
            ```
        """
        validate_record_type(target_type)
        path = f"{record_path(record_type, record_id)}/!transform/{target_type}"
        payload = dict(_check_body(body)) if body is not None else {}
        context = _write_context(target_type, payload)
        context["source"] = f"{record_type}/{record_id}"
        response = await self._send(
            RequestSpec(
                method="POST",
                path=path,
                json=payload,
                headers=self._headers(property_name_validation),
                idempotent=False,
                write_context=context,
            )
        )
        return _ref_from_response(response, f"transform {record_type} to {target_type}")

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


def _strip_eid(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"external id must be a str, not {type(value).__name__}")
    return value[len(EXTERNAL_ID_PREFIX) :] if value.startswith(EXTERNAL_ID_PREFIX) else value


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


def _write_context(record_type: str, body: Mapping[str, Any]) -> dict[str, str]:
    context = {"record_type": record_type, "body_sha256": body_sha256(body)}
    external = body.get("externalId")
    if isinstance(external, str | int):
        context["external_id"] = str(external)
    return context

