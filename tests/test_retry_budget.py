"""The retry budget stated in retry.py matches the layers it describes (issue 16: one place shows the product)."""

from __future__ import annotations

import pytest

import netsuite_async.batch as batch
from netsuite_async.retry import RetryBudget, RetryPolicy
from tests._jobs_harness import client_for, make_emulator, store_count


def test_the_budget_uses_the_library_defaults() -> None:
    budget = RetryBudget()
    assert budget.transport_attempts == RetryPolicy().max_attempts
    assert budget.batch_rounds == batch._ROUNDS
    assert budget.transient_resends == batch.TRANSIENT_RESENDS


def test_one_failing_submission_costs_rounds_times_attempts() -> None:
    budget = RetryBudget()
    assert budget.per_submission == 32
    assert budget.per_item_worst == 6 * 32


def test_the_budget_follows_a_configured_policy() -> None:
    policy = RetryPolicy(max_attempts=2)
    assert RetryBudget(transport_attempts=policy.max_attempts).per_submission == 2 * batch._ROUNDS


@pytest.mark.anyio
@pytest.mark.parametrize("collections", [True, False], ids=["collection", "single"])
async def test_a_submission_that_keeps_failing_costs_exactly_the_stated_budget(collections: bool) -> None:
    # Every asynchronous POST answered 503: the transport tries each call max_attempts times, the batch engine
    # makes the call batch_rounds times, and the item ends unknown (nothing was confirmed applied).
    emu = make_emulator()
    emu.faults.script(match="POST /record/v1/customer", kind="error_before", times=None, status=503)
    policy = RetryPolicy(max_attempts=8, backoff_base=0.001, backoff_max=0.01, deadline=60.0)
    async with client_for(emu, retry=policy) as ns:
        result = await ns.batch.create("customer", [{"companyName": "A"}], use_collections=collections)
    assert not result[0].ok
    posts = list(emu.log_entries("POST", "/record/v1/customer"))
    assert [e.status for e in posts] == [503] * RetryBudget(transport_attempts=policy.max_attempts).per_submission
    assert store_count(emu) == 0
