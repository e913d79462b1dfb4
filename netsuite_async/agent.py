"""Agent views of a client: every call checked against an `AccessPolicy` before anything
is sent, and every call (agents' and the root client's) recorded once in an `AuditLog`.

``ns.as_agent("finance-bot")`` returns an `AgentClient` sharing the client's connection pool, governor and
auth. Its namespaces (``records``, ``suiteql``, ``batch``, ``restlets``, ``metadata``, ``jobs``) and its
``request()`` and ``changes()`` expose only calls that are checked; a denied call raises
`AccessDeniedError` and sends nothing. Nothing reachable from a view leads back to the
unrestricted client.

How it is wired (for contributors): the first view (or ``audit=``) makes one *plumbing* client per root client, a
shallow copy sharing the pool, governor, auth and transport. An audited call is one logical call: it opens the
call's record (``telemetry._Operation``, a context variable, so tasks the call starts count towards it), which the
transport adds each HTTP attempt and status to and which the call's span reads too (one record, counted once). Guards
call the plumbing's own namespaces, so work one call does internally (a batch's jobs, a change feed's SuiteQL,
``get_many``'s reads) is neither checked again nor audited twice. With ``audit=``, the root client's namespaces
are replaced by unrestricted guards over the same plumbing, so the application's own calls are audited too.
The guarded namespaces are in ``_agent_guards.py``; the audited call's bookkeeping and stream wrapper in
``_agent_streams.py``; this module keeps the views, the plumbing and the public functions.

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
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from netsuite_async._agent_guards import _Batch, _Jobs, _Metadata, _Records, _Restlets, _SuiteQL
from netsuite_async._agent_streams import _AuditedIterator, _check_type, _finish, _plain_path
from netsuite_async._telemetry_context import _agent as _agent_var
from netsuite_async.audit import AuditEvent, AuditLog
from netsuite_async.errors import AccessDeniedError
from netsuite_async.policy import AgentGrants, Decision

if TYPE_CHECKING:
    from netsuite_async._http import Response
    from netsuite_async.account import Account
    from netsuite_async.batch import Batch
    from netsuite_async.jobs import Jobs
    from netsuite_async.metadata import Metadata
    from netsuite_async.policy import AccessPolicy
    from netsuite_async.records import Records
    from netsuite_async.restlets import Restlets
    from netsuite_async.suiteql import SuiteQL
    from netsuite_async.telemetry import Telemetry
    from netsuite_async.transport import Transport

__all__ = ["AgentClient", "check_options", "install_root_audit", "restrict_to_agent"]

T = TypeVar("T")

_NAMESPACES = ("records", "suiteql", "batch", "jobs", "restlets", "metadata")


class _Client(Protocol):
    """What the views use of a ``netsuite_async.NetSuiteClient`` (typed structurally: the client is the
    composition root above this module, which therefore never imports it).

    Examples:
        >>> from netsuite_async import BearerToken, NetSuiteClient as Client
        >>> isinstance(Client("1234567", auth=BearerToken("t")).account.account_id, str)
        True
    """

    transport: Transport
    account: Account
    policy: AccessPolicy | None
    audit: AuditLog | None
    @property
    def request(self) -> Callable[..., Awaitable[Response]]: ...
    @property
    def changes(self) -> Callable[..., AsyncIterator[dict[str, Any]]]: ...

    @property
    def records(self) -> Records: ...
    @property
    def suiteql(self) -> SuiteQL: ...
    @property
    def batch(self) -> Batch: ...
    @property
    def jobs(self) -> Jobs: ...
    @property
    def restlets(self) -> Restlets: ...
    @property
    def metadata(self) -> Metadata: ...
_PLUMBING_KEY = "_netsuite_async_plumbing"


def check_options(policy: object, audit: object) -> None:
    """TypeError unless ``policy`` is an AccessPolicy (or None) and ``audit`` an AuditLog (or None)."""
    from netsuite_async.policy import AccessPolicy

    if policy is not None and not isinstance(policy, AccessPolicy):
        raise TypeError(f"policy must be an AccessPolicy (AccessPolicy.from_dict / from_toml), not "
                        f"{type(policy).__name__}")
    if audit is not None and not isinstance(audit, AuditLog):
        raise TypeError(f"audit must be an AuditLog (AuditLog.jsonl / to_logger / to_callable), not "
                        f"{type(audit).__name__}")


def _plumbing(root: _Client) -> _Client:
    entry: tuple[_Client, _Client] | None = root.__dict__.get(_PLUMBING_KEY)
    # A view made by with_options() copies its client's attributes, this one included: it needs its own.
    if entry is not None and entry[0] is root:
        return entry[1]
    plumbing = copy.copy(root)
    for name in (*_NAMESPACES, "request", "changes", _PLUMBING_KEY):
        plumbing.__dict__.pop(name, None)
    # The pair holds the root only by the key it is stored under; the cycle is collected with the client.
    root.__dict__[_PLUMBING_KEY] = (root, plumbing)
    return plumbing


def install_root_audit(root: _Client, audit: AuditLog) -> None:
    """Audit the root client's own calls: its namespaces, ``request`` and ``changes`` become unrestricted guards.

    Called by `NetSuiteClient` when it is given ``audit=``.
    """
    view = _View(root, None, None, audit)
    for name in _NAMESPACES:
        root.__dict__[name] = getattr(view, name)
    root.__dict__["request"] = view.request
    root.__dict__["changes"] = view.changes


def restrict_to_agent(root: _Client, name: str) -> AgentClient:
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

    def __init__(self, root: _Client, agent: str | None, grants: AgentGrants | None,
                 audit: AuditLog | None) -> None:
        self._plumb = _plumbing(root)
        self._telemetry: Telemetry = root.transport.telemetry
        self._governor = root.transport.governor
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
            # The audited call is the logical call: one record, which the transport counts attempts into and the
            # span (with tracing on) reads too; the resource methods under it see it and add none of their own.
            scope = self._telemetry.operation(event.action, record_type=event.record_type, agent=self._agent,
                                              governor=self._governor, fresh=True)
            op = scope.__enter__()
            started = time.perf_counter()
            try:
                result = await fn()
            except BaseException as exc:
                scope.__exit__(type(exc), exc, None)
                _finish(event, op, started, exc)
                audit.record(event)
                raise
            scope.__exit__(None, None, None)
            event.duration_ms = (time.perf_counter() - started) * 1000.0
            if op is not None:
                event.attempts = op.attempts
                event.status = op.status
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

    def __init__(self, client: _Client, name: str) -> None:
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

