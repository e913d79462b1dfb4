"""What the emulator's route modules and services may use of the emulator: the `EmulatorState` protocol.

Route modules (``_records_routes``, ``_jobs_routes``, ``_suiteql_routes``, ``_metadata_routes``,
``_governance``, ``_restlets``, ``_auth``) and the services behind them (`RecordService`, `JobManager`,
`RestletRegistry`) take an `EmulatorState`, never the `Emulator` class: they see the account's configuration
and dialect, its store, counters and services, and nothing of the request pipeline (router, gate, faults,
latency, request log). `Emulator` satisfies the protocol; so can a smaller stand-in in a test.

Every route module exposes one registration function of the same shape, ``register(router, state)``; the
`Emulator` builds its router by calling them in the order of ``ROUTE_MODULES`` (``_emulator.py``).

Examples:
    ```python
    def register(router: Router, state: EmulatorState) -> None:
        async def hello(req: EmuRequest) -> EmuResponse:
            return json_response({"account": state.config.account})
        router.add("GET", "/demo/v1/hello", hello, name="demo.hello")
    ```
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from netsuite_async.testing._auth import EmulatorAuth
    from netsuite_async.testing._auth_credentials import EmulatorCredentials
    from netsuite_async.testing._config import EmulatorConfig
    from netsuite_async.testing._counters import Counters
    from netsuite_async.testing._jobs import JobManager
    from netsuite_async.testing._records_domain import RecordService
    from netsuite_async.testing._restlets import RestletRegistry
    from netsuite_async.testing._router import Router
    from netsuite_async.testing._store import Store

__all__ = ["EmulatorState", "RouteRegistration"]


class EmulatorState(Protocol):
    """The emulator as its route modules and services see it (`Emulator` satisfies it).

    Attributes:
        config: the account's `EmulatorConfig`; ``config.dialect`` holds the `Dialect`.
        rng: the emulator's seeded random generator.
        store: the record store (SQLite).
        counters: what tests assert on (`Counters`).
        auth: credentials checks and the OAuth 2.0 server (`EmulatorAuth`).
        credentials: the account's fake credentials.
        restlets: the deployed RESTlet handlers (`RestletRegistry`).
        jobs: the async-job service (`JobManager`).
        records: the record operations (`RecordService`).

    Examples:
        ```python
        def rows_per_page(state: EmulatorState) -> int:
            return min(1000, state.config.max_results)
        ```
    """

    config: EmulatorConfig
    rng: random.Random
    store: Store
    counters: Counters
    auth: EmulatorAuth
    credentials: EmulatorCredentials
    restlets: RestletRegistry
    jobs: JobManager
    records: RecordService

    def record_write(self, record_type: str | None = None, body: Any = None, *, create: bool = False) -> None:
        """Count one applied write (a create whose canonical body was seen before is a duplicate).

        Examples:
            ```python
            state.record_write("customer", body, create=True)
            ```
        """
        ...


#: The one registration shape every route module exposes: ``register(router, state)``.
RouteRegistration = Callable[["Router", EmulatorState], None]
