"""Specification of ``client.restlets`` against the in-process emulator."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from netsuite_async import APIError, NetSuiteClient, RetryEvent, RetryPolicy
from netsuite_async.testing import FakeNetSuite, RestletError

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends, pytest.mark.netsuite_emulator(concurrency=4)]



@pytest.fixture
def fake(netsuite_emulator: FakeNetSuite) -> FakeNetSuite:
    """The suite's own pytest plugin's emulator, configured by this module's ``netsuite_emulator`` marker."""
    return netsuite_emulator


@pytest.fixture
def ns(netsuite_client: NetSuiteClient) -> NetSuiteClient:
    """The plugin's client wired to ``fake``."""
    return netsuite_client


RESERVED = "a&b=c?d#e/f+g%h i;j,k"
UNICODE = "Zoë 東京 🚀"


async def test_get_passes_unicode_and_reserved_characters_in_params_unchanged(ns: NetSuiteClient) -> None:
    out = await ns.restlets.call("customscript_echo", 1, params={"reserved": RESERVED, "unicode": UNICODE, "n": 3})
    assert out == {"method": "GET", "params": {"reserved": RESERVED, "unicode": UNICODE, "n": "3"}, "body": None}


async def test_post_json_and_put_text_reach_the_script(ns: NetSuiteClient) -> None:
    posted = await ns.restlets.call("customscript_echo", "1", method="POST", json={"name": UNICODE, "list": [1, 2]})
    assert posted == {"method": "POST", "params": {}, "body": {"name": UNICODE, "list": [1, 2]}}
    put = await ns.restlets.call("customscript_echo", 1, method="PUT", text=RESERVED, params={"x": UNICODE})
    assert put == {"method": "PUT", "params": {"x": UNICODE}, "body": RESERVED}


async def test_text_answers_come_back_as_text_and_empty_answers_as_none(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    def handler(method: str, params: dict[str, str], body: Any) -> Any:
        return None if method == "DELETE" else f"hello {params.get('who', '')}"

    fake.emulator.restlets.register("customscript_text", "customdeploy_text", handler)
    text = await ns.restlets.call(
        "customscript_text", "customdeploy_text", method="POST", text="x", params={"who": "ü"}
    )
    assert text == "hello ü"
    assert await ns.restlets.call("customscript_text", "customdeploy_text", method="DELETE") is None


async def test_a_script_error_is_a_typed_error_with_its_code(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    def failing(method: str, params: dict[str, str], body: Any) -> Any:
        raise RestletError("CUSTOM_BAD_ORDER", "Order 7 is closed")

    fake.emulator.restlets.register("customscript_fail", 1, failing)
    with pytest.raises(APIError) as caught:
        await ns.restlets.call("customscript_fail", 1, method="POST", json={"order": 7})
    assert caught.value.error_code == "CUSTOM_BAD_ORDER"
    assert "Order 7 is closed" in str(caught.value)


async def test_bad_script_ids_send_nothing(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    before = fake.emulator.counters.requests
    for script, deploy in [("customscript_x&deploy=2", 1), ("customscript_x", "1 OR 1"), ("", 1), ("x", 0)]:
        with pytest.raises(ValueError):
            await ns.restlets.call(script, deploy)
    assert fake.emulator.counters.requests == before


async def test_over_the_limit_restlet_answers_are_retried_as_concurrency_signals() -> None:
    release = anyio.Event()
    entered = anyio.Event()

    async def slow(method: str, params: dict[str, str], body: Any) -> Any:
        if params.get("hold") == "1":
            entered.set()
            await release.wait()
        return {"n": params.get("n")}

    def on_retry(event: RetryEvent) -> None:
        # The first over-limit answer proves the limit was hit; now let the held call finish.
        release.set()

    policy = RetryPolicy(backoff_base=0.001, backoff_max=0.01, on_retry=on_retry)
    async with FakeNetSuite(concurrency=1) as fake:
        fake.emulator.restlets.register("customscript_slow", 1, slow)
        # The client believes the account allows 3: the emulator's limit of 1 is what pushes back.
        async with fake.client(concurrency=3, retry=policy) as ns:
            results: dict[str, Any] = {}

            async def call(n: str, hold: str) -> None:
                results[n] = await ns.restlets.call(
                    "customscript_slow", 1, method="POST", json={}, params={"n": n, "hold": hold}
                )

            async with anyio.create_task_group() as tg:
                tg.start_soon(call, "held", "1")
                await entered.wait()
                tg.start_soon(call, "second", "0")
            assert results == {"held": {"n": "held"}, "second": {"n": "second"}}
            assert fake.emulator.counters.limited >= 1
            assert ns.governor.stats().limited >= 1
