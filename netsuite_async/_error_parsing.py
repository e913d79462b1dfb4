"""How an error answer becomes a typed `APIError` (split out of ``errors.py``, issue 16).

`error_for_status` picks the class by status (and by NetSuite's error code, for the concurrency limit) and
reads the body: NetSuite's ``o:errorDetails``, the token endpoint's and RESTlets' ``{"error": ...}`` shapes,
HTML pages from proxies, empty and undecodable bodies. ``errors.py`` keeps every class and re-exports
`error_for_status` (``netsuite_async.errors.error_for_status`` is where callers import it from).

``errors.py`` imports this module at its top (`APIError.detail` uses `_text_snippet`), so this module imports
``errors`` only inside the functions that build errors; a module-level import would be a cycle.

Examples:
    >>> _text_snippet("<html><title>502 Bad Gateway</title></html>")
    "non-JSON answer (HTML page: '502 Bad Gateway'), probably from a proxy in front of NetSuite"
"""

from __future__ import annotations

import functools
import json as _json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsuite_async.errors import APIError, ErrorDetail

__all__ = ["error_for_status"]


@functools.cache
def _by_status() -> dict[int, type[APIError]]:
    """The class of each status that has its own (5xx and the concurrency limit are decided before)."""
    from netsuite_async import errors  # errors.py imports this module: see the module docstring

    return {
        400: errors.BadRequestError,
        401: errors.AuthenticationError,
        403: errors.PermissionDeniedError,
        404: errors.NotFoundError,
        409: errors.ConflictError,
        429: errors.ConcurrencyLimitError,
    }


def error_for_status(
    method: str,
    url: str,
    status_code: int,
    body: bytes,
    *,
    attempts: int = 1,
    response: Any = None,
    limit_error_codes: Sequence[str] = (),
    hints: Sequence[str] = (),
) -> APIError:
    """Build the typed error for an error answer, tolerating JSON, HTML and empty bodies.

    Examples:
        >>> body = b'{"title": "x", "o:errorDetails": [{"detail": "No such record.", "o:errorCode": "NONEXISTENT_ID"}]}'
        >>> type(error_for_status("GET", "https://x/r", 404, body)).__name__
        'NotFoundError'
    """
    from netsuite_async import errors  # errors.py imports this module: see the module docstring

    text = body.decode("utf-8", errors="replace") if body else ""
    parsed: Any = None
    if text.strip().startswith(("{", "[")):
        try:
            parsed = _json.loads(text)
        except ValueError:
            parsed = None
    title, details = _parse_details(parsed)
    codes = {d.error_code for d in details}
    cls: type[APIError]
    if status_code == 429 or codes & set(limit_error_codes) or "CONCURRENCY_LIMIT_EXCEEDED" in codes:
        cls = errors.ConcurrencyLimitError
    elif status_code >= 500:
        cls = errors.ServerError
    else:
        cls = _by_status().get(status_code, errors.APIError)
    return cls(
        method,
        url,
        status_code,
        details=details,
        title=title,
        response_text=text[:2000],
        attempts=attempts,
        response=response,
        hints=hints,
    )


def _parse_details(body: Any) -> tuple[str | None, list[ErrorDetail]]:
    from netsuite_async.errors import ErrorDetail  # errors.py imports this module: see the module docstring

    if not isinstance(body, Mapping):
        return None, []
    title = body.get("title") if isinstance(body.get("title"), str) else None
    raw = body.get("o:errorDetails")
    details: list[ErrorDetail] = []
    if isinstance(raw, Sequence) and not isinstance(raw, (str, bytes)):
        for item in raw:
            if not isinstance(item, Mapping):
                continue
            known = {"detail", "o:errorCode", "o:errorPath", "o:errorQueryParam"}
            details.append(
                ErrorDetail(
                    detail=str(item.get("detail", "")),
                    error_code=_opt_str(item.get("o:errorCode")),
                    error_path=_opt_str(item.get("o:errorPath")),
                    error_query_param=_opt_str(item.get("o:errorQueryParam")),
                    extra={k: v for k, v in item.items() if k not in known},
                )
            )
    # Some endpoints (token endpoint, RESTlet platform errors) answer {"error": ..., "error_description": ...}
    # or {"error": {"code": ..., "message": ...}}: keep them readable too.
    if not details and "error" in body:
        err = body["error"]
        if isinstance(err, Mapping):
            details.append(ErrorDetail(detail=str(err.get("message", "")), error_code=_opt_str(err.get("code"))))
        else:
            details.append(
                ErrorDetail(detail=str(body.get("error_description", "")), error_code=_opt_str(err))
            )
    return title, details


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _text_snippet(text: str) -> str:
    stripped = " ".join(text.split())
    if not stripped:
        return ""
    if "<html" in stripped.lower() or "<!doctype" in stripped.lower():
        # A proxy or load balancer page: show its title, not the markup.
        low = stripped.lower()
        start, end = low.find("<title>"), low.find("</title>")
        title = stripped[start + 7 : end].strip() if start != -1 and end > start else "HTML error page"
        return f"non-JSON answer (HTML page: {title!r}), probably from a proxy in front of NetSuite"
    return stripped[:300]
