"""What an asynchronous request carries besides its body: its method and its idempotency key (split out of
``jobs.py``, issue 16; ``netsuite_async.jobs`` re-exports the public names).

Examples:
    >>> validate_idempotency_key(new_idempotency_key()) != new_idempotency_key()
    True
"""

from __future__ import annotations

import uuid

__all__ = ["new_idempotency_key", "validate_idempotency_key"]


def new_idempotency_key() -> str:
    """A fresh idempotency key (a random UUID), to be reused on every retry of one logical request.

    Examples:
        >>> len(new_idempotency_key())
        36
    """
    return str(uuid.uuid4())


def validate_idempotency_key(value: object) -> str:
    """Return the canonical text of an idempotency key, which must be a UUID; else ValueError/TypeError.

    NetSuite documents the key as a UUID; anything else is refused before a request is sent.

    Examples:
        >>> validate_idempotency_key("CAC827EA-3543-4CDA-ADD2-BAE634326C27")
        'cac827ea-3543-4cda-add2-bae634326c27'
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"idempotency key must be a UUID string, not {type(value).__name__}")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"invalid idempotency key {value[:40]!r}: expected a UUID") from None


def validate_method(method: object) -> str:
    """The upper-case HTTP method of an asynchronous request (GET, POST, PUT, PATCH or DELETE), else an error.

    Examples:
        >>> validate_method("patch")
        'PATCH'
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a str, not {type(method).__name__}")
    verb = method.upper()
    if verb not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
        raise ValueError(f"unsupported method {method!r} for an asynchronous request")
    return verb
