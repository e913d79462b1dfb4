"""Record storage in SQLite: what the record service writes, SuiteQL reads.

Schema (one in-memory database per emulator, ``emu.store.connection``; stdlib ``sqlite3``):

* **One table per record type**, named the lower-cased REST type name: ``customer``, ``contact``,
  ``vendor``, ``employee``, ``inventoryitem``, ``noninventorysaleitem``, ``servicesaleitem``, ``salesorder``,
  ``invoice``, ``purchaseorder``, ``subsidiary``, ``currency``, ``department``, ``location``,
  ``classification``, and ``customrecord_*`` on first write. Columns:

  - ``id INTEGER PRIMARY KEY``; ``externalid TEXT UNIQUE``; ``datecreated``, ``lastmodifieddate`` (ISO-8601
    UTC with milliseconds, ``2025-01-31T12:00:00.123Z``; ``lastmodifieddate`` strictly increases per write);
  - one column per scalar body field, the lower-cased field name (``companyname``, ``email``, ``tranid``,
    ``trandate`` as ``YYYY-MM-DD``, ``entity``…), declared without a type so values keep their own (text,
    integer, real); columns are added on demand with ``ALTER TABLE`` when a new field (custom fields) is
    written; references (``{"id": "5"}``) are stored as the integer id; booleans as ``'T'``/``'F'``;
    enumerations as their id (``'B'``);
  - ``_body``: the full stored record document as JSON (sublists like ``{"items": [...]}`` and objects live
    only here). The columns are a projection of ``_body`` for SuiteQL.

* Internal ids are shared within a family like in NetSuite: entities (customer, contact, vendor, employee),
  transactions (salesorder, invoice, purchaseorder), items; other types count on their own.
* ``transactionline``: one row per line of a transaction's ``item`` sublist: ``transaction`` (a keyword
  in SQLite: SuiteQL translation must quote it, as for the ``transaction`` view), ``id`` (the
  line number), ``linesequencenumber``, ``item``, ``quantity``, ``rate``, ``netamount``, ``memo``,
  ``mainline`` (``'F'``).
* Views: ``transaction`` (``id, type, tranid, trandate, entity, memo, status, total, externalid,
  datecreated, lastmodifieddate``; ``type`` is ``'SalesOrd'``, ``'CustInvc'``, ``'PurchOrd'``), ``item``
  (``id, itemid, displayname, itemtype, baseprice, cost, isinactive, externalid, datecreated,
  lastmodifieddate``; ``itemtype`` ``'InvtPart'``, ``'NonInvtPart'``, ``'Service'``) and ``entity``
  (``id, entityid, type, email, isinactive, externalid, datecreated, lastmodifieddate``).

Examples:
    ```python
    store = Store(WriteClock())
    new_id = store.insert(lookup("customer"), {"companyName": "Acme", "email": "a@acme.test"})
    rows = store.connection.execute("SELECT id, email FROM customer").fetchall()
    ```
"""

# Table and column names in the SQL below come only from _IDENT-checked identifiers (record type and field
# names), always double-quoted; every value is a bound parameter.
# ruff: noqa: S608
from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from netsuite_async.testing._metadata import FAMILY_TYPES, RECORD_TYPES, RecordType, lookup

if TYPE_CHECKING:
    from netsuite_async.testing._clock import WriteClock

__all__ = ["Store", "project"]

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_BASE_COLUMNS = ("id", "externalid", "datecreated", "lastmodifieddate", "_body")
_TRAN_TYPES = {"salesorder": "SalesOrd", "invoice": "CustInvc", "purchaseorder": "PurchOrd"}
_ITEM_TYPES = {"inventoryitem": "InvtPart", "noninventorysaleitem": "NonInvtPart", "servicesaleitem": "Service"}
_ENTITY_TYPES = {"customer": "CustJob", "contact": "Contact", "vendor": "Vendor", "employee": "Employee"}


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "T" if value else "F"
    if value is None or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, dict) and "id" in value and "items" not in value:
        ref = str(value["id"])
        return int(ref) if ref.isdigit() else ref
    return _SKIP


_SKIP = object()


_KEYS: dict[str, str | None] = {}


def _column_of(key: str) -> str | None:
    low = _KEYS.get(key, "")
    if low == "":
        low = key.lower()
        if low in ("id", "_body", "links") or not _IDENT.match(low):
            low = None
        if len(_KEYS) < 10_000:  # field names repeat; the cache only saves time, so keep it bounded
            _KEYS[key] = low
    return low


def project(doc: dict[str, Any]) -> dict[str, Any]:
    """The column values (lower-case names) of a stored document.

    Examples:
        ```python
        assert project({"isPerson": True, "entity": {"id": "5"}}) == {"isperson": "T", "entity": 5}
        ```
    """
    out: dict[str, Any] = {}
    for key, value in doc.items():
        low = _column_of(key)
        if low is None:
            continue
        t = type(value)
        if t is str or t is int or t is float or value is None:
            out[low] = value
        else:
            v = _scalar(value)
            if v is not _SKIP:
                out[low] = v
    return out


class Store:
    """SQLite-backed records; see the module docstring for the schema.

    Examples:
        ```python
        doc = store.get(lookup("customer"), 1)
        ```
    """

    def __init__(self, clock: WriteClock) -> None:
        self.clock = clock
        # One thread at a time touches it (one event loop), but servers may build it in another thread.
        self.connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=OFF")
        self.connection.execute("PRAGMA synchronous=OFF")
        self._columns: dict[str, set[str]] = {}
        self._next_id: dict[str, int] = {}
        self._custom: list[str] = []
        for rt in RECORD_TYPES.values():
            self.ensure_table(rt)
        self.connection.execute(
            'CREATE TABLE transactionline ("transaction" INTEGER, id INTEGER, linesequencenumber INTEGER, '
            "item, quantity, rate, netamount, memo, mainline TEXT DEFAULT 'F', PRIMARY KEY (\"transaction\", id))"
        )
        self._create_views()

    # ------------------------------------------------------------------ schema
    def ensure_table(self, rt: RecordType) -> None:
        """Create the type's table (with its declared scalar fields) if needed.

        Examples:
            ```python
            store.ensure_table(lookup("customrecord_widget"))
            ```
        """
        table = rt.table
        if table in self._columns:
            return
        if not _IDENT.match(table):
            raise ValueError(f"bad table name {table!r}")
        cols = [
            f.name.lower()
            for f in rt.fields.values()
            if f.kind not in ("sublist", "object") and f.name.lower() not in _BASE_COLUMNS
        ]
        ddl = ", ".join(f'"{c}"' for c in cols)
        self.connection.execute(
            f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY, externalid TEXT UNIQUE, datecreated TEXT, '
            f"lastmodifieddate TEXT, _body TEXT NOT NULL{', ' + ddl if ddl else ''})"
        )
        self._columns[table] = set(_BASE_COLUMNS) | set(cols)
        if rt.custom:
            self._custom.append(rt.name)

    def columns(self, rt: RecordType) -> set[str]:
        """The table's column names.

        Examples:
            ```python
            assert "email" in store.columns(lookup("customer"))
            ```
        """
        self.ensure_table(rt)
        return self._columns[rt.table]

    def custom_types(self) -> list[str]:
        """Custom record types that have a table.

        Examples:
            ```python
            store.custom_types()   # ["customrecord_widget"]
            ```
        """
        return list(self._custom)

    def _add_columns(self, table: str, names: Iterable[str]) -> None:
        known = self._columns[table]
        for name in names:
            if name not in known:
                self.connection.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}"')
                known.add(name)

    def _create_views(self) -> None:
        tran = " UNION ALL ".join(
            f"SELECT id, '{code}' AS type, tranid, trandate, entity, memo, "
            f"{'orderstatus' if t == 'salesorder' else 'status' if t == 'invoice' else 'NULL'} AS status, "
            f"total, externalid, datecreated, lastmodifieddate FROM {t}"
            for t, code in _TRAN_TYPES.items()
        )
        items = " UNION ALL ".join(
            f"SELECT id, itemid, displayname, '{code}' AS itemtype, baseprice, cost, isinactive, externalid, "
            f"datecreated, lastmodifieddate FROM {t}"
            for t, code in _ITEM_TYPES.items()
        )
        ents = " UNION ALL ".join(
            f"SELECT id, entityid, '{code}' AS type, email, isinactive, externalid, datecreated, "
            f"lastmodifieddate FROM {t}"
            for t, code in _ENTITY_TYPES.items()
        )
        self.connection.execute(f'CREATE VIEW "transaction" AS {tran}')
        self.connection.execute(f"CREATE VIEW item AS {items}")
        self.connection.execute(f"CREATE VIEW entity AS {ents}")

    # ------------------------------------------------------------------ ids
    def _family_tables(self, rt: RecordType) -> tuple[str, ...]:
        return FAMILY_TYPES.get(rt.family, (rt.table,)) if not rt.custom else (rt.table,)

    def next_id(self, rt: RecordType) -> int:
        """Allocate the next internal id in the type's family.

        Examples:
            ```python
            new_id = store.next_id(lookup("customer"))
            ```
        """
        family = rt.family
        current = self._next_id.get(family)
        if current is None:
            current = 1
            for table in self._family_tables(rt):
                row = self.connection.execute(f'SELECT MAX(id) FROM "{table}"').fetchone()
                if row[0] is not None:
                    current = max(current, int(row[0]) + 1)
        self._next_id[family] = current + 1
        return current

    # ------------------------------------------------------------------ reads
    def get(self, rt: RecordType, record_id: int) -> dict[str, Any] | None:
        """The stored document (with ``id`` as a string), or None.

        Examples:
            ```python
            doc = store.get(lookup("customer"), 1)
            ```
        """
        self.ensure_table(rt)
        row = self.connection.execute(f'SELECT _body FROM "{rt.table}" WHERE id = ?', (record_id,)).fetchone()
        if row is None:
            return None
        doc: dict[str, Any] = json.loads(row[0])
        return doc

    def get_many(self, rt: RecordType, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Documents for several ids (missing ones left out).

        Examples:
            ```python
            docs = store.get_many(lookup("customer"), [1, 2])
            ```
        """
        self.ensure_table(rt)
        out: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for rid, body in self.connection.execute(
                f'SELECT id, _body FROM "{rt.table}" WHERE id IN ({marks})', chunk
            ):
                out[int(rid)] = json.loads(body)
        return out

    def id_by_eid(self, rt: RecordType, external_id: str) -> int | None:
        """The internal id of the record with this external id.

        Examples:
            ```python
            rid = store.id_by_eid(lookup("customer"), "CRM-1")
            ```
        """
        self.ensure_table(rt)
        row = self.connection.execute(f'SELECT id FROM "{rt.table}" WHERE externalid = ?', (external_id,)).fetchone()
        return None if row is None else int(row[0])

    def find_ref(self, target: str, record_id: int) -> tuple[str, dict[str, Any]] | None:
        """Resolve a reference: ``target`` is a type or a family; returns (table, document).

        Examples:
            ```python
            found = store.find_ref("entity", 5)
            ```
        """
        rt = lookup(target)
        tables = (rt.table,) if rt is not None else FAMILY_TYPES.get(target, ())
        for table in tables:
            if table not in self._columns:
                continue
            row = self.connection.execute(f'SELECT _body FROM "{table}" WHERE id = ?', (record_id,)).fetchone()
            if row is not None:
                return table, json.loads(row[0])
        return None

    def query_ids(
        self, rt: RecordType, where: str, params: Sequence[Any], limit: int, offset: int
    ) -> tuple[list[int], int]:
        """Ids matching a WHERE clause (ordered by id) and the total count.

        Examples:
            ```python
            ids, total = store.query_ids(lookup("customer"), "email LIKE ?", ["a%"], 1000, 0)
            ```
        """
        self.ensure_table(rt)
        clause = f" WHERE {where}" if where else ""
        total = self.connection.execute(f'SELECT COUNT(*) FROM "{rt.table}"{clause}', params).fetchone()[0]
        rows = self.connection.execute(
            f'SELECT id FROM "{rt.table}"{clause} ORDER BY id LIMIT ? OFFSET ?', (*params, limit, offset)
        ).fetchall()
        return [int(r[0]) for r in rows], int(total)

    # ------------------------------------------------------------------ writes
    def _row(self, doc: dict[str, Any]) -> dict[str, Any]:
        cols = project(doc)
        cols.setdefault("externalid", None)
        return cols

    def insert(self, rt: RecordType, doc: dict[str, Any], record_id: int | None = None) -> int:
        """Store a new record; sets ``id``, ``dateCreated``, ``lastModifiedDate`` on ``doc``.

        Examples:
            ```python
            rid = store.insert(lookup("customer"), {"companyName": "Acme"})
            ```
        """
        self.ensure_table(rt)
        rid = record_id if record_id is not None else self.next_id(rt)
        now = self.clock.next()
        doc["id"] = str(rid)
        doc["dateCreated"] = now
        doc["lastModifiedDate"] = now
        self._write(rt, rid, doc, insert=True)
        return rid

    def replace(self, rt: RecordType, record_id: int, doc: dict[str, Any]) -> None:
        """Overwrite a record's document; bumps ``lastModifiedDate``.

        Examples:
            ```python
            store.replace(lookup("customer"), 1, doc)
            ```
        """
        doc["id"] = str(record_id)
        doc["lastModifiedDate"] = self.clock.next()
        self._write(rt, record_id, doc, insert=False)

    def _write(self, rt: RecordType, rid: int, doc: dict[str, Any], *, insert: bool) -> None:
        table = rt.table
        cols = self._row(doc)
        self._add_columns(table, cols)
        body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        conn = self.connection
        if insert:
            names = ["id", "_body", *cols]
            marks = ",".join("?" * len(names))
            quoted = ",".join(f'"{n}"' for n in names)
            conn.execute(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', (rid, body, *cols.values()))
        else:
            # Columns of fields no longer in the document must read NULL, like a cleared field in NetSuite.
            all_cols = [c for c in self._columns[table] if c not in ("id", "_body", "datecreated")]
            values = [cols.get(c) for c in all_cols]
            sets = ",".join(f'"{c}" = ?' for c in all_cols)
            conn.execute(f'UPDATE "{table}" SET _body = ?, {sets} WHERE id = ?', (body, *values, rid))
        if table in _TRAN_TYPES:
            self._write_lines(rid, doc)

    def _write_lines(self, rid: int, doc: dict[str, Any]) -> None:
        conn = self.connection
        conn.execute('DELETE FROM transactionline WHERE "transaction" = ?', (rid,))
        lines = (doc.get("item") or {}).get("items") or []
        rows = []
        for seq, line in enumerate(lines, start=1):
            item = line.get("item")
            item_id = _scalar(item) if isinstance(item, dict) else None
            rows.append(
                (
                    rid,
                    int(line.get("line", seq)),
                    seq,
                    item_id,
                    line.get("quantity"),
                    line.get("rate"),
                    line.get("amount"),
                    line.get("description"),
                )
            )
        if rows:
            conn.executemany(
                'INSERT INTO transactionline ("transaction", id, linesequencenumber, item, quantity, rate, '
                "netamount, memo) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )

    def delete(self, rt: RecordType, record_id: int) -> bool:
        """Remove a record; False when it did not exist.

        Examples:
            ```python
            assert store.delete(lookup("customer"), 1)
            ```
        """
        self.ensure_table(rt)
        cur = self.connection.execute(f'DELETE FROM "{rt.table}" WHERE id = ?', (record_id,))
        if rt.table in _TRAN_TYPES:
            self.connection.execute('DELETE FROM transactionline WHERE "transaction" = ?', (record_id,))
        return cur.rowcount > 0

    def bulk_insert(self, rt: RecordType, docs: Sequence[dict[str, Any]]) -> None:
        """Insert many complete documents (each with ``id``, dates) in one ``executemany`` (seeding).

        Examples:
            ```python
            store.bulk_insert(lookup("customer"), docs)
            ```
        """
        if not docs:
            return
        self.ensure_table(rt)
        table = rt.table
        names: list[str] = []
        seen: set[str] = set()
        rows_cols = []
        for doc in docs:
            cols = self._row(doc)
            rows_cols.append(cols)
            for c in cols:
                if c not in seen:
                    seen.add(c)
                    names.append(c)
        self._add_columns(table, names)
        quoted = ",".join(f'"{n}"' for n in ("id", "_body", *names))
        marks = ",".join("?" * (len(names) + 2))
        dumps = json.dumps
        rows = [
            (int(doc["id"]), dumps(doc, separators=(",", ":"), ensure_ascii=False), *(c.get(n) for n in names))
            for doc, c in zip(docs, rows_cols, strict=True)
        ]
        self.connection.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', rows)
        top = max(int(d["id"]) for d in docs)
        family = rt.family
        if self._next_id.get(family, 1) <= top:
            self._next_id[family] = top + 1
        if table in _TRAN_TYPES:
            for doc in docs:
                self._write_lines(int(doc["id"]), doc)
