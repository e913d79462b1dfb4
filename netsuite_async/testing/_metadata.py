"""Record types the emulator knows (the registry) and the metadata catalog built from them.

The registry drives validation in the record service (field names, value types, mandatory fields,
references) and the catalog: ``GET /record/v1/metadata-catalog`` (list; ``?select=a,b`` answers an OpenAPI
document for those types), ``GET /record/v1/metadata-catalog/{type}`` with ``Accept:
application/schema+json`` (JSON Schema) or ``application/swagger+json`` (OpenAPI 3). Any other Accept gets
the catalog entry (links to both forms).

Custom record types ``customrecord_*`` exist on first use with ``name``, ``isInactive`` and any
``custrecord_*`` field. Custom fields are allowed on the standard types by prefix: ``custentity_`` (entities),
``custbody_`` (transactions), ``custitem_`` (items), ``custcol_`` (transaction lines); their type is inferred
from the value.

Examples:
    ```python
    rt = lookup("SalesOrder")          # case-insensitive
    assert rt is not None and rt.name == "salesOrder" and rt.fields["entity"].kind == "ref"
    ```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from netsuite_async.testing._app import EmuRequest, EmuResponse, Router, json_response, ns_error

if TYPE_CHECKING:
    from netsuite_async.testing._emulator import Emulator

__all__ = ["RECORD_TYPES", "FieldSpec", "RecordType", "lookup", "register"]

FieldKind = Literal["string", "integer", "number", "boolean", "date", "datetime", "ref", "enum", "sublist", "object"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record type (or of a sublist line).

    ``ref`` names the record type (or family: ``entity``, ``item``, ``transaction``) a reference points to.

    Examples:
        ```python
        FieldSpec("entity", "ref", ref="customer", required=True)
        ```
    """

    name: str
    kind: FieldKind
    ref: str | None = None
    required: bool = False
    readonly: bool = False
    enum: tuple[tuple[str, str], ...] = ()
    line_fields: tuple[FieldSpec, ...] = ()
    title: str = ""

    @property
    def line_fields_map(self) -> dict[str, FieldSpec]:
        """Sublist line fields by lower-case name.

        Examples:
            ```python
            assert "item" in lookup("salesOrder").fields["item"].line_fields_map
            ```
        """
        return {f.name.lower(): f for f in self.line_fields}

    @property
    def label(self) -> str:
        """The UI label used in messages ("Company Name").

        Examples:
            ```python
            assert FieldSpec("companyName", "string").label == "Company Name"
            ```
        """
        if self.title:
            return self.title
        out = "".join(" " + c if c.isupper() else c for c in self.name)
        return out[:1].upper() + out[1:]


@dataclass(frozen=True)
class RecordType:
    """A record type: canonical REST name, family (shared id sequence), fields.

    Examples:
        ```python
        lookup("customer").table    # "customer"
        ```
    """

    name: str
    family: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    custom_prefix: str = ""
    tran_type: str | None = None
    tranid_prefix: str = ""
    custom: bool = False

    @property
    def table(self) -> str:
        """The SQLite table: the lower-cased type name.

        Examples:
            ```python
            assert lookup("salesOrder").table == "salesorder"
            ```
        """
        return self.name.lower()

    def field(self, name: str) -> FieldSpec | None:
        """A field by name (case-insensitive); custom fields by prefix get a string spec.

        Examples:
            ```python
            assert lookup("customer").field("EMAIL") is not None
            ```
        """
        spec = self.fields.get(name.lower())
        if spec is not None:
            return spec
        low = name.lower()
        if self.custom_prefix and low.startswith(self.custom_prefix):
            return FieldSpec(name, "object", title=name)
        return None


def _f(name: str, kind: FieldKind = "string", **kw: Any) -> FieldSpec:
    return FieldSpec(name, kind, **kw)


_COMMON = (
    _f("id", "string", readonly=True, title="Internal ID"),
    _f("externalId", title="External ID"),
    _f("dateCreated", "datetime", readonly=True),
    _f("lastModifiedDate", "datetime", readonly=True),
)
_ITEM_LINE = (
    _f("line", "integer", readonly=True),
    _f("item", "ref", ref="item", required=True),
    _f("quantity", "number"),
    _f("rate", "number"),
    _f("amount", "number"),
    _f("description"),
    _f("isClosed", "boolean"),
)
_ADDRESS_LINE = (
    _f("id", "string", readonly=True),
    _f("label"),
    _f("defaultBilling", "boolean"),
    _f("defaultShipping", "boolean"),
    _f("addressBookAddress", "object"),
)
_SO_STATUS = (
    ("A", "Pending Approval"),
    ("B", "Pending Fulfillment"),
    ("C", "Cancelled"),
    ("D", "Partially Fulfilled"),
    ("E", "Pending Billing/Partially Fulfilled"),
    ("F", "Pending Billing"),
    ("G", "Billed"),
    ("H", "Closed"),
)
_INV_STATUS = (("A", "Open"), ("B", "Paid In Full"))


def _rt(name: str, family: str, fields: tuple[FieldSpec, ...], prefix: str, **kw: Any) -> RecordType:
    specs = {f.name.lower(): f for f in (*_COMMON, *fields)}
    return RecordType(name, family, specs, prefix, **kw)


_ENTITY = "custentity_"
_TRAN = "custbody_"
_ITEM = "custitem_"
_simple = (_f("name", required=True), _f("isInactive", "boolean"))

RECORD_TYPES: dict[str, RecordType] = {
    rt.name.lower(): rt
    for rt in (
        _rt("subsidiary", "subsidiary", (*_simple, _f("currency", "ref", ref="currency")), ""),
        _rt("currency", "currency", (*_simple, _f("symbol")), ""),
        _rt("department", "department", _simple, ""),
        _rt("location", "location", (*_simple, _f("subsidiary", "ref", ref="subsidiary")), ""),
        _rt("classification", "classification", _simple, ""),
        _rt(
            "customer",
            "entity",
            (
                _f("entityId"),
                _f("companyName"),
                _f("isPerson", "boolean"),
                _f("firstName"),
                _f("lastName"),
                _f("email"),
                _f("phone"),
                _f("comments"),
                _f("isInactive", "boolean"),
                _f("subsidiary", "ref", ref="subsidiary"),
                _f("currency", "ref", ref="currency"),
                _f("salesRep", "ref", ref="employee"),
                _f("creditLimit", "number"),
                _f("balance", "number", readonly=True),
                _f("addressBook", "sublist", line_fields=_ADDRESS_LINE),
            ),
            _ENTITY,
        ),
        _rt(
            "contact",
            "entity",
            (
                _f("entityId"),
                _f("firstName", required=True),
                _f("lastName"),
                _f("email"),
                _f("phone"),
                _f("title"),
                _f("company", "ref", ref="entity"),
                _f("subsidiary", "ref", ref="subsidiary"),
                _f("isInactive", "boolean"),
            ),
            _ENTITY,
        ),
        _rt(
            "vendor",
            "entity",
            (
                _f("entityId"),
                _f("companyName", required=True),
                _f("email"),
                _f("phone"),
                _f("isInactive", "boolean"),
                _f("subsidiary", "ref", ref="subsidiary"),
                _f("currency", "ref", ref="currency"),
            ),
            _ENTITY,
        ),
        _rt(
            "employee",
            "entity",
            (
                _f("entityId"),
                _f("firstName", required=True),
                _f("lastName", required=True),
                _f("email"),
                _f("title"),
                _f("hireDate", "date"),
                _f("supervisor", "ref", ref="employee"),
                _f("subsidiary", "ref", ref="subsidiary"),
                _f("isInactive", "boolean"),
            ),
            _ENTITY,
        ),
        *(
            _rt(
                name,
                "item",
                (
                    _f("itemId", required=True, title="Item Name/Number"),
                    _f("displayName"),
                    _f("salesDescription"),
                    _f("upcCode"),
                    _f("basePrice", "number"),
                    _f("cost", "number"),
                    _f("isInactive", "boolean"),
                    _f("subsidiary", "ref", ref="subsidiary"),
                ),
                _ITEM,
            )
            for name in ("inventoryItem", "nonInventorySaleItem", "serviceSaleItem")
        ),
        _rt(
            "salesOrder",
            "transaction",
            (
                _f("tranId", title="Order #"),
                _f("tranDate", "date", title="Date"),
                _f("entity", "ref", ref="customer", required=True, title="Customer"),
                _f("memo"),
                _f("otherRefNum", title="PO #"),
                _f("orderStatus", "enum", enum=_SO_STATUS, title="Status"),
                _f("subsidiary", "ref", ref="subsidiary"),
                _f("currency", "ref", ref="currency"),
                _f("location", "ref", ref="location"),
                _f("subtotal", "number", readonly=True),
                _f("total", "number", readonly=True),
                _f("item", "sublist", required=True, line_fields=_ITEM_LINE, title="Items"),
            ),
            _TRAN,
            tran_type="SalesOrd",
            tranid_prefix="SO",
        ),
        _rt(
            "invoice",
            "transaction",
            (
                _f("tranId", title="Invoice #"),
                _f("tranDate", "date", title="Date"),
                _f("dueDate", "date"),
                _f("entity", "ref", ref="customer", required=True, title="Customer"),
                _f("memo"),
                _f("otherRefNum", title="PO #"),
                _f("status", "enum", enum=_INV_STATUS, readonly=True),
                _f("createdFrom", "ref", ref="transaction", readonly=True),
                _f("subsidiary", "ref", ref="subsidiary"),
                _f("currency", "ref", ref="currency"),
                _f("subtotal", "number", readonly=True),
                _f("total", "number", readonly=True),
                _f("amountRemaining", "number", readonly=True),
                _f("item", "sublist", required=True, line_fields=_ITEM_LINE, title="Items"),
            ),
            _TRAN,
            tran_type="CustInvc",
            tranid_prefix="INV",
        ),
        _rt(
            "purchaseOrder",
            "transaction",
            (
                _f("tranId", title="PO #"),
                _f("tranDate", "date", title="Date"),
                _f("entity", "ref", ref="vendor", required=True, title="Vendor"),
                _f("memo"),
                _f("subsidiary", "ref", ref="subsidiary"),
                _f("currency", "ref", ref="currency"),
                _f("total", "number", readonly=True),
                _f("item", "sublist", required=True, line_fields=_ITEM_LINE, title="Items"),
            ),
            _TRAN,
            tran_type="PurchOrd",
            tranid_prefix="PO",
        ),
    )
}

FAMILY_TYPES: dict[str, tuple[str, ...]] = {}
for _t in RECORD_TYPES.values():
    FAMILY_TYPES[_t.family] = (*FAMILY_TYPES.get(_t.family, ()), _t.name.lower())

_custom_cache: dict[str, RecordType] = {}


def lookup(name: str) -> RecordType | None:
    """The record type for a REST type name (case-insensitive), or None when NetSuite has no such type.

    Examples:
        ```python
        assert lookup("customrecord_widget").custom
        ```
    """
    low = name.lower()
    rt = RECORD_TYPES.get(low)
    if rt is not None:
        return rt
    if low.startswith("customrecord_") and len(low) > len("customrecord_") and low.replace("_", "").isalnum():
        rt = _custom_cache.get(low)
        if rt is None:
            rt = _rt(low, low, _simple, "custrecord_", custom=True)
            _custom_cache[low] = rt
        return rt
    return None


_JSON_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "object": {"type": "object"},
}


def _field_schema(spec: FieldSpec, base: str) -> dict[str, Any]:
    if spec.kind == "ref":
        out: dict[str, Any] = {
            "type": "object",
            "properties": {"id": {"type": "string"}, "refName": {"type": "string"}},
            "x-ns-reference": spec.ref,
        }
    elif spec.kind == "enum":
        out = {"type": "object", "properties": {"id": {"type": "string", "enum": [k for k, _ in spec.enum]}}}
    elif spec.kind == "sublist":
        line = {
            "type": "object",
            "properties": {f.name: _field_schema(f, base) for f in spec.line_fields},
        }
        out = {"type": "object", "properties": {"items": {"type": "array", "items": line}}}
    else:
        out = dict(_JSON_TYPES[spec.kind])
    out["title"] = spec.label
    if spec.readonly:
        out["readOnly"] = True
    if spec.required:
        out["nullable"] = False
    return out


def json_schema(rt: RecordType, base: str) -> dict[str, Any]:
    """The JSON Schema of one record type.

    Examples:
        ```python
        schema = json_schema(lookup("customer"), "http://emulator.test")
        ```
    """
    return {
        "$schema": "https://json-schema.org/draft-06/schema#",
        "$id": f"{base}/services/rest/record/v1/metadata-catalog/{rt.name}",
        "type": "object",
        "title": rt.name,
        "properties": {f.name: _field_schema(f, base) for f in rt.fields.values()},
        "required": sorted(f.name for f in rt.fields.values() if f.required),
    }


def openapi(types: list[RecordType], base: str) -> dict[str, Any]:
    """An OpenAPI 3 document with paths and schemas for ``types``.

    Examples:
        ```python
        doc = openapi([lookup("customer")], "http://emulator.test")
        ```
    """
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for rt in types:
        schema = json_schema(rt, base)
        schema.pop("$schema", None)
        schema.pop("$id", None)
        schemas[rt.name] = schema
        ref = {"$ref": f"#/components/schemas/{rt.name}"}
        paths[f"/{rt.name}"] = {
            "get": {"summary": f"List {rt.name} records.", "responses": {"200": {"description": "OK"}}},
            "post": {
                "summary": f"Insert a {rt.name} record.",
                "requestBody": {"content": {"application/json": {"schema": ref}}},
                "responses": {"204": {"description": "Inserted"}},
            },
        }
        paths[f"/{rt.name}/{{id}}"] = {
            method: {"summary": f"{method.upper()} a {rt.name} record.", "responses": {"200": {"description": "OK"}}}
            for method in ("get", "patch", "delete")
        }
    return {
        "openapi": "3.0.1",
        "info": {"title": "NetSuite REST Record API (emulator)", "version": "v1"},
        "servers": [{"url": f"{base}/services/rest/record/v1"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _catalog_entry(rt: RecordType, base: str) -> dict[str, Any]:
    href = f"{base}/services/rest/record/v1/metadata-catalog/{rt.name}"
    return {
        "name": rt.name,
        "links": [
            {"rel": "canonical", "href": href, "mediaType": "application/json"},
            {"rel": "alternate", "href": href, "mediaType": "application/swagger+json"},
            {"rel": "describes", "href": href, "mediaType": "application/schema+json"},
        ],
    }


def register(router: Router, emu: Emulator) -> None:
    """Add the metadata catalog routes.

    Examples:
        ```python
        register(router, emu)
        ```
    """

    def known_types() -> list[RecordType]:
        types = list(RECORD_TYPES.values())
        types.extend(lookup(t) for t in emu.store.custom_types())  # type: ignore[misc]
        return types

    def selected(req: EmuRequest) -> list[RecordType] | EmuResponse:
        select = req.param("select")
        if select is None:
            return known_types()
        out = []
        for name in filter(None, (s.strip() for s in select.split(","))):
            rt = lookup(name)
            if rt is None:
                return ns_error(
                    400, "INVALID_PARAMETER", f"Invalid record type in select: {name}.", query_param="select"
                )
            out.append(rt)
        return out

    async def catalog(req: EmuRequest) -> EmuResponse:
        types = selected(req)
        if isinstance(types, EmuResponse):
            return types
        accept = req.headers.get("accept", "")
        if "swagger+json" in accept or ("select" in dict(req.query) and "schema+json" not in accept):
            return json_response(openapi(types, req.base_url), content_type="application/swagger+json")
        if "schema+json" in accept:
            return json_response(
                {"items": [json_schema(t, req.base_url) for t in types]}, content_type="application/schema+json"
            )
        return json_response(
            {
                "items": [_catalog_entry(t, req.base_url) for t in types],
                "links": [{"rel": "self", "href": f"{req.base_url}{req.path}"}],
            }
        )

    async def one_type(req: EmuRequest) -> EmuResponse:
        rt = lookup(req.path_params["type"])
        if rt is None:
            return ns_error(404, "NONEXISTENT_ID", f"Record type '{req.path_params['type']}' does not exist.")
        accept = req.headers.get("accept", "")
        if "swagger+json" in accept:
            return json_response(openapi([rt], req.base_url), content_type="application/swagger+json")
        if "schema+json" in accept:
            return json_response(json_schema(rt, req.base_url), content_type="application/schema+json")
        return json_response(_catalog_entry(rt, req.base_url))

    router.add("GET", "/record/v1/metadata-catalog", catalog, name="metadata.catalog")
    router.add("GET", "/record/v1/metadata-catalog/{type}", one_type, name="metadata.type")
