"""What request/response hooks receive, and which logical call and agent the current task is in.

Split out of ``telemetry.py`` (which re-exports every public name here): these have no OpenTelemetry in them,
so the transport, the agent views and the hooks can use them without the span machinery.

Examples:
    >>> Hooks().request, bool(Hooks())
    ((), False)
    >>> current_operation() is None
    True
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Hook",
    "Hooks",
    "RequestInfo",
    "ResponseInfo",
    "current_operation",
    "reset_agent",
    "set_agent",
]


@dataclass(frozen=True)
class RequestInfo:
    """What a request hook sees of one HTTP attempt: never the Authorization header or query values.

    Examples:
        >>> RequestInfo("GET", "https://x/services/rest/record/v1/customer/1", {}, 1, "records.get").method
        'GET'
    """

    method: str
    url: str
    """Redacted: the path and the parameter names, never their values."""
    headers: dict[str, str]
    """The request's headers without Authorization (and without cookies)."""
    attempt: int
    operation: str | None
    """The logical call this attempt belongs to (``records.get``, ``suiteql.stream`` …), when known."""


@dataclass(frozen=True)
class ResponseInfo:
    """What a response hook sees of one HTTP attempt's answer.

    Examples:
        >>> ResponseInfo("GET", "https://x/", 200, {}, 0.012, 1, None).status_code
        200
    """

    method: str
    url: str
    status_code: int
    headers: dict[str, str]
    """The answer's headers without ``Set-Cookie``."""
    elapsed: float
    """Seconds from sending to the answer's headers (the slot wait excluded)."""
    attempt: int
    operation: str | None


Hook = Callable[[Any], Awaitable[None] | None]


@dataclass(frozen=True)
class Hooks:
    """Request and response hooks (sync or async callables) called for every HTTP attempt.

    A hook that raises does not fail the request: the error is logged at WARNING and the call goes on (a metrics
    hook must never break a write).

    Examples:
        >>> seen = []
        >>> hooks = Hooks(request=[lambda info: seen.append(info.method)])
        >>> len(hooks.request)
        1
    """

    request: Sequence[Hook] = field(default_factory=tuple)
    response: Sequence[Hook] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("request", "response"):
            hooks = tuple(getattr(self, name))
            for hook in hooks:
                if not callable(hook):
                    raise TypeError(f"Hooks.{name} must hold callables, got {type(hook).__name__}")
            object.__setattr__(self, name, hooks)

    def __bool__(self) -> bool:
        return bool(self.request or self.response)


class _Operation:
    """The one record of a logical call in progress, read by the spans, the hooks and the audit log.

    Made by the outermost layer that needs it (an audited call, a traced method, an untraced request with tracing
    on) and shared by every task the call starts (a context variable). The transport adds each HTTP attempt to it
    once, whoever reads it: ``attempts`` (attempts that took a slot and were sent), ``limited`` (429s),
    ``slot_wait`` (seconds waited for slots) and ``status`` (the last answer's HTTP status). ``span`` is the
    logical call's span when one is recorded. Nothing makes one when neither tracing, hooks nor an audit log is
    in use.
    """

    __slots__ = ("agent", "attempts", "limited", "name", "slot_wait", "span", "status")

    def __init__(self, name: str, agent: str | None) -> None:
        self.name = name
        self.agent = agent
        self.attempts = 0
        self.limited = 0
        self.slot_wait = 0.0
        self.status: int | None = None
        self.span: Any = None

    def __repr__(self) -> str:
        return (f"_Operation({self.name!r}, agent={self.agent!r}, attempts={self.attempts}, "
                f"limited={self.limited}, status={self.status})")


_current: contextvars.ContextVar[_Operation | None] = contextvars.ContextVar("netsuite_async_operation", default=None)


_agent: contextvars.ContextVar[str | None] = contextvars.ContextVar("netsuite_async_agent", default=None)


def set_agent(name: str | None) -> contextvars.Token[str | None]:
    """Mark the calls made from here on (in this task) as an agent's, for spans; undo with `reset_agent`.

    Used by ``ns.as_agent(...)`` views, whose calls run through the client's own namespaces.

    Examples:
        >>> token = set_agent("finance-bot")
        >>> reset_agent(token)
    """
    return _agent.set(name)


def reset_agent(token: contextvars.Token[str | None]) -> None:
    """Undo `set_agent`.

    Examples:
        >>> reset_agent(set_agent(None))
    """
    _agent.reset(token)


def current_operation() -> str | None:
    """The logical call the current task is inside (``records.get`` …), or None.

    Examples:
        >>> current_operation() is None
        True
    """
    op = _current.get()
    return None if op is None else op.name
