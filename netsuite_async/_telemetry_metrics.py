"""What ``telemetry.py`` needs from ``opentelemetry-api`` besides spans: the process's metric instruments (one set
for every client) and the cheap "is a tracer provider set yet?" check.

Split out of ``telemetry.py``; the OpenTelemetry modules are handed in by the caller (imported only when tracing is
on and the extra is installed).

Examples:
    >>> isinstance(METRICS, _Metrics)
    True
"""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["METRICS"]

_OUTCOMES = ("success", "limited", "error", "network_error")


class _Metrics:
    """The process's metric instruments and what the observable ones read: every live client's counts and
    governor, and the counts of clients already collected (the counters are cumulative).

    Registered once per process: OpenTelemetry keeps one instrument per name and scope, so a second client's own
    callbacks would be dropped. ``netsuite.client.requests`` and ``netsuite.client.limited`` are observable
    counters over plain per-client counts (an attempt costs a list increment, not an SDK call); the gauges sum
    ``in_flight`` and ``limit`` over the distinct governors of the live clients (one per client and its views).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, tuple[list[int], Any]] = {}
        self._retired = [0, 0, 0, 0]
        self._serial = itertools.count()
        self._histogram: Any = None

    def register(self, owner: object, counts: list[int], governor: Any, meter: Any) -> Any:
        """Read ``counts`` (and ``governor``, when not None) until ``owner`` is collected; the slot wait
        histogram to record into. ``meter`` makes the instruments the first time."""
        with self._lock:
            if self._histogram is None:
                self._histogram = self._instruments(meter)
            key = next(self._serial)
            self._live[key] = (counts, governor)
        weakref.finalize(owner, self._retire, key)
        return self._histogram

    def _retire(self, key: int) -> None:
        with self._lock:
            counts, _ = self._live.pop(key)
            for i, n in enumerate(counts):
                self._retired[i] += n

    def _instruments(self, meter: Any) -> Any:
        from opentelemetry.metrics import Observation

        def totals() -> list[int]:
            with self._lock:
                out = list(self._retired)
                for counts, _ in self._live.values():
                    for i, n in enumerate(counts):
                        out[i] += n
            return out

        def requests(_options: Any) -> Iterator[Any]:
            for outcome, n in zip(_OUTCOMES, totals(), strict=True):
                if n:
                    yield Observation(n, {"outcome": outcome})

        def limited(_options: Any) -> Iterator[Any]:
            n = totals()[1]
            if n:
                yield Observation(n)

        def governors() -> list[Any]:
            with self._lock:
                distinct = {id(g): g for _, g in self._live.values() if g is not None}
            return [g.stats() for g in distinct.values()]

        def in_flight(_options: Any) -> Iterator[Any]:
            yield Observation(sum(s.in_flight for s in governors()))

        def limit(_options: Any) -> Iterator[Any]:
            yield Observation(sum(s.limit for s in governors()))

        meter.create_observable_counter("netsuite.client.requests", callbacks=[requests], unit="{request}",
                                        description="HTTP attempts by outcome")
        meter.create_observable_counter("netsuite.client.limited", callbacks=[limited], unit="{request}",
                                        description="attempts NetSuite refused for the concurrency limit (429)")
        meter.create_observable_gauge("netsuite.client.in_flight", callbacks=[in_flight], unit="{request}",
                                      description="governor slots held now (all live clients)")
        meter.create_observable_gauge("netsuite.client.limit", callbacks=[limit], unit="{request}",
                                      description="the governors' current concurrency limit (all live clients)")
        return meter.create_histogram("netsuite.client.slot_wait", unit="s",
                                      description="time an attempt waited for a governor slot")


#: The one registry of the process.
METRICS = _Metrics()


def _provider_check(trace: Any) -> Callable[[], bool]:
    """A function telling whether no tracer provider is set yet (asked on calls until one is).

    The public way (``isinstance(get_tracer_provider(), ProxyTracerProvider)``) looks the environment up on every
    call (about a microsecond, twice per call). Where ``opentelemetry.trace`` keeps the provider it was given in
    its ``_TRACER_PROVIDER`` global (every release so far), that global is read instead: None until one is set.
    With ``OTEL_PYTHON_TRACER_PROVIDER`` in the environment, or without that global, the public way is used.
    """
    get_provider, proxy = trace.get_tracer_provider, trace.ProxyTracerProvider

    def public() -> bool:
        return isinstance(get_provider(), proxy)

    if not hasattr(trace, "_TRACER_PROVIDER") or "OTEL_PYTHON_TRACER_PROVIDER" in os.environ:
        return public

    def unset() -> bool:
        return trace._TRACER_PROVIDER is None or public()

    return unset
