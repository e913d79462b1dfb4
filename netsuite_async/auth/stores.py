"""Persistent homes for OAuth 2.0 authorization-code tokens, so a service survives restarts.

A `TokenStore` keeps `StoredTokens` (access token, refresh token and their expiry times) under
a key. `MemoryTokenStore` lives as long as the process; `JsonFileTokenStore` writes a JSON file
readable only by its owner (mode 0600). Write your own (a database row, a vault) by implementing the three
methods.

Examples:
    ```python
    store = JsonFileTokenStore("~/.config/myapp/netsuite-tokens.json")
    auth = AuthorizationCode(client_id, client_secret, redirect_uri, scopes=["rest_webservices"], store=store)
    ```
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import anyio
import anyio.to_thread

from netsuite_async._files import write_json_atomic

__all__ = ["JsonFileTokenStore", "MemoryTokenStore", "StoredTokens", "TokenStore"]


@dataclass(frozen=True)
class StoredTokens:
    """What an authorization-code grant leaves behind; ``repr`` masks both tokens.

    Examples:
        ```python
        t = StoredTokens("acc", 2e9, "ref", 2.5e9, ("rest_webservices",))
        assert "ref" not in repr(t)
        ```
    """

    access_token: str
    access_expires_at: float
    """Unix epoch seconds."""
    refresh_token: str | None
    refresh_expires_at: float | None
    """Unix epoch seconds; NetSuite refresh tokens live 7 days from the user's authorization."""
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            "StoredTokens(access_token='********', "
            f"access_expires_at={self.access_expires_at!r}, "
            f"refresh_token={'********' if self.refresh_token else None!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r}, scopes={self.scopes!r})"
        )

    __str__ = __repr__

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (contains the secrets: store it somewhere private).

        Examples:
            ```python
            StoredTokens.from_json(tokens.to_json()) == tokens
            ```
        """
        data = asdict(self)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_json(cls, data: Any) -> StoredTokens:
        """Rebuild from `to_json`; ``ValueError`` for anything else.

        Examples:
            ```python
            StoredTokens.from_json({"access_token": "a", "access_expires_at": 1.0,
                                    "refresh_token": None, "refresh_expires_at": None})
            ```
        """
        if not isinstance(data, dict):
            raise ValueError("stored tokens must be a JSON object")
        try:
            access = data["access_token"]
            access_exp = float(data["access_expires_at"])
            refresh = data.get("refresh_token")
            refresh_exp_raw = data.get("refresh_expires_at")
            refresh_exp = None if refresh_exp_raw is None else float(refresh_exp_raw)
            scopes = tuple(str(s) for s in data.get("scopes", ()))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("stored tokens are missing fields or have wrong types") from exc
        if not isinstance(access, str) or (refresh is not None and not isinstance(refresh, str)):
            raise ValueError("stored tokens must be strings")
        return cls(access, access_exp, refresh, refresh_exp, scopes)


@runtime_checkable
class TokenStore(Protocol):
    """Where `AuthorizationCode` keeps its tokens, durably.

    Not a ``TokenCache`` (``netsuite_async.auth.cache``): a store keeps the refresh token that only a user's
    consent produces, so it must survive restarts; a cache keeps an access token that can be minted again, and
    adds a lock for single-flight minting. See ``TokenCache`` for the comparison.

    Examples:
        ```python
        class RowStore:
            async def get(self, key): ...
            async def set(self, key, tokens): ...
            async def delete(self, key): ...
        ```
    """

    async def get(self, key: str) -> StoredTokens | None:
        """The stored tokens, or ``None``."""
        ...

    async def set(self, key: str, tokens: StoredTokens) -> None:
        """Save ``tokens`` (replacing what was there: refresh tokens rotate)."""
        ...

    async def delete(self, key: str) -> None:
        """Forget the tokens (after revocation or expiry)."""
        ...


class MemoryTokenStore:
    """Tokens in a dict: lost when the process ends.

    Examples:
        ```python
        store = MemoryTokenStore()
        assert await store.get("k") is None
        ```
    """

    def __init__(self) -> None:
        self._data: dict[str, StoredTokens] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._data)})"

    async def get(self, key: str) -> StoredTokens | None:
        """The stored tokens, or ``None``."""
        return self._data.get(key)

    async def set(self, key: str, tokens: StoredTokens) -> None:
        """Save ``tokens``."""
        self._data[key] = tokens

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._data.pop(key, None)


class JsonFileTokenStore:
    """Tokens in one JSON file, created with mode 0600 and replaced atomically on every write.

    Several keys share the file. The file holds secrets: keep it out of backups you do not trust. A file
    readable by group or others is refused when read, so a permissions mistake is noticed.

    Examples:
        ```python
        store = JsonFileTokenStore("/var/lib/myapp/netsuite-tokens.json")
        await store.set("default", tokens)
        ```
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"JsonFileTokenStore(path={str(self.path)!r})"

    def _read(self) -> dict[str, Any]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        if os.name == "posix" and st.st_mode & 0o077:
            raise PermissionError(
                f"{self.path} is readable by other users (mode {st.st_mode & 0o777:o}); "
                "chmod 600 it, it holds OAuth tokens"
            )
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except ValueError as exc:
            raise ValueError(f"{self.path} is not a JSON token file") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} is not a JSON token file")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # 0600 from creation: the secrets are never readable by others, not even for a moment.
        write_json_atomic(self.path, data, indent=2, sort_keys=True)

    async def get(self, key: str) -> StoredTokens | None:
        """The stored tokens, or ``None``."""
        async with self._lock:
            data = await anyio.to_thread.run_sync(self._read)
        raw = data.get(key)
        return None if raw is None else StoredTokens.from_json(raw)

    async def set(self, key: str, tokens: StoredTokens) -> None:
        """Save ``tokens`` under ``key``."""
        async with self._lock:

            def update() -> None:
                data = self._read()
                data[key] = tokens.to_json()
                self._write(data)

            await anyio.to_thread.run_sync(update)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        async with self._lock:

            def update() -> None:
                data = self._read()
                if data.pop(key, None) is not None:
                    self._write(data)

            await anyio.to_thread.run_sync(update)
