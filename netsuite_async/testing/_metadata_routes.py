"""The metadata catalog: ``GET /record/v1/metadata-catalog[/{type}]`` as JSON Schema, OpenAPI 3 or catalog entries.

Examples:
    ```python
    register(router, emu)
    ```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netsuite_async.testing._app import EmuRequest, EmuResponse, Handler, Router, json_response, ns_error
from netsuite_async.testing._metadata import RECORD_TYPES, FieldSpec, RecordType, lookup

if TYPE_CHECKING:
    from netsuite_async.testing._state import EmulatorState

__all__ = ["MetadataRoutes", "json_schema", "openapi", "register"]


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


class MetadataRoutes:
    """The catalog endpoints as named handler methods.

    Examples:
        ```python
        for method, pattern, handler, name in MetadataRoutes(emu).routes():
            router.add(method, pattern, handler, name=name)
        ```
    """

    def __init__(self, emu: EmulatorState) -> None:
        self.emu = emu

    def routes(self) -> list[tuple[str, str, Handler, str]]:
        """The (method, pattern, handler, name) rows, in registration order.

        Examples:
            ```python
            names = [name for _, _, _, name in MetadataRoutes(emu).routes()]
            ```
        """
        return [
            ("GET", "/record/v1/metadata-catalog", self.catalog, "metadata.catalog"),
            ("GET", "/record/v1/metadata-catalog/{type}", self.one_type, "metadata.type"),
        ]

    def known_types(self) -> list[RecordType]:
        types = list(RECORD_TYPES.values())
        types.extend(lookup(t) for t in self.emu.store.custom_types())  # type: ignore[misc]
        return types

    def selected(self, req: EmuRequest) -> list[RecordType] | EmuResponse:
        select = req.param("select")
        if select is None:
            return self.known_types()
        out = []
        for name in filter(None, (s.strip() for s in select.split(","))):
            rt = lookup(name)
            if rt is None:
                return ns_error(
                    400, "INVALID_PARAMETER", f"Invalid record type in select: {name}.", query_param="select"
                )
            out.append(rt)
        return out

    async def catalog(self, req: EmuRequest) -> EmuResponse:
        types = self.selected(req)
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

    async def one_type(self, req: EmuRequest) -> EmuResponse:
        rt = lookup(req.path_params["type"])
        if rt is None:
            return ns_error(404, "NONEXISTENT_ID", f"Record type '{req.path_params['type']}' does not exist.")
        accept = req.headers.get("accept", "")
        if "swagger+json" in accept:
            return json_response(openapi([rt], req.base_url), content_type="application/swagger+json")
        if "schema+json" in accept:
            return json_response(json_schema(rt, req.base_url), content_type="application/schema+json")
        return json_response(_catalog_entry(rt, req.base_url))


def register(router: Router, emu: EmulatorState) -> None:
    """Add the metadata catalog routes.

    Examples:
        ```python
        register(router, emu)
        ```
    """
    for method, pattern, handler, name in MetadataRoutes(emu).routes():
        router.add(method, pattern, handler, name=name)
