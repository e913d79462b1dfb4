"""The one JSON encoding of request bodies that the library builds itself (jobs, batches, RESTlets).

Strict JSON, as NetSuite parses it: ``NaN`` and ``Infinity`` are refused with ``ValueError`` (Python's default
would write them, which no JSON parser accepts), anything not serialisable with ``TypeError``, both before a
request is sent. Bodies passed as ``json=`` to the transport get the same rule from httpx2 (``allow_nan=False``).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["encode_json_body"]


def encode_json_body(value: Any, what: str = "json body") -> bytes:
    """Compact UTF-8 JSON for a request body; ValueError for NaN/Infinity, TypeError for other values.

    Examples:
        >>> encode_json_body({"a": 1.5, "b": "é"})
        b'{"a":1.5,"b":"\\xc3\\xa9"}'
        >>> encode_json_body({"amount": float("nan")})
        Traceback (most recent call last):
        ...
        ValueError: json body: NaN and Infinity are not valid JSON numbers (found in a float value)
    """
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        if "Out of range float" in str(exc):
            raise ValueError(f"{what}: NaN and Infinity are not valid JSON numbers (found in a float value)") from None
        raise ValueError(f"{what} cannot be encoded as JSON: {exc}") from None
    except TypeError as exc:
        raise TypeError(f"{what} is not JSON-serialisable: {exc}") from None
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply (or refers to itself)") from None
    return text.encode("utf-8")
