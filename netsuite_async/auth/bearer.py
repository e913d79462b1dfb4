"""A static OAuth 2.0 access token obtained elsewhere."""

from __future__ import annotations

from netsuite_async.auth.base import AuthContext, AuthRequest

__all__ = ["BearerToken"]


class BearerToken:
    """Sends ``Authorization: Bearer <token>``; the token is never shown in repr or str.

    For tokens minted by another system. It cannot refresh itself, so a 401 is final.

    Examples:
        >>> auth = BearerToken("eyJhbGciOi…")
        >>> repr(auth)
        'BearerToken(token=***)'
    """

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("BearerToken needs a non-empty token string")
        if any(c in token for c in "\r\n"):
            raise ValueError("a bearer token cannot contain line breaks")
        self._token = token.strip()

    async def sign(self, request: AuthRequest, context: AuthContext) -> None:
        """Add the Authorization header."""
        request.headers["Authorization"] = f"Bearer {self._token}"

    async def on_unauthorized(self, request: AuthRequest, context: AuthContext) -> bool:
        """A static token cannot be renewed: do not retry."""
        return False

    def __repr__(self) -> str:
        return "BearerToken(token=***)"

    __str__ = __repr__
