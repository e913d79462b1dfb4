"""The record service's read side: a stored document rendered as the REST API answers it.

`RecordRenderer` is the base of `RecordService` (``_records_domain.py``): links, references with ``refName``,
enumerations and sublists, for ``GET`` on a record, a sub-resource or a line.

Examples:
    ```python
    doc = emu.records.render(lookup("customer"), stored, "http://emulator.test")
    ```
"""

from __future__ import annotations

from typing import Any

from netsuite_async.testing._metadata import FieldSpec, RecordType, lookup
from netsuite_async.testing._store import Store

__all__ = ["API", "RecordRenderer"]

API = "/services/rest/record/v1"


class RecordRenderer:
    """Renders stored records (links, refs with refName, enums, sublists); `RecordService` inherits it.

    Examples:
        ```python
        body = emu.records.render(lookup("customer"), emu.store.get(lookup("customer"), 1), "http://x")
        ```
    """

    store: Store

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
