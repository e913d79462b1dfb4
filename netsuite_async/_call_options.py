"""Per-call options: ``timeout=`` and ``headers=`` on every resource method, in one place.

Every public method of a resource (``ns.records``, ``ns.suiteql``, ``ns.batch``, ``ns.jobs`` and the `Job` objects
it returns, ``ns.restlets``, ``ns.metadata``) takes two keyword options:

* ``timeout``: the per-attempt read timeout in seconds (what ``NetSuiteClient(timeout=...)`` and
  ``ns.with_options(timeout=...)`` set), for every request the call sends;
* ``headers``: a mapping of header names to values, merged over the client's default headers for every request
  the call sends (the headers the library sets for the operation itself, such as ``Prefer`` or the idempotency
  key, still win; names compare case-insensitively).

One meaning per name: ``timeout`` is always per attempt; a total is a ``deadline`` (``RetryPolicy(deadline=...)``
for one call's retries, ``Job.wait(deadline=...)`` for a job, ``batch.create(job_deadline=...)`` per job).

How: the decorators every resource method already has (``traced``/``traced_iter`` in ``telemetry.py``) call
`apply_call_options` first when the call passes one of `CALL_OPTIONS`. With a ``timeout`` or ``headers`` it runs the
method on a shallow copy of the resource bound to ``transport.derive(...)``; the resources the copy holds (a
batch's jobs and records, the records' jobs) are copied and rebound the same way, so everything the call sends
(pages, parallel reads, job polls, task results) uses the overrides and nothing else does. The copy shares the
pool, the governor (the account limit holds), the auth, the counters and what the resource has learned about the
account. A call passing neither option costs one set check.

It also accepts, for one release, the names this replaced (with a `DeprecationWarning` naming the new one):
``read_timeout=`` (now ``timeout=``), ``job_timeout=`` (now ``job_deadline=``), and ``timeout=`` on the wait
methods, where it used to be the total: passed without ``deadline=`` it is still taken as the deadline.

Examples:
    >>> check_timeout(2)
    2.0
    >>> check_headers({"X-Team": "finance"})
    {'X-Team': 'finance'}
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from netsuite_async.retry import positive_seconds

__all__ = [
    "CALL_OPTIONS",
    "apply_call_options",
    "check_headers",
    "check_timeout",
    "deadline_first",
    "rebind",
    "renamed",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Keyword names that send a call through `apply_call_options` (the options and the names they replaced).
CALL_OPTIONS = frozenset({"timeout", "headers", "read_timeout", "job_timeout"})

# Old keyword -> new keyword, accepted for one release with a DeprecationWarning.
_RENAMED = {"read_timeout": "timeout", "job_timeout": "job_deadline"}
# RFC 9110 token characters: what a header name may be made of.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# The attribute a resource keeps its transport under (telemetry.py reads the same one).
_TRANSPORT = "_transport"


def check_timeout(value: object, name: str = "timeout") -> float | None:
    """A per-attempt timeout as float seconds (None stays None); TypeError or ValueError otherwise.

    Shared by every resource method and ``NetSuiteClient.with_options``.

    Examples:
        >>> check_timeout(None) is None, check_timeout(2.5)
        (True, 2.5)
        >>> check_timeout(0)
        Traceback (most recent call last):
        ...
        ValueError: timeout must be a positive, finite number of seconds, got 0.0
    """
    if value is None:
        return None
    return positive_seconds(name, value)


def check_headers(value: object) -> dict[str, str] | None:
    """Per-call or per-view headers as a plain dict (None stays None); TypeError or ValueError otherwise.

    Names must be HTTP tokens and values strings without line breaks; ``Authorization`` is refused (the client's
    auth sets it on every attempt). Errors name the header, never its value.

    Examples:
        >>> check_headers({"X-Correlation-Id": "abc"})
        {'X-Correlation-Id': 'abc'}
        >>> check_headers({"Authorization": "Bearer x"})
        Traceback (most recent call last):
        ...
        ValueError: headers: Authorization is set by the client's auth on every attempt; do not pass it
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"headers must be a mapping of str to str, not {type(value).__name__}")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError("headers must map str to str")
        if not _TOKEN.fullmatch(key):
            raise ValueError(f"headers: {key[:40]!r} is not a valid header name")
        if any(c in item for c in "\r\n\0"):
            raise ValueError(f"headers: the value of {key} contains a line break or NUL")
        if key.lower() == "authorization":
            raise ValueError("headers: Authorization is set by the client's auth on every attempt; do not pass it")
        out[key] = item
    return out


def renamed(old: str, old_value: Any, new: str, new_value: Any, default: Any = None) -> Any:
    """The value of a renamed keyword: ``new_value``, or ``old_value`` with a DeprecationWarning when the old name
    was used (both given: TypeError). ``default`` is what ``new_value`` is when the caller did not pass it.

    For functions that are not resource methods (``probe``); resource methods get the same through
    `apply_call_options`.

    Examples:
        >>> renamed("job_timeout", None, "job_deadline", 300.0, 300.0)
        300.0
    """
    if old_value is None:
        return new_value
    if new_value is not default and new_value != default:
        raise TypeError(f"pass {new}= only ({old}= is its old name)")
    warnings.warn(f"{old}= is deprecated; use {new}= (same meaning)", DeprecationWarning, stacklevel=3)
    return old_value


def deadline_first(func: F) -> F:
    """Mark a wait method whose ``timeout`` used to be the total: its first argument after ``self`` is now
    ``deadline``, and ``timeout=`` passed without ``deadline=`` is taken as the deadline (with a warning) for one
    release.

    Examples:
        >>> @deadline_first
        ... async def wait(self, deadline=600.0, *, timeout=None, headers=None): ...
        >>> wait._netsuite_deadline_first
        True
    """
    func._netsuite_deadline_first = True  # type: ignore[attr-defined]
    return func


def apply_call_options(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The arguments to run ``func`` with: ``args`` itself, or with ``args[0]`` (the resource) replaced by a copy
    bound to a derived transport when the call passes ``timeout`` or ``headers``.

    Called by the telemetry decorators when ``kwargs`` holds one of `CALL_OPTIONS`; ``kwargs`` is edited in place
    for the deprecated names. Values are checked here, before anything is sent.

    Examples:
        >>> class Thing:
        ...     pass
        >>> thing = Thing()
        >>> apply_call_options(print, (thing,), {"timeout": None})[0] is thing
        True
    """
    for old, new in _RENAMED.items():
        if old in kwargs:
            value = kwargs.pop(old)
            if value is None:
                continue
            if kwargs.get(new) is not None:
                raise TypeError(f"pass {new}= only ({old}= is its old name)")
            warnings.warn(f"{old}= is deprecated; use {new}= (same meaning)", DeprecationWarning, stacklevel=3)
            kwargs[new] = value
    if "timeout" in kwargs and getattr(func, "_netsuite_deadline_first", False) and len(args) < 2 \
            and "deadline" not in kwargs:
        warnings.warn(
            f"{func.__qualname__}(timeout=...) is deprecated as the total wait: timeout is now the per-attempt read "
            "timeout and the total is deadline=. This call's timeout is taken as its deadline.",
            DeprecationWarning, stacklevel=3,
        )
        kwargs["deadline"] = kwargs.pop("timeout")
    timeout = check_timeout(kwargs.get("timeout"))
    headers = check_headers(kwargs.get("headers"))
    if timeout is None and not headers:
        return args
    resource = args[0]
    transport = resource.__dict__.get(_TRANSPORT)
    if transport is None:
        return args  # not a resource bound to a transport (an agent's guard passes the options on)
    derived = transport.derive(timeout=timeout, headers=headers)
    bound = rebind(resource, derived)
    # What the call hands back for later use (a submitted Job) belongs to the resource, not to this one call.
    bound.__dict__["_home_transport"] = transport
    return (bound, *args[1:])


def rebind(resource: Any, transport: Any, _memo: dict[int, Any] | None = None) -> Any:
    """A shallow copy of ``resource`` sending through ``transport``, with every resource it holds (an attribute
    whose object keeps a ``_transport``) rebound the same way, each copied once.

    Examples:
        >>> class Res:
        ...     def __init__(self, transport, sibling=None):
        ...         self._transport, self._sibling = transport, sibling
        >>> a = Res("t", Res("t"))
        >>> b = rebind(a, "derived")
        >>> b._transport, b._sibling._transport, a._sibling._transport
        ('derived', 'derived', 't')
    """
    memo = {} if _memo is None else _memo
    copied = memo.get(id(resource))
    if copied is not None:
        return copied
    copied = object.__new__(type(resource))
    memo[id(resource)] = copied
    state = dict(resource.__dict__)
    state.pop("_home_transport", None)
    for name, value in state.items():
        if name == _TRANSPORT:
            state[name] = transport
        elif _TRANSPORT in getattr(value, "__dict__", ()):
            state[name] = rebind(value, transport, memo)
    copied.__dict__.update(state)
    return copied
