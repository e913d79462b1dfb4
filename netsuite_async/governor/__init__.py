"""The account's concurrency limit as a first-class object.

A `Governor` hands out *slots*; the transport holds one for exactly one HTTP attempt and reports how it
went (`Outcome`). `AdaptiveGovernor` is the default, in-process one;
``netsuite_async.governor.redis.RedisGovernor`` shares one limit across processes (extra ``redis``).
The protocol and types live in ``governor/base.py``, the adaptive limit in ``governor/_aimd.py``.

Examples:
    >>> from netsuite_async.governor import AdaptiveGovernor, ServiceTier
    >>> gov = AdaptiveGovernor(ServiceTier.PREMIUM.with_suitecloud_plus(1).limit)
    >>> gov.stats().ceiling, gov.stats().limit    # slow start from NetSuite's floor of 5 toward the ceiling
    (25, 5)
"""

from __future__ import annotations

from netsuite_async.governor.base import AimdSettings, Governor, GovernorStats, Outcome, Permit, ServiceTier
from netsuite_async.governor.local import AdaptiveGovernor

__all__ = [
    "AdaptiveGovernor",
    "AimdSettings",
    "Governor",
    "GovernorStats",
    "Outcome",
    "Permit",
    "ServiceTier",
]
