"""The one place where requests are sent: retries, the governor, signing, error mapping and logging.

Per call (`Transport.send`):
```text
retry loop (RetryPolicy: which failures, backoff, deadline)
  └─ per attempt: sign (outside the slot when the provider may fetch a token: a token fetch never holds one)
                  ─> governor slot (exactly one HTTP attempt; offline signers such as TBA sign here)
                  ─> httpx2 ─> typed error or response
```

API modules (records, SuiteQL, batch, …) only build a `RequestSpec` and parse the answer.

This module holds the retry loop and the attempt; ``_requests.py`` the request building (`RequestSpec`, query
parameters), ``_responses.py`` the answer's classification and error mapping, ``_token_endpoint.py`` the
unsigned, ungoverned form POSTs to OAuth endpoints. The names callers use are importable from here.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import anyio

from netsuite_async._call_options import renamed
from netsuite_async._http import AsyncClient, Request, Response, httpx2
from netsuite_async._requests import Params, ParamValue, RequestSpec, _normalise_params, _safe_url
from netsuite_async._responses import (
    _NEVER_SENT,
    TransportStats,
    _deadline_scope,
    _Failure,
    _is_limited,
    _not_reached,
    _public_headers,
    _reason,
    _safe_url_of,
)
from netsuite_async._telemetry_context import _current, _Operation
from netsuite_async._token_endpoint import _TokenEndpoint
from netsuite_async._version import __version__
from netsuite_async.auth.base import AuthContext, AuthRequest, TokenProvider
from netsuite_async.auth.bearer import BearerToken
from netsuite_async.auth.tba import TokenAuth
from netsuite_async.errors import (
    AuthenticationError,
    NetSuiteError,
    RequestTimeoutError,
    TransportError,
    scrub_error,
)
from netsuite_async.governor import Governor, Outcome
from netsuite_async.retry import RetryEvent, RetryPolicy
from netsuite_async.telemetry import RequestInfo, ResponseInfo, Telemetry

__all__ = ["ParamValue", "Params", "RequestSpec", "Transport", "TransportStats"]

logger = logging.getLogger("netsuite_async.transport")

#: Seconds a call may wait for a slot before its signature is made afresh inside the slot (see ``_attempt``).
RESIGN_AFTER_WAIT = 60.0

_USER_AGENT = f"netsuite-async/{__version__}"

@dataclass(frozen=True)
class _Bases:
    rest: str
    restlets: str


class Transport(_TokenEndpoint):
    """Sends `RequestSpec` calls with retries, governor slots, fresh signatures and typed errors.

    Made by `NetSuiteClient`; API modules reach it as ``client.transport``.

    Examples:
        >>> async def raw(client) -> dict:
        ...     resp = await client.transport.send(RequestSpec("GET", "/record/v1/customer/1"))
        ...     return resp.json()
    """

    def __init__(
        self,
        *,
        http: AsyncClient,
        governor: Governor,
        auth: TokenProvider,
        auth_context: AuthContext,
        retry: RetryPolicy,
        rest_base_url: str,
        restlet_base_url: str,
        read_timeout: float | None,
        default_headers: Mapping[str, str] | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.http = http
        #: Spans, metrics and hooks (shared with views made by ``with_options``/``as_agent``).
        self.telemetry = telemetry if telemetry is not None else Telemetry(enabled=False)
        self.governor = governor
        self.auth = auth
        # The seam for token fetches: a context made without an HTTP helper gets this transport's token_form, so
        # auth reaches the network through the transport, never through the client.
        if auth_context._post_form is None:
            auth_context = dataclasses.replace(auth_context, _post_form=self.token_form)
        self.auth_context = auth_context
        self.retry = retry
        self._bases = _Bases(rest_base_url.rstrip("/") + "/services/rest", restlet_base_url.rstrip("/"))
        self._read_timeout = read_timeout
        self._headers = {"User-Agent": _USER_AGENT, "Accept": "application/json"}
        self._headers.update(default_headers or {})
        self.stats = TransportStats()
        # Signing needs no I/O (so it may happen inside a governor slot): TBA and static bearer tokens, or any
        # provider that says so with a true ``signs_offline`` attribute.
        self._offline_signer = bool(getattr(auth, "signs_offline", isinstance(auth, (TokenAuth, BearerToken))))
        self._startup: Callable[[], Awaitable[None]] | None = None
        self._startup_lock = anyio.Lock()
        self._root: Transport = self
        #: Per-attempt read timeout overriding the pool's (a ``with_options(timeout=...)`` view's, or one call's).
        self._attempt_timeout: float | None = None
        # True once a view or a call added headers: the operation's own headers then replace them by name,
        # whatever their case (see build_request).
        self._custom_headers = False

    def derive(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> Transport:
        """A transport sharing this one's pool, governor, auth, telemetry and counters, with overrides.

        ``timeout`` is the per-attempt read timeout (seconds); ``headers`` are merged over this transport's
        default headers (names compare case-insensitively). ``read_timeout`` is the old name of ``timeout``
        (deprecated). Used by ``NetSuiteClient.with_options`` and by per-call options (``_call_options.py``).

        Examples:
            >>> def slow_view(transport: Transport) -> Transport:
            ...     return transport.derive(timeout=600.0, headers={"X-Team": "finance"})
        """
        if read_timeout is not None:
            timeout = renamed("read_timeout", read_timeout, "timeout", timeout)
        view = object.__new__(Transport)
        view.__dict__.update(self.__dict__)
        # One-time startup (concurrency="auto") belongs to the root transport: a view runs the root's.
        view._root = self._root
        if retry is not None:
            view.retry = retry
        if timeout is not None:
            view._attempt_timeout = timeout
        if headers:
            view._headers = _merge_headers(self._headers, headers)
            view._custom_headers = True
        return view

    @property
    def attempt_timeout(self) -> float | None:
        """The per-attempt read timeout a view or a call set (None: the pool's).

        Examples:
            >>> def overridden(transport: Transport) -> bool:
            ...     return transport.attempt_timeout is not None
        """
        return self._attempt_timeout

    def on_first_request(self, startup: Callable[[], Awaitable[None]]) -> None:
        """Run ``startup`` once, before the first request (used by ``concurrency="auto"``)."""
        self._startup = startup

    def _base_for(self, spec: RequestSpec) -> str:
        """The base URL a spec is sent to: the REST or the RESTlet one (see `url_for`)."""
        return self._bases.rest if spec.host == "rest" else self._bases.restlets

    def url_for(self, spec: RequestSpec) -> str:
        """The absolute URL (without query) a spec is sent to."""
        return self._base_for(spec) + spec.path

    def build_request(self, spec: RequestSpec) -> Request:
        """The httpx2 request for a spec (query encoded once; the signature is added per attempt)."""
        headers = dict(self._headers)
        if spec.headers:
            if self._custom_headers:
                headers = _merge_headers(headers, spec.headers)
            else:
                headers.update(spec.headers)
        url = self.url_for(spec)
        pairs = _normalise_params(spec.params)
        if pairs:
            # Encoded here, once, in the caller's order (httpx groups repeated keys), with %20 for spaces: the URL
            # is then exactly what TBA signs and what NetSuite receives.
            url += ("&" if "?" in url else "?") + urlencode(pairs, quote_via=quote, safe="")
        extensions: dict[str, Any] = {}
        read = spec.timeout if spec.timeout is not None else self._attempt_timeout
        if read is not None:
            timeout = self.http.timeout
            extensions["timeout"] = {
                "connect": timeout.connect, "read": read, "write": timeout.write, "pool": timeout.pool,
            }
        request = self.http.build_request(
            spec.method,
            url,
            json=spec.json if spec.json is not None else None,
            content=spec.content if spec.json is None else None,
            headers=headers,
            extensions=extensions or None,
        )
        return request

    async def send(self, spec: RequestSpec) -> Response:
        """Send one logical request: 2xx returns the response; anything else raises a typed error."""
        root = self._root
        try:
            if root._startup is not None:
                await root._run_startup()
            telemetry = self.telemetry
            if not telemetry.off and _current.get() is None and telemetry.active:
                # A request outside any named call (``ns.request``, a RESTlet) is a logical call of its own.
                with telemetry.operation(_operation_name(spec), governor=self.governor):
                    return await self._send(spec)
            return await self._send(spec)
        except NetSuiteError as err:
            # httpx2's exceptions (reachable through __context__/__cause__) hold the signed request.
            scrub_error(err)
            raise
        except httpx2.HTTPError as exc:
            # Whatever the attempt did not map (an undecodable body, an invalid URL): typed, without the request.
            unmapped = TransportError(spec.method, _safe_url_of(exc), f"{type(exc).__name__}: {exc}",
                                      reached_server=True)
        raise unmapped

    async def _run_startup(self) -> None:
        async with self._startup_lock:
            startup, self._startup = self._startup, None
            if startup is not None:
                try:
                    await startup()
                except BaseException:
                    self._startup = startup
                    raise

    async def _send(self, spec: RequestSpec) -> Response:
        self.stats.calls += 1
        # The httpx2 request is built on first use: for offline signers inside the first attempt's slot, so a burst
        # of queued calls does no work ahead of the requests already going out.
        call = _Call(self, spec)
        if spec.params is not None:
            _normalise_params(spec.params)  # bad query parameters: a TypeError now, before any wait
        deadline = spec.deadline if spec.deadline is not None else self.retry.deadline
        ends_at = anyio.current_time() + deadline if deadline is not None else None
        history: list[BaseException] = []
        waits = self.retry.waits()
        auth_retried = False
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(spec, call, attempt, ends_at)
            except _Failure as failure:
                err = failure.error
                if isinstance(err, AuthenticationError) and not auth_retried:
                    # The refused credentials let a provider drop only that token, not one another task just minted.
                    request = call.request
                    refused = request.headers.get("Authorization", "")
                    auth_request = AuthRequest(request.method, str(request.url), {"Authorization": refused})
                    if await self.auth.on_unauthorized(auth_request, self.auth_context):
                        auth_retried = True
                        history.append(err)
                        continue
                if not failure.retryable or attempt >= self.retry.max_attempts:
                    self._finish_error(err, history, attempt)
                    raise err from err.__cause__
                delay = next(waits)
                if failure.retry_after is not None:
                    delay = max(delay, failure.retry_after)
                if ends_at is not None and anyio.current_time() + delay >= ends_at:
                    self._finish_error(err, history, attempt)
                    raise err from err.__cause__
                history.append(err)
                self.stats.retries += 1
                await self._notify_retry(RetryEvent(spec.method, call.safe_url, attempt, delay, _reason(err)))
                logger.debug("retrying %s %s in %.3fs after attempt %d: %s",
                             spec.method, call.safe_url, delay, attempt, _reason(err))
                await anyio.sleep(delay)
                if ends_at is not None and anyio.current_time() >= ends_at:
                    # The wait overshot the deadline: report the failure that made us wait, not a timeout that
                    # would fire before the next attempt could even take a slot.
                    history.pop()
                    self._finish_error(err, history, attempt)
                    raise err from err.__cause__

    async def _attempt(
        self, spec: RequestSpec, call: _Call, attempt: int, ends_at: float | None
    ) -> Response:
        # A provider that may fetch a token signs before the slot is taken: a token fetch must never hold one.
        # One that signs offline (TBA, a static bearer token) signs inside it, right before sending: a burst of
        # queued callers then does not sign ahead of the requests already going out.
        offline = self._offline_signer
        if not offline:
            await self._sign(call.request)
        signed_at = time.monotonic()
        idempotent = spec.is_idempotent
        started = time.perf_counter()
        response: Response | None = None
        sending = False
        # The logical call's record (spans, hooks and the audit log all read it): the one place its attempts are
        # counted. Spans and hooks are only worked on when there is a span to add to or a hook to call.
        op = _current.get()
        observed = self.telemetry.hooked or (op is not None and op.span is not None)
        try:
            scope = _deadline_scope(ends_at)
            with scope:
                async with self.governor.slot() as permit:
                    if offline or time.monotonic() - signed_at > RESIGN_AFTER_WAIT:
                        # Thousands of queued calls can wait longer for a slot than a TBA timestamp (+-5 min) or a
                        # token's renewal margin lasts: NetSuite would refuse the stale signature as INVALID_LOGIN.
                        try:
                            await self._sign(call.request)
                        except BaseException:
                            permit.record(Outcome.FAILURE)  # nothing was sent: the slot is free at once
                            raise
                    self.stats.attempts += 1
                    sending = True
                    slot_wait = 0.0
                    if op is not None:
                        slot_wait = time.perf_counter() - started
                        op.attempts += 1
                        op.slot_wait += slot_wait
                    span_start = None  # when the attempt's span starts (the span is recorded once it has ended)
                    if observed:  # spans and hooks: only for a call with a span, or with hooks set
                        if self.telemetry.hooks.request:
                            await self._request_hooks(spec, call, attempt, op)
                        if op is not None and op.span is not None:
                            span_start = self.telemetry.attempt_started(slot_wait)
                        sent_at = time.perf_counter()
                    try:
                        response = await self.http.send(call.request)
                    except _NEVER_SENT as exc:
                        permit.record(Outcome.FAILURE)
                        if span_start is not None:
                            self.telemetry.attempt_ended(span_start, spec.method, call.safe_url, call.server, attempt,
                                                         None, exc, False)
                        raise
                    except BaseException as exc:
                        # Any other way out of the slot (cancellation, the call's deadline, a read timeout, a
                        # dropped connection) records nothing: the request may still be running at NetSuite, and a
                        # governor may keep its slot counted for a while (a ghost slot, see governor/local.py).
                        if span_start is not None:
                            self.telemetry.attempt_ended(span_start, spec.method, call.safe_url, call.server, attempt,
                                                         None, exc, False)
                        raise
                    limited = _is_limited(response, spec)
                    permit.record(Outcome.LIMITED if limited else Outcome.SUCCESS)
                    if op is not None:
                        op.status = response.status_code
                        if limited:
                            op.limited += 1
                    if span_start is not None:
                        self.telemetry.attempt_ended(span_start, spec.method, call.safe_url, call.server, attempt,
                                                     response.status_code, None, limited)
                    if observed and self.telemetry.hooks.response:
                        await self._response_hooks(spec, call, attempt, op, response, time.perf_counter() - sent_at)
            if scope.cancelled_caught:
                raise TimeoutError
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
            raise _not_reached(spec, call.safe_url, exc) from exc
        except TimeoutError as exc:
            if not sending:
                raise _Failure(
                    RequestTimeoutError(spec.method, call.safe_url, "call deadline passed while waiting for a "
                                        "concurrency slot", reached_server=False),
                    retryable=False, limited=False, retry_after=None,
                ) from exc
            return self._raise_reached(spec, call.safe_url, exc, idempotent)
        except httpx2.TransportError as exc:
            return self._raise_reached(spec, call.safe_url, exc, idempotent)
        return self._finish_response(spec, response, call.safe_url, attempt, started, idempotent)

    async def _request_hooks(self, spec: RequestSpec, call: _Call, attempt: int, op: _Operation | None) -> None:
        request = call.request
        await self.telemetry.call_hooks(self.telemetry.hooks.request, RequestInfo(
            spec.method, call.safe_url, _public_headers(request.headers), attempt, None if op is None else op.name,
        ))

    async def _response_hooks(
        self, spec: RequestSpec, call: _Call, attempt: int, op: _Operation | None, response: Response, elapsed: float,
    ) -> None:
        await self.telemetry.call_hooks(self.telemetry.hooks.response, ResponseInfo(
            spec.method, call.safe_url, response.status_code, _public_headers(response.headers), elapsed, attempt,
            None if op is None else op.name,
        ))

    async def _sign(self, request: Request) -> None:
        auth_request = AuthRequest(request.method, str(request.url), {})
        await self.auth.sign(auth_request, self.auth_context)
        for name, value in auth_request.headers.items():
            request.headers[name] = value

class _Call:
    """One logical call's httpx2 request, built on first use (then reused by every attempt)."""

    __slots__ = ("_request", "_safe_url", "_server", "spec", "transport")

    def __init__(self, transport: Transport, spec: RequestSpec) -> None:
        self.transport = transport
        self.spec = spec
        self._request: Request | None = None
        self._safe_url: str | None = None
        self._server: tuple[str, int] = ("", 0)

    @property
    def request(self) -> Request:
        if self._request is None:
            self._request = self.transport.build_request(self.spec)
        return self._request

    @property
    def safe_url(self) -> str:
        """The URL with query values redacted (logs, errors, spans), worked out with `server` once per call."""
        if self._safe_url is None:
            spec = self.spec
            base = self.transport._base_for(spec)
            path = spec.path
            origin, host, port = _origin(base)
            self._server = (host, port)  # a spec's path cannot name another host than its base's
            url = base + path
            if spec.params or "%" in url or "?" in url or "/." in url:
                self._safe_url = _safe_url(self.request)
            else:
                # What _safe_url(request) gives, without reading the URL back from httpx2 (1.4 us a call, paid by
                # every traced attempt): the base's redacted form, once per base, then the path as given, which
                # httpx2 leaves as it is when it has no escapes, dot segments or query (and no parameters).
                self._safe_url = origin + path
        return self._safe_url


    @property
    def server(self) -> tuple[str, int]:
        """The server's host and port (the scheme's default when the base names none), as an attempt's span names
        them: worked out with `safe_url`, once per call."""
        if self._safe_url is None:
            self.safe_url  # noqa: B018 (sets _server)
        return self._server


def _origin(base: str) -> tuple[str, str, int]:
    """A base URL's redacted form, host and port (the scheme's default when none is given), as httpx2 reads them:
    worked out once per base (a handful per process)."""
    found = _ORIGINS.get(base)
    if found is None:
        if len(_ORIGINS) > 64:
            _ORIGINS.clear()
        request = Request("GET", base + "/")
        url = request.url
        port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
        found = _ORIGINS[base] = (_safe_url(request)[:-1], url.host, port)  # [:-1]: a bare host's path is "/"
    return found


_ORIGINS: dict[str, tuple[str, str, int]] = {}


def _merge_headers(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """``base`` with ``extra`` over it, a name in ``extra`` replacing the same name in ``base`` in any case."""
    names = {name.lower() for name in extra}
    merged = {name: value for name, value in base.items() if name.lower() not in names}
    merged.update(extra)
    return merged


def _operation_name(spec: RequestSpec) -> str:
    """A logical name for a request sent outside any named call (``request``, ``restlets.call`` …)."""
    if spec.host == "restlets":
        return "restlets.call"
    return "request"
