"""Log in to NetSuite with OAuth 2.0 (authorization code + PKCE) from a FastAPI service.

``/login`` sends the browser to NetSuite's consent page; NetSuite redirects back to ``/callback`` with
``code`` and ``state``; the service trades them for tokens, which a `JsonFileTokenStore` keeps
(mode 0600) so a restart does not log the user out. Afterwards ``/customers/{id}`` works until the refresh
token's seven days are over; then the API answers 401 and points back at ``/login``.

Environment: ``NETSUITE_ACCOUNT``, ``NETSUITE_CLIENT_ID``, ``NETSUITE_CLIENT_SECRET``,
``NETSUITE_REDIRECT_URI`` (exactly as on the integration record, e.g. ``http://localhost:8000/callback``),
``NETSUITE_TOKEN_FILE`` (default ``./netsuite-tokens.json``). Run with:
```text
uvicorn examples.fastapi_oauth_login:app
```

One NetSuite login serves the whole service here (an integration user). For one login per end user, make one
``AuthorizationCode`` per user with ``store_key=<user id>`` sharing the store.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse

from netsuite_async import NetSuiteClient, NotFoundError, ReauthorizationRequired
from netsuite_async.auth import AuthorizationCode, JsonFileTokenStore


def make_auth() -> AuthorizationCode:
    """The provider, from the environment."""
    return AuthorizationCode(
        client_id=os.environ["NETSUITE_CLIENT_ID"],
        client_secret=os.environ["NETSUITE_CLIENT_SECRET"],
        redirect_uri=os.environ["NETSUITE_REDIRECT_URI"],
        scopes=["rest_webservices"],
        store=JsonFileTokenStore(os.environ.get("NETSUITE_TOKEN_FILE", "netsuite-tokens.json")),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    auth = make_auth()
    async with NetSuiteClient(os.environ["NETSUITE_ACCOUNT"], auth=auth) as ns:
        app.state.auth = auth
        app.state.ns = ns
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/login")
async def login(request: Request) -> RedirectResponse:
    """Start the OAuth 2.0 login: PKCE S256 and a random state, remembered by the provider for ten minutes."""
    start = request.app.state.auth.authorize_url(request.app.state.ns)
    # Several workers behind a load balancer: keep start.state and start.code_verifier in the user's session
    # and pass code_verifier=... to exchange() instead, since the callback may reach another worker.
    return RedirectResponse(start.url, status_code=302)


@app.get("/callback")
async def callback(
    request: Request, code: str | None = None, state: str | None = None, error: str | None = None
) -> dict[str, Any]:
    """NetSuite's redirect: trade the code for tokens (the provider checks state and the PKCE verifier)."""
    if error or not code or not state:
        raise HTTPException(400, f"NetSuite did not authorize the app: {error or 'missing code/state'}")
    try:
        await request.app.state.auth.exchange(code, state)
    except ValueError as exc:  # unknown or expired state: a stale or forged callback
        raise HTTPException(400, str(exc)) from None
    return {"authorized": True, "company": request.query_params.get("company")}


@app.get("/customers/{customer_id}")
async def customer(request: Request, customer_id: int) -> dict[str, Any]:
    """A NetSuite call signed with the stored access token (refreshed automatically)."""
    try:
        return await request.app.state.ns.records.get("customer", customer_id)  # type: ignore[no-any-return]
    except ReauthorizationRequired:
        raise HTTPException(401, "NetSuite authorization expired: visit /login") from None
    except NotFoundError:
        raise HTTPException(404, "no such customer") from None


@app.post("/logout")
async def logout(request: Request) -> dict[str, bool]:
    """Revoke the tokens at NetSuite and forget them."""
    await request.app.state.auth.revoke()
    return {"authorized": False}
