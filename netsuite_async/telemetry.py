"""Observability: OpenTelemetry spans and metrics, and public request/response hooks.

One span per *logical call* (``netsuite records.get``, ``netsuite suiteql.stream``, ``netsuite batch.create``)
with a child span per HTTP attempt that follows OpenTelemetry's HTTP client conventions (``http.request.method``,
``url.full`` with query values redacted, ``server.address``, ``http.response.status_code``, ``error.type``).
The logical span carries what generic HTTP instrumentation cannot see: the time spent waiting for a governor slot
(``netsuite.slot_wait_ms``), the attempts and 429s it took, the governor's limit when it started, the record type
and the agent (when the call runs through ``ns.as_agent(...)``).

Metrics (stable names, one set per process: ``_telemetry_metrics.py``): ``netsuite.client.requests`` (by
``outcome``), ``netsuite.client.limited``, ``netsuite.client.slot_wait``, ``netsuite.client.in_flight``/``limit``.

It uses only ``opentelemetry-api`` (the ``[otel]`` extra); spans go to the globally configured provider like any
instrumented library. Without the package, or with ``NetSuiteClient(..., tracing=False)``, every hook below is a
constant no-op. No secrets, query values or bodies are ever put on a span or a metric.

Hooks' types, the per-call record and the current call and agent are in ``_telemetry_context.py`` (re-exported).

Examples:
    >>> t = Telemetry(enabled=False)
    >>> t.active
    False
    >>> with t.operation("records.get", record_type="customer"):
    ...     pass
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from time import time_ns as _time_ns
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from netsuite_async._call_options import CALL_OPTIONS, apply_call_options
from netsuite_async._telemetry_context import (
    Hook,
    Hooks,
    RequestInfo,
    ResponseInfo,
    _agent,
    _current,
    _Operation,
    current_operation,
    reset_agent,
    set_agent,
)
from netsuite_async._telemetry_metrics import METRICS, _provider_check
from netsuite_async._version import __version__

if TYPE_CHECKING:
    from netsuite_async.governor import Governor

__all__ = [
    "Hook",
    "Hooks",
    "RequestInfo",
    "ResponseInfo",
    "Telemetry",
    "current_operation",
    "otel_available",
    "reset_agent",
    "set_agent",
    "traced",
    "traced_iter",
]

T = TypeVar("T")
P = ParamSpec("P")

_SCOPE = "netsuite_async"


def otel_available() -> bool:
    """Whether ``opentelemetry-api`` can be imported (the ``[otel]`` extra).

    Examples:
        >>> isinstance(otel_available(), bool)
        True
    """
    try:
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        return False
    return True


class Telemetry:
    """Spans, metrics and hooks for one client (shared by its views). Made by ``NetSuiteClient``.

    Examples:
        >>> Telemetry(enabled=False).active
        False
    """

    def __init__(self, *, enabled: bool = True, hooks: Hooks | None = None, governor: Governor | None = None) -> None:
        self.hooks = hooks or Hooks()
        #: Whether any request or response hook is set (fixed for the client's life, like ``hooks``).
        self.hooked = bool(self.hooks)
        self._tracer: Any = None
        self._kind: Any = None
        self._status: Any = None
        self._no_provider: Any = None
        self._recording = False
        if enabled and otel_available():
            from opentelemetry import context, metrics, trace

            self._tracer = trace.get_tracer(_SCOPE, __version__)
            self._status = trace.StatusCode
            self._kind = trace.SpanKind.CLIENT
            self._attach, self._detach, self._in_context = context.attach, context.detach, trace.set_span_in_context
            self._get_provider = trace.get_tracer_provider
            # Until the application sets a tracer provider, spans would be non-recording: skip them altogether.
            self._no_provider = _provider_check(trace)
            #: Attempts by outcome (success, limited, error, network error): plain counts, which the process-wide
            #: observable counters read when metrics are collected (an SDK call per attempt costs several us).
            self._counts = [0, 0, 0, 0]
            self._slot_wait = METRICS.register(self, self._counts, governor, metrics.get_meter(_SCOPE, __version__))
        #: True when nothing can be recorded or called (tracing off or unavailable, no hooks): the hot path's
        #: one check.
        self.off = self._tracer is None and not self.hooked

    @property
    def active(self) -> bool:
        """Whether spans and metrics are recorded: the extra is installed, tracing is on and the application
        has set a tracer provider (checked on every call until one is set, so a provider set later is picked up;
        OpenTelemetry's global provider can be set only once, so once seen it is remembered).

        Examples:
            >>> Telemetry(enabled=False).active
            False
        """
        if self._recording:
            return True
        if self._tracer is None or self._no_provider():
            return False
        # The provider's own tracer from now on: every span skips the proxy's indirection.
        self._tracer = self._get_provider().get_tracer(_SCOPE, __version__)
        self._recording = True
        return True

    def operation(
        self, name: str, *, record_type: str | None = None, agent: str | None = None, governor: Any = None,
        fresh: bool = False,
    ) -> _OperationScope:
        """A logical call: its `_Operation` record (which the transport adds its attempts to) and, when active,
        its span. Entering it gives the record, or None when the call is nested in another one: nested operations
        (``batch.create`` calling ``jobs.submit``) keep the outermost one as the logical call; ``fresh=True`` (an
        audited call, which needs its own counts) makes a new one even inside another.

        Examples:
            >>> with Telemetry(enabled=False).operation("suiteql.all") as op:
            ...     current_operation(), op.attempts
            ('suiteql.all', 0)
        """
        return _OperationScope(self, name, record_type, agent, governor, fresh)

    def attempt_started(self, slot_wait: float) -> int | None:
        """Record an attempt's slot wait and note when it is sent: give the result to `attempt_ended`.

        Called by the transport inside the slot, right before sending, only for a logical call that has a span
        (the attempt's counts go to the call's `_Operation`, which the transport keeps). None when tracing is off.

        Examples:
            >>> Telemetry(enabled=False).attempt_started(0.0) is None
            True
        """
        if self._tracer is None:
            return None
        self._slot_wait.record(slot_wait)
        return _time_ns()

    def attempt_ended(
        self, started: int | None, method: str, url: str, server: tuple[str, int], attempt: int, status: int | None,
        error: BaseException | None, limited: bool,
    ) -> None:
        """Count an attempt (status, 429, network error) and record its child span, from ``started`` (what
        `attempt_started` gave; None: nothing to do) to now.

        The span is made once the outcome is known, with its true start time and every attribute at once: the
        exported span is the same as one opened before sending and updated after, with one attribute update
        instead of two (each costs the SDK about as much). An attempt's span is never made current (nothing the
        library runs could be its child), so nothing else sees the difference.

        Examples:
            >>> Telemetry(enabled=False).attempt_ended(None, "GET", "https://x/", ("x", 443), 1, 200, None, False)
        """
        if started is None:
            return
        # OpenTelemetry's HTTP client conventions: method, full (redacted) URL, server address and port (all four
        # required), the status, error.type on a failure, and the resend count (absent on a first attempt). The
        # logical call's name is its span's name: not repeated as an attribute of our own.
        attributes: dict[str, Any] = {"http.request.method": method, "url.full": url, "server.address": server[0],
                                      "server.port": server[1]}
        if attempt > 1:
            attributes["http.request.resend_count"] = attempt - 1
        failed: str | None = None
        if error is not None:
            self._counts[3] += 1
            attributes["error.type"] = failed = type(error).__name__
        else:
            if limited:
                self._counts[1] += 1
            elif status is not None and status < 400:
                self._counts[0] += 1
            else:
                self._counts[2] += 1
            if status is not None:
                attributes["http.response.status_code"] = status
                if status >= 400:
                    attributes["error.type"] = failed = str(status)
        span = self._tracer.start_span(method, kind=self._kind, attributes=attributes, start_time=started)
        if failed is not None:
            span.set_status(self._status.ERROR, failed if error is not None else None)
        span.end()

    async def call_hooks(self, hooks: Sequence[Hook], info: Any) -> None:
        """Call each hook with ``info``; a failing hook is logged, never raised.

        Examples:
            >>> import anyio
            >>> calls = []
            >>> anyio.run(Telemetry(enabled=False).call_hooks, [calls.append], "x")
            >>> calls
            ['x']
        """
        for hook in hooks:
            try:
                result = hook(info)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                import logging

                logging.getLogger("netsuite_async.transport").warning(
                    "a %s hook failed (ignored)", type(info).__name__, exc_info=True
                )


class _OperationScope(_Operation):
    """The context manager behind ``Telemetry.operation``, and the call's `_Operation` record itself (one object
    per logical call; a class rather than a generator: this runs once per call)."""

    __slots__ = ("_fresh", "_governor", "_limit", "_otel_token", "_record_type", "_telemetry", "_token")

    def __init__(self, telemetry: Telemetry, name: str, record_type: str | None, agent: str | None,
                 governor: Any, fresh: bool = False) -> None:
        _Operation.__init__(self, name, agent)
        self._telemetry = telemetry
        self._record_type = record_type
        self._governor = governor
        self._fresh = fresh
        self._token: Any = None
        self._otel_token: Any = None
        self._limit: int | None = None

    def __enter__(self) -> _Operation | None:
        if not self._fresh and _current.get() is not None:
            return None
        self.begin()
        return self

    def begin(self) -> None:
        """``__enter__`` for the outermost call (the ``traced`` wrapper checks that, then calls this directly)."""
        self._token = _current.set(self)
        if self.agent is None:
            self.agent = _agent.get()
        telemetry = self._telemetry
        if telemetry._tracer is None or not (telemetry._recording or telemetry.active):
            return
        governor = self._governor
        if governor is not None:
            # The limit at the start: the local governor's is an attribute, any other's is in its stats.
            limit = getattr(governor, "limit", None)
            self._limit = limit if type(limit) is int else int(governor.stats().limit)
        # No attributes yet: all go on in one update at the end (a second update costs the SDK as much again).
        self.span = span = telemetry._tracer.start_span("netsuite " + self.name, kind=telemetry._kind)
        self._otel_token = telemetry._attach(telemetry._in_context(span))

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        token = self._token
        if token is None:
            return
        self._token = None
        _current.reset(token)
        span = self.span
        if span is None:
            return
        self.span = None  # an attempt still running after the call ended (a stream's prefetch) opens no child span
        self._telemetry._detach(self._otel_token)
        # Milliseconds to the microsecond (integer rounding: round(x, 3) is 5x slower).
        attributes: dict[str, Any] = {"netsuite.attempts": self.attempts, "netsuite.limited": self.limited,
                                      "netsuite.slot_wait_ms": int(self.slot_wait * 1e6 + 0.5) / 1000}
        if self._record_type is not None:
            attributes["netsuite.record_type"] = self._record_type
        if self.agent is not None:
            attributes["netsuite.agent"] = self.agent
        if self._limit is not None:
            attributes["netsuite.governor.limit"] = self._limit
        if exc is not None:
            attributes["error.type"] = type(exc).__name__
            span.set_status(self._telemetry._status.ERROR, type(exc).__name__)
        span.set_attributes(attributes)
        span.end()


class _Steps:
    """One logical call over the steps of an iteration: opened at the first step in a context of its own (so it
    is the same call wherever the caller iterates from), entered around every step, closed once.

    Used by traced streams (`traced_iter`) and by audited ones (``_agent_streams._AuditedIterator``). Nothing is
    made when the first step finds no use for it (nested in another call, or no span, hook or audit to feed).
    """

    __slots__ = ("_context", "_otel", "_scope", "closed", "op")

    def __init__(self, telemetry: Telemetry, name: str, record_type: str | None, agent: str | None,
                 governor: Any, fresh: bool = False) -> None:
        self._scope = _OperationScope(telemetry, name, record_type, agent, governor, fresh)
        self._context: contextvars.Context | None = None
        self._otel: Any = None
        #: The call's record once the first step opened it (None before, or when there is none).
        self.op: _Operation | None = None
        self.closed = False

    def enter(self) -> tuple[Any, Any] | None:
        """Make the call current for one step; give the result to `leave`."""
        context = self._context
        if context is None:
            if self.closed:
                return None
            self._context = context = contextvars.copy_context()
            scope = self._scope
            telemetry = scope._telemetry
            if not scope._fresh and not telemetry.hooked and not telemetry.active:
                return None
            self.op = op = context.run(scope.__enter__)
            if op is not None and op.span is not None:
                from opentelemetry import context as otel_context

                self._otel = context.run(otel_context.get_current)
        op = self.op
        if op is None:
            return None
        otel = self._otel
        return _current.set(op), (None if otel is None else self._scope._telemetry._attach(otel))

    def leave(self, tokens: tuple[Any, Any] | None) -> None:
        """Undo `enter`."""
        if tokens is not None:
            token, otel_token = tokens
            if otel_token is not None:
                self._scope._telemetry._detach(otel_token)
            _current.reset(token)

    def close(self, exc: BaseException | None) -> None:
        """End the call (its span with ``exc``'s type when it failed); later calls do nothing."""
        if self.closed:
            return
        self.closed = True
        context = self._context
        if context is not None and self.op is not None:
            context.run(self._scope.__exit__, None if exc is None else type(exc), exc, None)


# -- decorators used by the API modules ---------------------------------------------------------------------------
def _record_type(at: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    # Only a record type ever becomes an attribute: never a query, a body or an id. ``at``: its place in args.
    value = (kwargs.get("record_type", args[at] if len(args) > at else None)) if at else None
    return value if isinstance(value, str) else None


def traced(name: str, type_arg: int | None = None) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorate a resource's coroutine method as one logical call named ``name`` (e.g. ``records.get``).

    ``type_arg`` is the position (after ``self``) of the record type argument, put on the span; None for none.
    The call is made plain (no record, no span) when tracing is off, when it is nested in another logical call,
    and when there is neither a tracer provider nor a hook to feed.

    Examples:
        >>> @traced("records.get")
        ... async def get(self, record_type, record_id): ...
        >>> get.__name__
        'get'
    """

    at = 0 if type_arg is None else type_arg + 1  # the record type's place in args (args[0] is self); 0: none

    def decorate(func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            if kwargs and not CALL_OPTIONS.isdisjoint(kwargs): args = apply_call_options(func, args, kwargs)  # noqa: E701
            transport = args[0].__dict__.get("_transport")
            telemetry: Telemetry | None = getattr(transport, "telemetry", None)
            if (telemetry is None or telemetry.off or _current.get() is not None
                    or not (telemetry.hooked or telemetry._recording or telemetry.active)):
                return await func(*args, **kwargs)
            record_type = _record_type(at, args, kwargs)
            scope = _OperationScope(telemetry, name, record_type, None, getattr(transport, "governor", None))
            scope.begin()  # what the scope's `with` block does, without it (cheaper, and this runs once per call)
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                scope.__exit__(type(exc), exc, None)
                raise
            scope.__exit__(None, None, None)
            return result

        return wrapper

    return decorate


def traced_iter(name: str, type_arg: int | None = None) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a method returning an async iterable so that its iteration is one logical call.

    The span opens at the first ``__anext__`` and closes when the iteration ends, fails or is closed; page
    fetches started during it (parallel ones too) are its children. Other attributes of the returned object
    (``RowStream.total``, ``await``-ing a ``RecordList``) are passed through. As with `traced`, the iterable is
    returned unwrapped when tracing is off, when it is made inside another logical call, and when, as it is made,
    there is neither a tracer provider nor a hook to feed.

    Examples:
        >>> @traced_iter("records.list")
        ... def listing(self, record_type): return iter(())
        >>> listing.__name__
        'listing'
    """

    at = 0 if type_arg is None else type_arg + 1

    def decorate(func: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            if kwargs and not CALL_OPTIONS.isdisjoint(kwargs): args = apply_call_options(func, args, kwargs)  # noqa: E701
            result = func(*args, **kwargs)
            transport = args[0].__dict__.get("_transport")  # where resources keep it (cheaper than getattr)
            telemetry: Telemetry | None = getattr(transport, "telemetry", None)
            if (telemetry is None or telemetry.off or _current.get() is not None
                    or not (telemetry.hooked or telemetry.active)):
                return result
            governor = getattr(transport, "governor", None)
            steps = _Steps(telemetry, name, _record_type(at, args, kwargs), None, governor)
            return _TracedIterable(result, steps)  # type: ignore[return-value]

        return wrapper

    return decorate


class _TracedIterable:
    """Wraps an async iterable (RowStream, RecordList): one logical call over the whole iteration."""

    def __init__(self, inner: Any, steps: _Steps) -> None:
        self._inner = inner
        self._iter: Any = None
        self._steps = steps

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __await__(self) -> Any:
        return self._inner.__await__()

    def __aiter__(self) -> _TracedIterable:
        return self

    async def __anext__(self) -> Any:
        steps = self._steps
        tokens = steps.enter()
        try:
            if self._iter is None:
                self._iter = self._inner.__aiter__()
            return await self._iter.__anext__()
        except StopAsyncIteration:
            steps.close(None)
            raise
        except BaseException as exc:
            steps.close(exc)
            raise
        finally:
            steps.leave(tokens)

    async def aclose(self) -> None:
        try:
            close = getattr(self._iter if self._iter is not None else self._inner, "aclose", None)
            if close is not None:
                await close()
        finally:
            self._steps.close(None)

    async def __aenter__(self) -> _TracedIterable:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
