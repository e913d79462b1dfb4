"""Governance: the account's concurrency limit and ``GET /system/v1/governanceLimits``.

NetSuite limits concurrent requests per account, not requests per second. A request that arrives while
``limit`` requests are already in flight is refused at once: REST answers 429 ``CONCURRENCY_LIMIT_EXCEEDED``,
RESTlets answer 400 ``SSS_REQUEST_LIMIT_EXCEEDED``. The slot is taken after authentication and held until the
answer is ready (latency included), so slow answers are what make later requests over the limit.

Public OAuth 2.0 endpoints (token, revoke, authorize) are not counted: whether NetSuite counts them is not
documented, and the client deliberately fetches tokens outside its governor.

Examples:
    ```python
    gate = ConcurrencyGate(limit=5)
    if gate.try_enter():
        try: ...
        finally: gate.leave()
    ```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsuite_async.testing._app import EmuRequest, EmuResponse, Router, json_response, ns_error

if TYPE_CHECKING:
    from netsuite_async.testing._state import EmulatorState

__all__ = ["LIMIT_DETAIL", "ConcurrencyGate", "register"]

LIMIT_DETAIL = "Concurrent request limit exceeded. Request blocked."


class ConcurrencyGate:
    """Counts in-flight requests for the account and refuses the one over the limit.

    Not a lock: the emulator runs on one event loop, so plain integers are enough and cost nothing.

    Examples:
        ```python
        gate = ConcurrencyGate(limit=2)
        assert gate.try_enter() and gate.try_enter() and not gate.try_enter()
        ```
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"concurrency limit must be >= 1, got {limit}")
        self.limit = limit
        self.in_flight = 0
        self.max_in_flight = 0

    def try_enter(self) -> bool:
        """Take a slot; False when the account is already at its limit.

        Examples:
            ```python
            if not gate.try_enter(): return too_many()
            ```
        """
        if self.in_flight >= self.limit:
            return False
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight
        return True

    def leave(self) -> None:
        """Give the slot back.

        Examples:
            ```python
            gate.leave()
            ```
        """
        self.in_flight -= 1


def register(router: Router, emu: EmulatorState) -> None:
    """Add ``GET /system/v1/governanceLimits``.

    Examples:
        ```python
        register(router, emu)
        ```
    """

    async def governance_limits(req: EmuRequest) -> EmuResponse:
        if not emu.config.governance_readable:
            return ns_error(
                403,
                "INSUFFICIENT_PERMISSION",
                "Permission Violation: You need the 'Integration Governance' permission to access this page.",
            )
        limit = emu.config.concurrency
        integration = emu.config.integration_limit
        body: dict[str, object] = {
            "accountConcurrencyLimit": limit,
            # Every share given to a specific integration (this one's and others') leaves the unallocated pool.
            "accountUnallocatedConcurrencyLimit": emu.config.unallocated,
            "integrationLimitType": "integrationSpecific" if integration else "accountLimit",
        }
        if integration:
            body["integrationConcurrencyLimit"] = integration
        return json_response(body)

    router.add("GET", "/system/v1/governanceLimits", governance_limits, name="system.governanceLimits")
