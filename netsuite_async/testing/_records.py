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

import datetime as _dt
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from netsuite_async.testing._app import (
    BadJSON,
    EmuRequest,
    EmuResponse,
    Router,
    json_response,
    no_content,
    ns_error,
)
from netsuite_async.testing._metadata import FieldSpec, RecordType, lookup

if TYPE_CHECKING:
    from netsuite_async.testing._emulator import Emulator

__all__ = ["QueryError", "RecordService", "parse_q", "register"]

API = "/services/rest/record/v1"
MAX_LIMIT = 1000
MAX_BATCH_IDS = 100
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLS = {"true": True, "false": False}


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


# ---------------------------------------------------------------------------------------------- q filters
class QueryError(ValueError):
    """A ``q`` expression that cannot be parsed or does not fit the record type.

    Examples:
        ```python
        with pytest.raises(QueryError): parse_q("email START_WITH", lookup("customer"), set())
        ```
    """


_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[()\[\],])|(?P<word>[^\s()\[\],"]+))')
_STRING_OPS = {"IS", "CONTAIN", "START_WITH", "END_WITH"}
_NUMBER_OPS = {"EQUAL", "GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL", "BETWEEN"}
_DATE_OPS = {"AFTER", "BEFORE", "ON", "ON_OR_AFTER", "ON_OR_BEFORE", "WITHIN"}
_ANY_OPS = {"EMPTY", "ANY_OF"}
_ALL_OPS = _STRING_OPS | _NUMBER_OPS | _DATE_OPS | _ANY_OPS


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"unexpected character at position {pos}")
        pos = m.end()
        if m.group("str") is not None:
            raw = m.group("str")[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", raw)))
        elif m.group("punct") is not None:
            out.append(("punct", m.group("punct")))
        else:
            out.append(("word", m.group("word")))
    return out


_SLASH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _to_date(value: str, date_format: str = "M/D/YYYY") -> str:
    """A ``q`` date in the account's date format (``Dialect.date_format``) as ``YYYY-MM-DD``.

    NetSuite reads record-filter dates with the account's date format preference only: a date written another
    way is refused (``2024-12-31`` on an M/D/YYYY account, ``12/31/2024`` on a D/M/YYYY account), and so is a
    day or month out of range for the format. ``1/2/2024`` is valid in both slash formats and means January 2
    or February 1 depending on the account.
    """
    if date_format == "YYYY-MM-DD":
        if _DATE_RE.match(value):
            try:
                return _dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise QueryError(f"invalid date {value!r} for the date format {date_format}") from None
    else:
        m = _SLASH_DATE_RE.match(value)
        if m:
            first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            month, day = (first, second) if date_format == "M/D/YYYY" else (second, first)
            try:
                return _dt.date(year, month, day).isoformat()
            except ValueError:
                raise QueryError(f"invalid date {value!r} for the date format {date_format}") from None
    raise QueryError(f"invalid date {value!r}: this account's date format is {date_format}")


class _QParser:
    def __init__(self, text: str, rt: RecordType, columns: set[str], date_format: str = "M/D/YYYY") -> None:
        self.toks = _tokens(text)
        self.date_format = date_format
        self.pos = 0
        self.rt = rt
        self.columns = columns
        self.params: list[Any] = []

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise QueryError("unexpected end of the expression")
        self.pos += 1
        return tok

    def is_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1].upper() in words

    def parse(self) -> str:
        if not self.toks:
            raise QueryError("empty expression")
        sql = self.expr()
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return sql

    def expr(self) -> str:
        parts = [self.term()]
        while self.is_word("OR"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def term(self) -> str:
        parts = [self.factor()]
        while self.is_word("AND"):
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def factor(self) -> str:
        tok = self.peek()
        if tok == ("punct", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("punct", ")"):
                raise QueryError("missing ')'")
            return f"({inner})"
        return self.condition()

    def value(self) -> tuple[str, str]:
        tok = self.take()
        if tok[0] == "punct":
            raise QueryError(f"expected a value, found {tok[1]!r}")
        return tok

    def values(self) -> list[tuple[str, str]]:
        if self.peek() == ("punct", "["):
            self.take()
            out = [self.value()]
            while self.peek() == ("punct", ","):
                self.take()
                out.append(self.value())
            if self.take() != ("punct", "]"):
                raise QueryError("missing ']'")
            return out
        out = [self.value()]
        while self.peek() == ("punct", ","):
            self.take()
            out.append(self.value())
        return out

    def condition(self) -> str:
        kind, name = self.take()
        if kind != "word":
            raise QueryError(f"expected a field name, found {name!r}")
        spec = self.rt.field(name)
        column = name.lower()
        if column == "id":
            spec = FieldSpec("id", "integer")
        elif spec is None:
            if column not in self.columns:
                raise QueryError(f"unknown field {name!r}")
            spec = FieldSpec(name, "string")
        if spec.kind in ("sublist", "object") or column not in self.columns:
            raise QueryError(f"the field {name!r} cannot be used in a filter")
        kind, op = self.take()
        op = op.upper()
        negate = op.endswith("_NOT")
        base = op[:-4] if negate else op
        if kind != "word" or base not in _ALL_OPS:
            raise QueryError(f"unknown operator {op!r}")
        col = f'"{column}"'
        fk = spec.kind
        if base == "EMPTY":
            sql = f"({col} IS NULL OR {col} = '')"
            return f"NOT {sql}" if negate else sql
        numeric = fk in ("integer", "number", "ref")
        dated = fk in ("date", "datetime")
        if base in _STRING_OPS and not (fk in ("string", "enum", "boolean") or (base == "IS" and numeric)):
            raise QueryError(f"operator {base} does not apply to the field {name!r}")
        if base in _NUMBER_OPS and not numeric:
            raise QueryError(f"operator {base} does not apply to the field {name!r}")
        if base in _DATE_OPS and not dated:
            raise QueryError(f"operator {base} does not apply to the field {name!r}")
        vals = self.values() if base in ("ANY_OF", "BETWEEN", "WITHIN") else [self.value()]
        conv = [self.convert(v, spec, base) for v in vals]
        sql = self.render(col, base, conv, dated)
        return f"({col} IS NULL OR NOT {sql})" if negate else sql

    def convert(self, tok: tuple[str, str], spec: FieldSpec, op: str) -> Any:
        kind, text = tok
        fk = spec.kind
        if fk == "boolean":
            if text.lower() not in _BOOLS:
                raise QueryError(f"{spec.name} takes true or false")
            return "T" if _BOOLS[text.lower()] else "F"
        if fk in ("integer", "number", "ref"):
            try:
                number = float(text)
            except ValueError:
                if fk == "ref" and kind == "str":
                    return text
                raise QueryError(f"{spec.name} takes a number, not {text!r}") from None
            if not math.isfinite(number):
                raise QueryError(f"{spec.name} takes a finite number")
            return int(number) if number.is_integer() else number
        if fk in ("date", "datetime"):
            return _to_date(text, self.date_format)
        if op in ("CONTAIN", "START_WITH", "END_WITH"):
            return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return text

    def render(self, col: str, op: str, vals: list[Any], dated: bool) -> str:
        target = f"substr({col}, 1, 10)" if dated else col
        p = self.params
        if op in ("BETWEEN", "WITHIN"):
            if len(vals) != 2:
                raise QueryError(f"{op} takes two values")
            p.extend(vals)
            return f"({target} >= ? AND {target} <= ?)"
        if op == "ANY_OF":
            p.extend(vals)
            return f"({target} IN ({','.join('?' * len(vals))}))"
        if len(vals) != 1:
            raise QueryError(f"{op} takes one value")
        p.append(vals[0])
        simple = {
            "EQUAL": "=",
            "GREATER": ">",
            "GREATER_OR_EQUAL": ">=",
            "LESS": "<",
            "LESS_OR_EQUAL": "<=",
            "AFTER": ">",
            "BEFORE": "<",
            "ON": "=",
            "ON_OR_AFTER": ">=",
            "ON_OR_BEFORE": "<=",
        }
        if op in simple:
            return f"({target} {simple[op]} ?)"
        if op == "IS":
            return f"({col} = ? COLLATE NOCASE)"
        pattern = {"CONTAIN": "'%' || ? || '%'", "START_WITH": "? || '%'", "END_WITH": "'%' || ?"}[op]
        return f"({col} LIKE {pattern} ESCAPE '\\')"


def parse_q(
    text: str, rt: RecordType, columns: set[str], date_format: str = "M/D/YYYY"
) -> tuple[str, list[Any]]:
    """Translate a ``q`` filter into an SQL WHERE clause and its parameters.

    Dates must be written in ``date_format`` (the account's preference, ``emu.config.dialect.date_format``).

    Examples:
        ```python
        where, params = parse_q('email START_WITH "a" AND id GREATER 5', lookup("customer"), {"email", "id"})
        ```
    """
    parser = _QParser(text, rt, columns, date_format)
    return parser.parse(), parser.params


# ---------------------------------------------------------------------------------------------- values
def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class RecordService:
    """The record operations behind the routes (``emu.records``); each returns an `EmuResponse`.

    Examples:
        ```python
        resp = await emu.records.create("customer", {"companyName": "Acme"}, base_url="http://emulator.test")
        ```
    """

    def __init__(self, emu: Emulator) -> None:
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
            ok = isinstance(value, int) and not isinstance(value, bool)
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

    # -------------------------------------------------------------- reads
    def _ref_out(self, spec: FieldSpec, value: dict[str, Any], base: str) -> dict[str, Any]:
        out: dict[str, Any] = {"links": [], "id": str(value.get("id"))}
        raw = str(value.get("id", ""))
        found = self.store.find_ref(spec.ref or "entity", int(raw)) if raw.isdigit() else None
        if found is not None:
            table, doc = found
            rt = lookup(table)
            name = rt.name if rt is not None else table
            out["links"] = [{"rel": "self", "href": f"{base}{API}/{name}/{raw}"}]
            ref_name = (
                doc.get("entityId")
                or doc.get("companyName")
                or doc.get("itemId")
                or doc.get("tranId")
                or doc.get("name")
            )
            if ref_name is not None:
                out["refName"] = str(ref_name)
        return out

    def render(
        self,
        rt: RecordType,
        doc: dict[str, Any],
        base: str,
        *,
        fields: list[str] | None = None,
        expand: bool = False,
        simple_enum: bool = False,
    ) -> dict[str, Any]:
        """A stored document as the REST API answers it (links, refs with refName, enums, sublists).

        Examples:
            ```python
            body = emu.records.render(rt, doc, "http://emulator.test", expand=True)
            ```
        """
        rid = doc["id"]
        self_href = f"{base}{API}/{rt.name}/{rid}"
        out: dict[str, Any] = {"links": [{"rel": "self", "href": self_href}]}
        wanted = None if fields is None else {f.lower() for f in fields} | {"id"}
        for key, value in doc.items():
            if wanted is not None and key.lower() not in wanted:
                continue
            spec = rt.field(key)
            if spec is None:
                out[key] = value
            elif spec.kind == "ref" and isinstance(value, dict):
                out[key] = self._ref_out(spec, value, base)
            elif spec.kind == "enum":
                out[key] = value if simple_enum else {"id": value, "refName": dict(spec.enum).get(value, value)}
            elif spec.kind == "sublist":
                out[key] = self._sublist_out(rt, spec, rid, value, base, expand, simple_enum)
            else:
                out[key] = value
        return out

    def _sublist_out(
        self,
        rt: RecordType,
        spec: FieldSpec,
        rid: str,
        value: Any,
        base: str,
        expand: bool,
        simple_enum: bool,
    ) -> dict[str, Any]:
        href = f"{base}{API}/{rt.name}/{rid}/{spec.name}"
        if not expand:
            return {"links": [{"rel": "self", "href": href}]}
        lines = (value or {}).get("items", [])
        items = [self._line_out(spec, line, href, i, base) for i, line in enumerate(lines, start=1)]
        return {
            "links": [{"rel": "self", "href": href}],
            "items": items,
            "totalResults": len(items),
            "count": len(items),
            "hasMore": False,
            "offset": 0,
        }

    def _line_out(self, spec: FieldSpec, line: dict[str, Any], href: str, index: int, base: str) -> dict[str, Any]:
        key = line.get("line", line.get("id", index))
        out: dict[str, Any] = {"links": [{"rel": "self", "href": f"{href}/{key}"}]}
        specs = spec.line_fields_map
        for k, v in line.items():
            ls = specs.get(k.lower())
            if ls is not None and ls.kind == "ref" and isinstance(v, dict):
                out[k] = self._ref_out(ls, v, base)
            else:
                out[k] = v
        return out


# ---------------------------------------------------------------------------------------------- routes
_GET_PARAMS = frozenset({"fields", "expandSubResources", "simpleEnumFormat"})
_LIST_PARAMS = frozenset(
    {"limit", "offset", "q", "ids", "expandRecords", "fields", "simpleEnumFormat", "expandSubResources"}
)
_PATCH_PARAMS = frozenset({"replace", "replaceSelectedFields"})


def _int_param(req: EmuRequest, name: str, default: int) -> int:
    raw = req.param(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise _bad_param(name, f"Invalid value for the query parameter {name}: {raw!r}.")
    return int(raw)


def _is_collection(req: EmuRequest) -> bool:
    ctype = req.headers.get("content-type", "").replace(" ", "").lower()
    return "type=collection" in ctype


def register(router: Router, emu: Emulator) -> None:
    """Add the record service routes (register after the metadata catalog, whose paths look alike).

    Examples:
        ```python
        register(router, emu)
        ```
    """
    service = RecordService(emu)
    emu.records = service
    store = emu.store

    def body_of(req: EmuRequest) -> Any:
        if _is_collection(req):
            raise _Problem(
                ns_error(400, "INVALID_CONTENT", "Collection requests must be sent with Prefer: respond-async.")
            )
        try:
            return req.json()
        except BadJSON as exc:
            raise _Problem(ns_error(400, "INVALID_CONTENT", f"The request body is not valid JSON: {exc}")) from None

    def link(base: str, rt: RecordType, params: list[tuple[str, str]], limit: int, offset: int) -> str:
        q = [(k, v) for k, v in params if k not in ("limit", "offset")] + [
            ("limit", str(limit)),
            ("offset", str(offset)),
        ]
        from urllib.parse import urlencode

        return f"{base}{API}/{rt.name}?{urlencode(q)}"

    async def list_records(req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, _LIST_PARAMS)
            rt = service.record_type(req.path_params["type"])
            base = req.base_url
            if req.param("ids") is not None:
                return batch_read(req, rt, base)
            for name in ("expandRecords", "fields", "expandSubResources"):
                if req.param(name) is not None:
                    raise _bad_param(name, f"The query parameter {name} is only allowed with ids.")
            limit = _int_param(req, "limit", MAX_LIMIT)
            offset = _int_param(req, "offset", 0)
            if not 1 <= limit <= MAX_LIMIT:
                raise _bad_param("limit", f"Invalid limit {limit}: use 1 to {MAX_LIMIT}.")
            if offset % limit:
                raise _bad_param("offset", f"Invalid offset {offset}: it must be a multiple of the limit {limit}.")
            dialect = emu.config.dialect
            cap = emu.config.max_results
            # NetSuite lists at most 1,000 pages: a small page size lowers the records reachable by offset.
            pages = dialect.list_max_pages
            reach = cap if pages is None else min(cap, pages * limit)
            past = offset >= reach
            if past and dialect.list_past_cap == "refuse":
                if offset >= cap:
                    raise _bad_param("offset", f"Invalid offset {offset}: at most {cap} results can be listed.")
                raise _bad_param(
                    "offset", f"Invalid offset {offset}: at most {pages} pages can be listed (page {offset // limit})."
                )
            where: str = ""
            params: list[Any] = []
            q = req.param("q")
            if q is not None:
                try:
                    where, params = parse_q(q, rt, store.columns(rt), emu.config.dialect.date_format)
                except QueryError as exc:
                    raise _bad_param("q", f"Invalid search query: {exc}.") from None
            # Record collections list in internal-id order (the store's), so the unstable_order dialect, which is
            # about queries without a unique ORDER BY, does not apply to them.
            ids, total = store.query_ids(rt, where, params, max(0, min(limit, reach - offset)), offset)
            reachable = min(total, reach)
            has_more = offset + len(ids) < reachable
            if total > reach and offset < reach <= offset + limit:
                # The last page before the cap (or the page limit) while more records exist.
                has_more = dialect.list_has_more_at_cap
            if dialect.list_total == "capped":
                total = min(total, cap)
            items = [{"links": [{"rel": "self", "href": f"{base}{API}/{rt.name}/{i}"}], "id": str(i)} for i in ids]
            last = max(0, (reachable - 1) // limit * limit)
            links = [{"rel": "self", "href": link(base, rt, req.query, limit, offset)}]
            links.append({"rel": "first", "href": link(base, rt, req.query, limit, 0)})
            if offset > 0:
                links.append({"rel": "previous", "href": link(base, rt, req.query, limit, max(0, offset - limit))})
            if has_more:
                links.append({"rel": "next", "href": link(base, rt, req.query, limit, offset + limit)})
            links.append({"rel": "last", "href": link(base, rt, req.query, limit, last)})
            return json_response(
                {
                    "links": links,
                    "count": len(items),
                    "hasMore": has_more,
                    "items": items,
                    "offset": offset,
                    "totalResults": total,
                }
            )
        except _Problem as p:
            return p.response

    def batch_read(req: EmuRequest, rt: RecordType, base: str) -> EmuResponse:
        if not emu.config.batch_collections:
            raise _bad_param("ids", "Invalid query parameter: ids.")
        # Dialect sync_batch_read=False: the batch read is only served as the task of an asynchronous job
        # (Prefer: respond-async); sent synchronously it is refused, nothing else changes.
        is_task = getattr(emu.jobs, "is_task_request", None)
        if not emu.config.dialect.sync_batch_read and not (is_task is not None and is_task(req)):
            raise _Problem(
                ns_error(
                    400,
                    "INVALID_REQUEST",
                    "A batch read (ids) must be sent asynchronously: add the header Prefer: respond-async.",
                    query_param="ids",
                )
            )
        for name in ("q", "limit", "offset"):
            if req.param(name) is not None:
                raise _bad_param(name, f"The query parameter {name} cannot be combined with ids.")
        keys = [k.strip() for k in (req.param("ids") or "").split(",") if k.strip()]
        if not keys or len(keys) > MAX_BATCH_IDS:
            raise _bad_param("ids", f"ids takes 1 to {MAX_BATCH_IDS} record ids.")
        expand = _bool_param(req, "expandRecords")
        fields = req.param("fields")
        items = []
        for key in keys:
            rid = service.resolve_id(rt, key, must_exist=False)
            if rid is None:
                continue
            if expand:
                doc = store.get(rt, rid)
                if doc is not None:
                    items.append(
                        service.render(
                            rt,
                            doc,
                            base,
                            fields=fields.split(",") if fields else None,
                            expand=_bool_param(req, "expandSubResources"),
                            simple_enum=_bool_param(req, "simpleEnumFormat"),
                        )
                    )
            else:
                items.append({"links": [{"rel": "self", "href": f"{base}{API}/{rt.name}/{rid}"}], "id": str(rid)})
        return json_response(
            {
                "links": [{"rel": "self", "href": req.url}],
                "count": len(items),
                "hasMore": False,
                "items": items,
                "offset": 0,
                "totalResults": len(items),
            }
        )

    async def get_record(req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, _GET_PARAMS)
            rt = service.record_type(req.path_params["type"])
            rid = service.resolve_id(rt, req.path_params["id"])
            assert rid is not None
            doc = store.get(rt, rid)
            assert doc is not None
            fields = req.param("fields")
            names = [f.strip() for f in fields.split(",") if f.strip()] if fields is not None else None
            if names is not None:
                for name in names:
                    if rt.field(name) is None and name.lower() != "id":
                        raise _bad_param("fields", f"Invalid field in fields: {name}.")
            return json_response(
                service.render(
                    rt,
                    doc,
                    req.base_url,
                    fields=names,
                    expand=_bool_param(req, "expandSubResources"),
                    simple_enum=_bool_param(req, "simpleEnumFormat"),
                )
            )
        except _Problem as p:
            return p.response

    async def create(req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset())
            body = body_of(req)
        except _Problem as p:
            return p.response
        return await service.create(req.path_params["type"], body, base_url=req.base_url, headers=req.headers)

    async def patch(req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, _PATCH_PARAMS)
            body = body_of(req)
            replace = [r.strip() for r in (req.param("replace") or "").split(",") if r.strip()]
            selected = _bool_param(req, "replaceSelectedFields")
        except _Problem as p:
            return p.response
        return await service.update(
            req.path_params["type"],
            req.path_params["id"],
            body,
            base_url=req.base_url,
            headers=req.headers,
            replace=replace,
            replace_selected=selected,
        )

    async def put(req: EmuRequest) -> EmuResponse:
        key = req.path_params["id"]
        if not key.startswith("eid:"):
            return ns_error(405, "INVALID_REQUEST", "PUT is only supported with an external ID: /{type}/eid:{id}.")
        try:
            _check_params(req, frozenset())
            body = body_of(req)
        except _Problem as p:
            return p.response
        return await service.upsert(req.path_params["type"], key[4:], body, base_url=req.base_url, headers=req.headers)

    async def delete(req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset())
        except _Problem as p:
            return p.response
        return await service.delete(req.path_params["type"], req.path_params["id"], base_url=req.base_url)

    async def transform(req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset())
            body = body_of(req) if req.body else {}
        except _Problem as p:
            return p.response
        return await service.transform(
            req.path_params["type"],
            req.path_params["id"],
            req.path_params["target"],
            body,
            base_url=req.base_url,
            headers=req.headers,
        )

    def sub_spec(rt: RecordType, name: str) -> FieldSpec:
        spec = rt.field(name)
        if spec is None or spec.kind not in ("sublist", "ref"):
            raise _Problem(ns_error(404, "NONEXISTENT_ID", f"The sub-resource {name} does not exist."))
        return spec

    async def get_sub(req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset({"simpleEnumFormat"}))
            rt = service.record_type(req.path_params["type"])
            rid = service.resolve_id(rt, req.path_params["id"])
            spec = sub_spec(rt, req.path_params["sub"])
            doc = store.get(rt, rid or 0) or {}
            value = doc.get(spec.name)
            if spec.kind == "ref":
                if not isinstance(value, dict):
                    raise _Problem(ns_error(404, "NONEXISTENT_ID", f"The sub-resource {spec.name} is empty."))
                return json_response(service._ref_out(spec, value, req.base_url))
            return json_response(service._sublist_out(rt, spec, doc["id"], value, req.base_url, True, False))
        except _Problem as p:
            return p.response

    async def get_line(req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset({"simpleEnumFormat"}))
            rt = service.record_type(req.path_params["type"])
            rid = service.resolve_id(rt, req.path_params["id"])
            spec = sub_spec(rt, req.path_params["sub"])
            if spec.kind != "sublist":
                raise _Problem(ns_error(404, "NONEXISTENT_ID", f"The sub-resource {spec.name} has no lines."))
            doc = store.get(rt, rid or 0) or {}
            key = req.path_params["line"]
            href = f"{req.base_url}{API}/{rt.name}/{doc['id']}/{spec.name}"
            for i, line in enumerate((doc.get(spec.name) or {}).get("items", []), start=1):
                if str(line.get("line", line.get("id", i))) == key:
                    return json_response(service._line_out(spec, line, href, i, req.base_url))
            raise _Problem(ns_error(404, "NONEXISTENT_ID", f"The line {key} does not exist."))
        except _Problem as p:
            return p.response

    router.add("GET", "/record/v1/{type}", list_records, name="record.list")
    router.add("POST", "/record/v1/{type}", create, name="record.create")
    router.add("GET", "/record/v1/{type}/{id}", get_record, name="record.get")
    router.add("PATCH", "/record/v1/{type}/{id}", patch, name="record.update")
    router.add("PUT", "/record/v1/{type}/{id}", put, name="record.upsert")
    router.add("DELETE", "/record/v1/{type}/{id}", delete, name="record.delete")
    router.add("POST", "/record/v1/{type}/{id}/!transform/{target}", transform, name="record.transform")
    router.add("GET", "/record/v1/{type}/{id}/{sub}", get_sub, name="record.subresource")
    router.add("GET", "/record/v1/{type}/{id}/{sub}/{line}", get_line, name="record.line")
