"""The record domain behind ``/services/rest/record/v1``: type and id resolution, value checks, writes.

`RecordService` (``emu.records``) offers the write operations as methods so the async/batch layer can apply
one batch item at a time; the rules it enforces are listed in ``_records.py``.

Examples:
    ```python
    response = await emu.records.create("customer", {"companyName": "Acme"}, base_url="http://emulator.test")
    ```
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from netsuite_async._checks import is_int, is_number
from netsuite_async.testing._app import EmuRequest, EmuResponse, no_content, ns_error
from netsuite_async.testing._metadata import FieldSpec, RecordType, lookup
from netsuite_async.testing._records_q import _BOOLS, _DATE_RE
from netsuite_async.testing._records_render import API, RecordRenderer

if TYPE_CHECKING:
    from netsuite_async.testing._state import EmulatorState

__all__ = ["API", "MAX_BATCH_IDS", "MAX_LIMIT", "RecordService"]

MAX_LIMIT = 1000
MAX_BATCH_IDS = 100


class _Problem(Exception):
    def __init__(self, response: EmuResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _user_error(detail: str, path: str | None = None) -> _Problem:
    return _Problem(ns_error(400, "USER_ERROR", detail, path=path))


def _bad_param(name: str, detail: str) -> _Problem:
    return _Problem(ns_error(400, "INVALID_PARAMETER", detail, query_param=name))


def _bool_param(req: EmuRequest, name: str) -> bool:
    value = req.param(name)
    if value is None:
        return False
    if value not in _BOOLS:
        raise _bad_param(name, f"Invalid value for the query parameter {name}: {value!r}. Use true or false.")
    return _BOOLS[value]


def _check_params(req: EmuRequest, allowed: frozenset[str]) -> None:
    for key, _ in req.query:
        if key not in allowed:
            raise _bad_param(key, f"Invalid query parameter: {key}.")


def _num(value: Any) -> bool:
    return is_number(value)


class RecordService(RecordRenderer):
    """The record operations behind the routes (``emu.records``); each returns an `EmuResponse`.

    Examples:
        ```python
        resp = await emu.records.create("customer", {"companyName": "Acme"}, base_url="http://emulator.test")
        ```
    """

    def __init__(self, emu: EmulatorState) -> None:
        self.emu = emu
        self.store = emu.store

    # -------------------------------------------------------------- helpers
    def record_type(self, name: str) -> RecordType:
        """The type or a 404 problem.

        Examples:
            ```python
            rt = emu.records.record_type("salesOrder")
            ```
        """
        rt = lookup(name)
        if rt is None:
            raise _Problem(ns_error(404, "NONEXISTENT_ID", f"Record type '{name}' does not exist."))
        self.store.ensure_table(rt)
        return rt

    def resolve_id(self, rt: RecordType, key: str, *, must_exist: bool = True) -> int | None:
        """``"12"`` -> 12, ``"eid:X"`` -> the record's id (None when absent and ``must_exist`` is False).

        Examples:
            ```python
            rid = emu.records.resolve_id(rt, "eid:CRM-1")
            ```
        """
        if key.startswith("eid:"):
            eid = key[4:]
            if not eid:
                raise _Problem(ns_error(400, "INVALID_PARAMETER", "The external ID is empty."))
            rid = self.store.id_by_eid(rt, eid)
        elif key.isdigit() and len(key) < 19:
            rid = int(key)
            if self.store.get(rt, rid) is None:
                rid = None
        else:
            raise _Problem(ns_error(400, "INVALID_PARAMETER", f"Invalid record ID: {key}."))
        if rid is None and must_exist:
            raise _Problem(
                ns_error(
                    404,
                    "NONEXISTENT_ID",
                    "The record instance does not exist. Provide a valid record instance ID.",
                )
            )
        return rid

    def _ref(self, spec: FieldSpec, value: Any, path: str) -> dict[str, str]:
        if not isinstance(value, dict):
            raise _user_error(f'Invalid value for the field {path}: expected a reference like {{"id": "1"}}.', path)
        target = spec.ref or "entity"
        if "id" in value and value["id"] is not None:
            raw = str(value["id"]) if not isinstance(value["id"], bool) else ""
            if not raw.isdigit():
                raise _user_error(f"Invalid {path} reference key {value['id']!r}.", path)
            if self.store.find_ref(target, int(raw)) is None:
                raise _user_error(f"Invalid {path} reference key {raw}.", path)
            return {"id": raw}
        if "externalId" in value:
            eid = str(value["externalId"])
            rt = lookup(target)
            found = self.store.id_by_eid(rt, eid) if rt is not None else None
            if found is None:
                raise _user_error(f"Invalid {path} reference external ID {eid}.", path)
            return {"id": str(found)}
        raise _user_error(f"Invalid value for the field {path}: a reference needs an id or externalId.", path)

    def _value(self, spec: FieldSpec, value: Any, path: str, strict_names: bool) -> Any:
        kind = spec.kind
        if value is None:
            return None
        ok = True
        if kind == "string":
            ok = isinstance(value, str)
        elif kind == "integer":
            ok = is_int(value)
        elif kind == "number":
            ok = _num(value) and math.isfinite(value)
        elif kind == "boolean":
            ok = isinstance(value, bool)
        elif kind == "date":
            ok = isinstance(value, str) and bool(_DATE_RE.match(value))
            if ok:
                try:
                    _dt.date.fromisoformat(value)
                except ValueError:
                    ok = False
        elif kind == "datetime":
            ok = isinstance(value, str)
        elif kind == "ref":
            return self._ref(spec, value, path)
        elif kind == "enum":
            key = value.get("id") if isinstance(value, dict) else value
            if not isinstance(key, str) or key not in dict(spec.enum):
                allowed = ", ".join(k for k, _ in spec.enum)
                raise _user_error(f"Invalid value for the field {path}: {key!r}. Allowed: {allowed}.", path)
            return key
        elif kind == "object":
            return value
        elif kind == "sublist":
            if not isinstance(value, dict) or not isinstance(value.get("items"), list):
                raise _user_error(f'Invalid value for the sublist {path}: expected {{"items": [...]}}.', path)
            lines = []
            for i, line in enumerate(value["items"]):
                if not isinstance(line, dict):
                    raise _user_error(f"Invalid line {i} in the sublist {path}.", f"{path}.items[{i}]")
                lines.append(self._fields(spec.line_fields_map, line, f"{path}.items[{i}]", strict_names, "custcol_"))
            return {"items": lines}
        if not ok:
            raise _user_error(f"Invalid value for the field {path}: {value!r} is not a valid {kind}.", path)
        return value

    def _fields(
        self,
        specs: Mapping[str, FieldSpec],
        body: Mapping[str, Any],
        prefix: str,
        strict_names: bool,
        custom_prefix: str,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in body.items():
            path = f"{prefix}.{key}" if prefix else key
            spec = specs.get(key.lower())
            if spec is None:
                if custom_prefix and key.lower().startswith(custom_prefix):
                    if isinstance(value, dict) and ("id" in value or "externalId" in value):
                        out[key] = {"id": str(value.get("id"))} if "id" in value else value
                    else:
                        out[key] = value
                    continue
                if key == "links":
                    continue
                if strict_names:
                    raise _Problem(ns_error(400, "INVALID_CONTENT", f"Invalid field name: {key}.", path=path))
                continue
            if spec.readonly and spec.name != "line":
                continue
            out[spec.name] = self._value(spec, value, path, strict_names)
        return out

    def normalize(self, rt: RecordType, body: Any, headers: Mapping[str, str]) -> dict[str, Any]:
        """Validate a request body and bring it to the stored form (refs ``{"id": "5"}``, enums as ids).

        Examples:
            ```python
            doc = emu.records.normalize(rt, {"entity": {"id": 5}}, {})
            ```
        """
        if not isinstance(body, dict):
            raise _Problem(ns_error(400, "INVALID_CONTENT", "The request body must be a JSON object."))
        strict = headers.get("x-netsuite-propertynamevalidation", "").lower() == "error"
        return self._fields(rt.fields, body, "", strict, rt.custom_prefix)

    def _complete(self, rt: RecordType, doc: dict[str, Any], record_id: int) -> None:
        """Derived fields and mandatory-field checks, on the merged document."""
        if rt.family == "transaction":
            doc.setdefault("tranId", f"{rt.tranid_prefix}{record_id}")
            doc.setdefault("tranDate", _dt.datetime.now(_dt.timezone.utc).date().isoformat())
            lines = (doc.get("item") or {}).get("items") or []
            used = {int(x["line"]) for x in lines if isinstance(x.get("line"), int)}
            nxt = max(used, default=0) + 1
            total = 0.0
            for line in lines:
                if not isinstance(line.get("line"), int):
                    line["line"] = nxt
                    nxt += 1
                q, r = line.get("quantity"), line.get("rate")
                if line.get("amount") is None and _num(q) and _num(r):
                    line["amount"] = round(q * r, 2)
                if _num(line.get("amount")):
                    total += line["amount"]
            doc["total"] = round(total, 2)
            if "subtotal" in rt.fields:
                doc["subtotal"] = round(total, 2)
            if rt.name == "salesOrder":
                doc.setdefault("orderStatus", "B")
            if rt.name == "invoice":
                doc.setdefault("status", "A")
                doc["amountRemaining"] = doc["total"]
        if rt.family == "entity" and not doc.get("entityId"):
            name = doc.get("companyName") or " ".join(str(doc[k]) for k in ("firstName", "lastName") if doc.get(k))
            doc["entityId"] = name or f"{rt.name}{record_id}"
        missing = []
        for spec in rt.fields.values():
            if not spec.required:
                continue
            value = doc.get(spec.name)
            if spec.kind == "sublist":
                if not (value or {}).get("items"):
                    missing.append(spec)
            elif value in (None, ""):
                missing.append(spec)
        if rt.name == "customer":
            if doc.get("isPerson"):
                if not doc.get("lastName") and not doc.get("firstName"):
                    missing.append(rt.fields["lastname"])
            elif not doc.get("companyName"):
                missing.append(rt.fields["companyname"])
        for spec in rt.fields.values():
            if spec.kind == "sublist":
                for i, line in enumerate((doc.get(spec.name) or {}).get("items") or []):
                    for ls in spec.line_fields:
                        if ls.required and line.get(ls.name) in (None, ""):
                            raise _user_error(
                                f"Please enter value(s) for: {ls.label}", f"{spec.name}.items[{i}].{ls.name}"
                            )
        if missing:
            raise _user_error("Please enter value(s) for: " + ", ".join(s.label for s in missing), missing[0].name)

    def _location(self, base_url: str, rt: RecordType, rid: int) -> str:
        return f"{base_url}{API}/{rt.name}/{rid}"

    # -------------------------------------------------------------- writes
    async def create(
        self, type_name: str, body: Any, *, base_url: str, headers: Mapping[str, str] | None = None
    ) -> EmuResponse:
        """Insert a record: 204 + Location, or an error answer.

        Examples:
            ```python
            resp = await emu.records.create("customer", {"companyName": "Acme"}, base_url=base)
            ```
        """
        try:
            rt = self.record_type(type_name)
            doc = self.normalize(rt, body, headers or {})
            eid = doc.get("externalId")
            if eid is not None and self.store.id_by_eid(rt, str(eid)) is not None:
                raise _Problem(
                    ns_error(400, "DUP_RCRD", "A record with the same external ID already exists.", path="externalId")
                )
            rid = self.store.next_id(rt)
            self._complete(rt, doc, rid)
            self.store.insert(rt, doc, rid)
        except _Problem as p:
            return p.response
        self.emu.record_write(rt.name, body, create=True)
        return no_content(self._location(base_url, rt, rid))

    def _merge(
        self,
        rt: RecordType,
        current: dict[str, Any],
        changes: dict[str, Any],
        replace: list[str],
        replace_selected: bool,
    ) -> dict[str, Any]:
        doc = dict(current)
        replace_low = {r.lower() for r in replace}
        for name in replace:
            spec = rt.field(name)
            if spec is None:
                raise _bad_param("replace", f"Invalid field in replace: {name}.")
            if spec.kind != "sublist" and not replace_selected:
                raise _bad_param("replace", f"{name} is not a sublist; use replaceSelectedFields=true for body fields.")
            if spec.name not in changes:
                doc.pop(spec.name, None)
        for key, value in changes.items():
            spec = rt.field(key)
            if value is None:
                doc.pop(key, None)
                continue
            if spec is not None and spec.kind == "sublist" and key.lower() not in replace_low:
                existing = {int(x["line"]): x for x in (doc.get(key) or {}).get("items", []) if "line" in x}
                for line in value["items"]:
                    if isinstance(line.get("line"), int) and line["line"] in existing:
                        existing[line["line"]].update(line)
                    else:
                        existing[-len(existing) - 1000000] = line
                doc[key] = {"items": list(existing.values())}
            else:
                doc[key] = value
        return doc

    async def update(
        self,
        type_name: str,
        key: str,
        body: Any,
        *,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        replace: list[str] | None = None,
        replace_selected: bool = False,
    ) -> EmuResponse:
        """PATCH a record (``key``: internal id or ``eid:X``): 204, or an error answer.

        Examples:
            ```python
            resp = await emu.records.update("customer", "1", {"email": "x@y.test"}, base_url=base)
            ```
        """
        try:
            rt = self.record_type(type_name)
            rid = self.resolve_id(rt, key)
            assert rid is not None
            changes = self.normalize(rt, body, headers or {})
            current = self.store.get(rt, rid) or {}
            doc = self._merge(rt, current, changes, replace or [], replace_selected)
            self._check_eid_free(rt, doc, rid)
            self._complete(rt, doc, rid)
            self.store.replace(rt, rid, doc)
        except _Problem as p:
            return p.response
        self.emu.record_write(rt.name, body)
        return no_content(self._location(base_url, rt, rid))

    def _check_eid_free(self, rt: RecordType, doc: dict[str, Any], rid: int) -> None:
        eid = doc.get("externalId")
        if eid is not None:
            other = self.store.id_by_eid(rt, str(eid))
            if other is not None and other != rid:
                raise _Problem(
                    ns_error(400, "DUP_RCRD", "A record with the same external ID already exists.", path="externalId")
                )

    async def upsert(
        self, type_name: str, external_id: str, body: Any, *, base_url: str, headers: Mapping[str, str] | None = None
    ) -> EmuResponse:
        """PUT by external id: update when it exists, insert otherwise; 204 + Location.

        Examples:
            ```python
            resp = await emu.records.upsert("customer", "CRM-1", {"companyName": "Acme"}, base_url=base)
            ```
        """
        try:
            rt = self.record_type(type_name)
            if not external_id:
                raise _Problem(ns_error(400, "INVALID_PARAMETER", "The external ID is empty."))
            changes = self.normalize(rt, body, headers or {})
            if changes.get("externalId") not in (None, external_id):
                raise _user_error("The externalId in the body differs from the one in the URL.", "externalId")
            changes["externalId"] = external_id
            rid = self.store.id_by_eid(rt, external_id)
            if rid is None:
                rid = self.store.next_id(rt)
                self._complete(rt, changes, rid)
                self.store.insert(rt, changes, rid)
            else:
                doc = self._merge(rt, self.store.get(rt, rid) or {}, changes, [], False)
                self._complete(rt, doc, rid)
                self.store.replace(rt, rid, doc)
        except _Problem as p:
            return p.response
        self.emu.record_write(rt.name, body)
        return no_content(self._location(base_url, rt, rid))

    async def delete(self, type_name: str, key: str, *, base_url: str) -> EmuResponse:
        """DELETE a record: 204, or 404.

        Examples:
            ```python
            resp = await emu.records.delete("customer", "1", base_url=base)
            ```
        """
        try:
            rt = self.record_type(type_name)
            rid = self.resolve_id(rt, key)
            assert rid is not None
            self.store.delete(rt, rid)
        except _Problem as p:
            return p.response
        self.emu.record_write(rt.name)
        return no_content()

    async def transform(
        self,
        type_name: str,
        key: str,
        target: str,
        body: Any,
        *,
        base_url: str,
        headers: Mapping[str, str] | None = None,
    ) -> EmuResponse:
        """``!transform``: salesOrder -> invoice, customer -> salesOrder; 204 + Location of the new record.

        Examples:
            ```python
            resp = await emu.records.transform("salesOrder", "7", "invoice", {}, base_url=base)
            ```
        """
        try:
            rt = self.record_type(type_name)
            target_rt = self.record_type(target)
            pair = (rt.name, target_rt.name)
            if pair not in (("salesOrder", "invoice"), ("customer", "salesOrder")):
                raise _Problem(
                    ns_error(
                        400, "INVALID_PARAMETER", f"Transforming {rt.name} into {target_rt.name} is not supported."
                    )
                )
            rid = self.resolve_id(rt, key)
            assert rid is not None
            source = self.store.get(rt, rid) or {}
            changes = self.normalize(target_rt, body if body is not None else {}, headers or {})
            if rt.name == "customer":
                doc: dict[str, Any] = {"entity": {"id": str(rid)}}
                for k in ("subsidiary", "currency"):
                    if k in source:
                        doc[k] = source[k]
            else:
                if source.get("orderStatus") in ("C", "G", "H"):
                    raise _user_error("The sales order is already billed, closed or cancelled.")
                doc = {k: source[k] for k in ("entity", "subsidiary", "currency", "memo", "otherRefNum") if k in source}
                doc["createdFrom"] = {"id": str(rid)}
                lines = [
                    {k: v for k, v in line.items() if k in ("item", "quantity", "rate", "amount", "description")}
                    for line in (source.get("item") or {}).get("items", [])
                ]
                doc["item"] = {"items": lines}
            doc.update(changes)
            new_id = self.store.next_id(target_rt)
            self._complete(target_rt, doc, new_id)
            self.store.insert(target_rt, doc, new_id)
            if rt.name == "salesOrder":
                source["orderStatus"] = "G"
                self.store.replace(rt, rid, source)
        except _Problem as p:
            return p.response
        self.emu.record_write(target_rt.name, body)
        return no_content(self._location(base_url, target_rt, new_id))
