"""Observability: OpenTelemetry spans and metrics, and public request/response hooks.

One span per *logical call* (``netsuite records.get``, ``netsuite suiteql.stream``, ``netsuite batch.create``)
with a child span per HTTP attempt that follows OpenTelemetry's HTTP client conventions (``http.request.method``,
``url.full`` with query values redacted, ``server.address``, ``http.response.status_code``, ``error.type``).
The logical span carries what generic HTTP instrumentation cannot see: the time spent waiting for a governor slot
(``netsuite.slot_wait_ms``), the attempts and 429s it took, the governor's limit when it started, the record type
and the agent (when the call runs through ``ns.as_agent(...)``).

Metrics (instrument names are stable): ``netsuite.client.requests`` (counter, attribute ``outcome``:
``success``/``limited``/``error``/``network_error``), ``netsuite.client.limited`` (429s), ``netsuite.client.slot_wait``
(histogram, seconds), ``netsuite.client.in_flight`` and ``netsuite.client.limit`` (gauges read from the governor).

It uses only ``opentelemetry-api`` (the ``[otel]`` extra); spans go to the globally configured provider like any
instrumented library. Without the package, or with ``NetSuiteClient(..., tracing=False)``, every hook below is a
constant no-op. No secrets, query values or bodies are ever put on a span or a metric.

What hooks receive (`RequestInfo`, `ResponseInfo`, `Hooks`) and which logical call and agent the current task
is in (`current_operation`, `set_agent`) live in ``_telemetry_context.py`` and are importable from here.

Examples:
    >>> t = Telemetry(enabled=False)
    >>> t.active
    False
    >>> with t.operation("records.get", record_type="customer"):
    ...     pass
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator, Sequence
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
        self._tracer: Any = None
        self._kind: Any = None
        self._meter_instruments: tuple[Any, ...] | None = None
        self._status: Any = None
        self._no_provider: Any = None
        if enabled and otel_available():
            from opentelemetry import context, metrics, trace

            from netsuite_async._version import __version__

            self._tracer = trace.get_tracer(_SCOPE, __version__)
            self._status = trace.StatusCode
            self._kind = trace.SpanKind.CLIENT
            self._attach, self._detach, self._in_context = context.attach, context.detach, trace.set_span_in_context
            get_provider, proxy = trace.get_tracer_provider, trace.ProxyTracerProvider
            # Until the application sets a tracer provider, spans would be non-recording: skip them altogether.
            self._no_provider = lambda: isinstance(get_provider(), proxy)
            meter = metrics.get_meter(_SCOPE, __version__)
            requests = meter.create_counter("netsuite.client.requests", unit="{request}",
                                            description="HTTP attempts by outcome")
            limited = meter.create_counter("netsuite.client.limited", unit="{request}",
                                           description="attempts NetSuite refused for the concurrency limit (429)")
            wait = meter.create_histogram("netsuite.client.slot_wait", unit="s",
                                          description="time an attempt waited for a governor slot")
            self._meter_instruments = (requests, limited, wait)
            if governor is not None:
                self._observe_governor(meter, governor)
        #: True when nothing can be recorded or called (tracing off or unavailable, no hooks): the hot path's
        #: one check.
        self.off = self._tracer is None and not self.hooks

    @property
    def active(self) -> bool:
        """Whether spans and metrics are recorded: the extra is installed, tracing is on and the application
        has set a tracer provider (checked on every call, so a provider set later is picked up).

        Examples:
            >>> Telemetry(enabled=False).active
            False
        """
        return self._tracer is not None and not self._no_provider()

    def _observe_governor(self, meter: Any, governor: Governor) -> None:
        from opentelemetry.metrics import Observation

        def in_flight(_options: Any) -> Iterator[Any]:
            yield Observation(governor.stats().in_flight)

        def limit(_options: Any) -> Iterator[Any]:
            yield Observation(governor.stats().limit)

        meter.create_observable_gauge("netsuite.client.in_flight", callbacks=[in_flight], unit="{request}",
                                      description="governor slots held now")
        meter.create_observable_gauge("netsuite.client.limit", callbacks=[limit], unit="{request}",
                                      description="the governor's current concurrency limit")

    # -- logical calls ----------------------------------------------------------------------------------------
    def operation(
        self, name: str, *, record_type: str | None = None, agent: str | None = None, governor: Any = None,
    ) -> _OperationScope:
        """A logical call: a parent span (when active) and the per-call counters its attempts add to.

        Nested operations (``batch.create`` calling ``jobs.submit``) keep the outermost one as the logical call.

        Examples:
            >>> with Telemetry(enabled=False).operation("suiteql.all"):
            ...     current_operation()
            'suiteql.all'
        """
        return _OperationScope(self, name, record_type, agent, governor)

    # -- attempts ---------------------------------------------------------------------------------------------
    def attempt_started(self, method: str, url: str, server: str, attempt: int, slot_wait: float) -> Any:
        """Open an attempt's child span (None when inactive); called by the transport inside the slot.

        Examples:
            >>> Telemetry(enabled=False).attempt_started("GET", "https://x/", "x", 1, 0.0) is None
            True
        """
        op = _current.get()
        if op is not None:
            op.attempts += 1
            op.slot_wait += slot_wait
        if not self.active:
            return None
        self._meter_instruments[2].record(slot_wait)  # type: ignore[index]
        attributes = {
            "http.request.method": method,
            "url.full": url,
            "server.address": server,
            "netsuite.attempt": attempt,
        }
        if attempt > 1:
            attributes["http.request.resend_count"] = attempt - 1
        return self._tracer.start_span(method, kind=self._kind, attributes=attributes)

    def attempt_ended(self, span: Any, status: int | None, error: BaseException | None, limited: bool) -> None:
        """Close an attempt's span and count it (status, 429, network error).

        Examples:
            >>> Telemetry(enabled=False).attempt_ended(None, 200, None, False)
        """
        if limited:
            op = _current.get()
            if op is not None:
                op.limited += 1
        if not self.active:
            return
        requests, limited_counter, _ = self._meter_instruments  # type: ignore[misc]
        if error is not None:
            outcome = "network_error"
        elif limited:
            outcome = "limited"
        elif status is not None and status < 400:
            outcome = "success"
        else:
            outcome = "error"
        requests.add(1, {"outcome": outcome})
        if limited:
            limited_counter.add(1)
        if span is None:
            return
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if error is not None:
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(self._status.ERROR, type(error).__name__)
        elif status is not None and status >= 400:
            span.set_attribute("error.type", str(status))
            span.set_status(self._status.ERROR)
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


class _OperationScope:
    """The context manager behind ``Telemetry.operation`` (a class: cheaper than a generator per call)."""

    __slots__ = ("_agent", "_governor", "_name", "_op", "_otel_token", "_record_type", "_span", "_telemetry",
                 "_token")

    def __init__(self, telemetry: Telemetry, name: str, record_type: str | None, agent: str | None,
                 governor: Any) -> None:
        self._telemetry = telemetry
        self._name = name
        self._record_type = record_type
        self._agent = agent
        self._governor = governor
        self._token: Any = None
        self._span: Any = None
        self._otel_token: Any = None
        self._op: _Operation | None = None

    def __enter__(self) -> None:
        if _current.get() is not None:
            return
        if self._agent is None:
            self._agent = _agent.get()
        self._op = op = _Operation(self._name, self._agent)
        self._token = _current.set(op)
        telemetry = self._telemetry
        if not telemetry.active:
            return
        attributes: dict[str, Any] = {"netsuite.operation": self._name}
        if self._record_type is not None:
            attributes["netsuite.record_type"] = self._record_type
        if self._agent is not None:
            attributes["netsuite.agent"] = self._agent
        if self._governor is not None:
            attributes["netsuite.governor.limit"] = self._governor.stats().limit
        span = telemetry._tracer.start_span(f"netsuite {self._name}", kind=telemetry._kind, attributes=attributes)
        self._span = span
        self._otel_token = telemetry._attach(telemetry._in_context(span))

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if self._token is None:
            return
        op, span = self._op, self._span
        _current.reset(self._token)
        self._token = None
        if span is None or op is None:
            return
        self._telemetry._detach(self._otel_token)
        attributes: dict[str, Any] = {
            "netsuite.attempts": op.attempts,
            "netsuite.limited": op.limited,
            "netsuite.slot_wait_ms": round(op.slot_wait * 1000, 3),
        }
        if exc is not None:
            attributes["error.type"] = type(exc).__name__
            span.set_status(self._telemetry._status.ERROR, type(exc).__name__)
        span.set_attributes(attributes)
        span.end()


# -- decorators used by the API modules ---------------------------------------------------------------------------
def _transport_of(resource: Any) -> Any:
    # Resources keep the transport they send through as ``_transport``; a dict lookup is cheaper than getattr.
    return resource.__dict__.get("_transport")


def _telemetry_of(resource: Any) -> Telemetry | None:
    transport = _transport_of(resource)
    return None if transport is None else getattr(transport, "telemetry", None)


def _record_type(index: int | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    # Only a record type ever becomes an attribute: never a query, a body or an id.
    if index is None:
        return None
    value = kwargs.get("record_type", args[index] if len(args) > index else None)
    return value if isinstance(value, str) else None


def traced(name: str, type_arg: int | None = None) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorate a resource's coroutine method as one logical call named ``name`` (e.g. ``records.get``).

    ``type_arg`` is the position (after ``self``) of the record type argument, put on the span; None for none.

    Examples:
        >>> @traced("records.get")
        ... async def get(self, record_type, record_id): ...
        >>> get.__name__
        'get'
    """

    def decorate(func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            if kwargs and not CALL_OPTIONS.isdisjoint(kwargs): args = apply_call_options(func, args, kwargs)  # noqa: E701
            telemetry = _telemetry_of(args[0])
            if telemetry is None or telemetry.off or _current.get() is not None:
                return await func(*args, **kwargs)
            record_type = _record_type(type_arg, args[1:], kwargs)
            with telemetry.operation(name, record_type=record_type, agent=_agent_of(args[0]),
                                     governor=_governor_of(args[0])):
                return await func(*args, **kwargs)

        return wrapper

    return decorate


def traced_iter(name: str, type_arg: int | None = None) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a method returning an async iterable so that its iteration is one logical call.

    The span opens at the first ``__anext__`` and closes when the iteration ends, fails or is closed; page
    fetches started during it (parallel ones too) are its children. Other attributes of the returned object
    (``RowStream.total``, ``await``-ing a ``RecordList``) are passed through.

    Examples:
        >>> @traced_iter("records.list")
        ... def listing(self, record_type): return iter(())
        >>> listing.__name__
        'listing'
    """

    def decorate(func: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            if kwargs and not CALL_OPTIONS.isdisjoint(kwargs): args = apply_call_options(func, args, kwargs)  # noqa: E701
            result = func(*args, **kwargs)
            telemetry = _telemetry_of(args[0])
            if telemetry is None or telemetry.off or _current.get() is not None:
                return result
            return _TracedIterable(result, telemetry, name, _record_type(type_arg, args[1:], kwargs),  # type: ignore[return-value]
                                   _agent_of(args[0]), _governor_of(args[0]))

        return wrapper

    return decorate


def _agent_of(resource: Any) -> str | None:
    agent = getattr(_transport_of(resource), "agent", None)
    return agent if isinstance(agent, str) else None


def _governor_of(resource: Any) -> Any:
    return getattr(_transport_of(resource), "governor", None)


class _TracedIterable:
    """Wraps an async iterable (RowStream, RecordList): one span over the whole iteration."""

    def __init__(self, inner: Any, telemetry: Telemetry, name: str, record_type: str | None,
                 agent: str | None, governor: Any) -> None:
        self._inner = inner
        self._iter: Any = None
        self._telemetry = telemetry
        self._name = name
        self._record_type = record_type
        self._agent = agent
        self._governor = governor
        self._cm: Any = None
        self._context: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __await__(self) -> Any:
        return self._inner.__await__()

    def __aiter__(self) -> _TracedIterable:
        return self

    async def __anext__(self) -> Any:
        if self._cm is None:
            # Open the logical span in a context of our own, then run every step of the iteration in it, so that
            # page fetches (and the tasks they start) are its children wherever the caller iterates from.
            self._context = contextvars.copy_context()
            self._cm = self._context.run(self._open)
        otel_context: Any = None
        token: Any = None
        if self._telemetry.active:
            from opentelemetry import context as otel_context

            token = otel_context.attach(self._context.run(otel_context.get_current))
        op_token = _current.set(self._context.run(_current.get))
        try:
            if self._iter is None:
                self._iter = self._inner.__aiter__()
            return await self._iter.__anext__()
        except StopAsyncIteration:
            self._close(None)
            raise
        except BaseException as exc:
            self._close(exc)
            raise
        finally:
            _current.reset(op_token)
            if token is not None:
                otel_context.detach(token)

    def _open(self) -> Any:
        cm = self._telemetry.operation(self._name, record_type=self._record_type, agent=self._agent,
                                       governor=self._governor)
        cm.__enter__()
        return cm

    def _close(self, exc: BaseException | None) -> None:
        cm, self._cm = self._cm, False
        if cm:
            if exc is None:
                self._context.run(cm.__exit__, None, None, None)
            else:
                # The operation re-raises the same error; the caller already has it.
                with contextlib.suppress(BaseException):
                    self._context.run(cm.__exit__, type(exc), exc, exc.__traceback__)

    async def aclose(self) -> None:
        try:
            close = getattr(self._iter if self._iter is not None else self._inner, "aclose", None)
            if close is not None:
                await close()
        finally:
            self._close(None)

    async def __aenter__(self) -> _TracedIterable:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
