"""netsuite-async: an asyncio client for NetSuite's REST web services, built around the account's concurrency
limit, with an offline emulator for tests.

Example:
    >>> from netsuite_async import NetSuiteClient, BearerToken, ServiceTier
    >>> client = NetSuiteClient("1234567_SB1", auth=BearerToken("…"), concurrency=ServiceTier.PREMIUM)
"""

from netsuite_async._version import __version__
from netsuite_async.account import Account
from netsuite_async.auth import AuthContext, AuthRequest, BearerToken, TokenProvider
from netsuite_async.client import NetSuiteClient, Timeouts
from netsuite_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConcurrencyLimitError,
    ConflictError,
    ErrorDetail,
    GovernorUnavailableError,
    NetSuiteError,
    NotFoundError,
    PermissionDeniedError,
    ReauthorizationRequired,
    RequestTimeoutError,
    ServerError,
    TransportError,
    WriteOutcomeUnknownError,
)
from netsuite_async.governor import AdaptiveGovernor, Governor, GovernorStats, Outcome, ServiceTier
from netsuite_async.models import Link, RecordRef
from netsuite_async.retry import RetryEvent, RetryPolicy
from netsuite_async.transport import RequestSpec

__all__ = [
    "APIError",
    "Account",
    "AdaptiveGovernor",
    "AuthContext",
    "AuthRequest",
    "AuthenticationError",
    "BadRequestError",
    "BearerToken",
    "ConcurrencyLimitError",
    "ConflictError",
    "ErrorDetail",
    "Governor",
    "GovernorStats",
    "GovernorUnavailableError",
    "Link",
    "NetSuiteClient",
    "NetSuiteError",
    "NotFoundError",
    "Outcome",
    "PermissionDeniedError",
    "ReauthorizationRequired",
    "RecordRef",
    "RequestSpec",
    "RequestTimeoutError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "ServiceTier",
    "Timeouts",
    "TokenProvider",
    "TransportError",
    "WriteOutcomeUnknownError",
    "__version__",
]
