"""A batch's items: each input item validated and turned into its request forms (`_Item`, `_prepare`) before
any request, and the checkpoint form of an item's definite refusal (`_stored`, `_error_from_stored`).

Split from `netsuite_async.batch_engine`, which sends what is prepared here; ``batch.py`` prepares every item
first, so bad input fails with a typed error before anything is sent.

Examples:
    >>> item = _prepare("upsert", "customer", 0, {"externalId": "C-1", "companyName": "ACME"})
    >>> item.single_path, item.single_body
    ('/record/v1/customer/eid:C-1', {'companyName': 'ACME'})
    >>> _prepare("delete", "customer", 1, 42).delete_id
    '42'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from netsuite_async._jsonbody import encode_json_body
from netsuite_async.batch_checkpoint import StoredError
from netsuite_async.errors import APIError, NetSuiteError, error_for_status
from netsuite_async.identifiers import (
    EXTERNAL_ID_PREFIX,
    ids_param,
    is_external_id,
    record_path,
    validate_internal_id,
)

#: The batch operations (``batch_engine`` re-exports both names).
Operation = Literal["create", "update", "upsert", "delete"]
OPERATIONS: tuple[Operation, ...] = ("create", "update", "upsert", "delete")


@dataclass(frozen=True)
class _Item:
    """One input item, validated and turned into its request forms."""

    index: int
    single_path: str
    single_body: dict[str, Any] | None
    collection_item: dict[str, Any] | None
    delete_id: str | None
    known_id: str | None
    external_id: str | None = None
    """The item's external id when it has one: how a record NetSuite did not name is found."""


def _prepare(op: Operation, record_type: str, index: int, item: Any) -> _Item:
    where = f"item {index}"
    if op == "delete":
        return _prepare_delete(record_type, index, item)
    if not isinstance(item, Mapping):
        raise TypeError(f"{where}: a {op} item must be a mapping (a JSON object), not {type(item).__name__}")
    body = dict(item)
    encode_json_body(body, where)  # NaN/Infinity: ValueError; not serialisable: TypeError; before any request
    if op == "create":
        ext = body.get("externalId")
        return _Item(index, record_path(record_type), body, body, None, None,
                     ext if isinstance(ext, str) and ext else None)
    if op == "upsert":
        return _by_external_id(record_type, index, body,
                               f"{where}: an upsert item needs a non-empty string 'externalId'")
    # update: the internal id wins over the external id, as in NetSuite's batch requests.
    if body.get("id") is not None:
        known = validate_internal_id(body["id"])
        single = {k: v for k, v in body.items() if k != "id"}
        collection = {**body, "id": known}
        return _Item(index, record_path(record_type, known), single, collection, None, known)
    return _by_external_id(record_type, index, body,
                           f"{where}: an update item needs an 'id' (internal id) or an 'externalId'")


def _by_external_id(record_type: str, index: int, body: dict[str, Any], missing: str) -> _Item:
    """An item addressed by its ``externalId`` (sent in the URL of a single request, not in its body)."""
    ext = body.get("externalId")
    if not isinstance(ext, str) or not ext:
        raise ValueError(missing)
    path = record_path(record_type, EXTERNAL_ID_PREFIX + ext)
    single = {k: v for k, v in body.items() if k != "externalId"}
    return _Item(index, path, single, body, None, None, ext)


def _prepare_delete(record_type: str, index: int, item: Any) -> _Item:
    rid: Any = item
    if isinstance(item, Mapping):
        if item.get("id") is not None:
            rid = item["id"]
        elif isinstance(item.get("externalId"), str):
            rid = EXTERNAL_ID_PREFIX + item["externalId"]
        else:
            raise ValueError(f"item {index}: a delete item needs an 'id' or an 'externalId'")
    if is_external_id(rid):
        text = ids_param([rid])  # validates, and refuses external ids with commas (they cannot be listed)
        return _Item(index, record_path(record_type, rid), None, None, text, None)
    known = validate_internal_id(rid)
    return _Item(index, record_path(record_type, known), None, None, known, known)


def _stored(error: NetSuiteError) -> StoredError | None:
    """The checkpoint form of a *definite* refusal; None for errors that leave the outcome open."""
    if not isinstance(error, APIError):
        return None
    path = next((d.error_path for d in error.details if d.error_path), None)
    return StoredError(error.status_code, error.error_code, error.detail, path)


def _error_from_stored(stored: StoredError, method: str, url: str) -> NetSuiteError:
    detail: dict[str, Any] = {"detail": stored.detail}
    if stored.code:
        detail["o:errorCode"] = stored.code
    if stored.path:
        detail["o:errorPath"] = stored.path
    body = json.dumps({"o:errorDetails": [detail]}).encode()
    return error_for_status(method, url, stored.status or 400, body)
