"""What an error may keep: detached responses and scrubbed chains (split out of ``errors.py``, issue 16).

`scrub_error` cuts everything but the library's own errors out of an error's ``__cause__``/``__context__``
chains and ``history``; `_detached` is what `APIError.response` stores (through the `_DetachedResponse`
descriptor). Both are re-exported by ``errors.py``
(``netsuite_async.errors.scrub_error`` is where callers import it from).

``errors.py`` imports this module at its top, so this module imports ``errors`` only inside `scrub_error`
(a module-level import would be a cycle); ``_http`` is imported inside `_detached`, as before the split.

Examples:
    >>> _detached(None) is None
    True
"""

from __future__ import annotations

from typing import Any

__all__ = ["scrub_error"]


def _detached(response: Any) -> Any:
    """What an error keeps of an HTTP response: its values, credentials redacted (``_http.detach_response``)."""
    if response is None:
        return None
    from netsuite_async._http import Response, detach_response

    if isinstance(response, Response):
        return detach_response(response)
    return response


class _DetachedResponse:
    """The descriptor behind `APIError.response`: stores a detached copy, builds it on first read.

    Setting stores `_detached` ``(value)`` (credentials redacted); reading builds the
    ``httpx2.Response`` once from what was stored (when it has a ``build``) and keeps it.
    """

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        kept = obj.__dict__.get("_response")
        if kept is None or not hasattr(kept, "build"):
            return kept
        built = kept.build()
        obj.__dict__["_response"] = built
        return built

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["_response"] = _detached(value)


def scrub_error(err: BaseException) -> BaseException:
    """Cut everything but the library's own errors out of ``err``'s chains, in place; returns ``err``.

    The HTTP library's exceptions hold the request that failed, signed headers included; the transport's own
    retry bookkeeping holds them too. An error leaving the library keeps its message (which already says what
    the network failure was), its typed ``__cause__`` chain (e.g. a ``WriteOutcomeUnknownError`` caused by a
    ``ServerError``) and ``history``, each scrubbed the same way. Any other ``__cause__``/``__context__`` is
    dropped. Tracebacks are kept: their frames are the caller's own program.

    Examples:
        >>> from netsuite_async.errors import TransportError
        >>> try:
        ...     try:
        ...         raise KeyError("Authorization: Bearer secret")
        ...     except KeyError:
        ...         raise TransportError("GET", "https://x/r", "dropped", reached_server=True)
        ... except TransportError as caught:
        ...     err = scrub_error(caught)
        >>> err.__context__ is None and err.__cause__ is None
        True
    """
    from netsuite_async.errors import NetSuiteError  # errors.py imports this module: see the module docstring

    seen: set[int] = set()
    stack: list[BaseException] = [err]
    while stack and len(seen) < 1000:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for attr in ("__cause__", "__context__"):
            linked = getattr(current, attr)
            if linked is None:
                continue
            if isinstance(linked, NetSuiteError):
                stack.append(linked)
            else:
                setattr(current, attr, None)
                if attr == "__context__":
                    current.__suppress_context__ = True
        if isinstance(current, NetSuiteError):
            current.history = [h for h in current.history if isinstance(h, NetSuiteError)]
            stack.extend(current.history)
    return err
