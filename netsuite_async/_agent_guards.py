"""The guarded namespaces of an agent view (``records``, ``suiteql``, ``batch``, ``jobs``, ``restlets``,
``metadata``): each call checked against the agent's grants, then run and audited through the view.

Split out of ``agent.py`` (the views and their plumbing); the stream wrappers are in ``_agent_streams.py``.

Examples:
    >>> _Records._namespace, _Metadata._namespace
    ('records', 'metadata')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from netsuite_async._agent_streams import (
    _AuditedIterator,
    _check_type,
    _plain_path,
    _rid,
    _set_ref,
)
from netsuite_async.audit import AuditEvent
from netsuite_async.policy import Decision
from netsuite_async.suiteql_tables import UnclassifiableQueryError, query_tables

if TYPE_CHECKING:
    from netsuite_async.agent import _View
    from netsuite_async.jobs import Job
    from netsuite_async.models import CatalogEntry, RecordListPage, RecordRef

__all__: list[str] = []


class _GuardedList:
    """``records.list`` through a view: ``await`` for the first page, ``async for`` for every item."""

    def __init__(self, view: _View, event: AuditEvent, record_type: str, kwargs: dict[str, Any]) -> None:
        self._view = view
        self._event = event
        self._record_type = record_type
        self._kwargs = kwargs

    def _inner(self) -> Any:
        return self._view._plumb.records.list(self._record_type, **self._kwargs)

    @property
    def record_type(self) -> str:
        """The record type listed."""
        return self._record_type

    def __repr__(self) -> str:
        return f"RecordList({self._record_type!r}, agent={self._view._agent!r})"

    def __await__(self) -> Any:
        async def first() -> RecordListPage:
            inner = self._inner()
            return await self._view.run(self._event, lambda: inner)  # type: ignore[no-any-return]

        return first().__await__()

    def __aiter__(self) -> _AuditedIterator[RecordRef]:
        return _AuditedIterator(self._view, self._event, self._inner().__aiter__())

    def pages(self) -> _AuditedIterator[RecordListPage]:
        """Every page in order (see `netsuite_async.RecordList.pages`)."""
        return _AuditedIterator(self._view, self._event, self._inner().pages())


class _Guard:
    """Base of the guarded namespaces. On the audited root client (unrestricted) every other attribute of the real
    namespace is reachable (``ns.suiteql.row_cap``, ``ns.metadata.enable_cache``); on an agent's view it is not."""

    _namespace = ""
    _v: _View

    def __init__(self, view: _View) -> None:
        object.__setattr__(self, "_v", view)

    def _raw(self) -> Any:
        return getattr(self._v._plumb, self._namespace)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and self._v._grants is None:
            return getattr(self._raw(), name)
        raise AttributeError(f"{self._namespace}.{name} is not available through an agent's view")

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and self._v._grants is None:
            setattr(self._raw(), name, value)
            return
        raise AttributeError(f"{self._namespace}.{name} cannot be set through an agent's view")


class _Records(_Guard):
    _namespace = "records"

    async def get(self, record_type: str, record_id: Any = None, **kwargs: Any) -> Any:
        v = self._v
        event = v.event("records.get", record_type=record_type, record_id=_rid(record_id, kwargs.get("external_id")))
        v.check(v.record_decision("get", record_type), event, f"{record_type} {event.record_id}")
        return await v.run(event, lambda: self._raw().get(record_type, record_id, **kwargs))

    async def get_many(self, record_type: str, ids: Iterable[Any], **kwargs: Any) -> list[dict[str, Any] | None]:
        v = self._v
        ids = list(ids)
        event = v.event("records.get_many", record_type=record_type, count=len(ids))
        v.check(v.record_decision("get", record_type), event, f"{len(ids)} {record_type} records")
        return await v.run(event, lambda: self._raw().get_many(record_type, ids, **kwargs))  # type: ignore[no-any-return]

    async def sublist(self, record_type: str, record_id: Any, name: str, **kwargs: Any) -> list[dict[str, Any]]:
        v = self._v
        event = v.event("records.sublist", record_type=record_type, record_id=_rid(record_id))
        v.check(v.record_decision("get", record_type), event, f"{record_type} {record_id}")
        return await v.run(event, lambda: self._raw().sublist(record_type, record_id, name, **kwargs))  # type: ignore[no-any-return]

    async def sub_resource(
        self, record_type: str, record_id: Any, name: str, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        v = self._v
        event = v.event("records.sub_resource", record_type=record_type, record_id=_rid(record_id))
        v.check(v.record_decision("get", record_type), event, f"{record_type} {record_id}")
        return await v.run(  # type: ignore[no-any-return]
            event, lambda: self._raw().sub_resource(record_type, record_id, name, *args, **kwargs)
        )

    async def create(self, record_type: str, body: Mapping[str, Any], **kwargs: Any) -> RecordRef:
        v = self._v
        event = v.event("records.create", record_type=record_type)
        v.check(v.record_decision("create", record_type), event, f"a {record_type}")
        return await v.run(event, lambda: self._raw().create(record_type, body, **kwargs), _set_ref)  # type: ignore[no-any-return]

    async def update(self, record_type: str, record_id: Any, body: Mapping[str, Any], **kwargs: Any) -> None:
        v = self._v
        event = v.event("records.update", record_type=record_type,
                        record_id=_rid(record_id, kwargs.get("external_id")))
        v.check(v.record_decision("update", record_type), event, f"{record_type} {event.record_id}")
        await v.run(event, lambda: self._raw().update(record_type, record_id, body, **kwargs))

    async def upsert(self, record_type: str, external_id: str, body: Mapping[str, Any], **kwargs: Any) -> RecordRef:
        v = self._v
        event = v.event("records.upsert", record_type=record_type, record_id=_rid(None, external_id))
        v.check(v.record_decision("upsert", record_type), event, f"{record_type} {event.record_id}")
        return await v.run(event, lambda: self._raw().upsert(record_type, external_id, body, **kwargs))  # type: ignore[no-any-return]

    async def delete(self, record_type: str, record_id: Any = None, **kwargs: Any) -> None:
        v = self._v
        event = v.event("records.delete", record_type=record_type,
                        record_id=_rid(record_id, kwargs.get("external_id")))
        v.check(v.record_decision("delete", record_type), event, f"{record_type} {event.record_id}")
        await v.run(event, lambda: self._raw().delete(record_type, record_id, **kwargs))

    async def transform(self, record_type: str, record_id: Any, target_type: str, *args: Any,
                        **kwargs: Any) -> RecordRef:
        v = self._v
        event = v.event("records.transform", record_type=record_type, record_id=_rid(record_id),
                        target_type=str(target_type))
        decision = v.record_decision("get", record_type)
        if decision is not None and decision.allowed:
            _check_type(target_type)
            target = v._grants.record("create", target_type) if v._grants is not None else None
            if target is not None:
                decision = Decision(target.allowed, f"{decision.reason} and {target.reason}" if target.allowed
                                    else target.reason, target.needed)
        v.check(decision, event, f"{record_type} {record_id} into {target_type}")
        return await v.run(  # type: ignore[no-any-return]
            event, lambda: self._raw().transform(record_type, record_id, target_type, *args, **kwargs)
        )

    def list(self, record_type: str, **kwargs: Any) -> _GuardedList:
        v = self._v
        event = v.event("records.list", record_type=record_type)
        v.check(v.record_decision("get", record_type), event, f"{record_type} records")
        return _GuardedList(v, event, record_type, kwargs)


class _SuiteQL(_Guard):
    _namespace = "suiteql"

    def _prepare(self, action: str, query: str) -> AuditEvent:
        v = self._v
        if not isinstance(query, str):
            raise TypeError(f"query must be a str, not {type(query).__name__}")
        event = v.event(action)
        if v._grants is None:
            try:
                event.tables = sorted(query_tables(query))
            except UnclassifiableQueryError:
                event.tables = None  # the root client is not restricted; its audit line has no tables then
            v.check(None, event, "")
            return event
        decision = v._grants.query(query)
        what = f"SuiteQL over {', '.join(decision.tables)}" if decision.tables else "a SuiteQL query"
        v.check(decision, event, what)
        return event

    async def page(self, query: str, **kwargs: Any) -> Any:
        event = self._prepare("suiteql.page", query)
        return await self._v.run(event, lambda: self._v._plumb.suiteql.page(query, **kwargs))

    async def count(self, query: str, **kwargs: Any) -> int:
        event = self._prepare("suiteql.count", query)
        return await self._v.run(event, lambda: self._v._plumb.suiteql.count(query, **kwargs))  # type: ignore[no-any-return]

    async def all(self, query: str, **kwargs: Any) -> list[Any]:
        event = self._prepare("suiteql.all", query)

        def counted(e: AuditEvent, rows: Any) -> None:
            e.count = len(rows)

        return await self._v.run(event, lambda: self._v._plumb.suiteql.all(query, **kwargs), counted)  # type: ignore[no-any-return]

    def stream(self, query: str, **kwargs: Any) -> _AuditedIterator[Any]:
        event = self._prepare("suiteql.stream", query)
        return _AuditedIterator(self._v, event, self._v._plumb.suiteql.stream(query, **kwargs))


class _Batch(_Guard):
    _namespace = "batch"

    async def run(self, op: str, record_type: str, items: Iterable[Any], **kwargs: Any) -> Any:
        v = self._v
        if op not in ("create", "update", "upsert", "delete"):
            raise ValueError(f"unknown batch operation {op!r}; use create, update, upsert or delete")
        materialised = items if isinstance(items, Sequence) else list(items)
        event = v.event(f"batch.{op}", record_type=record_type, count=len(materialised))
        v.check(v.record_decision(op, record_type), event, f"{len(materialised)} {record_type} records")
        return await v.run(event, lambda: v._plumb.batch.run(op, record_type, materialised, **kwargs))  # type: ignore[arg-type]

    async def create(self, record_type: str, items: Iterable[Any], **kwargs: Any) -> Any:
        return await self.run("create", record_type, items, **kwargs)

    async def update(self, record_type: str, items: Iterable[Any], **kwargs: Any) -> Any:
        return await self.run("update", record_type, items, **kwargs)

    async def upsert(self, record_type: str, items: Iterable[Any], **kwargs: Any) -> Any:
        return await self.run("upsert", record_type, items, **kwargs)

    async def delete(self, record_type: str, items: Iterable[Any], **kwargs: Any) -> Any:
        return await self.run("delete", record_type, items, **kwargs)


class _Jobs(_Guard):
    _namespace = "jobs"

    def _decision(self) -> Decision | None:
        return None if self._v._grants is None else self._v._grants.flag("jobs", "asynchronous jobs")

    async def submit(self, method: str, path: str, **kwargs: Any) -> Job:
        v = self._v
        event = v.event("jobs.submit", method=str(method).upper(), path=_plain_path(path))
        v.check(self._decision(), event, f"{event.method} {event.path}")
        return await v.run(event, lambda: v._plumb.jobs.submit(method, path, **kwargs))  # type: ignore[no-any-return]

    def get(self, job_id: str | int) -> Job:
        v = self._v
        event = v.event("jobs.get", record_id=str(job_id))
        v.check(self._decision(), event, f"job {job_id}")
        try:
            job: Job = v._plumb.jobs.get(job_id)
        except Exception as exc:
            event.outcome = type(exc).__name__
            raise
        else:
            event.outcome = "ok"
        finally:
            if v._audit is not None:
                v._audit.record(event)
        return job


class _Restlets(_Guard):
    _namespace = "restlets"

    async def call(self, script: str | int, deploy: str | int, **kwargs: Any) -> Any:
        v = self._v
        event = v.event("restlets.call", script=str(script), deploy=str(deploy),
                        method=str(kwargs.get("method", "GET")).upper())
        decision = None if v._grants is None else v._grants.restlet(script, deploy)
        v.check(decision, event, f"RESTlet {script} (deploy {deploy})")
        return await v.run(event, lambda: v._plumb.restlets.call(script, deploy, **kwargs))


class _Metadata(_Guard):
    _namespace = "metadata"

    async def catalog(self, **kwargs: Any) -> list[CatalogEntry]:
        v = self._v
        event = v.event("metadata.catalog")
        decision = None if v._grants is None else v._grants.flag("catalog", "catalog listings")
        v.check(decision, event, "the metadata catalog")
        return await v.run(event, lambda: v._plumb.metadata.catalog(**kwargs))  # type: ignore[no-any-return]

    async def json_schema(self, record_type: str, **kwargs: Any) -> dict[str, Any]:
        v = self._v
        event = v.event("metadata.json_schema", record_type=record_type)
        v.check(v.record_decision("get", record_type), event, f"the schema of {record_type}")
        return await v.run(event, lambda: v._plumb.metadata.json_schema(record_type, **kwargs))  # type: ignore[no-any-return]

    async def openapi(self, types: Sequence[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        v = self._v
        if types is not None and isinstance(types, str | bytes):
            raise TypeError("types must be a list of record type names, not a single string")
        names = list(types) if types is not None else None
        event = v.event("metadata.openapi", record_type=",".join(names) if names else None)
        decision: Decision | None = None
        if v._grants is not None:
            if names is None:
                decision = v._grants.flag("catalog", "descriptions of every record type")
            else:
                for name in names:
                    _check_type(name)
                    decision = v._grants.record("get", name)
                    if not decision.allowed:
                        break
                if decision is None:
                    decision = Decision(True, "no record type asked for")
        v.check(decision, event, f"the OpenAPI document of {event.record_type or 'every record type'}")
        return await v.run(event, lambda: v._plumb.metadata.openapi(names, **kwargs))  # type: ignore[no-any-return]
