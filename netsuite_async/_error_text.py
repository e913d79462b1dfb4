"""The messages of the library's errors, and what `APIError` reads from its details (split out of ``errors.py``,
issue 16).

Every class stays defined in ``errors.py``; its ``__init__`` (or ``_message``) calls the function here that
writes its text, so the messages are exactly what they were. The functions take plain values, so this module
needs ``errors.py`` for type checking only (``errors.py`` imports it at its top).

Examples:
    >>> transport_message("connection refused", "GET", "https://x/r", attempts=3)
    'connection refused [GET https://x/r] after 3 attempts'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from netsuite_async._error_parsing import _text_snippet

if TYPE_CHECKING:
    from netsuite_async.errors import APIError, ErrorDetail

__all__: list[str] = []

#: `DateFormatRequiredError`'s message when it is given none.
DATE_FORMAT_REQUIRED = (
    "a q filter holds a date, but the account's date format is not configured: pass "
    "NetSuiteClient(date_format='M/D/YYYY' | 'D/M/YYYY' | 'YYYY-MM-DD') as set in NetSuite at Home > Set "
    "Preferences > General > Date Format (company default: Setup > Company > General Preferences); "
    "`netsuite-async probe` measures it. From the CLI: --date-format or NETSUITE_DATE_FORMAT"
)


def first_code(details: Sequence[ErrorDetail]) -> str | None:
    """The first ``o:errorCode`` of the details (`APIError.error_code`)."""
    for d in details:
        if d.error_code:
            return d.error_code
    return None


def first_detail(details: Sequence[ErrorDetail], title: str | None, response_text: str) -> str:
    """The first human-readable detail, or the title, or a snippet of a non-JSON body (`APIError.detail`)."""
    for d in details:
        if d.detail:
            return d.detail
    if title:
        return title
    return _text_snippet(response_text)


def api_error_message(err: APIError) -> str:
    """``400 INVALID_PARAMETER: Bad q (query parameter 'q') [GET url] after 2 attempts`` and the hints."""
    parts = [str(err.status_code)]
    if err.error_code:
        parts.append(f"{err.error_code}:")
    msg = " ".join(parts)
    detail = err.detail or "(empty response body)"
    msg = f"{msg} {detail}"
    for d in err.details:
        if d.error_path:
            msg += f" (field {d.error_path!r})"
            break
        if d.error_query_param:
            msg += f" (query parameter {d.error_query_param!r})"
            break
    msg += f" [{err.method} {err.url}]"
    if err.attempts > 1:
        msg += f" after {err.attempts} attempts"
    for hint in err.hints:
        msg += f"\n  hint: {hint}"
    return msg


def transport_message(message: str, method: str, url: str, attempts: int) -> str:
    """`TransportError`'s message: what failed, the request, and the attempts when more than one."""
    suffix = f" after {attempts} attempts" if attempts > 1 else ""
    return f"{message} [{method} {url}]{suffix}"


def write_outcome_message(method: str, url: str, reason: str, context: Mapping[str, str]) -> str:
    """`WriteOutcomeUnknownError`'s message: the write, why it was not retried, and the caller's context."""
    ctx = ", ".join(f"{k}={v}" for k, v in context.items())
    return (
        f"{method} {url} may or may not have been applied ({reason}); it was not retried because NetSuite "
        f"ignores idempotency keys on synchronous requests. Check before writing again"
        + (f" ({ctx})" if ctx else "")
    )


def access_denied_message(agent: str, action: str, target: str, needed: str, reason: str) -> str:
    """`AccessDeniedError`'s message."""
    if needed:
        return f"agent {agent!r} may not {action} {target}: it needs {needed}, and {reason}"
    return f"agent {agent!r} may not {action} {target}: {reason}"


def batch_unknown_message(reason: str, checkpoint: str | None) -> str:
    """`BatchOutcomeUnknownError`'s message: the reason, and what to do with or without a checkpoint."""
    if checkpoint is not None:
        advice = (
            f"run the batch again with the same input and checkpoint {checkpoint!r} to resolve it: the "
            "same idempotency keys lead NetSuite back to the earlier jobs, nothing is applied twice"
        )
    else:
        advice = (
            "this run had no checkpoint, so running the batch again sends new idempotency keys and may apply "
            "the item a second time: look the record up first (e.g. by externalId), and pass "
            "checkpoint=PATH (CLI: --checkpoint) to make a batch resumable"
        )
    return f"outcome unknown: {reason}; {advice}"

