"""A FastAPI service in front of NetSuite: one client per application, awaited per request.

The client (and with it the connection pool and the concurrency governor) is made once in the app's lifespan
and shared by every request, so however many requests the service takes at once, NetSuite never sees more
concurrent calls than the account allows: extra requests wait for a governor slot instead of failing with 429.

Needs: ``pip install 'netsuite-asyncio-client[cli]' fastapi`` (the ``cli`` extra brings uvicorn).

Try it against the built-in emulator (seeded with 50 customers; no credentials, no network), from the
repository's root:

```bash
NETSUITE_EMULATOR=1 uvicorn examples.fastapi_app:app --port 8000
curl localhost:8000/customers/1
```

Against a real account, set ``NETSUITE_ACCOUNT``, ``NETSUITE_CONCURRENCY`` (default 5) and the TBA credentials
``NETSUITE_CONSUMER_KEY``, ``NETSUITE_CONSUMER_SECRET``, ``NETSUITE_TOKEN_ID``, ``NETSUITE_TOKEN_SECRET`` (the
names the ``netsuite-async`` command reads) and run ``uvicorn examples.fastapi_app:app``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel

from netsuite_async import NetSuiteClient, NotFoundError

ClientFactory = Callable[[AsyncExitStack], Any]


class CustomerIn(BaseModel):
    """What the service accepts to create a customer."""

    company_name: str
    email: str | None = None
    external_id: str | None = None


def netsuite(request: Request) -> NetSuiteClient:
    """FastAPI dependency: the application's one shared client."""
    client: NetSuiteClient = request.app.state.netsuite
    return client


# Module level, not inside create_app: FastAPI resolves string annotations in the module's namespace.
NS = Annotated[NetSuiteClient, Depends(netsuite)]


async def _client_from_environment(stack: AsyncExitStack) -> NetSuiteClient:
    """The client for the account named in the environment (or an emulator with NETSUITE_EMULATOR=1)."""
    concurrency = int(os.environ.get("NETSUITE_CONCURRENCY", "5"))
    if os.environ.get("NETSUITE_EMULATOR"):
        from netsuite_async.testing import FakeNetSuite
        from netsuite_async.testing._seed import DEMO_SEED

        # Seeded like `netsuite-async emulator serve`: GET /customers/1 answers at once.
        fake = await stack.enter_async_context(FakeNetSuite(concurrency=concurrency, seed=DEMO_SEED))
        return await stack.enter_async_context(fake.client(concurrency=concurrency))
    from netsuite_async.auth import TokenAuth

    auth = TokenAuth(
        consumer_key=os.environ["NETSUITE_CONSUMER_KEY"],
        consumer_secret=os.environ["NETSUITE_CONSUMER_SECRET"],
        token_id=os.environ["NETSUITE_TOKEN_ID"],
        token_secret=os.environ["NETSUITE_TOKEN_SECRET"],
    )
    client = NetSuiteClient(os.environ["NETSUITE_ACCOUNT"], auth, concurrency=concurrency)
    return await stack.enter_async_context(client)


def create_app(client_factory: ClientFactory | None = None) -> FastAPI:
    """Build the app. ``client_factory(stack)`` returns (an awaitable of) the one shared client.

    Tests pass a factory that points the client at an emulator; production uses the environment.

    Examples:
        ```python
        app = create_app()   # what `uvicorn examples.fastapi_app:app` serves
        ```
    """
    factory = client_factory or _client_from_environment

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            made = factory(stack)
            client = await made if hasattr(made, "__await__") else made
            app.state.netsuite = client
            yield
        # Leaving the stack closes the client: connections are released and the governor shut down.

    app = FastAPI(title="netsuite-async example", lifespan=lifespan)

    @app.get("/customers/{customer_id}")
    async def read_customer(customer_id: int, ns: NS) -> dict[str, Any]:
        try:
            return await ns.records.get("customer", customer_id, fields=["companyName", "email"])
        except NotFoundError as err:
            raise HTTPException(status_code=404, detail=f"customer {customer_id} not found") from err

    @app.post("/customers", status_code=201)
    async def create_customer(body: CustomerIn, ns: NS) -> dict[str, str]:
        fields: dict[str, Any] = {"companyName": body.company_name}
        if body.email:
            fields["email"] = body.email
        if body.external_id:
            # With an external id the write is an upsert: safe to retry if the client times out.
            ref = await ns.records.upsert("customer", body.external_id, fields)
        else:
            ref = await ns.records.create("customer", fields)
        return {"id": ref.id, "type": ref.type}

    @app.get("/customers")
    async def list_customers(ns: NS, limit: int = 100) -> list[str]:
        # Awaiting the list gives its first page: one request, however many customers there are.
        page = await ns.records.list("customer", page_size=min(max(limit, 1), 1000))
        return [ref.id for ref in page.items]

    @app.get("/governor")
    async def governor(ns: NS) -> dict[str, int]:
        stats = ns.governor.stats()
        return {
            "limit": stats.limit,
            "ceiling": stats.ceiling,
            "in_flight": stats.in_flight,
            "waiting": stats.waiting,
            "acquired": stats.acquired,
            "limited": stats.limited,
        }

    return app


app = create_app()
