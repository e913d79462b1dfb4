"""NetSuiteClient: the composition root. One per application (or ETL job), shared by every task."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from netsuite_async._base_urls import url_root
from netsuite_async._call_options import check_headers, check_timeout
from netsuite_async._checks import is_int
from netsuite_async._http import AsyncBaseTransport, AsyncClient, Limits, Response, build_client, is_in_process
from netsuite_async._logging import redact_httpx2_logs
from netsuite_async.account import Account
from netsuite_async.auth.base import AuthContext, TokenProvider
from netsuite_async.errors import APIError
from netsuite_async.governor import AdaptiveGovernor, Governor, ServiceTier
from netsuite_async.retry import RetryPolicy, positive_seconds
from netsuite_async.telemetry import Hooks, Telemetry
from netsuite_async.transport import Params, RequestSpec, Transport

if TYPE_CHECKING:
    from netsuite_async.agent import AgentClient
    from netsuite_async.audit import AuditLog
    from netsuite_async.batch import Batch
    from netsuite_async.jobs import Jobs
    from netsuite_async.metadata import Metadata
    from netsuite_async.policy import AccessPolicy
    from netsuite_async.records import Records
    from netsuite_async.restlets import Restlets
    from netsuite_async.suiteql import SuiteQL

__all__ = ["AUTO_FALLBACK_LIMIT", "NetSuiteClient", "Timeouts", "build_http_client", "pool_limits"]

logger = logging.getLogger("netsuite_async.client")

#: The limit used by ``concurrency="auto"`` when the role may not read governanceLimits: the smallest tier's,
#: so a guess can never push an account over its limit.
AUTO_FALLBACK_LIMIT = 5

Concurrency = int | ServiceTier | Literal["auto"]

# Connection cap for concurrency="auto": above any real account's limit (Tier 2 + 48 SuiteCloud Plus licences).
_AUTO_POOL_SIZE = 500


@dataclass(frozen=True)
class Timeouts:
    """Per-attempt timeouts in seconds. The total per call is the RetryPolicy's ``deadline``.

    NetSuite lets a synchronous request run up to 15 minutes server-side; ``read`` is the time to wait for an
    answer to one attempt.

    Examples:
        >>> Timeouts(read=60).connect
        10.0
    """

    connect: float = 10.0
    read: float = 180.0
    write: float = 60.0
    pool: float = 60.0

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, positive_seconds(f"timeout {f.name}", getattr(self, f.name)))



class NetSuiteClient:
    """An async client for one NetSuite account, sized to its concurrency limit.

    Examples:
        >>> from netsuite_async import NetSuiteClient, TokenAuth
        >>> async def main() -> None:
        ...     async with NetSuiteClient(
        ...         "1234567_SB1",
        ...         auth=TokenAuth(consumer_key="…", consumer_secret="…", token_id="…", token_secret="…"),
        ...         concurrency=15,
        ...     ) as ns:
        ...         customer = await ns.records.get("customer", 1, fields=["email"])

    ``concurrency`` is an int, a `ServiceTier` (with its SuiteCloud Plus licences), or
    ``"auto"`` (read ``/system/v1/governanceLimits`` before the first request; the integration's own limit when
    one is set, else the account's *unallocated* limit, which every integration without a share of its own draws
    from; ``AUTO_FALLBACK_LIMIT`` with a warning when the role may not read it). Pass ``governor=`` instead to share
    one limit across processes (``RedisGovernor``).

    ``base_url`` and ``restlet_base_url`` must be ``https://`` (credentials travel in every request) unless the
    host is loopback (``127.0.0.0/8``, ``::1``, ``localhost``), the ``http_client`` answers in process
    (``httpx2.ASGITransport`` or ``httpx2.MockTransport``, as `FakeNetSuite` uses),
    or ``allow_insecure_http=True`` says you accept sending credentials in clear text (a TLS-terminating sidecar on
    a private network). A ``user:password@`` part is refused. ``http_client`` must be an ``httpx2.AsyncClient``.

    ``date_format`` is the account's date format preference, ``"M/D/YYYY"``, ``"D/M/YYYY"`` or ``"YYYY-MM-DD"``
    (NetSuite: *Home › Set Preferences › General › Date Format* for the integration's user; the company default
    is at *Setup › Company › General Preferences*; ``netsuite-async probe`` measures it). Record filters write
    `datetime.date` values in it; without it a date filter raises
    `DateFormatRequiredError` instead of guessing.
    """

    def __init__(
        self,
        account: str | Account,
        auth: TokenProvider,
        *,
        concurrency: Concurrency = 5,
        governor: Governor | None = None,
        adaptive: bool = True,
        base_url: str | None = None,
        restlet_base_url: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: Timeouts | float | None = None,
        http_client: AsyncClient | None = None,
        property_name_validation: Literal["Error", "Warning", "Ignore"] | None = None,
        headers: Mapping[str, str] | None = None,
        tracing: bool = True,
        hooks: Hooks | None = None,
        allow_insecure_http: bool = False,
        policy: AccessPolicy | None = None,
        audit: AuditLog | None = None,
        date_format: str | None = None,
    ) -> None:
        self.account = Account.parse(account)
        if http_client is not None and not isinstance(http_client, AsyncClient):
            kind = f"{type(http_client).__module__}.{type(http_client).__qualname__}"
            raise TypeError(
                f"http_client must be an httpx2.AsyncClient, not {kind}: the transport maps httpx2's exceptions to "
                "typed errors and retries (a plain httpx client's failures would skip both)"
            )
        if not isinstance(allow_insecure_http, bool):
            raise TypeError("allow_insecure_http must be a bool")
        in_process = http_client is not None and is_in_process(http_client)
        #: Per-agent access policy (see :meth:`as_agent`) and the audit log of every call (docs/agents.md).
        self.policy = policy
        self.audit = audit
        if policy is not None or audit is not None:
            from netsuite_async.agent import check_options

            check_options(policy, audit)
        from netsuite_async.records import check_date_format

        #: The account's date format preference (``"M/D/YYYY"``, ``"D/M/YYYY"`` or ``"YYYY-MM-DD"``), used to write
        #: :class:`datetime.date` values in record filters; None until set (a date filter then raises
        #: :class:`~netsuite_async.errors.DateFormatRequiredError`).
        self.date_format = check_date_format(date_format)
        if not hasattr(auth, "sign") or not hasattr(auth, "on_unauthorized"):
            raise TypeError("auth must be a TokenProvider (TokenAuth, ClientCredentials, AuthorizationCode, "
                            f"BearerToken or your own), not {type(auth).__name__}")
        self.auth = auth
        if property_name_validation not in (None, "Error", "Warning", "Ignore"):
            raise ValueError("property_name_validation must be 'Error', 'Warning', 'Ignore' or None")
        self.property_name_validation = property_name_validation
        if timeout is None or isinstance(timeout, Timeouts):
            timeouts = timeout or Timeouts()
        else:
            seconds = positive_seconds("timeout", timeout)
            timeouts = Timeouts(connect=seconds, read=seconds, write=seconds, pool=seconds)
        self.timeouts = timeouts
        self.concurrency = concurrency
        self.governor: Governor = governor if governor is not None else AdaptiveGovernor(
            _ceiling(concurrency), adaptive=adaptive
        )
        insecure_ok = allow_insecure_http or in_process
        self.rest_base_url = (
            url_root(base_url, "base_url", insecure_ok) if base_url not in (None, "") else self.account.rest_base_url
        )
        if restlet_base_url not in (None, ""):
            self.restlet_base_url = url_root(restlet_base_url, "restlet_base_url", insecure_ok)
        else:
            self.restlet_base_url = self.rest_base_url if base_url else self.account.restlet_base_url
        self.app_base_url = self.rest_base_url if base_url else self.account.app_base_url

        self._owns_http = http_client is None
        # The governor, not the pool, must be what makes requests wait (a request waiting for a connection holds
        # its slot). "auto" learns the limit only later and a pool cannot grow, so it gets a cap above any real
        # account's limit; a supplied governor (Redis) says its own ceiling.
        if governor is not None:
            sized_for = governor.stats().ceiling
        elif concurrency == "auto":
            sized_for = _AUTO_POOL_SIZE
        else:
            sized_for = _ceiling(concurrency)
        self.http = http_client if http_client is not None else build_http_client(sized_for, timeouts=timeouts)
        if hooks is not None and not isinstance(hooks, Hooks):
            raise TypeError(f"hooks must be a netsuite_async.Hooks, not {type(hooks).__name__}")
        if not isinstance(tracing, bool):
            raise TypeError("tracing must be True or False")
        self.telemetry = Telemetry(enabled=tracing, hooks=hooks, governor=self.governor)
        self.auth_context = AuthContext.for_base(
            self.account, self.rest_base_url, self.app_base_url, post_form=None
        )
        self.transport = Transport(
            http=self.http,
            governor=self.governor,
            auth=auth,
            auth_context=self.auth_context,
            retry=retry or RetryPolicy(),
            rest_base_url=self.rest_base_url,
            restlet_base_url=self.restlet_base_url,
            read_timeout=timeouts.read,
            default_headers=headers,
            telemetry=self.telemetry,
        )
        self.auth_context = self.transport.auth_context  # bound to the transport's token_form
        if concurrency == "auto" and governor is None:
            self.transport.on_first_request(self._resolve_auto_limit)
        # httpx2 logs every request's full URL at INFO: redact the query values of this client's hosts.
        redact_httpx2_logs(self.rest_base_url, self.restlet_base_url, self.app_base_url)
        self._closed = False
        self._is_view = False
        if audit is not None:
            from netsuite_async.agent import install_root_audit

            install_root_audit(self, audit)

    # -- lifecycle --------------------------------------------------------------------------------------------
    async def __aenter__(self) -> NetSuiteClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (when the client made it) and the governor. Safe to call twice.

        A view made by `with_options` closes nothing: the client it came from owns the pool.
        """
        if self._closed or self._is_view:
            return
        self._closed = True
        try:
            await self.governor.aclose()
        finally:
            if self._owns_http:
                await self.http.aclose()

    def __repr__(self) -> str:
        return (f"NetSuiteClient(account={self.account.account_id!r}, base_url={self.rest_base_url!r}, "
                f"auth={self.auth!r})")

    # -- raw access -------------------------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send a raw request to ``path`` under ``/services/rest``; 2xx returns the response, else a typed error.

        Examples:
            >>> async def raw(ns: NetSuiteClient) -> dict:
            ...     resp = await ns.request("GET", "/record/v1/customer/1")
            ...     return resp.json()
        """
        return await self.transport.send(
            RequestSpec(method, path, params=params, json=json, content=content, headers=headers,
                        timeout=timeout, idempotent=idempotent)
        )

    def with_options(
        self,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> NetSuiteClient:
        """A lightweight view of this client with overrides applied to every call made through it.

        The view shares the connection pool, the governor (so the account limit holds across the client and all
        its views), the auth provider, the hooks and the counters; closing it closes nothing. ``timeout`` is the
        per-attempt read timeout in seconds (the total per call is ``retry``'s ``deadline``); ``headers`` are
        added to (and override) the client's default headers. Every resource method also takes ``timeout=`` and
        ``headers=`` for one call (docs/observability.md, "Per-call options"); the values are checked the same way.

        Examples:
            >>> from netsuite_async import BearerToken
            >>> ns = NetSuiteClient("1234567", BearerToken("t"), concurrency=5)
            >>> slow = ns.with_options(timeout=600, retry=RetryPolicy(max_attempts=2))
            >>> slow.governor is ns.governor, slow.http is ns.http
            (True, True)
        """
        # The same checks as every resource method's per-call timeout= and headers= (_call_options.py).
        seconds = check_timeout(timeout)
        extra = check_headers(headers)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
        view = object.__new__(type(self))
        view.__dict__.update({k: v for k, v in self.__dict__.items() if not _is_namespace(k)})
        base = self.transport
        view.transport = base.derive(retry=retry, timeout=seconds, headers=extra)
        view._owns_http = False
        view._is_view = True
        if self.audit is not None:
            from netsuite_async.agent import install_root_audit

            install_root_audit(view, self.audit)
        return view

    def as_agent(self, name: str) -> AgentClient:
        """A view of this client for agent ``name`` of its ``policy``: same pool, governor and auth; every call
        checked before anything is sent (`AccessDeniedError` when denied) and audited.

        Examples:
            >>> async def lookup(ns: NetSuiteClient) -> dict:
            ...     return await ns.as_agent("support-bot").records.get("customer", 1)
        """
        from netsuite_async.agent import AgentClient

        return AgentClient(self, name)

    # -- API namespaces ---------------------------------------------------------------------------------------
    @cached_property
    def records(self) -> Records:
        """Record service: get, create, update, upsert, delete, transform, list. See `Records`."""
        from netsuite_async.records import Records

        return Records(self.transport, self.jobs, property_name_validation=self.property_name_validation,
                       date_format=self.date_format)

    @cached_property
    def suiteql(self) -> SuiteQL:
        """SuiteQL queries: page, stream (parallel, past the 100,000-row cap), all, count."""
        from netsuite_async.suiteql import SuiteQL

        return SuiteQL(self.transport)

    @cached_property
    def batch(self) -> Batch:
        """Bulk writes with one result per input, exactly once."""
        from netsuite_async.batch import Batch

        return Batch(self.transport, self.jobs, self.records)

    @cached_property
    def jobs(self) -> Jobs:
        """Asynchronous requests (``Prefer: respond-async``) and their jobs."""
        from netsuite_async.jobs import Jobs

        return Jobs(self.transport)

    @cached_property
    def restlets(self) -> Restlets:
        """RESTlet calls on the RESTlets host."""
        from netsuite_async.restlets import Restlets

        return Restlets(self.transport)

    @cached_property
    def metadata(self) -> Metadata:
        """The metadata catalog: record types, JSON Schema, OpenAPI."""
        from netsuite_async.metadata import Metadata

        return Metadata(self.transport, account=self.account, rest_base_url=self.rest_base_url)

    def changes(self, record_type: str, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        """New and updated records of a type, polled through SuiteQL (NetSuite has no webhooks).

        See `netsuite_async.changes.changes` for the arguments (``since``, ``poll_interval``,
        ``checkpoint`` …).

        Examples:
            >>> async def follow(ns: NetSuiteClient) -> None:
            ...     async for row in ns.changes("customer", since="2026-01-01T00:00:00Z"):
            ...         print(row["id"])
        """
        from netsuite_async.changes import changes

        return changes(self, record_type, **kwargs)

    # -- internals --------------------------------------------------------------------------------------------
    async def _resolve_auto_limit(self) -> None:
        try:
            resp = await self.transport._send(RequestSpec("GET", "/system/v1/governanceLimits"))
            body = resp.json()
            limit = _limit_from_governance(body)
        except (APIError, ValueError, TypeError, KeyError) as exc:  # refused, or an answer we cannot read
            logger.warning(
                "concurrency='auto': could not read /system/v1/governanceLimits (%s); using %d, the smallest "
                "tier's limit. Give the role access, or pass concurrency=<int or ServiceTier>.",
                exc.__class__.__name__, AUTO_FALLBACK_LIMIT,
            )
            limit = AUTO_FALLBACK_LIMIT
        self.governor.set_ceiling(limit)


_NAMESPACES = frozenset({"records", "suiteql", "batch", "jobs", "restlets", "metadata"})


def _is_namespace(name: str) -> bool:
    # Cached API namespaces are bound to the client they were made on; a view makes its own.
    return name in _NAMESPACES


def build_http_client(
    concurrency: int | ServiceTier,
    *,
    timeouts: Timeouts | None = None,
    transport: AsyncBaseTransport | None = None,
) -> AsyncClient:
    """The pooled ``httpx2.AsyncClient`` the library builds, sized so the governor, not the pool, makes requests
    wait; pass it as ``NetSuiteClient(http_client=...)``. ``transport`` lets you put your own httpx2 transport
    under it (a proxy, a recorder, a mock) and keep the timeouts.

    The pool holds ``max(concurrency, 10) + 5`` keep-alive connections (`pool_limits`): a request waiting for a
    connection would hold its governor slot, so the pool must never be the tighter limit. A network transport you
    pass owns its pool (httpx2 sizes only the pool it builds itself): build it with
    ``limits=pool_limits(concurrency)``, as in ``httpx2.AsyncHTTPTransport(proxy=..., limits=pool_limits(15))``.

    Examples:
        >>> http = build_http_client(15)
        >>> http.timeout.read
        180.0
    """
    timeouts = timeouts or Timeouts()
    return build_client(
        limits=pool_limits(concurrency),
        connect_timeout=timeouts.connect,
        read_timeout=timeouts.read,
        write_timeout=timeouts.write,
        pool_timeout=timeouts.pool,
        transport=transport,
    )


def pool_limits(concurrency: int | ServiceTier) -> Limits:
    """The connection-pool limits the library uses for ``concurrency`` (``max(limit, 10) + 5`` connections, all
    kept alive for 30 s), for a network transport of your own under `build_http_client`.

    Examples:
        >>> pool_limits(15).max_connections, pool_limits(3).max_keepalive_connections
        (20, 15)
    """
    limit = concurrency.limit if isinstance(concurrency, ServiceTier) else _ceiling(concurrency)
    size = max(limit, 10) + 5
    return Limits(max_connections=size, max_keepalive_connections=size, keepalive_expiry=30.0)


def _limit_from_governance(body: Any) -> int:
    """The limit this integration may use, from a governanceLimits answer.

    An integration with a share of its own (``integrationLimitType: integrationSpecific``) uses that share. Every
    other integration draws from the account's *unallocated* limit (the account limit minus every share given
    to specific integrations), not from the whole account limit; older answers without the unallocated field
    fall back to the account limit.
    """
    if not isinstance(body, Mapping):
        raise ValueError("governanceLimits answer is not an object")
    integration = body.get("integrationConcurrencyLimit")
    kind = body.get("integrationLimitType")
    unallocated = body.get("accountUnallocatedConcurrencyLimit")
    if integration is not None and kind in (None, "integrationSpecific"):
        value = int(integration)
    elif unallocated is not None:
        value = int(unallocated)
        if value < 1 and int(body["accountConcurrencyLimit"]) >= 1:
            logger.warning(
                "concurrency='auto': every slot of the account is allocated to specific integrations "
                "(accountUnallocatedConcurrencyLimit=%d); using 1. Give this integration a share on the "
                "Integration Governance page.", value,
            )
            value = 1
    else:
        value = int(body["accountConcurrencyLimit"])
    if value < 1:
        raise ValueError("governanceLimits reported a limit below 1")
    return value


def _ceiling(concurrency: Concurrency) -> int:
    if isinstance(concurrency, ServiceTier):
        return concurrency.limit
    if concurrency == "auto":
        return AUTO_FALLBACK_LIMIT
    if not is_int(concurrency):
        raise TypeError(f"concurrency must be an int, a ServiceTier or 'auto', not {concurrency!r}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    return concurrency
