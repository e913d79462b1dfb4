"""Token providers: how each request is authenticated.

Example:
    >>> from netsuite_async.auth import BearerToken
    >>> BearerToken("t")
    BearerToken(token=***)
"""

from netsuite_async.auth.base import AuthContext, AuthRequest, TokenProvider, TokenResponse
from netsuite_async.auth.bearer import BearerToken

__all__ = ["AuthContext", "AuthRequest", "BearerToken", "TokenProvider", "TokenResponse"]
