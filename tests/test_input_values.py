"""Values are rendered by what they are worth, never by what their repr or __format__ say, and bad values stop
before any request: numpy scalars and number subclasses in SuiteQL and ``Q``, unterminated literals without params,
NaN/Infinity in JSON bodies."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from netsuite_async import NetSuiteClient, Q
from netsuite_async.suiteql_params import bind, number_text, render_literal
from netsuite_async.testing import FakeNetSuite


class LyingFloat(float):
    def __repr__(self) -> str:
        return "1) OR (1=1"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "1) OR (1=1"

    def __float__(self) -> float:
        return 999.0


class LyingDecimal(Decimal):
    def __format__(self, spec: str, context: Any = None) -> str:  # type: ignore[override]
        return "0 OR 1=1"

    def __str__(self) -> str:
        return "0 OR 1=1"

    __repr__ = __str__


class LyingInt(int):
    def __repr__(self) -> str:
        return "1 OR 1=1"

    __str__ = __repr__

    def __int__(self) -> int:
        return 5

    def __index__(self) -> int:
        return 6


@pytest.mark.parametrize(("value", "text"), [
    (np.float64(1.5), "1.5"),
    (np.float32(0.25), "0.25"),
    (np.int64(-42), "(-42)"),
    (np.int8(7), "7"),
    (np.float64(1e-7), "0.0000001"),
    (np.float64(1e22), "10000000000000000000000"),
    (LyingFloat(2.5), "2.5"),
    (LyingDecimal("12.50"), "12.50"),
    (LyingInt(3), "3"),
    (Fraction(1, 4), "0.25"),
    (Decimal("-0.0"), "0.0"),
    (-0.0, "0.0"),
])
def test_numbers_are_rendered_by_value(value: object, text: str) -> None:
    assert render_literal(value) == text
    assert bind("SELECT id FROM customer WHERE x > ?", [value]) == f"SELECT id FROM customer WHERE x > {text}"


@pytest.mark.parametrize("value", [np.float64("nan"), np.float32("inf"), LyingFloat("-inf"), LyingDecimal("NaN"),
                                   Decimal("sNaN"), float("nan")])
def test_non_finite_numbers_of_any_type_are_value_errors(value: object) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        render_literal(value)


def test_numpy_values_that_are_not_real_numbers_are_type_errors() -> None:
    for value in (np.array([1, 2]), np.complex128(1 + 2j), np.datetime64("2024-01-01")):
        with pytest.raises(TypeError):
            render_literal(value)
    assert number_text(np.bool_(True)) is None


@pytest.mark.parametrize(("value", "text"), [
    (np.float64(1.5), "1.5"), (LyingFloat(2.5), "2.5"), (LyingDecimal("3.25"), "3.25"), (LyingInt(4), "4"),
    (np.int64(9), "9"), (1e-7, "0.0000001"),
])
def test_q_filters_render_numbers_by_value(value: Any, text: str) -> None:
    assert str(Q("amount").greater(value)) == f"amount GREATER {text}"


def test_q_refuses_non_finite_numbers_of_any_type() -> None:
    for value in (np.float64("nan"), LyingFloat("inf"), LyingDecimal("NaN")):
        with pytest.raises(ValueError, match="finite"):
            Q("amount").greater(value)



pytestmark = [pytest.mark.both_backends, pytest.mark.netsuite_emulator(seed={"customers": 5})]


@pytest.fixture
def fake(netsuite_emulator: FakeNetSuite) -> FakeNetSuite:
    """The suite's own pytest plugin's emulator, configured by this module's ``netsuite_emulator`` marker."""
    return netsuite_emulator


@pytest.fixture
def ns(netsuite_client: NetSuiteClient) -> NetSuiteClient:
    """The plugin's client wired to ``fake``."""
    return netsuite_client


@pytest.mark.anyio
async def test_numpy_parameters_reach_suiteql_by_value(fake: FakeNetSuite, ns: NetSuiteClient) -> None:
    rows = await ns.suiteql.all("SELECT id FROM customer WHERE id > ? ORDER BY id",
                                params=[np.int64(2)])
    assert [r["id"] for r in rows] == ["3", "4", "5"]
    rows = await ns.suiteql.all("SELECT id FROM customer WHERE id < ? ORDER BY id", params=[LyingFloat(2.5)])
    assert [r["id"] for r in rows] == ["1", "2"]
    rows = await ns.suiteql.all("SELECT id FROM customer WHERE id = ?", params=[LyingDecimal("1")])
    assert [r["id"] for r in rows] == ["1"]


@pytest.mark.anyio
@pytest.mark.parametrize("query", ["SELECT id FROM customer WHERE email = 'x", "SELECT /* open comment FROM x",
                                   'SELECT "id FROM customer'])
async def test_unterminated_literals_are_refused_without_params_too(
    fake: FakeNetSuite, ns: NetSuiteClient, query: str
) -> None:
    for call in (lambda: ns.suiteql.all(query), lambda: ns.suiteql.page(query), lambda: ns.suiteql.count(query)):
        with pytest.raises(ValueError, match="unterminated"):
            await call()
    with pytest.raises(ValueError, match="unterminated"):
        async for _ in ns.suiteql.stream(query):
            pass
    assert fake.counters.requests == 0


NAN_BODIES = [{"companyName": "A", "balance": math.nan}, {"companyName": "B", "x": [1, math.inf]},
              {"companyName": "C", "n": {"deep": -math.inf}}, {"companyName": "D", "v": np.float64("nan")}]


@pytest.mark.anyio
@pytest.mark.parametrize("body", NAN_BODIES)
async def test_nan_and_infinity_never_leave_the_process(fake: FakeNetSuite, ns: NetSuiteClient, body: Any) -> None:
    good = {"companyName": "fine"}
    with pytest.raises(ValueError, match="NaN"):
        await ns.batch.create("customer", [good, body])
    with pytest.raises(ValueError, match="NaN"):
        await ns.batch.upsert("customer", [{"externalId": "E1", **body}])
    with pytest.raises(ValueError, match="NaN"):
        await ns.batch.update("customer", [{"id": "1", **body}])
    with pytest.raises(ValueError, match="NaN"):
        await ns.jobs.submit("POST", "/record/v1/customer", json=body)
    with pytest.raises(ValueError, match="NaN"):
        await ns.restlets.call("customscript_echo", 1, method="POST", json=body)
    with pytest.raises(ValueError):
        await ns.records.create("customer", body)
    with pytest.raises(ValueError):
        await ns.records.update("customer", 1, body)
    with pytest.raises(ValueError):
        await ns.request("POST", "/record/v1/customer", json=body)
    assert fake.counters.requests == 0


@pytest.mark.anyio
async def test_query_parameter_numbers_are_sent_by_value_and_non_finite_ones_refused(
    fake: FakeNetSuite, ns: NetSuiteClient
) -> None:
    out = await ns.restlets.call("customscript_echo", 1, params={"a": LyingFloat(2.5), "b": LyingInt(4),
                                                                 "c": np.float64(0.5)})
    assert out["params"] == {"a": "2.5", "b": "4", "c": "0.5"}
    sent = fake.counters.requests
    for bad in (math.nan, np.float64("inf"), LyingFloat("nan")):
        with pytest.raises(ValueError, match="non-finite"):
            await ns.restlets.call("customscript_echo", 1, params={"x": bad})
        with pytest.raises(ValueError, match="non-finite"):
            await ns.request("GET", "/record/v1/customer", params={"limit": bad})
    assert fake.counters.requests == sent
