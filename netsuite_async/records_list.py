"""Record lists: `RecordList`, what ``client.records.list`` returns, and how it pages past NetSuite's limits.

Offset pages up to the 100,000-record cap (or the 1,000-page limit), then an ``id GREATER <last id>`` filter
(keyset) for the rest; `RecordListCapError` when that is not possible. Re-exported by `netsuite_async.records`.

Examples:
    >>> _after_id("isInactive IS false", 42)
    '(isInactive IS false) AND id GREATER 42'
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import TYPE_CHECKING, Any

from netsuite_async.errors import BadRequestError, RecordListCapError
from netsuite_async.models import RecordListPage, RecordRef

if TYPE_CHECKING:
    from netsuite_async.records import Records

__all__ = ["RecordList"]


class RecordList:
    """The result of `Records.list`: ``await`` it for the first page, ``async for`` it for every item.

    Examples:
        ```python
        page = await ns.records.list("customer")           # RecordListPage
        async for ref in ns.records.list("customer"):      # RecordRef, every page
            ...
        async for page in ns.records.list("customer").pages():
            ...
        ```
    """

    def __init__(self, records: Records, record_type: str, q: str | None, page_size: int) -> None:
        self._records = records
        self.record_type = record_type
        self.q = q
        self.page_size = page_size

    def __await__(self) -> Generator[Any, None, RecordListPage]:
        return self._records._list_page(self.record_type, self.q, self.page_size, 0).__await__()

    async def pages(self) -> AsyncIterator[RecordListPage]:
        """Every page in order, each fetched when the previous one has been handed over.

        Past NetSuite's cap or page limit the pages come from the keyset continuation (``id GREATER <last id>``),
        so their ``offset`` starts again at 0 and their ``totalResults`` counts what is left.

        Examples:
            ```python
            async for page in ns.records.list("customer").pages():
                print(page.offset, len(page.items))
            ```
        """
        records = self._records
        size = self.page_size
        # Records reachable by offset in one listing: the cap, and at most max_pages pages.
        reach = max(size, min(records.row_cap, records.max_pages * size) // size * size)
        after: int | None = None
        last_id: int | None = None
        in_order = True
        first_request = True
        while True:
            q = self.q if after is None else _after_id(self.q, after)
            offset = 0
            got = 0
            ended = False
            while offset < reach:
                try:
                    page = await records._list_page(self.record_type, q, size, offset)
                except BadRequestError as err:
                    if offset > 0 and _names_param(err, "offset", "limit"):
                        break  # refused at NetSuite's cap or page limit, sooner than expected: continue by id
                    if after is not None and _names_param(err, "q"):
                        raise RecordListCapError(
                            f"listing {self.record_type!r} reached NetSuite's cap after id {after} and NetSuite "
                            f"refused the continuation filter {q!r}: {err}. Narrow q into ranges below "
                            f"{records.row_cap:,} records, or read the ids with SuiteQL"
                        ) from err
                    raise
                for item in page.items:
                    rid = _int_id(item.id)
                    if rid is None or (last_id is not None and rid <= last_id):
                        in_order = False
                    last_id = rid if rid is not None else last_id
                got += len(page.items)
                if page.items or first_request:
                    yield page
                first_request = False
                if len(page.items) < size:
                    total = page.total_results
                    # A short page is the end unless NetSuite still says or counts more, or it is an empty page
                    # after a page that said more: then the cap cut the listing.
                    more = page.has_more or (total is not None and offset + len(page.items) < total)
                    if not (more or (offset > 0 and not page.items)):
                        ended = True
                        break
                    if offset + size >= reach or not page.items:
                        break
                elif not page.has_more:
                    # A full last page: below the cap hasMore is reliable; at the cap it may say false while
                    # more records exist, so the id filter tells.
                    ended = offset + size < reach
                    break
                offset += size
            if ended or got == 0 or last_id is None:
                return
            if not in_order:
                raise RecordListCapError(
                    f"listing {self.record_type!r} reached NetSuite's limit of {records.row_cap:,} records or "
                    f"{records.max_pages:,} pages, and its ids were not in increasing order, so it cannot be "
                    "continued with 'id GREATER <last id>'. Narrow q into ranges below the limit, or read the ids "
                    "with client.suiteql.stream(), ordered by id"
                )
            after = last_id

    async def _items(self) -> AsyncIterator[RecordRef]:
        async for page in self.pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[RecordRef]:
        return self._items()

    def __repr__(self) -> str:
        return f"RecordList({self.record_type!r}, q={self.q!r}, page_size={self.page_size})"


def _after_id(q: str | None, after: int) -> str:
    """The listing's filter continued past the record ``after`` (keyset on the internal id)."""
    return f"id GREATER {after}" if q is None else f"({q}) AND id GREATER {after}"


def _int_id(value: object) -> int | None:
    text = str(value)
    return int(text) if text.isdigit() else None


def _names_param(err: BadRequestError, *names: str) -> bool:
    return any(d.error_query_param in names for d in err.details)

