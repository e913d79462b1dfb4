"""The transport's hot path: where each kind of provider signs, and a burst of queued calls doing no work ahead.

A request that gets a slot at once should pay for nothing it does not need; a thousand queued calls should not
build and sign a thousand requests before the first ones are even sent.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import httpx2
import pytest

from netsuite_async import NetSuiteClient, TokenAuth
from netsuite_async.auth.base import AuthContext, AuthRequest

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]



class WatchedTBA(TokenAuth):
    """TBA that notes how many slots were held each time it signed."""

    client: NetSuiteClient | None = None

    def __init__(self) -> None:
        super().__init__(consumer_key="ck", consumer_secret="cs", token_id="ti", token_secret="ts")
        self.in_flight_at_sign: list[int] = []

    async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        assert self.client is not None
        self.in_flight_at_sign.append(self.client.governor.stats().in_flight)
        await super().sign(request, context)


class OnlineProvider:
    """A provider that says it may do I/O when signing (as a token-fetching one would)."""

    signs_offline = False

    def __init__(self) -> None:
        self.client: NetSuiteClient | None = None
        self.in_flight_at_sign: list[int] = []

    async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        assert self.client is not None
        self.in_flight_at_sign.append(self.client.governor.stats().in_flight)
        request.headers["Authorization"] = "Bearer t"

    async def on_unauthorized(self, request: AuthRequest, context: AuthContext) -> bool:
        return False


def client_with(auth: Any, handler: Any, concurrency: int = 5) -> NetSuiteClient:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    ns = NetSuiteClient("1234567_SB1", auth=auth, base_url="https://ns.test", http_client=http,
                        concurrency=concurrency)
    auth.client = ns
    return ns


async def test_tba_signs_inside_the_slot_and_queued_calls_sign_only_when_their_turn_comes() -> None:
    auth = WatchedTBA()
    gate = anyio.Event()
    arrived = 0
    signed_when_first_arrived: list[int] = []

    async def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal arrived
        arrived += 1
        if arrived == 1:
            signed_when_first_arrived.append(len(auth.in_flight_at_sign))
        await gate.wait()
        assert request.headers["Authorization"].startswith("OAuth realm=")
        return httpx2.Response(200, json={"id": "1"})

    async with client_with(auth, handler, concurrency=2) as ns, anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(ns.request, "GET", f"/record/v1/customer/{i}")
        with anyio.fail_after(10):
            while not (arrived == 2 and ns.governor.stats().waiting == 48):
                await anyio.lowlevel.checkpoint()
        # 50 calls queued behind 2 slots: only the 2 that hold a slot have signed.
        assert len(auth.in_flight_at_sign) == 2
        assert signed_when_first_arrived[0] <= 2
        gate.set()
    assert len(auth.in_flight_at_sign) == 50  # one signature per attempt
    assert min(auth.in_flight_at_sign) >= 1  # each made while its slot was held


async def test_a_provider_that_may_do_io_signs_before_taking_a_slot() -> None:
    auth = OnlineProvider()

    async def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"id": "1"})

    async with client_with(auth, handler) as ns:
        for i in range(3):
            await ns.request("GET", f"/record/v1/customer/{i}")
    assert auth.in_flight_at_sign == [0, 0, 0]


async def test_bad_query_parameters_raise_before_waiting_for_a_slot() -> None:
    gate = anyio.Event()

    async def handler(request: httpx2.Request) -> httpx2.Response:
        await gate.wait()
        return httpx2.Response(200, json={})

    async with client_with(WatchedTBA(), handler, concurrency=1) as ns, anyio.create_task_group() as tg:
        tg.start_soon(ns.request, "GET", "/record/v1/customer/1")
        with anyio.fail_after(5):
            while ns.governor.stats().in_flight < 1:
                await anyio.lowlevel.checkpoint()
        # The only slot is taken: the bad call must fail at once, not after a wait.
        with anyio.fail_after(1), pytest.raises(TypeError, match="query parameter"):
            await ns.request("GET", "/record/v1/customer/2", params={"fields": object()})  # type: ignore[dict-item]
        assert ns.governor.stats().waiting == 0
        gate.set()


@pytest.mark.parametrize("base", ["https://1234567-sb1.suitetalk.api.netsuite.com", "https://HOST.example:443",
                                  "https://host.example:8443", "http://emulator.test", "https://h.example/pre fix",
                                  "https://h.example/a%20b", "https://xn--bcher-kva.example"])
@pytest.mark.parametrize(("path", "params", "host_kind"), [
    ("/record/v1/customer/1", None, "rest"),
    ("/record/v1/customer/eid:ABC-1", None, "rest"),
    ("/record/v1/customer/eid%3Aa%2Fb", None, "rest"),
    ("/record/v1/customer/1", {"fields": "email", "secret": "s3cr3t"}, "rest"),
    ("/record/v1/salesOrder/7/item/./1", None, "rest"),
    ("/record/v1/customer/\u00e9t\u00e9", None, "rest"),
    ("/app/site/hosting/restlet.nl", {"script": "1", "deploy": "1"}, "restlets"),
    ("/app/site/hosting/restlet.nl", None, "restlets"),
    ("/query/v1/suiteql", None, "rest"),
])
async def test_the_redacted_url_is_what_httpx2_would_give(base: str, path: str, params: Any, host_kind: Any) -> None:
    # _Call.safe_url skips reading the URL back from httpx2 when it can (a traced attempt pays for it every time):
    # the shortcut must give exactly the slow way's answer, and never a query value.
    from netsuite_async._requests import RequestSpec, _safe_url
    from netsuite_async.transport import _Call

    ns = NetSuiteClient("1234567", TokenAuth("ck", "cs", "ti", "ts"), base_url=base, restlet_base_url=base,
                        allow_insecure_http=True)
    try:
        call = _Call(ns.transport, RequestSpec("GET", path, params=params, host=host_kind))
        assert call.safe_url == _safe_url(call.request)
        url = call.request.url
        # The server an attempt's span names, from the base, as httpx2 reads it: the same whichever is read first.
        server = (url.host, url.port or {"https": 443, "http": 80}[url.scheme])
        assert call.server == server
        assert _Call(ns.transport, RequestSpec("GET", path, params=params, host=host_kind)).server == server
        assert "s3cr3t" not in call.safe_url
    finally:
        await ns.aclose()
