"""Agent views of a client: every call checked against an `AccessPolicy` before anything
is sent, and every call (agents' and the root client's) recorded once in an `AuditLog`.

``ns.as_agent("finance-bot")`` returns an `AgentClient` sharing the client's connection pool, governor and
auth. Its namespaces (``records``, ``suiteql``, ``batch``, ``restlets``, ``metadata``, ``jobs``) and its
``request()`` and ``changes()`` expose only calls that are checked; a denied call raises
`AccessDeniedError` and sends nothing. Nothing reachable from a view leads back to the
unrestricted client.

How it is wired (for contributors): the first view (or ``audit=``) makes one *plumbing* client per root client, a
shallow copy sharing the pool, governor, auth and transport, whose ``transport`` reports each call's status to
the audit record of the call in progress (a context variable, so tasks a call starts count towards it). Guards
call the plumbing's own namespaces, so work one call does internally (a batch's jobs, a change feed's SuiteQL,
``get_many``'s reads) is neither checked again nor audited twice. With ``audit=``, the root client's namespaces
are replaced by unrestricted guards over the same plumbing, so the application's own calls are audited too.

Examples:
    >>> from netsuite_async import AccessPolicy, BearerToken, NetSuiteClient
    >>> ns = NetSuiteClient("1234567", auth=BearerToken("t"),
    ...                     policy=AccessPolicy.from_dict({"support-bot": {"records": {"customer": "read"}}}))
    >>> bot = ns.as_agent("support-bot")
    >>> bot.name, bot.grants.level("customer")
    ('support-bot', 'read')
"""

from __future__ import annotations

import copy
import dataclasses
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from netsuite_async._telemetry_context import _agent as _agent_var
from netsuite_async.audit import AuditEvent, AuditLog
from netsuite_async.errors import AccessDeniedError, APIError
from netsuite_async.policy import AgentGrants, Decision
from netsuite_async.retry import RetryEvent, RetryPolicy
from netsuite_async.suiteql_tables import UnclassifiableQueryError, query_tables
from netsuite_async.telemetry import reset_agent, set_agent

if TYPE_CHECKING:
    from netsuite_async._http import Response
    from netsuite_async.client import NetSuiteClient
    from netsuite_async.jobs import Job
    from netsuite_async.models import CatalogEntry, RecordListPage, RecordRef
    from netsuite_async.transport import RequestSpec, Transport

__all__ = ["AgentClient", "audited_retry", "check_options", "install_root_audit", "restrict_to_agent"]

T = TypeVar("T")

_NAMESPACES = ("records", "suiteql", "batch", "jobs", "restlets", "metadata")
_PLUMBING_KEY = "_netsuite_async_plumbing"


class _Call:
    """What the transport learned during one audited call."""

    __slots__ = ("retries", "sends", "status")

    def __init__(self) -> None:
        self.sends = 0
        self.retries = 0
        self.status: int | None = None

    @property
    def attempts(self) -> int:
        return self.sends + self.retries


_current: ContextVar[_Call | None] = ContextVar("netsuite_async_audit_call", default=None)


class _ObservedTransport:
    """The root transport, reporting each send's status and count to the audited call in progress."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner

    def send(self, spec: RequestSpec) -> Awaitable[Response]:
        # A plain function: outside an audited call the inner coroutine is returned as it is (no extra frame).
        call = _current.get()
        if call is None:
            return self._inner.send(spec)
        return self._observed(call, spec)

    async def _observed(self, call: _Call, spec: RequestSpec) -> Response:
        call.sends += 1
        try:
            response = await self._inner.send(spec)
        except APIError as err:
            call.status = err.status_code
            raise
        call.status = response.status_code
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def audited_retry(policy: RetryPolicy) -> RetryPolicy:
    """``policy`` with an ``on_retry`` that also counts retries for the audit record (the original still runs).

    Examples:
        >>> audited_retry(RetryPolicy(max_attempts=3)).max_attempts
        3
    """
    user = policy.on_retry

    def on_retry(event: RetryEvent) -> Any:
        call = _current.get()
        if call is not None:
            call.retries += 1
        return user(event) if user is not None else None

    return dataclasses.replace(policy, on_retry=on_retry)


def check_options(policy: object, audit: object) -> None:
    """TypeError unless ``policy`` is an AccessPolicy (or None) and ``audit`` an AuditLog (or None)."""
    from netsuite_async.policy import AccessPolicy

    if policy is not None and not isinstance(policy, AccessPolicy):
        raise TypeError(f"policy must be an AccessPolicy (AccessPolicy.from_dict / from_toml), not "
                        f"{type(policy).__name__}")
    if audit is not None and not isinstance(audit, AuditLog):
        raise TypeError(f"audit must be an AuditLog (AuditLog.jsonl / to_logger / to_callable), not "
                        f"{type(audit).__name__}")


def _plumbing(root: NetSuiteClient) -> NetSuiteClient:
    entry: tuple[NetSuiteClient, NetSuiteClient] | None = root.__dict__.get(_PLUMBING_KEY)
    # A view made by with_options() copies its client's attributes, this one included: it needs its own.
    if entry is not None and entry[0] is root:
        return entry[1]
    plumbing = copy.copy(root)
    for name in (*_NAMESPACES, "request", "changes", _PLUMBING_KEY):
        plumbing.__dict__.pop(name, None)
    plumbing.__dict__["transport"] = _ObservedTransport(root.transport)
    # The pair holds the root only by the key it is stored under; the cycle is collected with the client.
    root.__dict__[_PLUMBING_KEY] = (root, plumbing)
    return plumbing


def install_root_audit(root: NetSuiteClient, audit: AuditLog) -> None:
    """Audit the root client's own calls: its namespaces, ``request`` and ``changes`` become unrestricted guards.

    Called by `NetSuiteClient` when it is given ``audit=``.
    """
    view = _View(root, None, None, audit)
    for name in _NAMESPACES:
        root.__dict__[name] = getattr(view, name)
    root.__dict__["request"] = view.request
    root.__dict__["changes"] = view.changes


def restrict_to_agent(root: NetSuiteClient, name: str) -> AgentClient:
    """Make ``root``'s own namespaces, ``request`` and ``changes`` those of agent ``name`` (the CLI's ``--agent``).

    For a program that acts only as one agent (a command line, a worker): every call it makes through ``root`` is
    then checked and audited as that agent's. Returns the agent's view.
    """
    view = AgentClient(root, name)
    for ns in _NAMESPACES:
        root.__dict__[ns] = getattr(view, ns)
    root.__dict__["request"] = view.request
    root.__dict__["changes"] = view.changes
    return view


class _View:
    """Shared by `AgentClient` and the audited root: guards bound to one agent (or none)."""

    def __init__(self, root: NetSuiteClient, agent: str | None, grants: AgentGrants | None,
                 audit: AuditLog | None) -> None:
        self._plumb = _plumbing(root)
        self._agent = agent
        self._grants = grants
        self._audit = audit
        self.records = _Records(self)
        self.suiteql = _SuiteQL(self)
        self.batch = _Batch(self)
        self.jobs = _Jobs(self)
        self.restlets = _Restlets(self)
        self.metadata = _Metadata(self)

    # -- the two halves of every guarded call ------------------------------------------------------------
    def check(self, decision: Decision | None, event: AuditEvent, target: str) -> None:
        """Raise (and audit) when denied; fill the event's decision."""
        if decision is None:
            event.reason = "the root client is unrestricted"
            return
        event.decision = decision.word
        event.reason = decision.reason
        if decision.tables and event.tables is None:
            event.tables = list(decision.tables)
        if not decision.allowed:
            event.outcome = "denied"
            if self._audit is not None:
                self._audit.record(event)
            assert self._agent is not None
            raise AccessDeniedError(self._agent, event.action, target, decision.needed, decision.reason)

    async def run(self, event: AuditEvent, fn: Callable[[], Any],
                  after: Callable[[AuditEvent, Any], None] | None = None) -> Any:
        # One coroutine for the whole guarded call (it runs once per call: no helper coroutine under it), the
        # context variables set directly and the successful end inlined: this is every audited call's cost.
        agent_token = _agent_var.set(self._agent)
        try:
            audit = self._audit
            if audit is None:
                return await fn()
            call = _Call()
            token = _current.set(call)
            started = time.perf_counter()
            try:
                result = await fn()
            except BaseException as exc:
                _finish(event, call, started, exc)
                audit.record(event)
                raise
            finally:
                _current.reset(token)
            event.duration_ms = (time.perf_counter() - started) * 1000.0
            event.attempts = call.sends + call.retries
            event.status = call.status
            event.outcome = "ok"
            if after is not None:
                after(event, result)
            audit.record(event)
            return result
        finally:
            _agent_var.reset(agent_token)

    def event(self, action: str, **fields: Any) -> AuditEvent:
        return AuditEvent(action=action, agent=self._agent, **fields)

    # -- grants (None: the unrestricted root) -------------------------------------------------------------
    def record_decision(self, verb: str, record_type: str) -> Decision | None:
        _check_type(record_type)
        return None if self._grants is None else self._grants.record(verb, record_type)

    # -- raw and change feed ------------------------------------------------------------------------------
    async def request(self, method: str, path: str, **kwargs: Any) -> Response:
        event = self.event("request", method=str(method).upper(), path=_plain_path(path))
        decision = None if self._grants is None else self._grants.flag("request", "raw requests")
        self.check(decision, event, f"{event.method} {event.path}")
        return await self.run(event, lambda: self._plumb.request(method, path, **kwargs))  # type: ignore[no-any-return]

    def changes(self, record_type: str, **kwargs: Any) -> _AuditedIterator[dict[str, Any]]:
        event = self.event("changes", record_type=str(record_type))
        decision = self.record_decision("get", record_type)
        where = kwargs.get("where")
        if decision is not None and decision.allowed and isinstance(where, str):
            assert self._grants is not None
            decision = self._grants.query(
                # The shape of the feed's own query, so a subquery or UNION hidden in where= is found.
                f"SELECT t.id FROM {record_type} t WHERE t.lastmodifieddate >= ? AND ({where}) "  # noqa: S608
                "ORDER BY t.id",
                own_query=False,
            )
        self.check(decision, event, f"changes to {record_type}")
        return _AuditedIterator(self, event, self._plumb.changes(record_type, **kwargs))


def _finish(event: AuditEvent, call: _Call, started: float, exc: BaseException | None) -> None:
    event.duration_ms = (time.perf_counter() - started) * 1000.0
    event.attempts = call.attempts
    event.status = call.status
    if exc is not None:
        # An error raised before the observed transport saw the call (or by a retry loop deeper inside) still
        # knows its own attempts and status.
        event.attempts = max(event.attempts, getattr(exc, "attempts", 0) or 0)
        status = getattr(exc, "status_code", None)
        if isinstance(status, int):
            event.status = status
    if exc is None:
        event.outcome = "ok"
    elif isinstance(exc, Exception):
        event.outcome = type(exc).__name__
    else:  # cancellation (asyncio or trio), KeyboardInterrupt …
        event.outcome = "cancelled" if "Cancel" in type(exc).__name__ else type(exc).__name__


def _check_type(record_type: object) -> None:
    if not isinstance(record_type, str):
        raise TypeError(f"record_type must be a str, not {type(record_type).__name__}")


def _plain_path(path: object) -> str:
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    # Only the path is audited: a query string may carry values.
    return path.split("?", 1)[0]


def _rid(record_id: object, external_id: object = None) -> str | None:
    if external_id is not None:
        text = str(external_id)
        return text if text.startswith("eid:") else f"eid:{text}"
    return None if record_id is None else str(record_id)


def _set_ref(event: AuditEvent, result: Any) -> None:
    rid = getattr(result, "id", None)
    if rid is not None:
        event.record_id = str(rid)


class _AuditedIterator(AsyncIterator[T]):
    """Iterate an inner async iterator as one audited call: recorded once when it ends, fails or is closed."""

    def __init__(self, view: _View, event: AuditEvent, inner: Any) -> None:
        self._view = view
        self._inner = inner
        self._call = _Call()
        self._state = _Pending(view._audit, event, self._call)
        # A stream dropped without being closed is still recorded, once, when it is collected.
        finalizer = weakref.finalize(self, self._state.finish, None, "abandoned")
        finalizer.atexit = False  # at interpreter exit the log may be closed already

    @property
    def total(self) -> int | None:
        """The inner stream's ``total`` (SuiteQL's ``totalResults``) once known."""
        return getattr(self._inner, "total", None)

    @property
    def mark(self) -> Any:
        """A change feed's position after the last row taken (see `Changes`)."""
        return getattr(self._inner, "mark", None)

    def __aiter__(self) -> _AuditedIterator[T]:
        return self

    async def __anext__(self) -> T:
        if self._state.done:
            raise StopAsyncIteration
        self._state.start()
        token = _current.set(self._call)
        agent_token = set_agent(self._view._agent)
        try:
            item: T = await self._inner.__anext__()
        except StopAsyncIteration:
            self._state.finish(None, None)
            raise
        except BaseException as exc:
            self._state.finish(exc, None)
            raise
        finally:
            reset_agent(agent_token)
            _current.reset(token)
        self._state.rows += 1
        return item

    async def aclose(self) -> None:
        """Stop the inner stream (its background fetches too) and record the call."""
        token = _current.set(self._call)
        try:
            aclose = getattr(self._inner, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            _current.reset(token)
            self._state.finish(None, None)

    async def __aenter__(self) -> _AuditedIterator[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class _Pending:
    def __init__(self, audit: AuditLog | None, event: AuditEvent, call: _Call) -> None:
        self.audit = audit
        self.event = event
        self.call = call
        self.started: float | None = None
        self.done = False
        self.rows = 0

    def start(self) -> None:
        if self.started is None:
            self.started = time.perf_counter()

    def finish(self, exc: BaseException | None, outcome: str | None) -> None:
        if self.done:
            return
        self.done = True
        if self.audit is None:
            return
        _finish(self.event, self.call, self.started if self.started is not None else time.perf_counter(), exc)
        if outcome is not None:
            self.event.outcome = outcome
        self.event.count = self.rows
        self.audit.record(self.event)


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


class AgentClient:
    """A view of a `NetSuiteClient` for one agent of its policy (``ns.as_agent(name)``).

    It has the client's ``records``, ``suiteql``, ``batch``, ``restlets``, ``metadata`` and ``jobs`` namespaces
    and its ``request()`` and ``changes()``, sharing the client's pool, governor and auth. Every call is checked
    against the agent's grants before anything is sent: a denied call raises
    `AccessDeniedError`. With ``audit=`` on the client, every call is recorded once.
    Closing the client closes the pool for every view.

    Examples:
        >>> from netsuite_async import AccessPolicy, BearerToken, NetSuiteClient
        >>> ns = NetSuiteClient("1234567", auth=BearerToken("t"),
        ...                     policy=AccessPolicy.from_dict({"finance-bot": {"suiteql": True}}))
        >>> ns.as_agent("finance-bot")
        AgentClient('finance-bot', account='1234567')
        >>> ns.as_agent("intern-bot")
        Traceback (most recent call last):
        ...
        ValueError: unknown agent 'intern-bot'; the policy defines: finance-bot
    """

    def __init__(self, client: NetSuiteClient, name: str) -> None:
        policy = getattr(client, "policy", None)
        if policy is None:
            raise ValueError("this client has no access policy: pass policy=AccessPolicy.from_dict(...) (or "
                             "from_toml) to NetSuiteClient before calling as_agent()")
        if not isinstance(name, str):
            raise TypeError(f"an agent name is a str, not {type(name).__name__}")
        self.name = name
        #: What this agent may do.
        self.grants: AgentGrants = policy.grants(name)
        view = _View(client, name, self.grants, getattr(client, "audit", None))
        self._account = client.account.account_id
        self._view = view
        self.records = view.records
        self.suiteql = view.suiteql
        self.batch = view.batch
        self.jobs = view.jobs
        self.restlets = view.restlets
        self.metadata = view.metadata

    async def request(self, method: str, path: str, **kwargs: Any) -> Response:
        """The raw request of `NetSuiteClient.request`, when the policy grants ``request``."""
        return await self._view.request(method, path, **kwargs)

    def changes(self, record_type: str, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        """The change feed of `NetSuiteClient.changes`; needs read on ``record_type``."""
        return self._view.changes(record_type, **kwargs)

    def __repr__(self) -> str:
        return f"AgentClient({self.name!r}, account={self._account!r})"

