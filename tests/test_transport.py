"""The transport: which failures are retried, how, with fresh signatures, slots released and secrets kept out of logs.

Driven through ``httpx2.MockTransport`` (scripted answers and network failures) and a small real ASGI app served
through ``httpx2.ASGITransport``; every test runs on asyncio and trio.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import httpx2
import pytest

import netsuite_async.transport as transport_module
from netsuite_async import (
    AuthContext,
    AuthenticationError,
    AuthRequest,
    BearerToken,
    ConcurrencyLimitError,
    NetSuiteClient,
    NotFoundError,
    RequestSpec,
    RequestTimeoutError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    ServiceTier,
    TransportError,
    WriteOutcomeUnknownError,
)

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]

BASE = "https://ns.test"
SECRET = "s3cr3t-token-value-never-logged"

Handler = Callable[[httpx2.Request], httpx2.Response | Awaitable[httpx2.Response]]



class CountingToken:
    """A provider that signs each attempt with a new token and counts what the transport asked of it."""

    def __init__(self, *, renew_on_401: bool = True) -> None:
        self.signs = 0
        self.unauthorized = 0
        self.renew_on_401 = renew_on_401
        self.urls: list[str] = []
        self.in_flight_at_sign: list[int] = []
        self.client: NetSuiteClient | None = None

    async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        self.signs += 1
        self.urls.append(request.url)
        if self.client is not None:
            self.in_flight_at_sign.append(self.client.governor.stats().in_flight)
        request.headers["Authorization"] = f"Bearer {SECRET}-{self.signs}"

    async def on_unauthorized(self, request: AuthRequest, context: AuthContext) -> bool:
        self.unauthorized += 1
        return self.renew_on_401


def fast_retry(**kwargs: Any) -> RetryPolicy:
    settings: dict[str, Any] = {"backoff_base": 0.001, "backoff_max": 0.002, "retry_after_cap": 0.01}
    settings.update(kwargs)
    return RetryPolicy(**settings)


def make_client(
    handler: Handler | None = None,
    *,
    app: Any = None,
    auth: Any = None,
    retry: RetryPolicy | None = None,
    concurrency: Any = 5,
) -> NetSuiteClient:
    transport: httpx2.AsyncBaseTransport = (
        httpx2.ASGITransport(app=app) if app is not None else httpx2.MockTransport(handler)  # type: ignore[arg-type]
    )
    http = httpx2.AsyncClient(transport=transport)
    client = NetSuiteClient(
        "1234567_SB1",
        auth=auth if auth is not None else CountingToken(),
        base_url=BASE,
        http_client=http,
        retry=retry or fast_retry(),
        concurrency=concurrency,
    )
    if isinstance(client.auth, CountingToken):
        client.auth.client = client
    return client


def ns_error(status: int, code: str, detail: str = "detail", headers: dict[str, str] | None = None) -> httpx2.Response:
    body = {"type": "x", "title": "t", "status": status, "o:errorDetails": [{"detail": detail, "o:errorCode": code}]}
    return httpx2.Response(
        status, content=json.dumps(body).encode(), headers={
            "Content-Type": "application/vnd.oracle.resource+json; type=error", **(headers or {})
        },
    )


def scripted(*answers: httpx2.Response | type[Exception] | Exception) -> tuple[Handler, list[httpx2.Request]]:
    """A handler that plays ``answers`` in order (the last one repeats) and records each request it saw."""
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        # A snapshot: the transport re-sends one Request object, re-signed, on every attempt.
        seen.append(httpx2.Request(request.method, request.url, headers=request.headers.copy(),
                                   content=request.read()))
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)  # type: ignore[call-arg]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


OK = httpx2.Response(200, json={"id": "1"})
CREATED = httpx2.Response(204, headers={"Location": f"{BASE}/services/rest/record/v1/customer/9"})
TOO_MANY = ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked.")


# -- 429 and "never reached NetSuite" failures: retried for every method ---------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_429_is_retried_for_every_method_and_counted(method: str) -> None:
    handler, seen = scripted(TOO_MANY, TOO_MANY, OK)
    async with make_client(handler) as ns:
        resp = await ns.request(method, "/record/v1/customer", json={"companyName": "x"})
        assert resp.status_code == 200
        assert len(seen) == 3
        assert ns.transport.stats.limited == 2
        assert ns.transport.stats.retries == 2
        assert ns.transport.stats.attempts == 3
        assert ns.governor.stats().limited == 2


async def test_429_after_every_attempt_raises_concurrency_limit_error_with_history() -> None:
    handler, seen = scripted(TOO_MANY)
    async with make_client(handler, retry=fast_retry(max_attempts=4)) as ns:
        with pytest.raises(ConcurrencyLimitError) as info:
            await ns.request("GET", "/record/v1/customer/1")
    assert len(seen) == 4
    err = info.value
    assert err.attempts == 4
    assert len(err.history) == 3
    assert err.error_code == "CONCURRENCY_LIMIT_EXCEEDED"
    assert "after 4 attempts" in str(err)


async def test_restlet_limit_error_code_counts_as_over_the_limit_and_is_retried() -> None:
    handler, seen = scripted(ns_error(400, "SSS_REQUEST_LIMIT_EXCEEDED"), OK)
    async with make_client(handler) as ns:
        spec = RequestSpec("POST", "/app/site/hosting/restlet.nl", params={"script": "1", "deploy": "1"},
                           json={}, host="restlets", limit_error_codes=("SSS_REQUEST_LIMIT_EXCEEDED",))
        resp = await ns.transport.send(spec)
        assert resp.status_code == 200
        assert len(seen) == 2
        assert ns.governor.stats().limited == 1


@pytest.mark.parametrize("failure", [httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout])
async def test_failures_before_reaching_netsuite_are_retried_even_for_post(failure: type[Exception]) -> None:
    handler, seen = scripted(failure, failure, CREATED)
    async with make_client(handler) as ns:
        resp = await ns.request("POST", "/record/v1/customer", json={"companyName": "x"})
    assert resp.status_code == 204
    assert len(seen) == 3


async def test_connect_errors_on_every_attempt_raise_transport_error_saying_nothing_reached_netsuite() -> None:
    handler, seen = scripted(httpx2.ConnectError)
    async with make_client(handler, retry=fast_retry(max_attempts=3)) as ns:
        with pytest.raises(TransportError) as info:
            await ns.request("POST", "/record/v1/customer", json={})
    assert len(seen) == 3
    assert info.value.reached_server is False
    assert info.value.attempts == 3
    assert not isinstance(info.value, WriteOutcomeUnknownError)


# -- failures after the request may have reached NetSuite ------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "failure",
    [ns_error(500, "UNEXPECTED_ERROR"), ns_error(503, "x"), httpx2.ReadTimeout, httpx2.RemoteProtocolError,
     httpx2.ReadError],
    ids=["500", "503", "read-timeout", "dropped-connection", "read-error"],
)
async def test_5xx_read_timeouts_and_dropped_connections_are_retried_for_idempotent_methods(
    method: str, failure: Any
) -> None:
    handler, seen = scripted(failure, OK)
    async with make_client(handler) as ns:
        resp = await ns.request(method, "/record/v1/customer/eid:X", json={"companyName": "x"})
    assert resp.status_code == 200
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("failure", "cause"),
    [
        (ns_error(500, "UNEXPECTED_ERROR", "An unexpected error occurred."), ServerError),
        (ns_error(503, "x"), ServerError),
        (httpx2.ReadTimeout, RequestTimeoutError),
        (httpx2.RemoteProtocolError, TransportError),
    ],
    ids=["500", "503", "read-timeout", "dropped-connection"],
)
async def test_post_create_that_may_have_reached_netsuite_raises_write_outcome_unknown_after_one_attempt(
    failure: Any, cause: type[Exception]
) -> None:
    handler, seen = scripted(failure, CREATED)
    async with make_client(handler) as ns:
        spec = RequestSpec("POST", "/record/v1/customer", json={"companyName": "x"},
                           write_context={"record_type": "customer", "body_sha256": "abc"})
        with pytest.raises(WriteOutcomeUnknownError) as info:
            await ns.transport.send(spec)
        assert ns.transport.stats.retries == 0
        assert ns.governor.stats().in_flight == ns.governor.stats().ghosts  # only ghost slots remain
    assert len(seen) == 1  # exactly one attempt reached the server
    err = info.value
    assert err.context == {"record_type": "customer", "body_sha256": "abc"}
    assert err.method == "POST"
    assert "may or may not have been applied" in str(err)
    assert isinstance(err.__cause__, cause)


async def test_transform_post_is_not_retried_after_a_5xx_either() -> None:
    handler, seen = scripted(ns_error(502, "x"), CREATED)
    async with make_client(handler) as ns:
        with pytest.raises(WriteOutcomeUnknownError):
            await ns.request("POST", "/record/v1/salesOrder/7/!transform/invoice", json={})
    assert len(seen) == 1


async def test_post_marked_idempotent_is_retried_after_a_5xx() -> None:
    handler, seen = scripted(ns_error(503, "x"), httpx2.Response(202, headers={"Location": "/job/1"}))
    async with make_client(handler) as ns:
        resp = await ns.request("POST", "/record/v1/customer", json={}, idempotent=True,
                                headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": "k"})
    assert resp.status_code == 202
    assert len(seen) == 2
    assert {r.headers["X-NetSuite-Idempotency-Key"] for r in seen} == {"k"}


@pytest.mark.parametrize(("status", "cls"), [(400, Exception), (403, Exception), (404, NotFoundError)])
async def test_client_errors_are_not_retried(status: int, cls: type[Exception]) -> None:
    handler, seen = scripted(ns_error(status, "NONEXISTENT_ID", "No such record."))
    async with make_client(handler) as ns:
        with pytest.raises(cls) as info:
            await ns.request("GET", "/record/v1/customer/1")
    assert len(seen) == 1
    assert f"{status} NONEXISTENT_ID: No such record. [GET {BASE}/services/rest/record/v1/customer/1]" in str(
        info.value
    )


async def test_html_proxy_error_is_retried_for_get_then_readable() -> None:
    page = httpx2.Response(502, content=b"<html><head><title>502 Bad Gateway</title></head><body>x</body></html>",
                           headers={"Content-Type": "text/html"})
    handler, seen = scripted(page)
    async with make_client(handler, retry=fast_retry(max_attempts=2)) as ns:
        with pytest.raises(ServerError) as info:
            await ns.request("GET", "/record/v1/customer/1")
    assert len(seen) == 2
    assert "502 Bad Gateway" in str(info.value)
    assert "proxy" in str(info.value)


# -- waits, Retry-After and the deadline ------------------------------------------------------------------------


async def test_retry_after_is_honoured_but_capped() -> None:
    handler, seen = scripted(ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", headers={"Retry-After": "3600"}), OK)
    events: list[RetryEvent] = []
    policy = fast_retry(retry_after_cap=0.05, on_retry=events.append)
    async with make_client(handler, retry=policy) as ns:
        started = anyio.current_time()
        await ns.request("GET", "/record/v1/customer/1")
        elapsed = anyio.current_time() - started
    assert len(seen) == 2
    assert [e.delay for e in events] == [0.05]
    assert 0.05 <= elapsed < 30.0  # slept the capped 0.05 s, not the 3600 s asked for (generous: loaded machines)


async def test_retry_after_on_a_retryable_5xx_is_honoured_too() -> None:
    handler, _ = scripted(ns_error(503, "x", headers={"Retry-After": "0.03"}), OK)
    events: list[RetryEvent] = []
    async with make_client(handler, retry=fast_retry(retry_after_cap=1.0, on_retry=events.append)) as ns:
        await ns.request("GET", "/record/v1/customer/1")
    assert [e.delay for e in events] == [0.03]


async def test_total_deadline_bounds_a_call_that_keeps_failing() -> None:
    handler, seen = scripted(ns_error(503, "x"))
    # A deadline of 1 s with 10-20 ms backoffs leaves room for several attempts even on a loaded machine (0.3 s
    # once allowed only one under load); max_attempts is out of reach, so only the deadline can stop the call.
    policy = fast_retry(max_attempts=10_000, backoff_base=0.01, backoff_max=0.02, deadline=1.0)
    async with make_client(handler, retry=policy) as ns:
        started = anyio.current_time()
        with pytest.raises(ServerError) as info:
            await ns.request("GET", "/record/v1/customer/1")
        elapsed = anyio.current_time() - started
    assert elapsed < 10.0  # timing is the claim: stopped near the 1 s deadline (generous: loaded machines)
    assert 2 <= len(seen) < 10_000
    assert info.value.attempts == len(seen)


async def test_deadline_passing_while_the_server_is_slow_raises_timeout_for_get() -> None:
    async def slow(request: httpx2.Request) -> httpx2.Response:
        await anyio.sleep(30)  # the fake server's latency, not test synchronisation
        return OK

    async with make_client(slow) as ns:
        spec = RequestSpec("GET", "/record/v1/customer/1", deadline=0.1)
        with anyio.fail_after(5), pytest.raises(RequestTimeoutError) as info:
            await ns.transport.send(spec)
        assert info.value.reached_server is True
        assert ns.governor.stats().in_flight == ns.governor.stats().ghosts  # only ghost slots remain


async def test_deadline_passing_while_a_post_create_is_in_flight_raises_write_outcome_unknown() -> None:
    async def slow(request: httpx2.Request) -> httpx2.Response:
        await anyio.sleep(30)
        return CREATED

    async with make_client(slow) as ns:
        with anyio.fail_after(5), pytest.raises(WriteOutcomeUnknownError):
            await ns.transport.send(RequestSpec("POST", "/record/v1/customer", json={}, deadline=0.1))
        assert ns.governor.stats().in_flight == ns.governor.stats().ghosts  # only ghost slots remain


async def test_deadline_passing_while_waiting_for_a_slot_says_the_request_was_never_sent() -> None:
    release = anyio.Event()
    arrived = anyio.Event()
    seen: list[str] = []

    async def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.path)
        arrived.set()
        await release.wait()
        return OK

    async with make_client(handler, concurrency=1) as ns, anyio.create_task_group() as tg:
        tg.start_soon(ns.request, "GET", "/record/v1/customer/1")
        await arrived.wait()
        with pytest.raises(RequestTimeoutError) as info:
            await ns.transport.send(RequestSpec("POST", "/record/v1/customer", json={}, deadline=0.05))
        assert info.value.reached_server is False
        assert ns.governor.stats().waiting == 0
        release.set()
    assert seen == ["/services/rest/record/v1/customer/1"]


# -- signing ---------------------------------------------------------------------------------------------------


async def test_every_attempt_is_signed_afresh_and_outside_the_slot() -> None:
    handler, seen = scripted(TOO_MANY, ns_error(503, "x"), OK)
    auth = CountingToken()
    async with make_client(handler, auth=auth) as ns:
        await ns.request("GET", "/record/v1/customer/1")
    assert auth.signs == 3
    assert [r.headers["Authorization"] for r in seen] == [f"Bearer {SECRET}-{i}" for i in (1, 2, 3)]
    assert auth.in_flight_at_sign == [0, 0, 0]  # no slot is held while a provider may fetch a token


async def test_401_asks_the_provider_and_re_signs_and_retries_exactly_once() -> None:
    handler, seen = scripted(ns_error(401, "INVALID_LOGIN", "Invalid login attempt."))
    auth = CountingToken(renew_on_401=True)
    async with make_client(handler, auth=auth) as ns:
        with pytest.raises(AuthenticationError) as info:
            await ns.request("GET", "/record/v1/customer/1")
    assert len(seen) == 2
    assert auth.unauthorized == 1
    assert auth.signs == 2
    assert seen[0].headers["Authorization"] != seen[1].headers["Authorization"]
    assert info.value.error_code == "INVALID_LOGIN"
    assert "hint:" in str(info.value)


async def test_401_then_success_after_the_provider_renewed() -> None:
    handler, seen = scripted(ns_error(401, "INVALID_LOGIN"), OK)
    auth = CountingToken(renew_on_401=True)
    async with make_client(handler, auth=auth) as ns:
        assert (await ns.request("POST", "/record/v1/customer", json={})).status_code == 200
    assert len(seen) == 2


async def test_401_is_final_when_the_provider_cannot_renew() -> None:
    handler, seen = scripted(ns_error(401, "INVALID_LOGIN"))
    async with make_client(handler, auth=BearerToken(SECRET)) as ns:
        with pytest.raises(AuthenticationError):
            await ns.request("GET", "/record/v1/customer/1")
    assert len(seen) == 1


async def test_a_signature_older_than_the_resign_threshold_is_made_afresh_inside_the_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A threshold below zero makes every signature "too old" by the time the slot is granted, without waiting.
    monkeypatch.setattr(transport_module, "RESIGN_AFTER_WAIT", -1.0)
    handler, seen = scripted(OK)
    auth = CountingToken()
    async with make_client(handler, auth=auth) as ns:
        await ns.request("GET", "/record/v1/customer/1")
    assert auth.signs == 2
    assert auth.in_flight_at_sign == [0, 1]
    assert seen[0].headers["Authorization"] == f"Bearer {SECRET}-2"  # the fresh signature is the one sent


def test_signatures_are_renewed_only_after_a_long_wait_for_a_slot() -> None:
    # TBA timestamps are accepted within +-5 minutes and tokens are renewed minutes before expiry: one minute of
    # queueing is harmless, and below it no provider is called twice for one attempt.
    assert 10.0 <= transport_module.RESIGN_AFTER_WAIT <= 120.0


# -- URLs, params, logging ---------------------------------------------------------------------------------------


async def test_query_params_are_encoded_once_and_signed_exactly_as_sent() -> None:
    handler, seen = scripted(OK)
    auth = CountingToken()
    q = 'email START_WITH "a b%&="'
    async with make_client(handler, auth=auth) as ns:
        await ns.request("GET", "/record/v1/customer", params={"q": q, "limit": 5, "expandSubResources": True,
                                                                "ratio": 1.5})
    sent = seen[0].url
    assert sent.params["q"] == q
    assert sent.params["limit"] == "5"
    assert sent.params["expandSubResources"] == "true"
    assert sent.params["ratio"] == "1.5"
    assert "%2525" not in str(sent)
    assert "START_WITH%20%22a%20b" in str(sent)
    assert str(sent).count("%25") == 1
    assert auth.urls == [str(sent)]


async def test_param_order_and_repeats_are_kept() -> None:
    handler, seen = scripted(OK)
    async with make_client(handler) as ns:
        await ns.request("GET", "/x", params=[("b", "2"), ("a", "1"), ("b", "3")])
    assert seen[0].url.query == b"b=2&a=1&b=3"


async def test_bad_params_and_paths_raise_before_any_request() -> None:
    handler, seen = scripted(OK)
    async with make_client(handler) as ns:
        with pytest.raises(TypeError):
            await ns.request("GET", "/x", params={"a": [1, 2]})  # type: ignore[dict-item]
        for path in ("x", "https://evil.test/x", "/a b", "/a\r\nHost: evil"):
            with pytest.raises(ValueError):
                await ns.request("GET", path)
        with pytest.raises(ValueError):
            await ns.request("TRACE", "/x")
    assert seen == []


async def test_full_services_rest_path_is_accepted_without_doubling_the_prefix() -> None:
    handler, seen = scripted(OK)
    async with make_client(handler) as ns:
        await ns.request("GET", "/services/rest/record/v1/customer/1")
    assert seen[0].url.path == "/services/rest/record/v1/customer/1"


async def test_debug_logs_and_errors_never_contain_the_authorization_value(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    handler, _ = scripted(TOO_MANY, ns_error(503, "x"), ns_error(401, "INVALID_LOGIN"))
    async with make_client(handler, auth=BearerToken(SECRET)) as ns:
        with pytest.raises(AuthenticationError) as info:
            await ns.request("GET", "/record/v1/customer/1", params={"q": "x"})
    assert caplog.records, "the transport logs attempts at DEBUG"
    assert any("retrying" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert SECRET not in record.getMessage()
    assert SECRET not in caplog.text
    err = info.value
    for text in (str(err), repr(err), *(str(h) for h in err.history)):
        assert SECRET not in text


async def test_error_urls_show_parameter_names_but_not_values() -> None:
    handler, _ = scripted(ns_error(404, "x"))
    async with make_client(handler) as ns:
        with pytest.raises(NotFoundError) as info:
            await ns.transport.send(RequestSpec("GET", "/app/site/hosting/restlet.nl", host="restlets",
                                                params={"script": "1", "deploy": "1", "apikey": "hunter2"}))
    assert "hunter2" not in str(info.value)
    assert "apikey=" in str(info.value)


# -- slots --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [OK, ns_error(404, "x"), ns_error(503, "x"), httpx2.ReadTimeout, httpx2.ConnectError, RuntimeError("bug")],
    ids=["success", "404", "503", "read-timeout", "connect-error", "unexpected"],
)
async def test_slot_is_released_on_every_outcome(answer: Any) -> None:
    handler, _ = scripted(answer)
    async with make_client(handler, retry=fast_retry(max_attempts=2)) as ns:
        with contextlib.suppress(Exception):  # the outcome differs per case; the slot is what is checked
            await ns.request("GET", "/record/v1/customer/1")
        stats = ns.governor.stats()
        # A read timeout or an unexpected error may leave the request running at NetSuite: a ghost slot.
        assert (stats.in_flight - stats.ghosts, stats.waiting) == (0, 0)


async def test_slot_is_released_when_the_caller_is_cancelled_mid_request() -> None:
    arrived = anyio.Event()

    async def handler(request: httpx2.Request) -> httpx2.Response:
        arrived.set()
        await anyio.Event().wait()  # never answers
        return OK

    async with make_client(handler, concurrency=2) as ns:
        async with anyio.create_task_group() as tg:
            for i in range(5):
                tg.start_soon(ns.request, "GET", f"/record/v1/customer/{i}")
            await arrived.wait()
            with anyio.fail_after(5):
                while ns.governor.stats().waiting < 3:
                    await anyio.lowlevel.checkpoint()
            assert ns.governor.stats().in_flight == 2
            tg.cancel_scope.cancel()
        stats = ns.governor.stats()
        # The two cancelled in flight may still run at NetSuite: ghost slots (no live slot is left), released
        # after about their age (no latency known yet, so they may already be gone on a slow machine), never a cut.
        assert stats.in_flight == stats.ghosts <= 2
        assert stats.waiting == 0
        assert stats.limit == 2
        with anyio.fail_after(5):
            while ns.governor.stats().in_flight:
                await anyio.lowlevel.checkpoint()
        assert ns.governor.stats().ghosts == 0


async def test_no_slot_is_held_during_the_retry_wait() -> None:
    handler, _ = scripted(TOO_MANY, OK)
    in_flight_during_wait: list[int] = []
    ns = make_client(handler, concurrency=1)

    def on_retry(event: RetryEvent) -> None:
        in_flight_during_wait.append(ns.governor.stats().in_flight)

    ns.transport.retry = fast_retry(on_retry=on_retry)
    async with ns:
        await ns.request("GET", "/record/v1/customer/1")
    assert in_flight_during_wait == [0]


# -- retry callback ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_retry_callback_is_told_each_retry(kind: str) -> None:
    handler, _ = scripted(TOO_MANY, ns_error(503, "x"), OK)
    events: list[RetryEvent] = []

    def sync_cb(event: RetryEvent) -> None:
        events.append(event)

    async def async_cb(event: RetryEvent) -> None:
        await anyio.lowlevel.checkpoint()
        events.append(event)

    policy = fast_retry(on_retry=sync_cb if kind == "sync" else async_cb)
    async with make_client(handler, retry=policy) as ns:
        await ns.request("GET", "/record/v1/customer/1", params={"fields": "email"})
    assert [e.attempt for e in events] == [1, 2]
    assert [e.reason for e in events] == ["429 CONCURRENCY_LIMIT_EXCEEDED", "503 x"]
    assert all(e.method == "GET" for e in events)
    assert events[0].url == f"{BASE}/services/rest/record/v1/customer/1?fields=…"
    assert all(0 <= e.delay <= 0.01 for e in events)


# -- a real ASGI app ---------------------------------------------------------------------------------------------


class ScriptedApp:
    """A minimal ASGI app: answers each request from a script and records what it received."""

    def __init__(self, script: Iterator[tuple[int, dict[str, Any] | None]]) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.requests.append({"method": scope["method"], "path": scope["path"], "query": scope["query_string"],
                              "headers": headers, "body": body})
        status, payload = next(self.script)
        content = json.dumps(payload).encode() if payload is not None else b""
        out_headers = [(b"content-type", b"application/json")]
        if status == 204:
            out_headers = [(b"location", f"{BASE}/services/rest/record/v1/customer/42".encode())]
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        await send({"type": "http.response.body", "body": content})


def limit_body() -> dict[str, Any]:
    return {"o:errorDetails": [{"detail": "Concurrent request limit exceeded.",
                                "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}]}


async def test_asgi_server_sees_retried_429s_and_the_json_body_on_every_attempt() -> None:
    app = ScriptedApp(iter([(429, limit_body()), (429, limit_body()), (204, None)]))
    async with make_client(app=app) as ns:
        resp = await ns.request("POST", "/record/v1/customer", json={"companyName": "Acme"})
    assert resp.status_code == 204
    assert resp.headers["Location"].endswith("/customer/42")
    assert [r["method"] for r in app.requests] == ["POST"] * 3
    assert all(json.loads(r["body"]) == {"companyName": "Acme"} for r in app.requests)
    assert len({r["headers"]["authorization"] for r in app.requests}) == 3


async def test_asgi_server_post_500_is_one_attempt_and_write_outcome_unknown() -> None:
    app = ScriptedApp(iter([(500, {"o:errorDetails": [{"detail": "boom", "o:errorCode": "UNEXPECTED_ERROR"}]}),
                            (204, None)]))
    async with make_client(app=app) as ns:
        with pytest.raises(WriteOutcomeUnknownError) as info:
            await ns.request("POST", "/record/v1/customer", json={})
    assert len(app.requests) == 1
    assert isinstance(info.value.__cause__, ServerError)
    assert info.value.__cause__.error_code == "UNEXPECTED_ERROR"


async def test_asgi_server_receives_the_query_encoded_once() -> None:
    app = ScriptedApp(iter([(200, {"items": []})]))
    async with make_client(app=app) as ns:
        await ns.request("GET", "/record/v1/customer", params={"q": "companyName CONTAIN \"A&B 100%\""})
    from urllib.parse import parse_qs

    assert parse_qs(app.requests[0]["query"].decode()) == {"q": ['companyName CONTAIN "A&B 100%"']}


# -- concurrency="auto" and tiers ----------------------------------------------------------------------------------


def governance_app(answer: httpx2.Response) -> tuple[Handler, list[str]]:
    paths: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        paths.append(request.url.path)
        if request.url.path == "/services/rest/system/v1/governanceLimits":
            return answer
        return OK

    return handler, paths


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"accountConcurrencyLimit": 25, "accountUnallocatedConcurrencyLimit": 13, "integrationConcurrencyLimit": 12,
          "integrationLimitType": "integrationSpecific"}, 12),
        ({"accountConcurrencyLimit": 25, "accountUnallocatedConcurrencyLimit": 25,
          "integrationLimitType": "accountLimit"}, 25),
        ({"accountConcurrencyLimit": 65, "accountUnallocatedConcurrencyLimit": 60, "integrationConcurrencyLimit": 5,
          "integrationLimitType": "accountLimit"}, 60),
    ],
    ids=["integration-specific", "account-limit", "account-limit-uses-unallocated-not-integration-value"],
)
async def test_auto_concurrency_reads_governance_limits_once_before_the_first_request(
    body: dict[str, Any], expected: int
) -> None:
    handler, paths = governance_app(httpx2.Response(200, json=body))
    async with make_client(handler, concurrency="auto") as ns, anyio.create_task_group() as tg:
        for i in range(10):
            tg.start_soon(ns.request, "GET", f"/record/v1/customer/{i}")
    assert paths[0] == "/services/rest/system/v1/governanceLimits"
    assert paths.count("/services/rest/system/v1/governanceLimits") == 1
    assert len(paths) == 11
    assert ns.governor.stats().ceiling == expected
    assert ns.governor.stats().limit == min(5, expected)  # slow start from NetSuite's floor toward the ceiling


@pytest.mark.parametrize(
    "answer",
    [ns_error(403, "INSUFFICIENT_PERMISSION", "Permission Violation"), httpx2.Response(200, json={}),
     httpx2.Response(200, content=b"<html>proxy</html>"), httpx2.Response(200, json={"accountConcurrencyLimit": 0})],
    ids=["403", "missing-fields", "not-json", "zero"],
)
async def test_auto_concurrency_falls_back_to_5_with_a_warning_when_limits_cannot_be_read(
    caplog: pytest.LogCaptureFixture, answer: httpx2.Response
) -> None:
    caplog.set_level(logging.WARNING)
    handler, paths = governance_app(answer)
    async with make_client(handler, concurrency="auto") as ns:
        resp = await ns.request("GET", "/record/v1/customer/1")
        await ns.request("GET", "/record/v1/customer/2")
    assert resp.status_code == 200
    assert ns.governor.stats().ceiling == 5
    assert paths.count("/services/rest/system/v1/governanceLimits") == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "governanceLimits" in warnings[0].getMessage()
    assert "5" in warnings[0].getMessage()


def test_service_tier_with_suitecloud_plus_sets_the_governor_ceiling() -> None:
    ns = NetSuiteClient("1234567", auth=BearerToken("t"), concurrency=ServiceTier.PREMIUM.with_suitecloud_plus(5))
    assert ns.governor.stats().ceiling == 65
    assert ns.governor.stats().limit == 5  # slow start from NetSuite's floor toward the ceiling


@pytest.mark.parametrize("bad", [0, -3, True, "ten", 2.5])
def test_bad_concurrency_raises_before_any_request(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        NetSuiteClient("1234567", auth=BearerToken("t"), concurrency=bad)


def test_client_hosts_come_from_the_account_unless_overridden() -> None:
    ns = NetSuiteClient("1234567-sb1", auth=BearerToken("t"))
    assert ns.transport.url_for(RequestSpec("GET", "/record/v1/customer/1")) == (
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer/1"
    )
    assert ns.transport.url_for(RequestSpec("GET", "/app/site/hosting/restlet.nl", host="restlets")) == (
        "https://1234567-sb1.restlets.api.netsuite.com/app/site/hosting/restlet.nl"
    )
    assert ns.auth_context.authorize_url == "https://1234567-sb1.app.netsuite.com/app/login/oauth2/authorize.nl"
    assert SECRET not in repr(NetSuiteClient("1", auth=BearerToken(SECRET)))
