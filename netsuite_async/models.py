"""Pydantic models shared by the API modules. Unknown fields are kept (``extra="allow"``), so a new NetSuite
release that adds fields never breaks parsing."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from netsuite_async._links import record_in_location, url_path

__all__ = ["CatalogEntry", "Link", "NetSuiteModel", "RecordListPage", "RecordRef"]


class NetSuiteModel(BaseModel):
    """Base of every model: tolerant of unknown fields, populated by field name or alias.

    Examples:
        >>> class Customer(NetSuiteModel):
        ...     id: str
        >>> Customer.model_validate({"id": "1", "email": "a@b.c"}).model_extra
        {'email': 'a@b.c'}
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Link(NetSuiteModel):
    """A HATEOAS link from NetSuite's answers (``rel`` is ``self``, ``next``, ``previous`` …).

    Examples:
        >>> Link(rel="next", href="https://x/services/rest/record/v1/customer?offset=1000").rel
        'next'
    """

    rel: str
    href: str


class RecordRef(NetSuiteModel):
    """A reference to a record: its type, internal id and URL (what create/upsert/transform return).

    Examples:
        >>> ref = RecordRef.from_location("customer", "https://x/services/rest/record/v1/customer/107")
        >>> ref.id, ref.type
        ('107', 'customer')
    """

    type: str
    id: str
    url: str | None = None

    @classmethod
    def from_location(cls, record_type: str, location: str) -> RecordRef:
        """Parse the ``Location`` header NetSuite sends after a write (``…/record/v1/{type}/{id}``).

        A URL outside ``/record/v1`` keeps the reading this method always had: its last path segment is the
        id and the segment before it the type (``record_type`` when there is none). No id raises `ValueError`.
        """
        found = record_in_location(location)
        if found is not None:
            return cls(type=found[0], id=found[1], url=location)
        parts = (url_path(location) or "").rstrip("/").split("/")
        if len(parts) < 2 or not parts[-1]:
            raise ValueError(f"cannot read a record id from Location {location!r}")
        return cls(type=parts[-2] or record_type, id=parts[-1], url=location)


class RecordListPage(NetSuiteModel):
    """One page of a record collection (``GET /record/v1/{type}?limit=&offset=``).

    ``items`` are `RecordRef` (NetSuite lists ids and links only; read records with ``records.get``).

    Examples:
        >>> page = RecordListPage.model_validate(
        ...     {"count": 1, "hasMore": False, "offset": 0, "totalResults": 1,
        ...      "items": [{"type": "customer", "id": "7"}]})
        >>> page.has_more, page.items[0].id
        (False, '7')
    """

    links: list[Link] = Field(default_factory=list)
    count: int = 0
    has_more: bool = Field(default=False, alias="hasMore")
    items: list[RecordRef] = Field(default_factory=list)
    offset: int = 0
    total_results: int | None = Field(default=None, alias="totalResults")
    record_type: str | None = None
    """Not sent by NetSuite: the record type this page lists, filled in by ``records.list``."""


class CatalogEntry(NetSuiteModel):
    """One record type in the metadata catalog (``GET /record/v1/metadata-catalog``).

    Examples:
        >>> CatalogEntry.model_validate({"name": "customer", "links": []}).name
        'customer'
    """

    name: str
    links: list[Link] = Field(default_factory=list)
