"""The probe's read-only checks (split out of ``probe.py``, issue 16): governanceLimits, the SuiteQL and
record-collection caps, the 1,000-page limit and the record-filter date format.

`_Prober` sends each request through the client and keeps an error status as a measurement (`_Prober.send`
returns the `APIError`); it writes what it measured into the `ProbeResult` and a note where it could not.
``probe.py`` runs it (`probe`), and `_Writer` (``_probe_writes.py``) sends its requests through it.

Examples:
    >>> _PAGE, _PAGE_LIMIT_OFFSET, _DATE_SPELLINGS["D/M/YYYY"]
    (1000, 1000, '31/12/1999')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from netsuite_async._probe_parse import _int, _items, _json
from netsuite_async.errors import APIError

if TYPE_CHECKING:
    from netsuite_async._http import Response
    from netsuite_async.probe import ProbeClient, ProbeResult

__all__: list[str] = []

_PAGE = 1000
_PAGE_LIMIT_OFFSET = 1000  # limit=1: the 1,001st page
# The same day, written so that each format accepts exactly one spelling (31 cannot be a month).
_DATE_SPELLINGS = {"M/D/YYYY": "12/31/1999", "D/M/YYYY": "31/12/1999", "YYYY-MM-DD": "1999-12-31"}


class _Prober:
    def __init__(self, client: ProbeClient, result: ProbeResult, cap: int) -> None:
        self.client = client
        self.result = result
        self.cap = cap
        self.counts: dict[str, int | None] = {}

    def note(self, text: str) -> None:
        self.result.notes.append(text)

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str | int]] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response | APIError:
        """One request; an error status comes back as the APIError (its status is a measurement)."""
        try:
            return await self.client.request(
                method, path, params=list(params or []), json=json_body, headers=headers, idempotent=idempotent
            )
        except APIError as err:
            return err

    # -- read-only checks -------------------------------------------------------------------------------------

    async def governance(self) -> None:
        r = self.result
        answer = await self.send("GET", "/system/v1/governanceLimits")
        if isinstance(answer, APIError):
            r.governance = "not permitted" if answer.status_code in (401, 403) else "unreadable"
            self.note(f"governanceLimits answered {answer.status_code} {answer.error_code or ''}".strip())
            return
        body = _json(answer)
        if not isinstance(body, Mapping):
            r.governance = "unreadable"
            return
        r.governance = "ok"
        r.concurrency_limit = _int(body.get("accountConcurrencyLimit"))
        r.unallocated_limit = _int(body.get("accountUnallocatedConcurrencyLimit"))
        r.integration_limit = _int(body.get("integrationConcurrencyLimit"))
        kind = body.get("integrationLimitType")
        r.integration_limit_type = kind if isinstance(kind, str) else None

    async def count(self, table: str) -> int | None:
        if table in self.counts:
            return self.counts[table]
        # Table names are validated identifiers (validate_record_type), so the text cannot carry anything else.
        query = f"SELECT COUNT(*) AS n FROM {table}"  # noqa: S608
        answer = await self.send(
            "POST", "/query/v1/suiteql", params=[("limit", 1)], json_body={"q": query},
            headers={"Prefer": "transient"}, idempotent=True,
        )
        n: int | None = None
        if not isinstance(answer, APIError):
            items = _items(_json(answer))
            if items and isinstance(items[0], Mapping):
                n = _int(next((v for k, v in items[0].items() if k != "links"), None))
        self.counts[table] = n
        return n

    async def suiteql_page(self, table: str, offset: int) -> Response | APIError:
        return await self.send(
            "POST", "/query/v1/suiteql", params=[("limit", _PAGE), ("offset", offset)],
            json_body={"q": f"SELECT id FROM {table}"},  # noqa: S608 - a validated identifier
            headers={"Prefer": "transient"}, idempotent=True,
        )

    async def suiteql_cap(self, tables: Sequence[str]) -> None:
        r = self.result
        for table in tables:
            n = await self.count(table)
            if n is not None and n > self.cap:
                r.suiteql_table = table
                break
        else:
            self.note(f"SuiteQL cap not measurable: no table among {', '.join(tables)} has more than {self.cap:,} "
                      "rows (pass --table)")
            return
        r.suiteql_total, r.suiteql_has_more_at_cap, r.suiteql_past_cap = await self._cap_pages(
            lambda offset: self.suiteql_page(table, offset), "SuiteQL"
        )

    async def _cap_pages(self, fetch: Any, what: str) -> tuple[str | None, bool | None, str | None]:
        before = await fetch(self.cap - _PAGE)
        total: str | None = None
        has_more: bool | None = None
        if isinstance(before, APIError):
            self.note(f"{what}: the page at offset {self.cap - _PAGE:,} answered {before.status_code}")
        else:
            body = _json(before)
            if isinstance(body, Mapping):
                reported = _int(body.get("totalResults"))
                if reported is not None and reported > self.cap:
                    total = "true"
                elif reported == self.cap:
                    total = "capped"
                else:
                    self.note(f"{what}: totalResults {reported!r} at the cap is neither the true count nor the cap")
                if isinstance(body.get("hasMore"), bool):
                    has_more = body["hasMore"]
        past = await fetch(self.cap)
        past_cap: str | None
        if isinstance(past, APIError):
            past_cap = "refuse" if past.status_code == 400 else None
            if past_cap is None:
                self.note(f"{what}: offset {self.cap:,} answered {past.status_code}")
        else:
            rows = _items(_json(past))
            past_cap = "empty" if not rows else None
            if rows:
                self.note(f"{what}: offset {self.cap:,} returned rows: no cap seen at {self.cap:,}")
        return total, has_more, past_cap

    async def list_page(self, record_type: str, limit: int, offset: int) -> Response | APIError:
        return await self.send("GET", f"/record/v1/{record_type}", params=[("limit", limit), ("offset", offset)])

    async def list_cap(self, record_types: Sequence[str]) -> None:
        r = self.result
        chosen: str | None = None
        for record_type in record_types:
            n = await self.count(record_type.lower())
            if n is not None and n > self.cap:
                chosen = record_type
                break
        if chosen is None:
            self.note(f"record-collection cap not measurable: no record type among {', '.join(record_types)} has "
                      f"more than {self.cap:,} records")
        else:
            r.list_record_type = chosen
            r.list_total, r.list_has_more_at_cap, r.list_past_cap = await self._cap_pages(
                lambda offset: self.list_page(chosen, _PAGE, offset), "record list"
            )
        # The 1,000-page limit: page 1,001 of one record each needs more than 1,001 records.
        small = chosen or next(
            (t for t in record_types if (self.counts.get(t.lower()) or 0) > _PAGE_LIMIT_OFFSET + 1), None
        )
        if small is None:
            self.note(f"list page limit not measurable: no record type has more than {_PAGE_LIMIT_OFFSET + 1:,} "
                      "records")
            return
        r.list_record_type = r.list_record_type or small
        page = await self.list_page(small, 1, _PAGE_LIMIT_OFFSET)
        if isinstance(page, APIError):
            r.list_page_limit = 1000 if page.status_code == 400 else None
        else:
            r.list_page_limit = 1000 if not _items(_json(page)) else "none"

    async def date_format(self, record_type: str) -> None:
        accepted: list[str] = []
        for fmt, text in _DATE_SPELLINGS.items():
            answer = await self.send(
                "GET", f"/record/v1/{record_type}", params=[("limit", 1), ("q", f'dateCreated AFTER "{text}"')]
            )
            if not isinstance(answer, APIError):
                accepted.append(fmt)
            elif answer.status_code != 400:
                self.note(f"date format: the {fmt} filter answered {answer.status_code}; not measured")
                return
        if len(accepted) == 1:
            self.result.date_format = accepted[0]
        elif not accepted:
            self.note("date format: none of M/D/YYYY, D/M/YYYY, YYYY-MM-DD was accepted; the account uses another "
                      "format, which netsuite-async does not write yet")
        else:
            self.note(f"date format: several spellings were accepted ({', '.join(accepted)}); not measured")
