"""Token requests go through the retry policy, the deadline, the client's timeouts and the typed errors.

A 5xx, a refused connection or a frozen token endpoint is retried (a token POST is safe to repeat) and surfaces as
``ServerError`` / ``TransportError`` / ``RequestTimeoutError``; only a real OAuth refusal is an
``AuthenticationError``. Token requests never take a governor slot.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from netsuite_async import (
    AuthenticationError,
    ClientCredentials,
    NetSuiteClient,
    NotFoundError,
    RequestTimeoutError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    Timeouts,
    TransportError,
)
from netsuite_async.testing import FakeNetSuite

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
FAST = {"backoff_base": 0.001, "backoff_max": 0.002}



class TokenEndpointFaults(httpx2.AsyncBaseTransport):
    """The emulator in process, with scripted failures of the token endpoint only (then: the real endpoint)."""

    def __init__(self, fake: FakeNetSuite, plan: list[str], *, forever: str | None = None) -> None:
        self.inner = httpx2.ASGITransport(app=fake.app)
        self.plan = list(plan)
        self.forever = forever
        self.token_posts = 0
        self.api_requests = 0
        self.hanging = anyio.Event()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path != TOKEN_PATH:
            self.api_requests += 1
            return await self.inner.handle_async_request(request)
        self.token_posts += 1
        action = self.plan.pop(0) if self.plan else self.forever
        if action == "503":
            return httpx2.Response(503, json={"error": "server_error"}, request=request)
        if action == "html400":
            return httpx2.Response(400, html="<html><title>Bad Gateway</title></html>", request=request)
        if action == "404":
            return httpx2.Response(404, text="not here", request=request)
        if action == "429":
            return httpx2.Response(429, json={}, headers={"Retry-After": "0"}, request=request)
        if action == "refuse":
            raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)
        if action == "hang":
            self.hanging.set()
            await anyio.sleep_forever()
        return await self.inner.handle_async_request(request)


def m2m(fake: FakeNetSuite, **kwargs: Any) -> ClientCredentials:
    c = fake.credentials
    return ClientCredentials(c.client_id, c.certificate_id, c.private_key, **kwargs)


def client(fake: FakeNetSuite, faults: TokenEndpointFaults, auth: Any = None, **kwargs: Any) -> NetSuiteClient:
    http = httpx2.AsyncClient(transport=faults, base_url=fake.base_url)
    # A custom transport is not known to answer in process: say so for the emulator's http:// origin.
    return NetSuiteClient(fake.config.account, auth or m2m(fake), base_url=fake.base_url, http_client=http,
                          allow_insecure_http=True, **kwargs)


@pytest.fixture
async def fake() -> AsyncIterator[FakeNetSuite]:
    async with FakeNetSuite(seed={"customers": 3}) as emulator:
        yield emulator


@pytest.mark.parametrize("failure", ["503", "refuse", "429"])
async def test_transient_token_endpoint_failures_are_retried_and_the_call_succeeds(
    fake: FakeNetSuite, failure: str
) -> None:
    faults = TokenEndpointFaults(fake, [failure, failure])
    events: list[RetryEvent] = []
    async with client(fake, faults, retry=RetryPolicy(on_retry=events.append, **FAST)) as ns:
        customer = await ns.records.get("customer", 1)
        assert customer["id"] == "1"
        assert ns.governor.stats().in_flight == 0
        assert ns.governor.stats().acquired == 1  # the API attempt only: token requests take no slot
    assert faults.token_posts == 3
    assert faults.api_requests == 1
    assert [e.url for e in events] == [f"{fake.base_url}{TOKEN_PATH}"] * 2
    assert all(e.method == "POST" for e in events)


async def test_a_token_endpoint_answering_503_is_a_server_error_after_the_policy_s_attempts(
    fake: FakeNetSuite,
) -> None:
    faults = TokenEndpointFaults(fake, [], forever="503")
    async with client(fake, faults, retry=RetryPolicy(max_attempts=3, **FAST)) as ns:
        with pytest.raises(ServerError) as info:
            await ns.records.get("customer", 1)
    err = info.value
    assert not isinstance(err, AuthenticationError)
    assert "refused" not in str(err)
    assert err.status_code == 503
    assert err.attempts == 3
    assert len(err.history) == 2
    assert faults.token_posts == 3
    assert faults.api_requests == 0  # nothing was sent to NetSuite without a token
    assert fake.counters.requests == 0


async def test_a_refused_connection_to_the_token_endpoint_is_a_transport_error_not_a_raw_httpx2_one(
    fake: FakeNetSuite,
) -> None:
    faults = TokenEndpointFaults(fake, [], forever="refuse")
    async with client(fake, faults, retry=RetryPolicy(max_attempts=4, **FAST)) as ns:
        with pytest.raises(TransportError) as info:
            await ns.records.get("customer", 1)
    err = info.value
    assert not err.reached_server
    assert err.attempts == 4
    assert "Connection refused" in str(err)
    assert err.__cause__ is None
    assert err.__context__ is None
    assert faults.token_posts == 4


async def test_a_frozen_token_endpoint_ends_at_the_policy_deadline(fake: FakeNetSuite) -> None:
    faults = TokenEndpointFaults(fake, [], forever="hang")
    started = time.monotonic()
    async with client(fake, faults, retry=RetryPolicy(deadline=0.5, **FAST)) as ns:
        with pytest.raises(RequestTimeoutError, match="deadline"):
            await ns.records.get("customer", 1)
    elapsed = time.monotonic() - started
    assert faults.hanging.is_set()
    # Timing is the claim (it ends at the 0.5 s deadline, not never): the upper bound only has to tell "at the
    # deadline" from "hangs", so it is generous for a loaded machine.
    assert 0.5 <= elapsed < 15.0
    assert faults.api_requests == 0


@pytest.mark.parametrize("status", ["404", "html400"])
async def test_a_token_endpoint_answer_that_is_no_oauth_error_is_not_reported_as_refused_credentials(
    fake: FakeNetSuite, status: str
) -> None:
    faults = TokenEndpointFaults(fake, [], forever=status)
    async with client(fake, faults, retry=RetryPolicy(max_attempts=3, **FAST)) as ns:
        with pytest.raises(Exception) as info:
            await ns.records.get("customer", 1)
    err = info.value
    if status == "404":
        assert isinstance(err, NotFoundError)
    else:
        assert type(err).__name__ == "BadRequestError"
        assert "HTML page" in str(err)
    assert "refused" not in str(err)
    assert faults.token_posts == 1  # a 4xx is not retried


async def test_credentials_the_token_endpoint_really_refuses_are_an_authentication_error_sent_once(
    fake: FakeNetSuite,
) -> None:
    other_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    c = fake.credentials
    auth = ClientCredentials(c.client_id, c.certificate_id, other_key)
    faults = TokenEndpointFaults(fake, [])
    async with client(fake, faults, auth=auth, retry=RetryPolicy(**FAST)) as ns:
        with pytest.raises(AuthenticationError, match="refused") as info:
            await ns.records.get("customer", 1)
    assert info.value.status_code in (400, 401)
    assert info.value.error_code in ("invalid_client", "invalid_grant", "invalid_request", "unauthorized_client")
    assert faults.token_posts == 1


async def test_token_attempts_use_the_client_s_read_timeout_not_a_fixed_30_seconds(anyio_backend: str) -> None:
    accepted = 0

    async def silent(stream: anyio.abc.SocketStream) -> None:
        nonlocal accepted
        accepted += 1
        async with stream:
            try:
                while await stream.receive():
                    pass
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with FakeNetSuite() as fake, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, silent)
        started = time.monotonic()
        async with NetSuiteClient(
            "1234567", m2m(fake), base_url=f"http://127.0.0.1:{port}",
            timeout=Timeouts(connect=2, read=0.3, write=2, pool=2),
            retry=RetryPolicy(max_attempts=2, deadline=20, **FAST),
        ) as ns:
            with pytest.raises(RequestTimeoutError, match="ReadTimeout") as info:
                await ns.records.get("customer", 1)
        elapsed = time.monotonic() - started
        tg.cancel_scope.cancel()
    assert info.value.attempts == 2
    assert accepted == 2
    # Timing is the claim: two 0.3 s read timeouts, not two fixed 30 s ones (60 s); generous for a loaded machine.
    assert 0.6 <= elapsed < 20.0


async def test_authorization_code_exchange_and_refresh_ride_out_token_endpoint_failures(fake: FakeNetSuite) -> None:
    import urllib.parse

    from netsuite_async import AuthorizationCode

    c = fake.credentials
    auth = AuthorizationCode(c.auth_code_client_id, c.auth_code_client_secret, c.redirect_uri)
    faults = TokenEndpointFaults(fake, ["503", "refuse"])
    async with client(fake, faults, auth=auth, retry=RetryPolicy(**FAST)) as ns:
        start = auth.authorize_url(ns)
        async with fake.http_client() as browser:
            location = (await browser.get(start.url)).headers["location"]
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        await auth.exchange(q["code"], q["state"])  # 503, refused, then the real exchange
        assert faults.token_posts == 3
        assert (await ns.records.get("customer", 1))["id"] == "1"
        faults.plan = ["503", "503", "503"]
        ns.transport.retry = RetryPolicy(max_attempts=3, **FAST)
        with pytest.raises(ServerError) as info:
            await auth.exchange("code-that-was-never-issued", start.state, code_verifier="v" * 43)
    assert not isinstance(info.value, AuthenticationError)
    assert info.value.attempts == 3
    sent = info.value.response.request.headers["authorization"]
    assert sent == "[redacted]"
    assert c.auth_code_client_secret not in repr(info.value.__dict__)
