"""Token providers: how each request is authenticated.

Example:
    >>> from netsuite_async.auth import BearerToken
    >>> BearerToken("t")
    BearerToken(token=***)
"""

from netsuite_async.auth.authorization_code import AuthorizationCode, AuthorizationRequest
from netsuite_async.auth.base import AuthContext, AuthRequest, TokenProvider, TokenResponse
from netsuite_async.auth.bearer import BearerToken
from netsuite_async.auth.cache import CachedToken, MemoryTokenCache, TokenCache
from netsuite_async.auth.client_credentials import ClientCredentials
from netsuite_async.auth.stores import JsonFileTokenStore, MemoryTokenStore, StoredTokens, TokenStore
from netsuite_async.auth.tba import TokenAuth

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
