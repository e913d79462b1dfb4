"""RetryPolicy: which answers are retried, full-jitter waits, and Retry-After parsing with its cap."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netsuite_async.retry import RetryEvent, RetryPolicy


def test_429_is_retried_for_idempotent_and_non_idempotent_requests() -> None:
    policy = RetryPolicy()
    assert policy.is_retryable_status(429, idempotent=True)
    assert policy.is_retryable_status(429, idempotent=False)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_only_when_idempotent(status: int) -> None:
    policy = RetryPolicy()
    assert policy.is_retryable_status(status, idempotent=True)
    assert not policy.is_retryable_status(status, idempotent=False)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 415, 501])
def test_client_errors_and_not_implemented_are_never_retried(status: int) -> None:
    policy = RetryPolicy()
    assert not policy.is_retryable_status(status, idempotent=True)
    assert not policy.is_retryable_status(status, idempotent=False)


def test_retry_statuses_can_be_customised() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({503}))
    assert policy.is_retryable_status(503, idempotent=True)
    assert not policy.is_retryable_status(500, idempotent=True)


@given(base=st.floats(min_value=0.001, max_value=5.0), cap=st.floats(min_value=0.001, max_value=60.0))
def test_full_jitter_waits_stay_within_zero_and_the_exponential_bound_capped(base: float, cap: float) -> None:
    policy = RetryPolicy(backoff_base=base, backoff_max=cap)
    for n, wait in enumerate(itertools.islice(policy.waits(), 30)):
        bound = min(base * 2**n, cap)
        assert 0.0 <= wait <= bound + 1e-9


def test_waits_are_jittered_not_fixed() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=1.0)
    samples = list(itertools.islice(policy.waits(), 200))
    assert len(set(samples)) > 150
    # Full jitter spreads over the whole [0, bound] range.
    assert min(samples) < 0.2
    assert max(samples) > 0.8


def test_waits_generator_is_fresh_per_call() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=100.0)
    first = policy.waits()
    for _ in range(5):
        next(first)
    assert next(policy.waits()) <= 0.5


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("120", 10.0),  # capped
        ("1e400", 10.0),  # infinity is capped
        ("nan", 0.0),
        ("soon", None),
        ("Wed, 99 Foo 2015 07:28:00 GMT", None),
    ],
)
def test_retry_after_delta_seconds_are_parsed_and_capped(header: str | None, expected: float | None) -> None:
    assert RetryPolicy(retry_after_cap=10.0).retry_after(header) == expected


def test_retry_after_http_date_in_the_future_is_seconds_from_now_capped() -> None:
    policy = RetryPolicy(retry_after_cap=30.0)
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    value = policy.retry_after(soon)
    assert value is not None
    assert 17.0 <= value <= 20.0
    later = format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)
    assert policy.retry_after(later) == 30.0


def test_retry_after_http_date_in_the_past_means_now() -> None:
    assert RetryPolicy().retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_retry_after_date_without_zone_is_read_as_utc() -> None:
    # RFC 9110 dates are GMT; a "-0000" zone parses to a naive datetime, which must not be read as local time.
    soon = datetime.now(timezone.utc) + timedelta(seconds=20)
    header = soon.strftime("%a, %d %b %Y %H:%M:%S -0000")
    value = RetryPolicy(retry_after_cap=3600).retry_after(header)
    assert value is not None
    assert 17.0 <= value <= 20.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"backoff_base": 0},
        {"backoff_max": -1},
        {"deadline": 0},
        {"deadline": -3},
        {"retry_after_cap": -1},
    ],
)
def test_nonsense_settings_raise_value_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_defaults_retry_a_few_times_within_a_deadline() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts > 1
    assert policy.deadline is not None
    assert policy.deadline > 0
    assert RetryPolicy(deadline=None).deadline is None


def test_retry_event_carries_what_the_callback_needs() -> None:
    event = RetryEvent("GET", "https://x/r", attempt=2, delay=0.5, reason="503")
    assert (event.method, event.attempt, event.delay, event.reason) == ("GET", 2, 0.5, "503")
