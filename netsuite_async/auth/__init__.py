"""Token providers: how each request is authenticated.

Examples:
    >>> from netsuite_async.auth import BearerToken
    >>> BearerToken("t")
    BearerToken(token=***)
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from netsuite_async.auth.base import AuthContext, AuthRequest, TokenProvider, TokenResponse
from netsuite_async.auth.bearer import BearerToken
from netsuite_async.auth.cache import CachedToken, MemoryTokenCache, TokenCache
from netsuite_async.auth.stores import JsonFileTokenStore, MemoryTokenStore, StoredTokens, TokenStore
from netsuite_async.auth.tba import TokenAuth

if TYPE_CHECKING:
    from netsuite_async.auth.authorization_code import AuthorizationCode, AuthorizationRequest
    from netsuite_async.auth.client_credentials import ClientCredentials

# OAuth 2.0 providers pull in joserfc and cryptography (about 75 ms); a service signing with TBA or a bearer token
# never pays for them: they are imported on first use of the name.
_LAZY = {
    "AuthorizationCode": "netsuite_async.auth.authorization_code",
    "AuthorizationRequest": "netsuite_async.auth.authorization_code",
    "ClientCredentials": "netsuite_async.auth.client_credentials",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AuthContext",
    "AuthRequest",
    "AuthorizationCode",
    "AuthorizationRequest",
    "BearerToken",
    "CachedToken",
    "ClientCredentials",
    "JsonFileTokenStore",
    "MemoryTokenCache",
    "MemoryTokenStore",
    "StoredTokens",
    "TokenAuth",
    "TokenCache",
    "TokenProvider",
    "TokenResponse",
    "TokenStore",
]
