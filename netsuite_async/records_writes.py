"""Writing records: ``create``, ``update``, ``upsert``, ``delete`` and ``transform`` of ``client.records``.

`_Writes` is a part of `Records` (one of its bases, like ``records_many._ManyReads``); it is kept here so that
the record service reads as one concern per file (issue 16). ``records.py`` re-exports `body_sha256`.

Examples:
    >>> _write_context("customer", {"externalId": "CUST-1"})["external_id"]
    'CUST-1'
"""

from __future__ import annotations

import hashlib
import json as _json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from netsuite_async._links import record_in_location
from netsuite_async.errors import NetSuiteError
from netsuite_async.identifiers import (
    EXTERNAL_ID_PREFIX,
    RecordId,
    external_id_segment,
    record_path,
    validate_field_names,
    validate_record_type,
)
from netsuite_async.models import RecordRef
from netsuite_async.telemetry import traced
from netsuite_async.transport import RequestSpec

if TYPE_CHECKING:
    from netsuite_async._http import Response
    from netsuite_async.records import PropertyNameValidation

__all__ = ["body_sha256"]


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


def _strip_eid(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"external id must be a str, not {type(value).__name__}")
    return value[len(EXTERNAL_ID_PREFIX) :] if value.startswith(EXTERNAL_ID_PREFIX) else value


def _write_context(record_type: str, body: Mapping[str, Any]) -> dict[str, str]:
    context = {"record_type": record_type, "body_sha256": body_sha256(body)}
    external = body.get("externalId")
    if isinstance(external, str | int):
        context["external_id"] = str(external)
    return context


class _Writes:
    """The write methods of `Records` (see the module docstring)."""

    if TYPE_CHECKING:  # defined by Records

        def _headers(self, property_name_validation: PropertyNameValidation | str | None) -> dict[str, str]: ...

        async def _send(self, spec: RequestSpec) -> Response: ...

        @staticmethod
        def _target(record_id: RecordId | None, external_id: str | None) -> RecordId: ...

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
