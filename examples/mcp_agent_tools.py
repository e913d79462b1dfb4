"""Serve policy-scoped NetSuite tools to an AI agent over MCP (the official ``mcp`` Python SDK, 2.x).

One MCP server per agent: its tools (get a record, run SuiteQL, create a record) go through
``ns.as_agent(name)``, so the agent can reach exactly what the access policy grants it, whatever the
integration's NetSuite role could do. Denied calls send nothing to NetSuite; the agent gets the reason as a tool
error, and every call lands in the audit log.

Needs: ``pip install netsuite-asyncio-client mcp`` (from a checkout: ``pip install . mcp``).

Try it offline against the built-in emulator:

```bash
python examples/mcp_agent_tools.py --emulator --agent support-bot
```

Run it on stdio for an MCP host (Claude Desktop, an IDE, an agent framework):

```bash
export NETSUITE_ACCOUNT=1234567_SB1 NETSUITE_ACCESS_TOKEN=...      # or TBA / OAuth 2.0 variables
python examples/mcp_agent_tools.py --policy policy.toml --agent support-bot --audit audit.jsonl
```

The policy file (see docs/agents.md):

```toml
[support-bot]
suiteql = true
records = { customer = "read" }
```
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from netsuite_async import (
    AccessDeniedError,
    AccessPolicy,
    AgentClient,
    AuditLog,
    BearerToken,
    NetSuiteClient,
    NetSuiteError,
    NotFoundError,
)

#: Rows one SuiteQL tool call may return: a model's context is not a data warehouse.
MAX_ROWS = 200

DEMO_POLICY = {
    "support-bot": {"records": {"customer": "read"}, "suiteql": True},
    "sales-bot": {"records": {"customer": "write", "salesOrder": "write"}, "suiteql": True},
}


def build_server(agent: AgentClient) -> MCPServer:
    """The MCP server exposing three tools, each checked against ``agent``'s grants."""
    server = MCPServer(
        f"netsuite-{agent.name}",
        instructions=(
            f"NetSuite tools for agent {agent.name!r}. Only what its access policy grants is allowed; a denied "
            "call returns an error that says which grant is missing."
        ),
    )

    @server.tool()
    async def get_record(record_type: str, record_id: str, fields: list[str] | None = None) -> dict[str, Any]:
        """Read one NetSuite record by type (e.g. customer) and internal id (or eid:EXTERNAL-ID)."""
        with _tool_errors():
            record = await agent.records.get(record_type, record_id, fields=fields)
        return {k: v for k, v in record.items() if k != "links"}

    @server.tool()
    async def run_suiteql(query: str, params: list[str | int | float | bool | None] | None = None,
                          max_rows: int = 50) -> dict[str, Any]:
        """Run a read-only SuiteQL query (use ? placeholders for values, given in params)."""
        if not 1 <= max_rows <= MAX_ROWS:
            raise ToolError(f"max_rows must be between 1 and {MAX_ROWS}")
        with _tool_errors():
            rows = await agent.suiteql.all(query, params=params, max_rows=max_rows)
        return {"rows": rows, "count": len(rows), "truncated": len(rows) == max_rows}

    @server.tool()
    async def create_record(record_type: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a NetSuite record of record_type with the given body fields; returns its internal id."""
        with _tool_errors():
            ref = await agent.records.create(record_type, fields)
        return {"record_type": ref.type, "id": ref.id}

    return server


@contextmanager
def _tool_errors() -> Iterator[None]:
    """Turn the library's errors into MCP tool errors the model can read (never a traceback)."""
    try:
        yield
    except AccessDeniedError as exc:
        raise ToolError(f"denied by the access policy: {exc.reason} (needs {exc.needed})") from None
    except NotFoundError:
        raise ToolError("no such record") from None
    except (NetSuiteError, ValueError, TypeError) as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from None


@asynccontextmanager
async def emulator_client(policy: AccessPolicy, audit: AuditLog | None) -> AsyncIterator[NetSuiteClient]:
    """A client on the in-process emulator, seeded with a few records (for trying the server offline)."""
    from netsuite_async.testing import FakeNetSuite

    async with FakeNetSuite(seed={"customers": 20, "items": 5, "sales_orders": 5}) as fake:  # noqa: SIM117
        async with fake.client(policy=policy, audit=audit) as ns:
            yield ns


async def serve(args: argparse.Namespace) -> None:
    policy = AccessPolicy.from_toml(args.policy) if args.policy else AccessPolicy.from_dict(DEMO_POLICY)
    audit = AuditLog.jsonl(args.audit) if args.audit else AuditLog.to_logger()
    try:
        if args.emulator:
            async with emulator_client(policy, audit) as ns:
                await build_server(ns.as_agent(args.agent)).run_stdio_async()
        else:
            account = os.environ["NETSUITE_ACCOUNT"]
            auth = BearerToken(os.environ["NETSUITE_ACCESS_TOKEN"])
            async with NetSuiteClient(account, auth=auth, policy=policy, audit=audit) as ns:
                await build_server(ns.as_agent(args.agent)).run_stdio_async()
    finally:
        audit.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agent", required=True, help="the agent of the policy this server acts for")
    parser.add_argument("--policy", help="TOML access policy (default: a small demo policy)")
    parser.add_argument("--audit", help="JSONL audit log (default: the 'netsuite_async.audit' logger)")
    parser.add_argument("--emulator", action="store_true", help="use the in-process emulator, not NetSuite")
    anyio.run(serve, parser.parse_args())


if __name__ == "__main__":
    main()
