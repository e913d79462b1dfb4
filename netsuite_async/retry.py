"""When and how a failed attempt is tried again.

The rules (see `RetryPolicy`):

* Over the concurrency limit (429, RESTlet ``SSS_REQUEST_LIMIT_EXCEEDED``) and failures where the request surely
  never reached NetSuite (connect errors, pool timeouts) are retried for every method: nothing was applied.
* 5xx answers, read timeouts and dropped connections are retried only for idempotent requests (GET, PUT upsert,
  PATCH, DELETE, and asynchronous requests carrying an idempotency key). For a POST create or transform NetSuite
  ignores idempotency keys, so such a failure raises `WriteOutcomeUnknownError`.
* Waits grow exponentially with full jitter (``backoff``'s wait generators, slept with anyio), honour a
  ``Retry-After`` header when one is present (capped), and never run past the call's deadline.

Three retry layers stack for a batch submission (``ns.batch``), and `RetryBudget` is the one place that shows
their product (defaults; docs/concurrency.md, "Retry budget", links here):

```text
layer                      where                       count                     bounded also by
transport attempts         RetryPolicy.max_attempts    8 HTTP attempts per call  RetryPolicy.deadline (600 s)
batch rounds               batch.py (_ROUNDS)          4 calls per submission    a short pause between rounds
job status polling         Job.wait / wait_tasks       polls until job_deadline  job_deadline (600 s) per round
transient task resends     batch.TRANSIENT_RESENDS     5 new submissions/item    (a 5xx task saved nothing)

one failing submission (collection chunk or single item):   4 rounds x 8 attempts = 32 HTTP attempts
one item whose task keeps failing with a 5xx, at worst:     (1 + 5) submissions x 32 = 192 submission attempts
reading a job's outcome: up to 4 rounds of polling, each poll up to 8 attempts, each round up to job_deadline
```

Every one of those attempts holds one governor slot and no more, and an asynchronous submission carries its
idempotency key on every attempt, so repeats never write twice.
"""

from __future__ import annotations

import decimal
import math
import numbers
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from time import time

import backoff

from netsuite_async._checks import is_int

__all__ = ["RetryBudget", "RetryEvent", "RetryPolicy", "positive_seconds"]


def positive_seconds(name: str, value: object) -> float:
    """``value`` as a positive, finite number of seconds; TypeError/ValueError otherwise.

    Examples:
        >>> positive_seconds("timeout", 2)
        2.0
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, decimal.Decimal)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    seconds = float(value)
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {seconds!r}")
    return seconds


@dataclass(frozen=True)
class RetryEvent:
    """What the retry callback is told before each wait.

    Examples:
        >>> RetryEvent("GET", "https://x/r", attempt=1, delay=0.3, reason="429 CONCURRENCY_LIMIT_EXCEEDED").attempt
        1
    """

    method: str
    url: str
    attempt: int
    """The attempt that just failed (1 for the first)."""
    delay: float
    """Seconds the transport will wait before the next attempt."""
    reason: str


RetryCallback = Callable[[RetryEvent], Awaitable[None] | None]


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are retried, how long to wait, and when to give up.

    Examples:
        >>> policy = RetryPolicy(max_attempts=4, deadline=60.0)
        >>> policy.is_retryable_status(503, idempotent=True), policy.is_retryable_status(503, idempotent=False)
        (True, False)
    """

    max_attempts: int = 8
    """Attempts per call, the first included (1 disables retries)."""
    backoff_base: float = 0.2
    """First wait's upper bound in seconds; doubled each retry (full jitter draws from [0, bound])."""
    backoff_max: float = 10.0
    """Cap on one wait."""
    retry_after_cap: float = 30.0
    """A ``Retry-After`` longer than this is cut to it."""
    deadline: float | None = 600.0
    """Total seconds for one call, waits included (None: no deadline). Per-call deadlines override it."""
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({500, 502, 503, 504}))
    """5xx statuses retried for idempotent requests."""
    on_retry: RetryCallback | None = None
    """Called (sync or async) before each wait."""

    def __post_init__(self) -> None:
        if not is_int(self.max_attempts):
            raise TypeError("max_attempts must be an int")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        positive_seconds("backoff_base", self.backoff_base)
        positive_seconds("backoff_max", self.backoff_max)
        if self.deadline is not None:
            positive_seconds("deadline", self.deadline)
        if not self.retry_after_cap >= 0:
            raise ValueError("retry_after_cap must be zero or positive")

    def is_retryable_status(self, status: int, *, idempotent: bool) -> bool:
        """True when an answer with this status may be tried again (429 always; 5xx when idempotent)."""
        if status == 429:
            return True
        return idempotent and status in self.retry_statuses

    def waits(self) -> Iterator[float]:
        """The sequence of waits (seconds), full jitter over an exponential bound.

        Examples:
            >>> waits = RetryPolicy(backoff_base=0.1, backoff_max=1.0).waits()
            >>> all(0 <= next(waits) <= 1.0 for _ in range(20))
            True
        """
        gen = backoff.expo(base=2, factor=self.backoff_base, max_value=self.backoff_max)
        next(gen)  # backoff's generators must be primed before their first value
        for bound in gen:
            yield backoff.full_jitter(float(bound))

    def retry_after(self, header: str | None) -> float | None:
        """Seconds asked by a ``Retry-After`` header (delta seconds or an HTTP date), capped; None if absent/bad.

        Examples:
            >>> RetryPolicy(retry_after_cap=5).retry_after("120")
            5.0
        """
        if not header:
            return None
        header = header.strip()
        seconds: float | None
        try:
            seconds = float(header)
        except ValueError:
            try:
                when = parsedate_to_datetime(header)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:
                # HTTP dates are GMT; a "-0000" zone parses naive and would otherwise be read as local time.
                when = when.replace(tzinfo=timezone.utc)
            seconds = when.timestamp() - time()
        if seconds != seconds or seconds < 0:  # NaN or in the past
            return 0.0
        return float(min(seconds, self.retry_after_cap))


@dataclass(frozen=True)
class RetryBudget:
    """The HTTP attempts the stacked retry layers allow a batch submission: transport x batch rounds x resends.

    The numbers are the library's defaults (``RetryPolicy().max_attempts``, the batch engine's rounds and
    ``batch.TRANSIENT_RESENDS``; a test keeps them equal); pass your own ``RetryPolicy.max_attempts`` to see what
    a configured client allows. Job polling is bounded by time (``job_deadline``), not by a count, so it is stated
    as rounds of polling rather than attempts.

    Examples:
        >>> budget = RetryBudget()
        >>> budget.per_submission          # 4 batch rounds x 8 transport attempts
        32
        >>> budget.per_item_worst          # (1 + 5 transient resends) x 32
        192
        >>> RetryBudget(transport_attempts=RetryPolicy(max_attempts=3).max_attempts).per_submission
        12
    """

    transport_attempts: int = 8
    """HTTP attempts per call (``RetryPolicy.max_attempts``), each within ``RetryPolicy.deadline``."""
    batch_rounds: int = 4
    """Times the batch engine makes a submission (or a read of its job's outcome) again after the call failed."""
    transient_resends: int = 5
    """New submissions of one item whose task failed with a 5xx (``batch.TRANSIENT_RESENDS``)."""

    @property
    def per_submission(self) -> int:
        """HTTP attempts one failing submission can cost: ``batch_rounds * transport_attempts``.

        Examples:
            >>> RetryBudget(batch_rounds=2, transport_attempts=3).per_submission
            6
        """
        return self.batch_rounds * self.transport_attempts

    @property
    def per_item_worst(self) -> int:
        """Submission attempts one item can cost when every task fails transiently and every submission needs
        all its rounds: ``(1 + transient_resends) * per_submission`` (job polls not included).

        Examples:
            >>> RetryBudget(transient_resends=0).per_item_worst == RetryBudget().per_submission
            True
        """
        return (1 + self.transient_resends) * self.per_submission
