"""Print the OpenTelemetry span tree of a SuiteQL stream, run against the offline emulator.

Needs: ``pip install 'netsuite-asyncio-client[otel]' opentelemetry-sdk`` (from a checkout: ``pip install ".[otel]"
opentelemetry-sdk``; the library uses only ``opentelemetry-api``, the SDK is what an application installs to
record spans). It always runs against the built-in emulator:

```bash
python examples/otel_trace.py
```

It streams 2,500 customers with 500-row pages (the first page, then one count query and four pages fetched in
parallel, all under one parent span) and prints each span with its parent, timings and attributes.
"""

from __future__ import annotations

from typing import Any

import anyio
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from netsuite_async.testing import FakeNetSuite


def span_tree(spans: tuple[ReadableSpan, ...]) -> list[str]:
    """One line per span, children indented under their parent, in start order."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        by_parent.setdefault(span.parent.span_id if span.parent else None, []).append(span)
    origin = min(s.start_time or 0 for s in spans)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in sorted(by_parent.get(parent, []), key=lambda s: s.start_time or 0):
            start = ((span.start_time or 0) - origin) / 1e6
            took = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
            attrs: dict[str, Any] = {k: v for k, v in (span.attributes or {}).items() if k != "url.full"}
            lines.append(f"{'  ' * depth}{span.name:<26} +{start:7.1f} ms {took:7.1f} ms  {attrs}")
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return lines


async def main() -> list[str]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    async with FakeNetSuite(concurrency=5, latency=0.02, seed={"customers": 2_500}) as fake, fake.client() as ns:
        rows = 0
        async for _ in ns.suiteql.stream("SELECT id, email FROM customer ORDER BY id", page_size=500):
            rows += 1
    lines = span_tree(exporter.get_finished_spans())
    print(f"{rows} rows")
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    anyio.run(main)
