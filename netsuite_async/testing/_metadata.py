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

if TYPE_CHECKING:
    pass

__all__ = ["FAMILY_TYPES", "RECORD_TYPES", "FieldSpec", "RecordType", "lookup"]

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
