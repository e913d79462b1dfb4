"""The record service, ``/services/rest/record/v1``: CRUD, lists with ``q``, sub-resources, transforms.

Where NetSuite's behaviour is not documented the emulator is strict, and says so here:

* Unknown record type: **404** ``NONEXISTENT_ID`` ("Record type 'x' does not exist.").
* Unknown record id: 404 ``NONEXISTENT_ID``. A malformed id (not digits, not ``eid:``): 400
  ``INVALID_PARAMETER``. ``PUT`` is only an upsert by external id (``PUT /customer/7`` is 405).
* Unknown query parameters: 400 ``INVALID_PARAMETER`` with ``o:errorQueryParam``. Booleans in the query
  must be ``true``/``false``.
* Body fields: unknown names are ignored unless ``X-NetSuite-PropertyNameValidation: Error`` (then 400
  ``INVALID_CONTENT`` with ``o:errorPath``). Values are always type-checked (400 ``USER_ERROR`` with
  ``o:errorPath``): strings must be strings, numbers numbers, booleans booleans, dates ``YYYY-MM-DD``,
  references ``{"id": "5"}`` or ``{"externalId": "X"}`` naming an existing record, sublists ``{"items":
  [...]}``. Read-only fields (``id``, ``dateCreated``, ``total``…) are ignored.
* Mandatory fields (``companyName`` on a company customer, ``entity`` and at least one item line on sales
  orders…): 400 ``USER_ERROR`` "Please enter value(s) for: …".
* Creating with an ``externalId`` already in use: 400 ``DUP_RCRD`` (``o:errorPath: externalId``).
* A synchronous request with a collection body (``type=collection``): 400 ``INVALID_CONTENT`` (batches
  must be asynchronous).
* ``q``: ``field OPERATOR value`` with AND/OR and parentheses; string values in double quotes; lists as
  ``[a, b]``; dates only in the account's date format (``Dialect.date_format``: ``M/D/YYYY`` by default,
  ``D/M/YYYY`` or ``YYYY-MM-DD``), any other spelling is refused. Unknown fields, operators that do not fit
  the field's type, and syntax errors answer 400 ``INVALID_PARAMETER`` with ``o:errorQueryParam: "q"``.
* Lists: ``limit`` 1..1000 (default 1000), ``offset`` a multiple of ``limit``, and no page may start at or
  past result 100,000 (400 ``INVALID_PARAMETER``).
* 2026.1 batch read ``?ids=1,2,eid:X&expandRecords=true``: up to 100 ids, not combinable with ``q``/``limit``/
  ``offset``; ids that do not exist are left out; 400 when the account has the feature switched off. With the
  dialect's ``sync_batch_read=False`` it is served only as an asynchronous job's task (``Prefer:
  respond-async``); sent synchronously it is refused with 400 ``INVALID_REQUEST`` (``o:errorQueryParam: ids``).

`RecordService` (``emu.records``) offers the write operations as methods so the async/batch layer can
apply one batch item at a time.

Examples:
    ```python
    response = await emu.records.create("customer", {"companyName": "Acme"}, base_url="http://emulator.test")
    assert response.status == 204
    ```
"""

from __future__ import annotations

from netsuite_async.testing._records_domain import RecordService
from netsuite_async.testing._records_q import QueryError, parse_q
from netsuite_async.testing._records_routes import register

__all__ = ["QueryError", "RecordService", "parse_q", "register"]
