"""Log in to NetSuite with OAuth 2.0 (authorization code + PKCE) from a FastAPI service.

``/login`` sends the browser to NetSuite's consent page; NetSuite redirects back to ``/callback`` with
``code`` and ``state``; the service trades them for tokens, which a `JsonFileTokenStore` keeps
(mode 0600) so a restart does not log the user out. Afterwards ``/customers/{id}`` works until the refresh
token's seven days are over; then the API answers 401 and points back at ``/login``.

Needs: ``pip install 'netsuite-asyncio-client[cli]' fastapi`` (the ``cli`` extra brings uvicorn).

Try it against the built-in emulator (no credentials, no network), from the repository's root:

```bash
NETSUITE_EMULATOR=1 uvicorn examples.fastapi_oauth_login:app --port 8000
# then open http://localhost:8000/login, and afterwards http://localhost:8000/customers/1
```

The emulator's consent page approves at once; since the redirect URI registered with it is not this app, in
emulator mode ``/login`` reads the approval itself and sends the browser straight to ``/callback``.

Against a real account, the environment names are the ones the ``netsuite-async`` command reads:
``NETSUITE_ACCOUNT``, ``NETSUITE_AUTH_CODE_CLIENT_ID`` and ``NETSUITE_AUTH_CODE_CLIENT_SECRET`` (or
``NETSUITE_CLIENT_ID`` / ``NETSUITE_CLIENT_SECRET``), ``NETSUITE_REDIRECT_URI`` (exactly as on the integration
record, e.g. ``https://app.example.com/callback``; NetSuite refuses plain ``http://``, loopback too) and
``NETSUITE_TOKEN_STORE`` (default ``./netsuite-tokens.json``). Then:
``uvicorn examples.fastapi_oauth_login:app --port 8000``.

One NetSuite login serves the whole service here (an integration user). For one login per end user, make one
``AuthorizationCode`` per user with ``store_key=<user id>`` sharing the store.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse

from netsuite_async import NetSuiteClient, NotFoundError, ReauthorizationRequired
from netsuite_async.auth import AuthorizationCode, JsonFileTokenStore, MemoryTokenStore


def make_auth(env: Mapping[str, str]) -> AuthorizationCode:
    """The provider, from environment variables named as the CLI names them."""
    client_id = env.get("NETSUITE_AUTH_CODE_CLIENT_ID") or env.get("NETSUITE_CLIENT_ID")
    client_secret = env.get("NETSUITE_AUTH_CODE_CLIENT_SECRET") or env.get("NETSUITE_CLIENT_SECRET")
    missing = [
        name
        for name, value in (
            ("NETSUITE_ACCOUNT", env.get("NETSUITE_ACCOUNT")),
            ("NETSUITE_AUTH_CODE_CLIENT_ID", client_id),
            ("NETSUITE_AUTH_CODE_CLIENT_SECRET", client_secret),
            ("NETSUITE_REDIRECT_URI", env.get("NETSUITE_REDIRECT_URI")),
        )
        if not value
    ]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} (or NETSUITE_EMULATOR=1 to try the example offline)")
    return AuthorizationCode(
        client_id=str(client_id),
        client_secret=str(client_secret),
        redirect_uri=env["NETSUITE_REDIRECT_URI"],
        scopes=["rest_webservices"],
        store=JsonFileTokenStore(env.get("NETSUITE_TOKEN_STORE", "netsuite-tokens.json")),
    )


def create_app(env: Mapping[str, str] | None = None) -> FastAPI:
    """The service; ``NETSUITE_EMULATOR=1`` in ``env`` runs it against an in-process emulator.

    Examples:
        ```python
        app = create_app({"NETSUITE_EMULATOR": "1"})
        ```
    """
    env = os.environ if env is None else env
    emulated = bool(env.get("NETSUITE_EMULATOR"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if emulated:
                from netsuite_async.testing import FakeNetSuite
                from netsuite_async.testing._seed import DEMO_SEED

                fake = await stack.enter_async_context(FakeNetSuite(seed=DEMO_SEED))
                c = fake.credentials
                auth = AuthorizationCode(
                    c.auth_code_client_id, c.auth_code_client_secret, c.redirect_uri,
                    scopes=["rest_webservices"], store=MemoryTokenStore(),
                )
                ns = await stack.enter_async_context(fake.client(auth=auth))
                app.state.consent = fake.http_client()
            else:
                auth = make_auth(env)
                ns = await stack.enter_async_context(NetSuiteClient(env["NETSUITE_ACCOUNT"], auth=auth))
            app.state.auth = auth
            app.state.ns = ns
            yield

    app = FastAPI(title="netsuite-async OAuth 2.0 login example", lifespan=lifespan)

    @app.get("/login")
    async def login(request: Request) -> RedirectResponse:
        """Start the OAuth 2.0 login: PKCE S256 and a random state, remembered by the provider for ten minutes."""
        start = request.app.state.auth.authorize_url(request.app.state.ns)
        # Several workers behind a load balancer: keep start.state and start.code_verifier in the user's session
        # and pass code_verifier=... to exchange() instead, since the callback may reach another worker.
        if not emulated:
            return RedirectResponse(start.url, status_code=302)
        # Emulator: its consent page approves at once and redirects to the URI registered with it (not this
        # app), so read the approval here and hand its code and state to our own /callback.
        consent = await request.app.state.consent.get(start.url)
        query = urllib.parse.urlsplit(consent.headers["location"]).query
        return RedirectResponse(f"/callback?{query}", status_code=302)

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
            raise HTTPException(401, "NetSuite authorization missing or expired: visit /login") from None
        except NotFoundError:
            raise HTTPException(404, "no such customer") from None

    @app.post("/logout")
    async def logout(request: Request) -> dict[str, bool]:
        """Revoke the tokens at NetSuite and forget them."""
        await request.app.state.auth.revoke()
        return {"authorized": False}

    return app


app = create_app()
