"""netsuite-async: an asyncio client for NetSuite's REST web services, built around the account's concurrency
limit, with an offline emulator for tests.

Examples:
    >>> from netsuite_async import NetSuiteClient, BearerToken, ServiceTier
    >>> client = NetSuiteClient("1234567_SB1", auth=BearerToken("…"), concurrency=ServiceTier.PREMIUM)
"""

from typing import TYPE_CHECKING, Any

from netsuite_async import auth as _auth_package
from netsuite_async._version import __version__
from netsuite_async.account import Account
from netsuite_async.agent import AgentClient
from netsuite_async.audit import AuditEvent, AuditLog
from netsuite_async.auth import (
    AuthContext,
    AuthRequest,
    BearerToken,
    CachedToken,
    JsonFileTokenStore,
    MemoryTokenCache,
    MemoryTokenStore,
    StoredTokens,
    TokenAuth,
    TokenCache,
    TokenProvider,
    TokenStore,
)
from netsuite_async.batch import (
    Batch,
    BatchItemResult,
    BatchOutcomeUnknownError,
    BatchProgress,
    BatchResult,
    run_batch_file,
)
from netsuite_async.batch_checkpoint import BatchCheckpoint, CheckpointError, CheckpointMismatchError
from netsuite_async.changes import ChangeMark, Changes, Checkpoint, JSONFileCheckpoint, MemoryCheckpoint
from netsuite_async.client import NetSuiteClient, Timeouts, build_http_client, pool_limits
from netsuite_async.errors import (
    AccessDeniedError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConcurrencyLimitError,
    ConflictError,
    DateFormatRequiredError,
    ErrorDetail,
    GovernorUnavailableError,
    NetSuiteError,
    NotFoundError,
    PermissionDeniedError,
    ReauthorizationRequired,
    RecordListCapError,
    RequestTimeoutError,
    ServerError,
    SuiteQLOrderError,
    TLSConfigurationError,
    TransportError,
    WriteOutcomeUnknownError,
)
from netsuite_async.export import ExportProgress, ExportResult, export_rows
from netsuite_async.governor import AdaptiveGovernor, Governor, GovernorStats, Outcome, ServiceTier
from netsuite_async.jobs import Job, JobResult, Jobs, JobStatus, JobTimeoutError
from netsuite_async.metadata import Metadata
from netsuite_async.models import CatalogEntry, Link, RecordListPage, RecordRef
from netsuite_async.policy import AccessPolicy, AgentGrants, Decision
from netsuite_async.records import DATE_FORMATS, PropertyNameValidation, Q, RecordList, Records, format_q_date, where
from netsuite_async.restlets import Restlets
from netsuite_async.retry import RetryEvent, RetryPolicy
from netsuite_async.suiteql import RowStream, SuiteQL, SuiteQLCapError, SuiteQLPage
from netsuite_async.suiteql_tables import UnclassifiableQueryError, query_tables
from netsuite_async.telemetry import Hooks, RequestInfo, ResponseInfo
from netsuite_async.transport import RequestSpec

if TYPE_CHECKING:
    from netsuite_async.auth.authorization_code import AuthorizationCode, AuthorizationRequest
    from netsuite_async.auth.client_credentials import ClientCredentials


# Imported on first use: the OAuth 2.0 providers need joserfc and cryptography, which a service using TBA or a
# bearer token never loads (`import netsuite_async` stays free of them; a test checks it). The auth package keeps
# the one table of those names and imports them itself.
def __getattr__(name: str) -> Any:
    if name not in _auth_package._LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_auth_package, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_auth_package._LAZY))


__all__ = [
    "DATE_FORMATS",
    "APIError",
    "AccessDeniedError",
    "AccessPolicy",
    "Account",
    "AdaptiveGovernor",
    "AgentClient",
    "AgentGrants",
    "AuditEvent",
    "AuditLog",
    "AuthContext",
    "AuthRequest",
    "AuthenticationError",
    "AuthorizationCode",
    "AuthorizationRequest",
    "BadRequestError",
    "Batch",
    "BatchCheckpoint",
    "BatchItemResult",
    "BatchOutcomeUnknownError",
    "BatchProgress",
    "BatchResult",
    "BearerToken",
    "CachedToken",
    "CatalogEntry",
    "ChangeMark",
    "Changes",
    "Checkpoint",
    "CheckpointError",
    "CheckpointMismatchError",
    "ClientCredentials",
    "ConcurrencyLimitError",
    "ConflictError",
    "DateFormatRequiredError",
    "Decision",
    "ErrorDetail",
    "ExportProgress",
    "ExportResult",
    "Governor",
    "GovernorStats",
    "GovernorUnavailableError",
    "Hooks",
    "JSONFileCheckpoint",
    "Job",
    "JobResult",
    "JobStatus",
    "JobTimeoutError",
    "Jobs",
    "JsonFileTokenStore",
    "Link",
    "MemoryCheckpoint",
    "MemoryTokenCache",
    "MemoryTokenStore",
    "Metadata",
    "NetSuiteClient",
    "NetSuiteError",
    "NotFoundError",
    "Outcome",
    "PermissionDeniedError",
    "PropertyNameValidation",
    "Q",
    "ReauthorizationRequired",
    "RecordList",
    "RecordListCapError",
    "RecordListPage",
    "RecordRef",
    "Records",
    "RequestInfo",
    "RequestSpec",
    "RequestTimeoutError",
    "ResponseInfo",
    "Restlets",
    "RetryEvent",
    "RetryPolicy",
    "RowStream",
    "ServerError",
    "ServiceTier",
    "StoredTokens",
    "SuiteQL",
    "SuiteQLCapError",
    "SuiteQLOrderError",
    "SuiteQLPage",
    "TLSConfigurationError",
    "Timeouts",
    "TokenAuth",
    "TokenCache",
    "TokenProvider",
    "TokenStore",
    "TransportError",
    "UnclassifiableQueryError",
    "WriteOutcomeUnknownError",
    "__version__",
    "build_http_client",
    "export_rows",
    "format_q_date",
    "pool_limits",
    "query_tables",
    "run_batch_file",
    "where",
]
