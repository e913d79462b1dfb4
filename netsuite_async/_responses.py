"""How an attempt's answer is classified and mapped to a typed error (split out of ``transport.py``).

`_ResponseMapping` is the part of `Transport` that turns a status or a network failure into a `_Failure` (the
typed error plus whether it may be retried); the module-level helpers classify answers (over the concurrency
limit? an OAuth error body?) and keep secrets out of what is logged.

Examples:
    >>> _public_headers({"Authorization": "Bearer x", "Accept": "application/json"})
    {'Accept': 'application/json'}
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from netsuite_async._http import Response, httpx2, redacted_url, tls_configuration_problem
from netsuite_async._requests import RequestSpec
from netsuite_async.auth.base import AuthContext, TokenProvider
from netsuite_async.errors import (
    APIError,
    ConcurrencyLimitError,
    NetSuiteError,
    RequestTimeoutError,
    TLSConfigurationError,
    TransportError,
    WriteOutcomeUnknownError,
    error_for_status,
)
from netsuite_async.retry import RetryEvent, RetryPolicy

__all__ = ["TransportStats"]

logger = logging.getLogger("netsuite_async.transport")

# Failures that mean the request never left: the governor frees their slot at once.
_NEVER_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout, httpx2.UnsupportedProtocol)

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


class _ResponseMapping:
    """`Transport`'s error mapping: an attempt's answer or failure -> a response or a `_Failure`."""

    stats: TransportStats
    auth: TokenProvider
    auth_context: AuthContext
    retry: RetryPolicy

    async def _notify_retry(self, event: RetryEvent) -> None:
        callback = self.retry.on_retry
        if callback is None:
            return
        result = callback(event)
        if inspect.isawaitable(result):
            await result

    def _finish_error(self, err: NetSuiteError, history: list[BaseException], attempt: int) -> None:
        self.stats.failures += 1
        err.history = history
        if isinstance(err, (APIError, TransportError, WriteOutcomeUnknownError)):
            err.attempts = attempt
            if isinstance(err, (APIError, TransportError)):
                err.args = (err._message(),)

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


_PRIVATE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def _public_headers(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _PRIVATE_HEADERS}


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
