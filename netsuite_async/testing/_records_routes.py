"""The record service's routes: one handler method per endpoint of ``/services/rest/record/v1``.

Examples:
    ```python
    register(router, emu)   # after the metadata catalog, whose paths look alike
    ```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netsuite_async.testing._app import BadJSON, EmuRequest, EmuResponse, Handler, Router, json_response, ns_error
from netsuite_async.testing._metadata import FieldSpec, RecordType
from netsuite_async.testing._records_domain import (
    API,
    MAX_BATCH_IDS,
    MAX_LIMIT,
    RecordService,
    _bad_param,
    _bool_param,
    _check_params,
    _Problem,
)
from netsuite_async.testing._records_q import QueryError, parse_q

if TYPE_CHECKING:
    from netsuite_async.testing._state import EmulatorState

__all__ = ["RecordRoutes", "register"]

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


class RecordRoutes:
    """The record endpoints as named handler methods over one `RecordService`.

    Examples:
        ```python
        routes = RecordRoutes(emu)
        for method, pattern, handler, name in routes.routes():
            router.add(method, pattern, handler, name=name)
        ```
    """

    def __init__(self, emu: EmulatorState) -> None:
        self.emu = emu
        self.service: RecordService = emu.records
        self.store = emu.store

    def routes(self) -> list[tuple[str, str, Handler, str]]:
        """The (method, pattern, handler, name) rows, in registration order.

        Examples:
            ```python
            names = [name for _, _, _, name in RecordRoutes(emu).routes()]
            ```
        """
        return [
            ("GET", "/record/v1/{type}", self.list_records, "record.list"),
            ("POST", "/record/v1/{type}", self.create, "record.create"),
            ("GET", "/record/v1/{type}/{id}", self.get_record, "record.get"),
            ("PATCH", "/record/v1/{type}/{id}", self.patch, "record.update"),
            ("PUT", "/record/v1/{type}/{id}", self.put, "record.upsert"),
            ("DELETE", "/record/v1/{type}/{id}", self.delete, "record.delete"),
            ("POST", "/record/v1/{type}/{id}/!transform/{target}", self.transform, "record.transform"),
            ("GET", "/record/v1/{type}/{id}/{sub}", self.get_sub, "record.subresource"),
            ("GET", "/record/v1/{type}/{id}/{sub}/{line}", self.get_line, "record.line"),
        ]

    @staticmethod
    def _body_of(req: EmuRequest) -> Any:
        if _is_collection(req):
            raise _Problem(
                ns_error(400, "INVALID_CONTENT", "Collection requests must be sent with Prefer: respond-async.")
            )
        try:
            return req.json()
        except BadJSON as exc:
            raise _Problem(ns_error(400, "INVALID_CONTENT", f"The request body is not valid JSON: {exc}")) from None

    @staticmethod
    def _link(base: str, rt: RecordType, params: list[tuple[str, str]], limit: int, offset: int) -> str:
        q = [(k, v) for k, v in params if k not in ("limit", "offset")] + [
            ("limit", str(limit)),
            ("offset", str(offset)),
        ]
        from urllib.parse import urlencode

        return f"{base}{API}/{rt.name}?{urlencode(q)}"

    async def list_records(self, req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, _LIST_PARAMS)
            rt = self.service.record_type(req.path_params["type"])
            base = req.base_url
            if req.param("ids") is not None:
                return self.batch_read(req, rt, base)
            for name in ("expandRecords", "fields", "expandSubResources"):
                if req.param(name) is not None:
                    raise _bad_param(name, f"The query parameter {name} is only allowed with ids.")
            limit = _int_param(req, "limit", MAX_LIMIT)
            offset = _int_param(req, "offset", 0)
            if not 1 <= limit <= MAX_LIMIT:
                raise _bad_param("limit", f"Invalid limit {limit}: use 1 to {MAX_LIMIT}.")
            if offset % limit:
                raise _bad_param("offset", f"Invalid offset {offset}: it must be a multiple of the limit {limit}.")
            dialect = self.emu.config.dialect
            cap = self.emu.config.max_results
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
                    where, params = parse_q(q, rt, self.store.columns(rt), self.emu.config.dialect.date_format)
                except QueryError as exc:
                    raise _bad_param("q", f"Invalid search query: {exc}.") from None
            # Record collections list in internal-id order (the store's), so the unstable_order dialect, which is
            # about queries without a unique ORDER BY, does not apply to them.
            ids, total = self.store.query_ids(rt, where, params, max(0, min(limit, reach - offset)), offset)
            reachable = min(total, reach)
            has_more = offset + len(ids) < reachable
            if total > reach and offset < reach <= offset + limit:
                # The last page before the cap (or the page limit) while more records exist.
                has_more = dialect.list_has_more_at_cap
            if dialect.list_total == "capped":
                total = min(total, cap)
            items = [{"links": [{"rel": "self", "href": f"{base}{API}/{rt.name}/{i}"}], "id": str(i)} for i in ids]
            last = max(0, (reachable - 1) // limit * limit)
            links = [{"rel": "self", "href": self._link(base, rt, req.query, limit, offset)}]
            links.append({"rel": "first", "href": self._link(base, rt, req.query, limit, 0)})
            if offset > 0:
                links.append(
                    {"rel": "previous", "href": self._link(base, rt, req.query, limit, max(0, offset - limit))}
                )
            if has_more:
                links.append({"rel": "next", "href": self._link(base, rt, req.query, limit, offset + limit)})
            links.append({"rel": "last", "href": self._link(base, rt, req.query, limit, last)})
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

    def batch_read(self, req: EmuRequest, rt: RecordType, base: str) -> EmuResponse:
        if not self.emu.config.batch_collections:
            raise _bad_param("ids", "Invalid query parameter: ids.")
        # Dialect sync_batch_read=False: the batch read is only served as the task of an asynchronous job
        # (Prefer: respond-async); sent synchronously it is refused, nothing else changes.
        is_task = getattr(self.emu.jobs, "is_task_request", None)
        if not self.emu.config.dialect.sync_batch_read and not (is_task is not None and is_task(req)):
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
            rid = self.service.resolve_id(rt, key, must_exist=False)
            if rid is None:
                continue
            if expand:
                doc = self.store.get(rt, rid)
                if doc is not None:
                    items.append(
                        self.service.render(
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

    async def get_record(self, req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, _GET_PARAMS)
            rt = self.service.record_type(req.path_params["type"])
            rid = self.service.resolve_id(rt, req.path_params["id"])
            assert rid is not None
            doc = self.store.get(rt, rid)
            assert doc is not None
            fields = req.param("fields")
            names = [f.strip() for f in fields.split(",") if f.strip()] if fields is not None else None
            if names is not None:
                for name in names:
                    if rt.field(name) is None and name.lower() != "id":
                        raise _bad_param("fields", f"Invalid field in fields: {name}.")
            return json_response(
                self.service.render(
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

    async def create(self, req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset())
            body = self._body_of(req)
        except _Problem as p:
            return p.response
        return await self.service.create(req.path_params["type"], body, base_url=req.base_url, headers=req.headers)

    async def patch(self, req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, _PATCH_PARAMS)
            body = self._body_of(req)
            replace = [r.strip() for r in (req.param("replace") or "").split(",") if r.strip()]
            selected = _bool_param(req, "replaceSelectedFields")
        except _Problem as p:
            return p.response
        return await self.service.update(
            req.path_params["type"],
            req.path_params["id"],
            body,
            base_url=req.base_url,
            headers=req.headers,
            replace=replace,
            replace_selected=selected,
        )

    async def put(self, req: EmuRequest) -> EmuResponse:
        key = req.path_params["id"]
        if not key.startswith("eid:"):
            return ns_error(405, "INVALID_REQUEST", "PUT is only supported with an external ID: /{type}/eid:{id}.")
        try:
            _check_params(req, frozenset())
            body = self._body_of(req)
        except _Problem as p:
            return p.response
        return await self.service.upsert(
            req.path_params["type"], key[4:], body, base_url=req.base_url, headers=req.headers
        )

    async def delete(self, req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset())
        except _Problem as p:
            return p.response
        return await self.service.delete(req.path_params["type"], req.path_params["id"], base_url=req.base_url)

    async def transform(self, req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset())
            body = self._body_of(req) if req.body else {}
        except _Problem as p:
            return p.response
        return await self.service.transform(
            req.path_params["type"],
            req.path_params["id"],
            req.path_params["target"],
            body,
            base_url=req.base_url,
            headers=req.headers,
        )

    @staticmethod
    def _sub_spec(rt: RecordType, name: str) -> FieldSpec:
        spec = rt.field(name)
        if spec is None or spec.kind not in ("sublist", "ref"):
            raise _Problem(ns_error(404, "NONEXISTENT_ID", f"The sub-resource {name} does not exist."))
        return spec

    async def get_sub(self, req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset({"simpleEnumFormat"}))
            rt = self.service.record_type(req.path_params["type"])
            rid = self.service.resolve_id(rt, req.path_params["id"])
            spec = self._sub_spec(rt, req.path_params["sub"])
            doc = self.store.get(rt, rid or 0) or {}
            value = doc.get(spec.name)
            if spec.kind == "ref":
                if not isinstance(value, dict):
                    raise _Problem(ns_error(404, "NONEXISTENT_ID", f"The sub-resource {spec.name} is empty."))
                return json_response(self.service._ref_out(spec, value, req.base_url))
            return json_response(self.service._sublist_out(rt, spec, doc["id"], value, req.base_url, True, False))
        except _Problem as p:
            return p.response

    async def get_line(self, req: EmuRequest) -> EmuResponse:
        try:
            _check_params(req, frozenset({"simpleEnumFormat"}))
            rt = self.service.record_type(req.path_params["type"])
            rid = self.service.resolve_id(rt, req.path_params["id"])
            spec = self._sub_spec(rt, req.path_params["sub"])
            if spec.kind != "sublist":
                raise _Problem(ns_error(404, "NONEXISTENT_ID", f"The sub-resource {spec.name} has no lines."))
            doc = self.store.get(rt, rid or 0) or {}
            key = req.path_params["line"]
            href = f"{req.base_url}{API}/{rt.name}/{doc['id']}/{spec.name}"
            for i, line in enumerate((doc.get(spec.name) or {}).get("items", []), start=1):
                if str(line.get("line", line.get("id", i))) == key:
                    return json_response(self.service._line_out(spec, line, href, i, req.base_url))
            raise _Problem(ns_error(404, "NONEXISTENT_ID", f"The line {key} does not exist."))
        except _Problem as p:
            return p.response


def register(router: Router, emu: EmulatorState) -> None:
    """Add the record service routes over ``emu.records`` (after the metadata catalog, whose paths look alike).

    Examples:
        ```python
        register(router, emu)
        ```
    """
    for method, pattern, handler, name in RecordRoutes(emu).routes():
        router.add(method, pattern, handler, name=name)
