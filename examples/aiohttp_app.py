"""An aiohttp service in front of NetSuite: one client per application, awaited per request.

The client — and with it the connection pool and the concurrency governor — is opened once in the app's
``cleanup_ctx`` and shared by every request. However many requests the service takes at once, NetSuite never sees
more concurrent calls than the account allows: extra requests wait for a slot instead of failing with 429.

Needs: ``pip install netsuite-asyncio-client aiohttp``.

Try it against the built-in emulator (no credentials, no network):

```bash
NETSUITE_EMULATOR=1 python examples/aiohttp_app.py
curl localhost:8080/customers/1
curl -X POST localhost:8080/customers -d '{"companyName": "Acme", "email": "ap@acme.example"}'
curl 'localhost:8080/customers?email_prefix=ap'
curl localhost:8080/health
```

Against a real account (TBA credentials, named as the ``netsuite-async`` command names them):

```bash
NETSUITE_ACCOUNT=1234567_SB1 NETSUITE_CONSUMER_KEY=… NETSUITE_CONSUMER_SECRET=… \\
NETSUITE_TOKEN_ID=… NETSUITE_TOKEN_SECRET=… python examples/aiohttp_app.py
```
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from aiohttp import web

from netsuite_async import NetSuiteClient, NetSuiteError, NotFoundError
from netsuite_async.auth import TokenAuth

NETSUITE = web.AppKey("netsuite", NetSuiteClient)
ClientFactory = Callable[[], AbstractAsyncContextManager[NetSuiteClient]]


@asynccontextmanager
async def client_from_env() -> AsyncIterator[NetSuiteClient]:
    """The production client: TBA credentials and the account's limit from the environment.

    With ``NETSUITE_EMULATOR=1`` it runs the in-process emulator instead (for trying the example out).
    """
    if os.environ.get("NETSUITE_EMULATOR"):
        from netsuite_async.testing import FakeNetSuite

        async with FakeNetSuite(concurrency=5, latency=0.02, seed={"customers": 50}) as fake, fake.client() as ns:
            yield ns
        return
    auth = TokenAuth(
        consumer_key=os.environ["NETSUITE_CONSUMER_KEY"],
        consumer_secret=os.environ["NETSUITE_CONSUMER_SECRET"],
        token_id=os.environ["NETSUITE_TOKEN_ID"],
        token_secret=os.environ["NETSUITE_TOKEN_SECRET"],
    )
    concurrency: Any = os.environ.get("NETSUITE_CONCURRENCY", "auto")
    if concurrency != "auto":
        concurrency = int(concurrency)
    async with NetSuiteClient(os.environ["NETSUITE_ACCOUNT"], auth, concurrency=concurrency) as ns:
        yield ns


async def get_customer(request: web.Request) -> web.Response:
    """GET /customers/{id}: one record, a few fields."""
    ns = request.app[NETSUITE]
    customer_id = request.match_info["id"]
    try:
        record = await ns.records.get("customer", customer_id, fields=["companyName", "email"])
    except ValueError as exc:  # the library validates ids before sending anything
        raise web.HTTPBadRequest(text=str(exc)) from None
    except NotFoundError:
        raise web.HTTPNotFound(text=f"no customer {customer_id}") from None
    return web.json_response(
        {"id": str(record["id"]), "companyName": record.get("companyName"), "email": record.get("email")}
    )


async def create_customer(request: web.Request) -> web.Response:
    """POST /customers: create, answer 201 with the new id."""
    ns = request.app[NETSUITE]
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("companyName"), str):
        raise web.HTTPBadRequest(text="companyName (string) is required")
    ref = await ns.records.create("customer", {k: body[k] for k in ("companyName", "email") if k in body})
    return web.json_response({"id": str(ref.id)}, status=201)


async def search_customers(request: web.Request) -> web.Response:
    """GET /customers?email_prefix=...: SuiteQL with a bound parameter (user input never reaches the SQL text)."""
    ns = request.app[NETSUITE]
    prefix = request.query.get("email_prefix", "")
    rows = await ns.suiteql.all(
        "SELECT id, companyname, email FROM customer WHERE email LIKE ? ORDER BY id",
        params=[prefix + "%"],
        max_rows=100,
    )
    return web.json_response({"count": len(rows), "items": rows})


async def health(request: web.Request) -> web.Response:
    """GET /health: the governor's view of the account's pool."""
    stats = request.app[NETSUITE].governor.stats()
    return web.json_response(
        {"limit": stats.limit, "in_flight": stats.in_flight, "waiting": stats.waiting, "http_429": stats.limited}
    )


@web.middleware
async def netsuite_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """NetSuite said no: answer 502 with its error code, never with credentials or stack traces."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except NetSuiteError as exc:
        code = getattr(exc, "error_code", None)
        return web.json_response({"error": type(exc).__name__, "netsuite_code": code}, status=502)


def create_app(make_client: ClientFactory = client_from_env) -> web.Application:
    """Build the application; ``make_client`` opens the one shared client (tests pass the emulator's).

    Examples:
        ```python
        web.run_app(create_app())
        ```
    """
    app = web.Application(middlewares=[netsuite_errors])

    async def netsuite_client(app: web.Application) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            app[NETSUITE] = await stack.enter_async_context(make_client())
            yield

    app.cleanup_ctx.append(netsuite_client)
    app.router.add_get("/customers/{id}", get_customer)
    app.router.add_post("/customers", create_customer)
    app.router.add_get("/customers", search_customers)
    app.router.add_get("/health", health)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=int(os.environ.get("PORT", "8080")))
