"""A minimal emulated account for the auth tests: the real router and the real EmulatorAuth, two routes.

The auth tests need only the auth pipeline (resolve -> authenticate -> handler), so they do not depend on the
record store or SuiteQL; the request pipeline is the one ``Emulator.handle`` runs, without governance.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import httpx2

from netsuite_async import NetSuiteClient
from netsuite_async.testing._app import EmulatorApp, EmuRequest, EmuResponse, Router, json_response
from netsuite_async.testing._auth import RESTLET_PATH, EmulatorAuth
from netsuite_async.testing._auth import register as register_auth_routes

BASE = "https://emulator.test"


class MiniEmulator:
    """Router + EmulatorAuth + a record route and a RESTlet route that echo who signed them."""

    def __init__(self, account: str = "1234567_SB1", *, start: float | None = None, **auth_kw: Any) -> None:
        self.config = SimpleNamespace(account=account.upper().replace("-", "_"), rng_seed=None)
        self.counters = SimpleNamespace(auth_failures=0)
        self.router = Router()
        self.t0 = time.time() if start is None else start
        self._now = self.t0
        self.auth = EmulatorAuth(self, clock=lambda: self._now, **auth_kw)
        self.credentials = self.auth.credentials
        register_auth_routes(self.router, self)  # type: ignore[arg-type]
        self.router.add("GET", "/record/v1/customer/{id}", self._echo, name="record.get")
        self.router.add("POST", "/query/v1/suiteql", self._echo, name="suiteql")
        self.router.add("GET", RESTLET_PATH, self._echo, name="restlet")
        self.router.add("POST", RESTLET_PATH, self._echo, name="restlet.post")
        self.app = EmulatorApp(self)  # type: ignore[arg-type]
        self.requests = 0

    def now(self) -> float:
        """The clock shared by the emulator and the providers under test."""
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def _echo(self, req: EmuRequest) -> EmuResponse:
        return json_response(
            {"kind": req.auth.kind, "query": req.query, "scopes": sorted(req.auth.scopes), "body": req.body.decode()}
        )

    async def handle(self, req: EmuRequest) -> EmuResponse:
        self.requests += 1
        problem = self.router.resolve(req)
        if problem is not None:
            return problem
        assert req.route is not None
        if not req.route.public:
            problem = await self.auth.authenticate(req)
            if problem is not None:
                return problem
        return await self.router.dispatch(req)

    def http(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=self.app), base_url=BASE)

    def client(self, auth: Any, account: str | None = None, **kw: Any) -> NetSuiteClient:
        return NetSuiteClient(account or self.config.account, auth=auth, base_url=BASE, http_client=self.http(), **kw)
