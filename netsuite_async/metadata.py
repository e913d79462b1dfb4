"""The metadata catalog (``/services/rest/record/v1/metadata-catalog``): ``client.metadata``.

NetSuite describes every record type it exposes, as JSON Schema or as OpenAPI 3. On large accounts these answers
take over a minute, so calls here wait up to 180 seconds per attempt by default and can be cached on disk.

Examples:
    ```python
    names = [entry.name for entry in await ns.metadata.catalog()]
    schema = await ns.metadata.json_schema("customer")
    ns.metadata.enable_cache("~/.cache/netsuite-async", ttl=24 * 3600)
    spec = await ns.metadata.openapi(["customer", "salesOrder"])
    ```
"""

from __future__ import annotations

import hashlib
import json as _json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from netsuite_async._checks import positive_number
from netsuite_async._files import write_json_atomic
from netsuite_async.errors import NetSuiteError
from netsuite_async.identifiers import validate_record_type
from netsuite_async.models import CatalogEntry
from netsuite_async.telemetry import traced
from netsuite_async.transport import RequestSpec

if TYPE_CHECKING:
    from netsuite_async.transport import Transport

__all__ = ["DEFAULT_METADATA_TIMEOUT", "Metadata"]

#: Seconds one metadata request may take (per attempt) unless the call says otherwise.
DEFAULT_METADATA_TIMEOUT = 180.0
_CATALOG_PATH = "/record/v1/metadata-catalog"
_JSON = "application/json"
_SCHEMA_JSON = "application/schema+json"
_SWAGGER_JSON = "application/swagger+json"
_CACHE_FORMAT = 1


class Metadata:
    """``client.metadata``: the record catalog, per-type JSON Schema and OpenAPI documents.

    ``catalog``, ``json_schema`` and ``openapi`` take ``timeout=`` (per-attempt read timeout, seconds; default
    `DEFAULT_METADATA_TIMEOUT`, or the ``with_options`` view's) and ``headers=``; ``read_timeout=`` is the old name
    of ``timeout=`` (deprecated). A cached answer sends nothing.

    Examples:
        ```python
        ns.metadata.enable_cache("/tmp/ns-metadata", ttl=3600)
        schema = await ns.metadata.json_schema("customer")   # fetched once, then read from disk for an hour
        ```
    """

    def __init__(self, transport: Transport, *, account: object = None, rest_base_url: str = "") -> None:
        self._transport = transport
        # What the disk cache's file names are derived from: one cache per account and REST endpoint.
        self._account = account
        self._rest_base_url = rest_base_url
        self._cache_dir: Path | None = None
        self._ttl = 0.0
        # One fetch per document at a time: a second caller waits for the first one's (possibly minute-long)
        # answer and reads it from the cache instead of asking NetSuite again.
        self._locks: dict[str, anyio.Lock] = {}

    def enable_cache(self, directory: str | os.PathLike[str], *, ttl: float = 24 * 3600.0) -> None:
        """Keep answers as JSON files in ``directory`` for ``ttl`` seconds (the directory is created).

        Files are named by a hash of the account, base URL and request, so several accounts can share one
        directory. They hold NetSuite's metadata only, never credentials.

        Examples:
            ```python
            ns.metadata.enable_cache("~/.cache/netsuite-async/metadata", ttl=6 * 3600)
            ```
        """
        positive_number("ttl", ttl)
        path = Path(directory).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        self._cache_dir = path
        self._ttl = float(ttl)

    def disable_cache(self) -> None:
        """Stop reading and writing the disk cache (files already written stay).

        Examples:
            ```python
            ns.metadata.disable_cache()
            ```
        """
        self._cache_dir = None

    @property
    def cache_dir(self) -> Path | None:
        """The cache directory, or None when caching is off."""
        return self._cache_dir

    @traced("metadata.catalog")
    async def catalog(
        self,
        *,
        refresh: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> list[CatalogEntry]:
        """Every record type the integration's role can see, as `CatalogEntry` (``name``, ``links``).

        Examples:
            ```python
            types = {entry.name for entry in await ns.metadata.catalog()}
            assert "customer" in types
            ```
        """
        data = await self._fetch("catalog", _CATALOG_PATH, None, _JSON, timeout, refresh)
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise NetSuiteError("the metadata catalog answered without an items list")
        return [CatalogEntry.model_validate(item) for item in items if isinstance(item, dict)]

    @traced("metadata.json_schema", type_arg=0)
    async def json_schema(
        self,
        record_type: str,
        *,
        refresh: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> dict[str, Any]:
        """The JSON Schema of one record type (``Accept: application/schema+json``).

        Examples:
            ```python
            schema = await ns.metadata.json_schema("customer")
            print(sorted(schema["properties"]))
            ```
        """
        name = validate_record_type(record_type)
        data = await self._fetch(f"schema:{name}", f"{_CATALOG_PATH}/{name}", None, _SCHEMA_JSON, timeout, refresh)
        return _require_object(data, f"JSON Schema of {name!r}")

    @traced("metadata.openapi")
    async def openapi(
        self,
        types: Sequence[str] | None = None,
        *,
        refresh: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> dict[str, Any]:
        """An OpenAPI 3 document for ``types`` (``?select=a,b``), or for every record type when None.

        Without ``types`` NetSuite describes the whole account, which is the slowest metadata answer of all;
        prefer naming the types you use.

        Examples:
            ```python
            spec = await ns.metadata.openapi(["customer", "salesOrder"])
            print(list(spec["paths"])[:3])
            ```
        """
        params: list[tuple[str, str]] | None = None
        key = "openapi:*"
        if types is not None:
            if isinstance(types, str | bytes):
                raise TypeError("types must be a list of record type names, not a single string")
            names = list(dict.fromkeys(validate_record_type(t) for t in types))
            if not names:
                raise ValueError("types must not be empty; pass None for every record type")
            params = [("select", ",".join(names))]
            key = "openapi:" + ",".join(sorted(names))
        data = await self._fetch(key, _CATALOG_PATH, params, _SWAGGER_JSON, timeout, refresh)
        return _require_object(data, "OpenAPI document")

    # -- plumbing ------------------------------------------------------------------------------------------

    async def _fetch(
        self,
        key: str,
        path: str,
        params: list[tuple[str, str]] | None,
        accept: str,
        timeout: float | None,
        refresh: bool,
    ) -> Any:
        cache_file = self._cache_file(key)
        if cache_file is None:
            return await self._request(path, params, accept, timeout)
        lock = self._locks.setdefault(key, anyio.Lock())
        async with lock:
            if not refresh:
                cached = await anyio.to_thread.run_sync(_read_cache, cache_file, self._ttl)
                if cached is not None:
                    return cached
            data = await self._request(path, params, accept, timeout)
            await anyio.to_thread.run_sync(_write_cache, cache_file, data)
            return data

    async def _request(
        self, path: str, params: list[tuple[str, str]] | None, accept: str, timeout: float | None
    ) -> Any:
        transport = self._transport
        if timeout is None and transport.attempt_timeout is None:
            # Neither the call nor a with_options view chose one: metadata's own default, not the pool's.
            timeout = DEFAULT_METADATA_TIMEOUT
        response = await transport.send(
            RequestSpec(method="GET", path=path, params=params, headers={"Accept": accept}, timeout=timeout)
        )
        return response.json()

    def _cache_file(self, key: str) -> Path | None:
        if self._cache_dir is None:
            return None
        identity = f"{self._account}|{self._rest_base_url}|{key}"
        digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
        return self._cache_dir / f"metadata-{digest}.json"


def _require_object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise NetSuiteError(f"the {what} is not a JSON object")
    return data


def _read_cache(path: Path, ttl: float) -> Any:
    try:
        with path.open("r", encoding="utf-8") as fh:
            stored = _json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != _CACHE_FORMAT:
        return None
    saved_at = stored.get("saved_at")
    if not isinstance(saved_at, int | float) or time.time() - saved_at > ttl or saved_at > time.time() + 60:
        return None
    return stored.get("data")


def _write_cache(path: Path, data: Any) -> None:
    payload = {"format": _CACHE_FORMAT, "saved_at": time.time(), "data": data}
    # Write then rename, so a reader in another process never sees half a file.
    write_json_atomic(path, payload, ensure_ascii=False)
