"""How the library's errors are rebuilt when unpickled (split out of ``errors.py``, issue 16).

The default pickling of an exception calls ``cls(*err.args)``, which does not match the keyword-only
signatures of the errors in ``errors.py`` (multiprocessing ETL workers send errors back to their parent). Each
such class's ``__reduce__`` names one of these functions, which call the class again with the values it keeps
(never a response or a credential: a rebuilt `APIError` has ``response=None``).

The classes are passed in, so this module needs ``errors.py`` for type checking only (``errors.py`` imports it
at its top). ``errors.py`` re-exports every function here under its old name, so a pickle made before the split
(which names ``netsuite_async.errors._rebuild_...``) still loads.

Examples:
    >>> from netsuite_async.errors import BatchOutcomeUnknownError
    >>> _rebuild_unknown(BatchOutcomeUnknownError, "job 7 could not be read", None).reason
    'job 7 could not be read'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netsuite_async.errors import (
        AccessDeniedError,
        APIError,
        BatchOutcomeUnknownError,
        ErrorDetail,
        JobTasksMismatchError,
        JobTimeoutError,
        TransportError,
        WriteOutcomeUnknownError,
    )

__all__: list[str] = []


def _rebuild_api_error(
    cls: type[APIError], method: str, url: str, status: int, details: list[ErrorDetail], title: str | None,
    text: str, attempts: int, hints: list[str],
) -> APIError:
    return cls(method, url, status, details=details, title=title, response_text=text, attempts=attempts,
               hints=hints)


def _rebuild_transport_error(
    cls: type[TransportError], method: str, url: str, message: str, reached_server: bool, attempts: int
) -> TransportError:
    return cls(method, url, message, reached_server=reached_server, attempts=attempts)


def _rebuild_write_outcome_unknown(
    cls: type[WriteOutcomeUnknownError], method: str, url: str, reason: str, context: dict[str, str], attempts: int
) -> WriteOutcomeUnknownError:
    return cls(method, url, reason, context=context, attempts=attempts)


def _rebuild_mismatch(
    cls: type[JobTasksMismatchError], job_id: str, expected: int, listed: int, message: str
) -> JobTasksMismatchError:
    err = cls(job_id, expected=expected, listed=listed)
    err.args = (message,)
    return err


def _rebuild_unknown(cls: type[BatchOutcomeUnknownError], reason: str, checkpoint: str | None) -> Any:
    return cls(reason, checkpoint=checkpoint)


# The __reduce__ of each class above: errors.py assigns them (``__reduce__ = _reduce_api_error``), so each class
# says in one line how it pickles. Each names its rebuild function and the values that function takes.


def _reduce_api_error(err: APIError) -> tuple[Any, ...]:
    return (
        _rebuild_api_error,
        (type(err), err.method, err.url, err.status_code, err.details, err.title, err.response_text, err.attempts,
         err.hints),
    )


def _reduce_transport_error(err: TransportError) -> tuple[Any, ...]:
    # The default pickling calls __init__(*args), which does not match the keyword-only reached_server.
    return _rebuild_transport_error, (type(err), err.method, err.url, err.message, err.reached_server, err.attempts)


def _reduce_write_outcome_unknown(err: WriteOutcomeUnknownError) -> tuple[Any, ...]:
    return (_rebuild_write_outcome_unknown,
            (type(err), err.method, err.url, err.reason, err.context, err.attempts))


def _reduce_access_denied(err: AccessDeniedError) -> tuple[Any, ...]:
    return type(err), (err.agent, err.action, err.target, err.needed, err.reason)


def _reduce_job_timeout(err: JobTimeoutError) -> tuple[Any, ...]:
    return type(err), (err.job_id, err.timeout)


def _reduce_mismatch(err: JobTasksMismatchError) -> tuple[Any, ...]:
    return _rebuild_mismatch, (type(err), err.job_id, err.expected, err.listed, str(err))


def _reduce_unknown(err: BatchOutcomeUnknownError) -> tuple[Any, ...]:
    return _rebuild_unknown, (type(err), err.reason, err.checkpoint)
