"""The exception tree of netsuite-async.

::

    NetSuiteError
    ├── APIError                      NetSuite (or a proxy in front of it) answered with an error status
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401 (with hints)
    │   │   └── ReauthorizationRequired   the refresh token expired: a person must authorize again
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── ConflictError             409
    │   ├── ConcurrencyLimitError     429 (and RESTlets' SSS_REQUEST_LIMIT_EXCEEDED)
    │   └── ServerError               5xx
    ├── TransportError                the request failed on the network
    │   ├── RequestTimeoutError       connect/read/write/pool timeout, or the call's deadline passed
    │   └── TLSConfigurationError     certificate or TLS setup problem (not retried: it fails the same way again)
    ├── WriteOutcomeUnknownError      a non-idempotent write may or may not have been applied
    ├── BatchOutcomeUnknownError      a batch item's write was sent, its outcome could not be learned
    ├── JobTimeoutError               an asynchronous job did not complete in the time given (also TimeoutError)
    ├── JobTasksMismatchError         a job's task listing cannot be matched to the items it was sent
    ├── CheckpointError               a batch checkpoint file cannot be used (also ValueError)
    │   └── CheckpointMismatchError   the checkpoint belongs to a different batch
    ├── SuiteQLOrderError             a SuiteQL result spans pages but its order is not unique (every row once?)
    ├── SuiteQLCapError               a SuiteQL query would pass the 100,000-row cap and cannot be keyset-paged
    ├── RecordListCapError            a record list reached NetSuite's cap or page limit and cannot continue
    ├── DateFormatRequiredError       a q filter holds a date and no account date format is set (also ValueError)
    ├── AccessDeniedError             an agent's access policy does not allow the call; nothing was sent
    ├── ProductionWriteError          probe writes on a production account without consent (also ValueError)
    ├── GovernorUnavailableError      the shared governor's backend (Redis) is unreachable
    └── TokenCacheUnavailableError    the shared token cache's Redis is unreachable

Every class is defined in this module; the modules that raise them re-export their own (e.g.
``netsuite_async.suiteql.SuiteQLCapError``), so either import works.

Every error keeps the attempts that led to it (``err.attempts``, ``err.history``) and never holds a secret: URL
query *values* are redacted, ``APIError.response`` is a detached copy without credentials, and `scrub_error`
cuts the HTTP library's exceptions out of ``__cause__``/``__context__`` (docs/internals.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Messages, mapping, body parsing, scrubbing and pickling are private modules that import this one only inside
# their functions (issue 16). Old pickles name the rebuild functions here, so they stay importable from this module.
from netsuite_async import _error_pickle as _pickle
from netsuite_async import _error_text as _text
from netsuite_async._error_parsing import error_for_status
from netsuite_async._error_pickle import _rebuild_api_error as _rebuild_api_error
from netsuite_async._error_pickle import _rebuild_mismatch as _rebuild_mismatch
from netsuite_async._error_pickle import _rebuild_transport_error as _rebuild_transport_error
from netsuite_async._error_pickle import _rebuild_unknown as _rebuild_unknown
from netsuite_async._error_pickle import _rebuild_write_outcome_unknown as _rebuild_write_outcome_unknown
from netsuite_async._error_scrub import _DetachedResponse, scrub_error

__all__ = [
    "APIError", "AccessDeniedError", "AuthenticationError", "BadRequestError", "BatchOutcomeUnknownError",
    "CheckpointError", "CheckpointMismatchError", "ConcurrencyLimitError", "ConflictError", "DateFormatRequiredError",
    "ErrorDetail", "GovernorUnavailableError", "JobTasksMismatchError", "JobTimeoutError", "NetSuiteError",
    "NotFoundError", "PermissionDeniedError", "ProductionWriteError", "ReauthorizationRequired", "RecordListCapError",
    "RequestTimeoutError", "ServerError", "SuiteQLCapError", "SuiteQLOrderError", "TLSConfigurationError",
    "TokenCacheUnavailableError", "TransportError", "WriteOutcomeUnknownError", "error_for_status", "scrub_error",
]


class NetSuiteError(Exception):
    """Base class of every error raised by netsuite-async.

    Examples:
        >>> try:
        ...     raise NotFoundError("GET", "https://x/services/rest/record/v1/customer/9", 404)
        ... except NetSuiteError as err:
        ...     err.status_code
        404
    """

    #: Failures of earlier attempts of the same call, oldest first (each an exception).
    history: list[BaseException]

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.history = []


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of NetSuite's ``o:errorDetails``.

    Examples:
        >>> ErrorDetail(detail="Invalid login attempt.", error_code="INVALID_LOGIN").error_code
        'INVALID_LOGIN'
    """

    detail: str = ""
    error_code: str | None = None
    error_path: str | None = None
    error_query_param: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class APIError(NetSuiteError):
    """NetSuite answered with a non-2xx status.

    Attributes: ``status_code``, ``error_code`` (the first ``o:errorCode``), ``details`` (every
    `ErrorDetail`), ``title``, ``method``, ``url`` (no secrets), ``attempts``, ``response_text`` (the
    first 2,000 characters of the body, for HTML pages from proxies) and ``response`` (the raw response, when
    kept).

    Examples:
        >>> err = APIError("GET", "https://x/services/rest/record/v1/customer/1", 400,
        ...                details=[ErrorDetail("Bad q", "INVALID_PARAMETER", error_query_param="q")])
        >>> str(err)
        "400 INVALID_PARAMETER: Bad q (query parameter 'q') [GET https://x/services/rest/record/v1/customer/1]"
    """

    def __init__(self, method: str, url: str, status_code: int, *, details: Sequence[ErrorDetail] = (),
                 title: str | None = None, response_text: str = "", attempts: int = 1, response: Any = None,
                 hints: Sequence[str] = ()) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.details = list(details)
        self.title = title
        self.response_text = response_text
        self.attempts = attempts
        self.response = response
        self.hints = list(hints)
        super().__init__(self._message())

    response: Any = _DetachedResponse()
    """The HTTP answer, as a detached ``httpx2.Response`` whose request holds no credential (or None).

    Its ``request`` has the method, the URL with query values redacted and the headers with
    ``Authorization``/``Cookie`` redacted; the body, status and headers of the answer are NetSuite's.
    """

    @property
    def error_code(self) -> str | None:
        """NetSuite's first ``o:errorCode`` (``INVALID_LOGIN``, ``CONCURRENCY_LIMIT_EXCEEDED`` …)."""
        return _text.first_code(self.details)

    @property
    def detail(self) -> str:
        """The first human-readable detail, or the title, or a snippet of a non-JSON body."""
        return _text.first_detail(self.details, self.title, self.response_text)

    def _message(self) -> str:
        return _text.api_error_message(self)

    __reduce__ = _pickle._reduce_api_error


class BadRequestError(APIError):
    """HTTP 400: invalid content, parameter or query (``INVALID_CONTENT``, ``INVALID_PARAMETER``, ``USER_ERROR``).

    Examples:
        >>> issubclass(BadRequestError, APIError)
        True
    """


class AuthenticationError(APIError):
    """HTTP 401 ``INVALID_LOGIN``: the credentials were refused. ``hints`` says what to check.

    Examples:
        >>> issubclass(AuthenticationError, APIError)
        True
    """


class ReauthorizationRequired(AuthenticationError):
    """The OAuth 2.0 refresh token expired or was revoked: a person must authorize the app again.

    Examples:
        >>> err = ReauthorizationRequired("POST", "https://x/token", 401,
        ...                               details=[ErrorDetail("refresh token expired")])
        >>> isinstance(err, AuthenticationError)
        True
    """


class PermissionDeniedError(APIError):
    """HTTP 403 ``INSUFFICIENT_PERMISSION``: the role may not do this.

    Examples:
        >>> issubclass(PermissionDeniedError, APIError)
        True
    """


class NotFoundError(APIError):
    """HTTP 404: no such record, type or path.

    Examples:
        >>> issubclass(NotFoundError, APIError)
        True
    """


class ConflictError(APIError):
    """HTTP 409: the request conflicts with the record's state.

    Examples:
        >>> issubclass(ConflictError, APIError)
        True
    """


class ConcurrencyLimitError(APIError):
    """HTTP 429 ``CONCURRENCY_LIMIT_EXCEEDED`` (or a RESTlet's ``SSS_REQUEST_LIMIT_EXCEEDED``), after retries.

    Examples:
        >>> issubclass(ConcurrencyLimitError, APIError)
        True
    """


class ServerError(APIError):
    """HTTP 5xx: NetSuite (or a proxy) failed.

    Examples:
        >>> issubclass(ServerError, APIError)
        True
    """


class TransportError(NetSuiteError):
    """The request failed on the network (connection refused or dropped, TLS, protocol error).

    ``reached_server`` is False when the request surely never reached NetSuite (connect errors, pool timeouts).

    Examples:
        >>> TransportError("GET", "https://x/r", "connection refused", reached_server=False).reached_server
        False
    """

    def __init__(self, method: str, url: str, message: str, *, reached_server: bool, attempts: int = 1) -> None:
        self.method = method
        self.url = url
        self.message = message
        self.reached_server = reached_server
        self.attempts = attempts
        super().__init__(self._message())

    def _message(self) -> str:
        return _text.transport_message(self.message, self.method, self.url, self.attempts)

    __reduce__ = _pickle._reduce_transport_error  # the default pickling calls __init__(*args): see _error_pickle


class TLSConfigurationError(TransportError):
    """The TLS handshake failed in a way that will not change on retry: a configuration problem.

    A certificate that does not verify (self-signed, unknown CA, expired, wrong host name; often a proxy that
    intercepts TLS), plain HTTP on an HTTPS port, or no TLS version or cipher in common. Fix the trust store
    (``SSL_CERT_FILE``, the ``truststore`` package, or an ``httpx2.AsyncClient(verify=...)``) or the URL.

    Examples:
        >>> err = TLSConfigurationError("GET", "https://x/r", "certificate verify failed", reached_server=False)
        >>> isinstance(err, TransportError), err.reached_server
        (True, False)
    """


class RequestTimeoutError(TransportError):
    """A connect, read, write or pool timeout, or the call's total deadline passed.

    Examples:
        >>> issubclass(RequestTimeoutError, TransportError)
        True
    """


class WriteOutcomeUnknownError(NetSuiteError):
    """A write that is not safe to repeat failed after it may have reached NetSuite.

    A POST create or transform that timed out, lost its connection or got a 5xx may have been applied; the message
    says why it was not retried. ``context`` holds what the caller passed to help check (record type,
    ``body_sha256``), ``__cause__`` the failure. See docs/records.md.

    Examples:
        >>> err = WriteOutcomeUnknownError("POST", "https://x/services/rest/record/v1/customer", "read timeout",
        ...                                context={"record_type": "customer"})
        >>> err.context["record_type"]
        'customer'
    """

    def __init__(self, method: str, url: str, reason: str, *, context: Mapping[str, str] | None = None,
                 attempts: int = 1) -> None:
        self.method = method
        self.url = url
        self.reason = reason
        self.context = dict(context or {})
        self.attempts = attempts
        super().__init__(_text.write_outcome_message(method, url, reason, self.context))

    __reduce__ = _pickle._reduce_write_outcome_unknown


class GovernorUnavailableError(NetSuiteError):
    """The shared governor's backend (e.g. Redis) cannot be reached, so no slot can be granted safely.

    Examples:
        >>> issubclass(GovernorUnavailableError, NetSuiteError)
        True
    """


class SuiteQLOrderError(NetSuiteError):
    """A SuiteQL result spans several pages, and its order does not tell every row apart.

    Without a unique sort order the rows of one offset page can come back on another (dropped and repeated
    rows), so ``client.suiteql.stream`` pages only a query ordered by a unique key it selects (``key``, default
    ``id``) and raises this before any row otherwise, saying what to add (``ORDER BY email, id``). See
    docs/suiteql.md.

    Examples:
        >>> err = SuiteQLOrderError("add ', id' to the ORDER BY")
        >>> isinstance(err, NetSuiteError), str(err)
        (True, "add ', id' to the ORDER BY")
    """


class RecordListCapError(NetSuiteError):
    """A record list reached NetSuite's 100,000-record cap or its 1,000-page limit and cannot be continued.

    ``client.records.list`` continues past the cap by ``id GREATER <last id>``; this says why it could not (see
    docs/records.md), before the iteration ends, so a truncated list never looks complete. Narrow ``q`` into
    ranges below the cap, or read the ids with SuiteQL (``SELECT id FROM <type> ORDER BY id``).

    Examples:
        >>> issubclass(RecordListCapError, NetSuiteError)
        True
    """


class AccessDeniedError(NetSuiteError):
    """An agent's `AccessPolicy` does not allow this call; nothing was sent.

    ``agent``, ``action`` (``"records.delete"``), ``target`` (``"customer 7"``), ``needed`` (the missing grant)
    and ``reason`` (what the agent has, or why a query was not understood) say what happened.

    Examples:
        >>> err = AccessDeniedError("support-bot", "records.delete", "customer 7", "full access to customer",
        ...                         "it has read access to customer")
        >>> err.needed, err.reason
        ('full access to customer', 'it has read access to customer')
        >>> str(err).startswith("agent 'support-bot' may not records.delete customer 7: it needs full access")
        True
    """

    def __init__(self, agent: str, action: str, target: str, needed: str, reason: str) -> None:
        super().__init__(_text.access_denied_message(agent, action, target, needed, reason))
        self.agent = agent
        self.action = action
        self.target = target
        self.needed = needed
        self.reason = reason

    __reduce__ = _pickle._reduce_access_denied


class JobTasksMismatchError(NetSuiteError):
    """A job's tasks cannot be matched to the items of its request with certainty.

    Task ``k`` of the listing answers for item ``k`` (task ids are never guessed from); another number of tasks
    than items, or a task listed twice, leaves that unknown, so no task result is handed out as an item's
    outcome (see docs/batch.md). The writes may have been applied: look them up before sending them again.

    Examples:
        >>> err = JobTasksMismatchError("42", expected=3, listed=2)
        >>> err.job_id, err.expected, err.listed
        ('42', 3, 2)
    """

    def __init__(self, job_id: str, *, expected: int, listed: int, reason: str | None = None) -> None:
        self.job_id = job_id
        self.expected = expected
        self.listed = listed
        why = reason or f"it lists {listed} task(s) for {expected} item(s)"
        super().__init__(f"the tasks of asynchronous job {job_id} cannot be matched to its items: {why}")

    __reduce__ = _pickle._reduce_mismatch


class DateFormatRequiredError(NetSuiteError, ValueError):
    """A record filter (``q``) holds a date, and the client does not know the account's date format.

    NetSuite reads ``q`` dates in the date format preference of the user the integration runs as (M/D/YYYY,
    D/M/YYYY, YYYY-MM-DD, …) and refuses other spellings, so the client never guesses. Raised before any request
    is sent; it is also a `ValueError`.

    The message says where NetSuite shows the preference to pass as ``NetSuiteClient(date_format=...)``;
    ``netsuite-async probe`` measures it (see docs/records.md).

    Examples:
        >>> issubclass(DateFormatRequiredError, ValueError)
        True
        >>> "date_format" in str(DateFormatRequiredError())
        True
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _text.DATE_FORMAT_REQUIRED)


class SuiteQLCapError(NetSuiteError):
    """A query would pass NetSuite's 100,000-row cap and cannot be continued by keyset.

    Raised before any row is yielded, so a result is never truncated silently. The message says why the query
    cannot be keyset-paged (no ``ORDER BY <key>``, key not selected, ...).

    Examples:
        >>> str(SuiteQLCapError("add ORDER BY id"))
        'add ORDER BY id'
    """


class JobTimeoutError(NetSuiteError, TimeoutError):
    """A job did not complete within the time given to `Job.wait`.

    The job keeps running in NetSuite; ``job_id`` lets you look at it later (``ns.jobs.get(job_id)``), and
    submitting the same request again with the same idempotency key returns the same job.

    Examples:
        >>> err = JobTimeoutError("42", 30.0)
        >>> err.job_id, isinstance(err, TimeoutError)
        ('42', True)
    """

    def __init__(self, job_id: str, timeout: float) -> None:
        self.job_id = job_id
        self.timeout = timeout
        super().__init__(f"asynchronous job {job_id} did not complete within {timeout:g} s; it may still run")
    __reduce__ = _pickle._reduce_job_timeout


class BatchOutcomeUnknownError(NetSuiteError):
    """The item's write was sent but its outcome could not be learned (network, timeouts, NetSuite errors).

    It may or may not have been applied; the message says what to do. With a checkpoint (``checkpoint`` names
    it), running the batch again with the same input resends the same idempotency keys and resolves the item
    without applying it twice; without one, new keys are sent (see docs/batch.md).

    Examples:
        >>> err = BatchOutcomeUnknownError("job 7 could not be read", checkpoint="run.ckpt")
        >>> "run.ckpt" in str(err)
        True
        >>> "checkpoint=" in str(BatchOutcomeUnknownError("job 7 could not be read"))
        True
    """

    def __init__(self, reason: str, *, checkpoint: str | os.PathLike[str] | None = None) -> None:
        self.reason = reason
        self.checkpoint = None if checkpoint is None else str(checkpoint)
        super().__init__(_text.batch_unknown_message(reason, self.checkpoint))

    __reduce__ = _pickle._reduce_unknown


class ProductionWriteError(NetSuiteError, ValueError):
    """``probe(writes=True)`` on a production account id without ``allow_production_writes=True``.

    Examples:
        >>> issubclass(ProductionWriteError, ValueError)
        True
    """


class CheckpointError(NetSuiteError, ValueError):
    """The checkpoint file cannot be used (corrupt, or not a checkpoint); also a `ValueError`.

    Examples:
        >>> issubclass(CheckpointError, ValueError)
        True
    """


class CheckpointMismatchError(CheckpointError):
    """The checkpoint belongs to a different batch (other operation, record type or input).

    Resuming it would send other data under the old idempotency keys, so it is refused before any request.

    Examples:
        >>> issubclass(CheckpointMismatchError, CheckpointError)
        True
    """


class TokenCacheUnavailableError(NetSuiteError):
    """The shared token cache's Redis cannot be reached.

    Examples:
        >>> issubclass(TokenCacheUnavailableError, NetSuiteError)
        True
    """
