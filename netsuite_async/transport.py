"""The one place where requests are sent: retries, the governor, signing, error mapping and logging.

Per call (`Transport.send`):
```text
retry loop (RetryPolicy: which failures, backoff, deadline)
  └─ per attempt: sign (outside the slot when the provider may fetch a token: a token fetch never holds one)
                  ─> governor slot (exactly one HTTP attempt; offline signers such as TBA sign here)
                  ─> httpx2 ─> typed error or response
```

API modules (records, SuiteQL, batch, …) only build a `RequestSpec` and parse the answer.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlencode

import anyio

from netsuite_async._http import AsyncClient, Request, Response, httpx2, redacted_url, tls_configuration_problem
from netsuite_async._version import __version__
from netsuite_async.auth.base import AuthContext, AuthRequest, TokenProvider
from netsuite_async.auth.bearer import BearerToken
from netsuite_async.auth.tba import TokenAuth
from netsuite_async.errors import (
    APIError,
    AuthenticationError,
    ConcurrencyLimitError,
    NetSuiteError,
    RequestTimeoutError,
    TLSConfigurationError,
    TransportError,
    WriteOutcomeUnknownError,
    error_for_status,
    scrub_error,
)
from netsuite_async.governor import Governor, Outcome
from netsuite_async.retry import RetryEvent, RetryPolicy, positive_seconds
from netsuite_async.suiteql_params import number_text
from netsuite_async.telemetry import RequestInfo, ResponseInfo, Telemetry, current_operation

__all__ = ["RequestSpec", "Transport", "TransportStats"]

logger = logging.getLogger("netsuite_async.transport")

#: Seconds a call may wait for a slot before its signature is made afresh inside the slot (see ``_attempt``).
RESIGN_AFTER_WAIT = 60.0

# Failures that mean the request never left: the governor frees their slot at once.
_NEVER_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout, httpx2.UnsupportedProtocol)

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
_USER_AGENT = f"netsuite-async/{__version__}"

ParamValue = str | int | float | bool
Params = Mapping[str, ParamValue] | Sequence[tuple[str, ParamValue]]


@dataclass(frozen=True)
class RequestSpec:
    """Everything the transport needs to send one logical request (retries included).

    Examples:
        >>> spec = RequestSpec("GET", "/record/v1/customer/1", params={"fields": "email"})
        >>> spec.is_idempotent
        True
    """

    method: str
    path: str
    """Under ``/services/rest`` for ``host="rest"``; the path on the RESTlets host for ``host="restlets"``."""
    params: Params | None = None
    json: Any = None
    content: bytes | str | None = None
    headers: Mapping[str, str] | None = None
    host: Literal["rest", "restlets"] = "rest"
    idempotent: bool | None = None
    """None: decided by the method (POST is not idempotent). Async requests carrying an idempotency key: True."""
    timeout: float | None = None
    """Per-attempt read timeout in seconds, overriding the client's."""
    deadline: float | None = None
    """Total seconds for the call, retries and waits included (default: the RetryPolicy's)."""
    limit_error_codes: tuple[str, ...] = ()
    """Extra NetSuite error codes meaning "over the concurrency limit" (RESTlets: SSS_REQUEST_LIMIT_EXCEEDED)."""
    write_context: Mapping[str, str] | None = None
    """Attached to WriteOutcomeUnknownError (record type, body hash) so the caller can check what happened."""

    def __post_init__(self) -> None:
        if not isinstance(self.method, str) or not isinstance(self.path, str):
            raise TypeError(f"method and path must be str, not {type(self.method).__name__} and "
                            f"{type(self.path).__name__}")
        method = self.method.upper()
        if method not in _IDEMPOTENT_METHODS | {"POST"}:
            raise ValueError(f"unsupported HTTP method {self.method!r}")
        object.__setattr__(self, "method", method)
        if not self.path.startswith("/"):
            raise ValueError(f"path must start with '/', got {self.path!r}")
        if "://" in self.path or "\\" in self.path or any(c in self.path for c in "\r\n\t "):
            raise ValueError(f"path must be a plain path under the API root, got {self.path!r}")
        if self.path.startswith("/services/rest/") and self.host == "rest":
            # Accept the full path too; the transport adds the prefix itself.
            object.__setattr__(self, "path", self.path[len("/services/rest") :])
        if self.host not in ("rest", "restlets"):
            raise ValueError("host must be 'rest' or 'restlets'")
        if self.timeout is not None:
            positive_seconds("timeout", self.timeout)
        if self.deadline is not None:
            positive_seconds("deadline", self.deadline)

    @property
    def is_idempotent(self) -> bool:
        """Whether repeating the request after it may have reached NetSuite is safe."""
        if self.idempotent is not None:
            return self.idempotent
        return self.method in _IDEMPOTENT_METHODS


@dataclass
class TransportStats:
    """Counters since the client was created (read ``client.transport.stats``).

    Examples:
        >>> TransportStats().attempts
        0
    """

    calls: int = 0
    """Logical requests (``send`` calls)."""
    attempts: int = 0
    """HTTP attempts made (a retry is another attempt)."""
    retries: int = 0
    limited: int = 0
    """Attempts answered 429 (or a RESTlet's over-limit error)."""
    failures: int = 0
    """Calls that ended in an exception."""
    status_counts: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Bases:
    rest: str
    restlets: str


class _Failure(Exception):
    """One failed attempt, carried through the retry loop (internal)."""

    def __init__(self, error: NetSuiteError, *, retryable: bool, limited: bool, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retryable = retryable
        self.limited = limited
        self.retry_after = retry_after


def _is_limited(response: Response, spec: RequestSpec) -> bool:
    if response.status_code == 429:
        return True
    if spec.limit_error_codes and response.status_code in (400, 403, 503):
        body = response.content
        return any(code.encode() in body for code in spec.limit_error_codes)
    return False


def _safe_url(request: Request) -> str:
    # NetSuite never puts credentials in the URL, but users' RESTlet params might: keep only the path and the
    # parameter names, never values, in errors and logs.
    url = request.url
    base = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"
    if url.query:
        names = [k for k, _ in url.params.multi_items()]
        base += "?" + "&".join(f"{n}=…" for n in names)
    return base


class Transport:
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
        #: Per-attempt read timeout overriding the pool's (a ``with_options(timeout=...)`` view's).
        self._attempt_timeout: float | None = None

    def derive(
        self,
        *,
        retry: RetryPolicy | None = None,
        read_timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Transport:
        """A transport sharing this one's pool, governor, auth, telemetry and counters, with overrides.

        Examples:
            >>> def slow_view(transport: Transport) -> Transport:
            ...     return transport.derive(read_timeout=600.0)
        """
        view = object.__new__(Transport)
        view.__dict__.update(self.__dict__)
        # One-time startup (concurrency="auto") belongs to the root transport: a view runs the root's.
        view._root = self._root
        if retry is not None:
            view.retry = retry
        if read_timeout is not None:
            view._attempt_timeout = read_timeout
        if headers:
            view._headers = {**self._headers, **headers}
        return view

    def on_first_request(self, startup: Callable[[], Awaitable[None]]) -> None:
        """Run ``startup`` once, before the first request (used by ``concurrency="auto"``)."""
        self._startup = startup

    def url_for(self, spec: RequestSpec) -> str:
        """The absolute URL (without query) a spec is sent to."""
        base = self._bases.rest if spec.host == "rest" else self._bases.restlets
        return base + spec.path

    def build_request(self, spec: RequestSpec) -> Request:
        """The httpx2 request for a spec (query encoded once; the signature is added per attempt)."""
        headers = dict(self._headers)
        if spec.headers:
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
            if not telemetry.off and telemetry.active and current_operation() is None:
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

    def _finish_error(self, err: NetSuiteError, history: list[BaseException], attempt: int) -> None:
        self.stats.failures += 1
        err.history = history
        if isinstance(err, (APIError, TransportError, WriteOutcomeUnknownError)):
            err.attempts = attempt
            if isinstance(err, (APIError, TransportError)):
                err.args = (err._message(),)

    async def _notify_retry(self, event: RetryEvent) -> None:
        callback = self.retry.on_retry
        if callback is None:
            return
        result = callback(event)
        if inspect.isawaitable(result):
            await result

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
        telemetry = self.telemetry
        observed = not telemetry.off and (bool(telemetry.hooks) or telemetry.active)
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
                    if observed:
                        response = await self._observed_send(spec, call.request, call.safe_url, attempt, started,
                                                             permit)
                    else:
                        try:
                            response = await self.http.send(call.request)
                        except _NEVER_SENT:
                            permit.record(Outcome.FAILURE)
                            raise
                        # Any other way out of the slot (cancellation, the call's deadline, a read timeout, a
                        # dropped connection) records nothing: the request may still be running at NetSuite, and a
                        # governor may keep its slot counted for a while (a ghost slot, see governor/local.py).
                        if _is_limited(response, spec):
                            permit.record(Outcome.LIMITED)
                        else:
                            permit.record(Outcome.SUCCESS)
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

    async def _observed_send(
        self, spec: RequestSpec, request: Request, safe_url: str, attempt: int, queued_at: float, permit: Any
    ) -> Response:
        """One attempt with spans, metrics and hooks (only when tracing is on or hooks are set)."""
        telemetry = self.telemetry
        slot_wait = time.perf_counter() - queued_at
        operation = current_operation()
        if telemetry.hooks.request:
            await telemetry.call_hooks(
                telemetry.hooks.request, RequestInfo(spec.method, safe_url, _public_headers(request.headers),
                                                     attempt, operation),
            )
        span = telemetry.attempt_started(spec.method, safe_url, request.url.host, attempt, slot_wait)
        sent_at = time.perf_counter()
        try:
            response = await self.http.send(request)
        except _NEVER_SENT as exc:
            permit.record(Outcome.FAILURE)
            telemetry.attempt_ended(span, None, exc, False)
            raise
        except BaseException as exc:  # cancelled or timed out mid-flight: nothing recorded (a ghost slot)
            telemetry.attempt_ended(span, None, exc, False)
            raise
        limited = _is_limited(response, spec)
        permit.record(Outcome.LIMITED if limited else Outcome.SUCCESS)
        telemetry.attempt_ended(span, response.status_code, None, limited)
        if telemetry.hooks.response:
            await telemetry.call_hooks(
                telemetry.hooks.response,
                ResponseInfo(spec.method, safe_url, response.status_code, _public_headers(response.headers),
                             time.perf_counter() - sent_at, attempt, operation),
            )
        return response

    async def _sign(self, request: Request) -> None:
        auth_request = AuthRequest(request.method, str(request.url), {})
        await self.auth.sign(auth_request, self.auth_context)
        for name, value in auth_request.headers.items():
            request.headers[name] = value

    def _raise_reached(self, spec: RequestSpec, safe_url: str, exc: BaseException, idempotent: bool) -> Response:
        """The attempt failed after the request may have reached NetSuite."""
        reason = "call deadline passed" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        timed_out = isinstance(exc, (httpx2.TimeoutException, TimeoutError))
        cls = RequestTimeoutError if timed_out else TransportError
        failure = cls(spec.method, safe_url, reason, reached_server=True)
        if not idempotent:
            unknown = WriteOutcomeUnknownError(spec.method, safe_url, reason, context=spec.write_context)
            # The typed network error, not httpx2's exception (whose request holds the Authorization header).
            unknown.__cause__ = failure
            raise _Failure(unknown, retryable=False, limited=False, retry_after=None) from exc
        raise _Failure(
            failure,
            # Past the call's deadline there is no time left to try again.
            retryable=not isinstance(exc, TimeoutError), limited=False, retry_after=None,
        ) from exc

    def _finish_response(
        self, spec: RequestSpec, response: Response | None, safe_url: str, attempt: int, started: float,
        idempotent: bool,
    ) -> Response:
        assert response is not None
        elapsed = time.perf_counter() - started
        status = response.status_code
        self.stats.status_counts[status] = self.stats.status_counts.get(status, 0) + 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %d in %.1f ms (attempt %d)", spec.method, safe_url, status, elapsed * 1000, attempt)
        if 200 <= status < 300:
            return response
        limited = _is_limited(response, spec)
        if limited:
            self.stats.limited += 1
        err = error_for_status(
            spec.method, safe_url, status, response.content, attempts=attempt, response=response,
            limit_error_codes=spec.limit_error_codes,
            hints=_auth_hints(self.auth, self.auth_context) if status == 401 else (),
        )
        if limited:
            if not isinstance(err, ConcurrencyLimitError):
                err = ConcurrencyLimitError(
                    err.method, err.url, err.status_code, details=err.details, title=err.title,
                    response_text=err.response_text, attempts=attempt, response=response,
                )
            raise _Failure(err, retryable=True, limited=True,
                           retry_after=self.retry.retry_after(response.headers.get("Retry-After")))
        if status >= 500 and not idempotent:
            unknown = WriteOutcomeUnknownError(
                spec.method, safe_url, f"NetSuite answered {status}: {err.detail}", context=spec.write_context
            )
            unknown.__cause__ = err
            raise _Failure(unknown, retryable=False, limited=False, retry_after=None)
        retryable = self.retry.is_retryable_status(status, idempotent=idempotent)
        raise _Failure(err, retryable=retryable, limited=False,
                       retry_after=self.retry.retry_after(response.headers.get("Retry-After")) if retryable else None)


    # -- token endpoint ------------------------------------------------------------------------------------------
    async def post_form(
        self, url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> Response:
        """POST a form to an OAuth endpoint (token, revoke) with the retry policy, deadline and error mapping of
        `send`, but unsigned and outside the governor (a token fetch must never hold or wait for a slot).

        A token request is safe to repeat, so 5xx answers, 429s, connection failures and timeouts are retried like
        an idempotent call, within ``RetryPolicy.deadline``; each attempt uses the client's timeouts. A 2xx answer
        and an OAuth error answer (400/401 with a JSON body: ``invalid_client``, ``invalid_grant`` …) are returned
        for the provider to read; any other answer raises the typed error (``ServerError``, ``NotFoundError`` …).

        Examples:
            >>> async def token(transport: Transport, url: str) -> str:
            ...     resp = await transport.post_form(url, {"grant_type": "client_credentials"})
            ...     return resp.json()["access_token"]
        """
        spec = RequestSpec("POST", "/", idempotent=True)
        safe_url = redacted_url(url)
        request = self.http.build_request(
            "POST", url, data=dict(data), headers={**self._headers, **dict(headers or {})}
        )
        deadline = self.retry.deadline
        ends_at = anyio.current_time() + deadline if deadline is not None else None
        history: list[BaseException] = []
        waits = self.retry.waits()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._token_attempt(spec, request, safe_url, ends_at)
            except _Failure as caught:
                failure = caught
            err = failure.error
            delay = 0.0
            give_up = not failure.retryable or attempt >= self.retry.max_attempts
            if not give_up:
                delay = next(waits)
                if failure.retry_after is not None:
                    delay = max(delay, failure.retry_after)
                give_up = ends_at is not None and anyio.current_time() + delay >= ends_at
            if give_up:
                self._finish_error(err, history, attempt)
                # Raised outside the except block: nothing of httpx2 or of _Failure is left on the chain.
                raise scrub_error(err)
            history.append(err)
            await self._notify_retry(RetryEvent("POST", safe_url, attempt, delay, _reason(err)))
            logger.debug("retrying token request POST %s in %.3fs after attempt %d: %s",
                         safe_url, delay, attempt, _reason(err))
            await anyio.sleep(delay)

    async def _token_attempt(
        self, spec: RequestSpec, request: Request, safe_url: str, ends_at: float | None
    ) -> Response:
        sending = False
        try:
            scope = _deadline_scope(ends_at)
            with scope:
                sending = True
                response = await self.http.send(request)
            if scope.cancelled_caught:
                raise TimeoutError
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
            raise _not_reached(spec, safe_url, exc) from exc
        except TimeoutError as exc:
            if not sending:  # pragma: no cover - the scope is entered before the send starts
                raise
            return self._raise_reached(spec, safe_url, exc, True)
        except httpx2.TransportError as exc:
            return self._raise_reached(spec, safe_url, exc, True)
        status = response.status_code
        logger.debug("token request POST %s -> %d", safe_url, status)
        if 200 <= status < 300:
            return response
        if status in (400, 401) and _is_json_object(response):
            return response  # the OAuth error: the provider says which credential was refused
        err = error_for_status("POST", safe_url, status, response.content, response=response)
        limited = status == 429 or isinstance(err, ConcurrencyLimitError)
        retryable = limited or self.retry.is_retryable_status(status, idempotent=True)
        raise _Failure(err, retryable=retryable, limited=limited,
                       retry_after=self.retry.retry_after(response.headers.get("Retry-After")) if retryable else None)


def _not_reached(spec: RequestSpec, safe_url: str, exc: BaseException) -> _Failure:
    """A connect or pool failure: the request never reached NetSuite, so it is safe to repeat whatever the method,
    unless TLS setup is wrong (a certificate that does not verify fails the same way on every attempt)."""
    problem = tls_configuration_problem(exc) if isinstance(exc, httpx2.ConnectError) else None
    if problem is not None:
        return _Failure(
            TLSConfigurationError(
                spec.method, safe_url,
                f"TLS configuration problem ({problem}); not retried. Check the CA bundle (SSL_CERT_FILE, the "
                "truststore package, or an httpx2.AsyncClient(verify=...) passed as http_client=), any proxy that "
                "intercepts TLS, and that the URL is https:// on an HTTPS port",
                reached_server=False,
            ),
            retryable=False, limited=False, retry_after=None,
        )
    cls = RequestTimeoutError if isinstance(exc, httpx2.TimeoutException) else TransportError
    return _Failure(
        cls(spec.method, safe_url, f"{type(exc).__name__}: {exc}", reached_server=False),
        retryable=True, limited=False, retry_after=None,
    )


def _is_json_object(response: Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def _safe_url_of(exc: httpx2.HTTPError) -> str:
    try:
        return redacted_url(exc.request.url)
    except RuntimeError:  # raised before a request existed
        return "(unknown URL)"


class _Call:
    """One logical call's httpx2 request, built on first use (then reused by every attempt)."""

    __slots__ = ("_request", "_safe_url", "spec", "transport")

    def __init__(self, transport: Transport, spec: RequestSpec) -> None:
        self.transport = transport
        self.spec = spec
        self._request: Request | None = None
        self._safe_url: str | None = None

    @property
    def request(self) -> Request:
        if self._request is None:
            self._request = self.transport.build_request(self.spec)
        return self._request

    @property
    def safe_url(self) -> str:
        if self._safe_url is None:
            self._safe_url = _safe_url(self.request)
        return self._safe_url


class _NoDeadline:
    cancelled_caught = False

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _deadline_scope(ends_at: float | None) -> anyio.CancelScope | _NoDeadline:
    # A bare CancelScope, not fail_after(): the latter's generator-based context manager costs about 20 us per
    # attempt under load, a fifth of an httpx2 request. The caller turns ``cancelled_caught`` into TimeoutError.
    if ends_at is None:
        return _NoDeadline()
    return anyio.CancelScope(deadline=ends_at)


def _normalise_params(params: Params | None) -> list[tuple[str, str]] | None:
    if params is None:
        return None
    if isinstance(params, (str, bytes)) or not isinstance(params, (Mapping, Sequence)):
        raise TypeError(f"params must be a mapping or a sequence of (name, value) pairs, not {type(params).__name__}")
    items = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, str]] = []
    for pair in items:
        if isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[0], str):
            key, value = pair
        else:
            raise TypeError("params must map str names to values (or be a sequence of (name, value) pairs)")
        kind = type(value)
        if kind is str:
            out.append((key, value))  # type: ignore[arg-type]  # narrowed by the exact type check
        elif kind is int:
            out.append((key, str(value)))
        elif isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, str):
            out.append((key, str.__str__(value)))
        elif isinstance(value, (int, float)):
            # By value (a subclass's __str__ could say anything); NaN/Infinity refused.
            out.append((key, number_text(value) or ""))
        else:
            raise TypeError(f"query parameter {key!r} must be str, int, float or bool, not {type(value).__name__}")
    return out


_PRIVATE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def _public_headers(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _PRIVATE_HEADERS}


def _operation_name(spec: RequestSpec) -> str:
    """A logical name for a request sent outside any named call (``request``, ``restlets.call`` …)."""
    if spec.host == "restlets":
        return "restlets.call"
    return "request"


def _reason(err: NetSuiteError) -> str:
    if isinstance(err, APIError):
        return f"{err.status_code} {err.error_code or ''}".strip()
    return type(err).__name__


_GENERIC_401_HINTS = (
    "check that the credentials belong to this account and that the role has the 'Log in using Access Tokens' "
    "or 'REST Web Services' permission",
    "TBA: the realm must be the account id in upper case with '_' (e.g. 1234567_SB1)",
    "TBA: the machine's clock must be within 5 minutes of NetSuite's (oauth_timestamp)",
    "some users report that requests over the concurrency limit can surface as INVALID_LOGIN: "
    "check the governor's stats",
)


def _auth_hints(auth: TokenProvider, context: AuthContext) -> Sequence[str]:
    custom = getattr(auth, "unauthorized_hints", None)
    if callable(custom):
        try:
            hints = custom(context)
            return [str(h) for h in hints]
        except Exception:  # a provider's hint bug must not hide the 401
            logger.debug("unauthorized_hints failed", exc_info=True)
    return _GENERIC_401_HINTS
