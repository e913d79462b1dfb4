"""The token endpoint's path through the transport: form POSTs to OAuth endpoints, outside the governor.

`_TokenEndpoint` is the part of `Transport` that sends them (split out of ``transport.py``): the retry policy,
deadline and error mapping of ``Transport.send``, but unsigned and never holding a governor slot.

Examples:
    >>> from netsuite_async.transport import Transport
    >>> issubclass(Transport, _TokenEndpoint)
    True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import anyio

from netsuite_async._http import AsyncClient, Request, Response, httpx2, redacted_url
from netsuite_async._requests import RequestSpec
from netsuite_async._responses import (
    _deadline_scope,
    _Failure,
    _is_json_object,
    _not_reached,
    _reason,
    _ResponseMapping,
)
from netsuite_async.auth.base import TokenResponse
from netsuite_async.errors import ConcurrencyLimitError, error_for_status, scrub_error
from netsuite_async.retry import RetryEvent

__all__: list[str] = []

logger = logging.getLogger("netsuite_async.transport")


class _TokenEndpoint(_ResponseMapping):
    """`Transport`'s token-endpoint requests."""

    http: AsyncClient
    _headers: dict[str, str]

    async def token_form(
        self, url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> TokenResponse:
        """`post_form`, answered as a `TokenResponse`: the seam the transport hands to auth.

        `Transport` gives this to the `AuthContext` it is made with (``AuthContext.post_form`` calls it), so a
        provider's token fetch reaches the network through the transport and never calls back into the client.

        Examples:
            >>> async def fetch(transport: Transport, url: str) -> int:
            ...     return (await transport.token_form(url, {"grant_type": "client_credentials"})).status_code
        """
        # Token requests skip the governor (they must not wait behind, or hold, the slots of requests that are
        # themselves waiting for a token) but share the retry policy, deadline, timeouts and error mapping.
        resp = await self.post_form(url, data, headers)
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        return TokenResponse(resp.status_code, body, resp.text)

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


