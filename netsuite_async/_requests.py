"""Request building: `RequestSpec` (one logical request), query parameters and the URL shown in errors and logs.

Split out of ``transport.py`` (which re-exports these names); the retry loop and the attempt stay there, the
answer's classification and error mapping are in ``_responses.py``.

Examples:
    >>> _normalise_params({"q": "a b", "limit": 5, "expand": True})
    [('q', 'a b'), ('limit', '5'), ('expand', 'true')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from netsuite_async._http import Request
from netsuite_async.retry import positive_seconds
from netsuite_async.suiteql_params import number_text

__all__ = ["ParamValue", "Params", "RequestSpec"]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

ParamValue = str | int | float | bool
Params = Mapping[str, ParamValue] | Sequence[tuple[str, ParamValue]]


@dataclass(frozen=True)
class RequestSpec:
    """Everything the transport needs to send one logical request (retries included).

    Examples:
        >>> spec = RequestSpec("GET", "/record/v1/customer/1", params={"fields": "email"})
        >>> spec.is_idempotent
        True
    """

    method: str
    path: str
    """Under ``/services/rest`` for ``host="rest"``; the path on the RESTlets host for ``host="restlets"``."""
    params: Params | None = None
    json: Any = None
    content: bytes | str | None = None
    headers: Mapping[str, str] | None = None
    host: Literal["rest", "restlets"] = "rest"
    idempotent: bool | None = None
    """None: decided by the method (POST is not idempotent). Async requests carrying an idempotency key: True."""
    timeout: float | None = None
    """Per-attempt read timeout in seconds, overriding the client's."""
    deadline: float | None = None
    """Total seconds for the call, retries and waits included (default: the RetryPolicy's)."""
    limit_error_codes: tuple[str, ...] = ()
    """Extra NetSuite error codes meaning "over the concurrency limit" (RESTlets: SSS_REQUEST_LIMIT_EXCEEDED)."""
    write_context: Mapping[str, str] | None = None
    """Attached to WriteOutcomeUnknownError (record type, body hash) so the caller can check what happened."""

    def __post_init__(self) -> None:
        if not isinstance(self.method, str) or not isinstance(self.path, str):
            raise TypeError(f"method and path must be str, not {type(self.method).__name__} and "
                            f"{type(self.path).__name__}")
        method = self.method.upper()
        if method not in _IDEMPOTENT_METHODS | {"POST"}:
            raise ValueError(f"unsupported HTTP method {self.method!r}")
        object.__setattr__(self, "method", method)
        if not self.path.startswith("/"):
            raise ValueError(f"path must start with '/', got {self.path!r}")
        if "://" in self.path or "\\" in self.path or any(c in self.path for c in "\r\n\t "):
            raise ValueError(f"path must be a plain path under the API root, got {self.path!r}")
        if self.path.startswith("/services/rest/") and self.host == "rest":
            # Accept the full path too; the transport adds the prefix itself.
            object.__setattr__(self, "path", self.path[len("/services/rest") :])
        if self.host not in ("rest", "restlets"):
            raise ValueError("host must be 'rest' or 'restlets'")
        if self.timeout is not None:
            positive_seconds("timeout", self.timeout)
        if self.deadline is not None:
            positive_seconds("deadline", self.deadline)

    @property
    def is_idempotent(self) -> bool:
        """Whether repeating the request after it may have reached NetSuite is safe."""
        if self.idempotent is not None:
            return self.idempotent
        return self.method in _IDEMPOTENT_METHODS


def _safe_url(request: Request) -> str:
    # NetSuite never puts credentials in the URL, but users' RESTlet params might: keep only the path and the
    # parameter names, never values, in errors and logs.
    url = request.url
    base = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"
    if url.query:
        names = [k for k, _ in url.params.multi_items()]
        base += "?" + "&".join(f"{n}=…" for n in names)
    return base


def _normalise_params(params: Params | None) -> list[tuple[str, str]] | None:
    if params is None:
        return None
    if isinstance(params, (str, bytes)) or not isinstance(params, (Mapping, Sequence)):
        raise TypeError(f"params must be a mapping or a sequence of (name, value) pairs, not {type(params).__name__}")
    items = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, str]] = []
    for pair in items:
        if isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[0], str):
            key, value = pair
        else:
            raise TypeError("params must map str names to values (or be a sequence of (name, value) pairs)")
        kind = type(value)
        if kind is str:
            out.append((key, value))  # type: ignore[arg-type]  # narrowed by the exact type check
        elif kind is int:
            out.append((key, str(value)))
        elif isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, str):
            out.append((key, str.__str__(value)))
        elif isinstance(value, (int, float)):
            # By value (a subclass's __str__ could say anything); NaN/Infinity refused.
            out.append((key, number_text(value) or ""))
        else:
            raise TypeError(f"query parameter {key!r} must be str, int, float or bool, not {type(value).__name__}")
    return out
