"""The audited call's bookkeeping for agent views: how its audit event is finished from the call's record (the
`_Operation` the transport counts attempts into, which the spans read too), and the wrapper that audits a stream
(`_AuditedIterator`) once when it ends, fails or is dropped.

Split out of ``agent.py`` (the views and their plumbing); the guarded namespaces are in ``_agent_guards.py``.

Examples:
    >>> _rid(None, external_id="A-1"), _plain_path("/app/x?secret=1")
    ('eid:A-1', '/app/x')
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from netsuite_async._telemetry_context import _Operation
from netsuite_async.audit import AuditEvent, AuditLog
from netsuite_async.telemetry import _Steps, reset_agent, set_agent

if TYPE_CHECKING:
    from netsuite_async.agent import _View

__all__: list[str] = []

T = TypeVar("T")


def _finish(event: AuditEvent, op: _Operation | None, started: float, exc: BaseException | None) -> None:
    event.duration_ms = (time.perf_counter() - started) * 1000.0
    if op is not None:
        event.attempts = op.attempts
        event.status = op.status
    if exc is not None:
        # An error raised before the transport saw the call (or by a retry loop deeper inside) still
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
        # The stream is one logical call: its record (attempts, status) and, with tracing on, its span.
        steps = None
        if view._audit is not None:
            steps = _Steps(view._telemetry, event.action, event.record_type, view._agent, view._governor, fresh=True)
        self._steps = steps
        self._state = _Pending(view._audit, event, steps)
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
        state = self._state
        if state.done:
            raise StopAsyncIteration
        state.start()
        agent_token = set_agent(self._view._agent)
        steps = self._steps
        tokens = None if steps is None else steps.enter()
        try:
            item: T = await self._inner.__anext__()
        except StopAsyncIteration:
            state.finish(None, None)
            raise
        except BaseException as exc:
            state.finish(exc, None)
            raise
        finally:
            if steps is not None:
                steps.leave(tokens)
            reset_agent(agent_token)
        state.rows += 1
        return item

    async def aclose(self) -> None:
        """Stop the inner stream (its background fetches too) and record the call."""
        steps = self._steps
        # Background fetches the stream cancels now still count towards the call (when it was ever started).
        tokens = None if steps is None or steps.op is None else steps.enter()
        try:
            aclose = getattr(self._inner, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            if steps is not None:
                steps.leave(tokens)
            self._state.finish(None, None)

    async def __aenter__(self) -> _AuditedIterator[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class _Pending:
    def __init__(self, audit: AuditLog | None, event: AuditEvent, steps: _Steps | None) -> None:
        self.audit = audit
        self.event = event
        self.steps = steps
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
        steps = self.steps
        if self.audit is None or steps is None:
            return
        if outcome is None:
            steps.close(exc)
        else:
            # Abandoned: collected (maybe by the garbage collector, inside whatever code runs then) without being
            # closed. Its span is ended if its context can be entered now; the audit record is written regardless.
            with contextlib.suppress(RuntimeError, ValueError):
                steps.close(None)
        _finish(self.event, steps.op, self.started if self.started is not None else time.perf_counter(), exc)
        if outcome is not None:
            self.event.outcome = outcome
        self.event.count = self.rows
        self.audit.record(self.event)
