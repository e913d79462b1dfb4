"""examples/mcp_agent_tools.py: policy-scoped NetSuite tools over MCP, driven in process by the official SDK's
client against the emulator. Denied tool calls send nothing to NetSuite and are audited."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

mcp = pytest.importorskip("mcp", reason="the MCP example needs the 'mcp' package (in the test extra)")

from mcp import Client  # noqa: E402

from netsuite_async import AccessPolicy, AuditEvent, AuditLog  # noqa: E402
from netsuite_async.testing import FakeNetSuite  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "mcp_agent_tools.py"

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]



def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_mcp_agent_tools", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def payload(result: Any) -> Any:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


async def test_agent_tools_over_mcp_follow_the_policy() -> None:
    example = load_example()
    policy = AccessPolicy.from_dict({
        "support-bot": {"records": {"customer": "read"}, "suiteql": True},
        "sales-bot": {"records": {"customer": "write"}},
    })
    events: list[AuditEvent] = []
    async with FakeNetSuite(seed={"customers": 5}) as fake:  # noqa: SIM117
        async with fake.client(policy=policy, audit=AuditLog.to_callable(events.append)) as ns:
            async with Client(example.build_server(ns.as_agent("support-bot"))) as client:
                tools = {t.name for t in (await client.list_tools()).tools}
                assert tools == {"get_record", "run_suiteql", "create_record"}

                record = payload(await client.call_tool("get_record", {"record_type": "customer", "record_id": "1",
                                                                         "fields": ["companyName"]}))
                assert record["id"] == "1"
                assert "companyName" in record

                rows = payload(await client.call_tool(
                    "run_suiteql", {"query": "SELECT id FROM customer WHERE id <= ? ORDER BY id", "params": [3]}
                ))
                assert [r["id"] for r in rows["rows"]] == ["1", "2", "3"]

                before = fake.counters.requests
                denied = await client.call_tool("create_record", {"record_type": "customer",
                                                                  "fields": {"companyName": "Nope"}})
                assert denied.is_error
                assert "denied by the access policy: it has read access to customer" in denied.content[0].text
                sneaky = await client.call_tool(
                    "run_suiteql", {"query": "SELECT id FROM customer UNION SELECT id FROM employee"}
                )
                assert sneaky.is_error
                assert "may not read table employee" in sneaky.content[0].text
                missing = await client.call_tool("get_record", {"record_type": "customer", "record_id": "999"})
                assert missing.is_error
                assert fake.counters.requests == before + 1  # only the allowed lookup of 999 was sent

            async with Client(example.build_server(ns.as_agent("sales-bot"))) as client:
                created = payload(await client.call_tool("create_record", {"record_type": "customer",
                                                                           "fields": {"companyName": "Yes"}}))
                assert created["record_type"] == "customer"
                refused = await client.call_tool("run_suiteql", {"query": "SELECT id FROM customer"})
                assert "SuiteQL is not granted" in refused.content[0].text

    summary = [(e.agent, e.action, e.decision) for e in events]
    assert summary == [
        ("support-bot", "records.get", "allowed"),
        ("support-bot", "suiteql.all", "allowed"),
        ("support-bot", "records.create", "denied"),
        ("support-bot", "suiteql.all", "denied"),
        ("support-bot", "records.get", "allowed"),
        ("sales-bot", "records.create", "allowed"),
        ("sales-bot", "suiteql.all", "denied"),
    ]
    assert events[5].record_id == created["id"]
    assert all("Nope" not in e.text and "Yes" not in e.text for e in events)
