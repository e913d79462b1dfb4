"""concurrency="auto": an integration without a share of its own uses the account's *unallocated* limit.

The emulator reports governanceLimits the way NetSuite does: the account limit, the unallocated limit (the account
limit minus every integration-specific share, this integration's and other integrations'), and this integration's
own share when it has one. It admits an integration without a share only up to the unallocated limit.
"""

from __future__ import annotations

import anyio
import pytest

from netsuite_async.testing import FakeNetSuite
from netsuite_async.testing._emulator import EmulatorConfig

pytestmark = pytest.mark.anyio

LIMITS = "/services/rest/system/v1/governanceLimits"


@pytest.mark.parametrize(
    ("concurrency", "integration_limit", "allocated_to_others", "unallocated", "kind", "auto_limit"),
    [
        (20, None, 0, 20, "accountLimit", 20),
        (20, None, 8, 12, "accountLimit", 12),
        (25, 10, 5, 10, "integrationSpecific", 10),
        (15, 15, 0, 0, "integrationSpecific", 15),
        (65, None, 60, 5, "accountLimit", 5),
    ],
    ids=["nothing-allocated", "others-have-shares", "own-share", "own-share-is-everything", "suitecloud-plus"],
)
async def test_governance_limits_report_the_unallocated_pool_and_auto_uses_it(
    concurrency: int, integration_limit: int | None, allocated_to_others: int, unallocated: int, kind: str,
    auto_limit: int,
) -> None:
    async with FakeNetSuite(
        concurrency=concurrency, integration_limit=integration_limit, allocated_to_others=allocated_to_others
    ) as fake:
        http = fake.http_client(headers={"Authorization": f"Bearer {fake.credentials.static_token}"})
        body = (await http.get(LIMITS)).json()
        assert body["accountConcurrencyLimit"] == concurrency
        assert body["accountUnallocatedConcurrencyLimit"] == unallocated
        assert body["integrationLimitType"] == kind
        assert body.get("integrationConcurrencyLimit") == integration_limit
        async with fake.client(concurrency="auto") as ns:
            await ns.request("GET", "/record/v1/metadata-catalog")
            assert ns.governor.stats().ceiling == auto_limit


async def test_auto_never_exceeds_the_unallocated_pool_under_load() -> None:
    # 20 slots, 15 of them given to other integrations: this integration may use 5 at once.
    async with FakeNetSuite(concurrency=20, allocated_to_others=15, latency=0.002, seed={"customers": 5}) as fake:
        async with fake.client(concurrency="auto") as ns, anyio.create_task_group() as tg:
            for i in range(60):
                tg.start_soon(ns.request, "GET", f"/record/v1/customer/{i % 5 + 1}")
        assert ns.governor.stats().ceiling == 5
        assert fake.emulator.counters.max_in_flight <= 5
        assert fake.emulator.counters.limited == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 5, "allocated_to_others": 5},
        {"concurrency": 5, "allocated_to_others": -1},
        {"concurrency": 10, "integration_limit": 6, "allocated_to_others": 5},
    ],
)
def test_allocations_must_fit_in_the_account_limit(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="allocated_to_others"):
        EmulatorConfig(**kwargs)  # type: ignore[arg-type]
    assert EmulatorConfig(concurrency=10, integration_limit=5, allocated_to_others=5).unallocated == 0
