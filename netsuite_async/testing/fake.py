"""``FakeNetSuite``: the emulator in process, no sockets (httpx2's ASGI transport).

Examples:
    ```python
    async with FakeNetSuite(concurrency=5, latency=0.02, seed={"customers": 10}) as fake:
        async with fake.client() as ns:
            customer = await ns.records.get("customer", 1)
        assert fake.emulator.counters.max_in_flight <= 5
    ```
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from netsuite_async.testing._dialect import Dialect
from netsuite_async.testing._emulator import Emulator, EmulatorConfig

if TYPE_CHECKING:
    from netsuite_async.client import NetSuiteClient

__all__ = ["DEFAULT_BASE_URL", "FakeNetSuite"]

DEFAULT_BASE_URL = "http://emulator.test"


class FakeNetSuite:
    """One emulated account served in process; ``client()`` makes NetSuiteClients wired to it.

    ``fake.emulator`` is the state (counters, request log, faults, store, restlets, auth),
    ``dialect`` chooses how the emulator answers where NetSuite's documentation is silent (a ``Dialect``, a dict
    of its fields, ``"strictest"`` or a dialect file written by ``netsuite-async probe --out``).
    ``fake.credentials`` every credential the account accepts (secrets masked in repr), ``fake.app`` the ASGI
    app, ``fake.base_url`` the origin clients use (every NetSuite host maps onto it).

    Examples:
        ```python
        async with FakeNetSuite(seed={"customers": 100}) as fake:
            async with fake.client(auth=TokenAuth(
                fake.credentials.consumer_key, fake.credentials.consumer_secret,
                fake.credentials.token_id, fake.credentials.token_secret)) as ns:
                page = await ns.request("GET", "/record/v1/customer", params={"limit": 10})
        ```
    """

    def __init__(
        self,
        account: str = "1234567_SB1",
        concurrency: int = 5,
        latency: float = 0.0,
        jitter: float = 0.0,
        seed: Mapping[str, int] | None = None,
        batch_collections: bool = True,
        governance_readable: bool = True,
        rng_seed: int = 0,
        *,
        base_url: str = DEFAULT_BASE_URL,
        route_latency: Mapping[str, tuple[float, float]] | None = None,
        integration_limit: int | None = None,
        allocated_to_others: int = 0,
        dialect: Dialect | Mapping[str, Any] | str | None = None,
        config: EmulatorConfig | None = None,
    ) -> None:
        if config is not None and dialect is not None:
            raise ValueError("pass dialect inside config=EmulatorConfig(dialect=...), not both")
        if config is None:
            config = EmulatorConfig(
                account=account,
                concurrency=concurrency,
                latency=latency,
                jitter=jitter,
                batch_collections=batch_collections,
                governance_readable=governance_readable,
                rng_seed=rng_seed,
                route_latency=dict(route_latency or {}),
                integration_limit=integration_limit,
                allocated_to_others=allocated_to_others,
                dialect=Dialect.coerce(dialect),
            )
        if not base_url.startswith(("http://", "https://")) or base_url.endswith("/"):
            raise ValueError("base_url must look like 'http://host[:port]' without a trailing slash")
        self.config = config
        self.base_url = base_url
        self.emulator = Emulator(config)
        if seed:
            from netsuite_async.testing._seed import seed as _seed

            _seed(self.emulator, seed)
        self._http_clients: list[Any] = []

    @property
    def app(self) -> Any:
        """The ASGI app (for httpx2.ASGITransport or any ASGI server).

        Examples:
            ```python
            transport = httpx2.ASGITransport(app=fake.app)
            ```
        """
        return self.emulator.app

    @property
    def credentials(self) -> Any:
        """Every credential the emulated account accepts (``EmulatorCredentials``).

        Examples:
            ```python
            token = fake.credentials.static_token
            ```
        """
        return self.emulator.credentials

    @property
    def counters(self) -> Any:
        """Shortcut for ``fake.emulator.counters``.

        Examples:
            ```python
            assert fake.counters.limited == 0
            ```
        """
        return self.emulator.counters

    async def __aenter__(self) -> FakeNetSuite:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every HTTP client made by ``client()`` / ``http_client()``.

        Examples:
            ```python
            await fake.aclose()
            ```
        """
        clients, self._http_clients = self._http_clients, []
        for c in clients:
            await c.aclose()

    def http_client(self, **kwargs: Any) -> Any:
        """A raw ``httpx2.AsyncClient`` talking to the emulator in process (closed with the fake).

        Examples:
            ```python
            http = fake.http_client(headers={"Authorization": f"Bearer {fake.credentials.static_token}"})
            r = await http.get("/services/rest/record/v1/customer/1")
            ```
        """
        from netsuite_async._http import ASGITransport, AsyncClient

        client = AsyncClient(transport=ASGITransport(app=self.app), base_url=self.base_url, **kwargs)
        self._http_clients.append(client)
        return client

    def client(self, auth: Any = None, **kwargs: Any) -> NetSuiteClient:
        """A ``NetSuiteClient`` for this account, talking to the emulator in process.

        ``auth`` defaults to ``BearerToken(fake.credentials.static_token)``; other keyword arguments go to
        ``NetSuiteClient`` (``concurrency`` defaults to what this integration may use: its own share, else the
        account's unallocated limit). ``date_format`` is not defaulted from the dialect, so a test's client is
        configured like the production one.

        Examples:
            ```python
            async with fake.client(concurrency=3) as ns:
                await ns.records.create("customer", {"companyName": "Acme"})
            ```
        """
        from netsuite_async.client import NetSuiteClient

        if auth is None:
            from netsuite_async.auth.bearer import BearerToken

            auth = BearerToken(self.credentials.static_token)
        kwargs.setdefault("concurrency", self.config.integration_limit or self.config.unallocated)
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("restlet_base_url", self.base_url)
        if "http_client" not in kwargs:
            kwargs["http_client"] = self.http_client()
        return NetSuiteClient(self.config.account, auth, **kwargs)
