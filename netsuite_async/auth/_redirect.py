"""Redirect URIs by NetSuite's rules (split out of ``authorization_code.py``, which re-exports
`check_redirect_uri`).

Examples:
    >>> check_redirect_uri("https://app.example/callback")
    'https://app.example/callback'
"""

from __future__ import annotations

import re
import urllib.parse

__all__ = ["check_redirect_uri"]


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError(f"{name} is empty")
    return text


# Schemes that are not an app's own: a custom (private-use) redirect scheme must not be one of these.
_NOT_CUSTOM_SCHEMES = frozenset(
    {"http", "ftp", "ftps", "file", "data", "javascript", "about", "blob", "ws", "wss", "mailto", "tel", "urn"}
)
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")


def check_redirect_uri(uri: str) -> str:
    """Validate a redirect URI by NetSuite's rules: ``https://…``, or an app's custom scheme (``myapp://callback``).

    Plain ``http://`` is refused, loopback included (``http://localhost:8000/callback``): NetSuite's integration
    record does not accept it, so a provider built with one could never complete a login. For local development
    use ``https://localhost…`` behind a local TLS proxy, or a custom scheme. A fragment is refused (RFC 6749
    §3.1.2).

    Examples:
        >>> check_redirect_uri("myapp://callback")
        'myapp://callback'
        >>> check_redirect_uri("http://localhost:8000/callback")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: redirect_uri 'http://localhost:8000/callback' uses plain http, which NetSuite refuses: ...
    """
    text = _check_text("redirect_uri", uri)
    parsed = urllib.parse.urlsplit(text)
    scheme = parsed.scheme.lower()
    if parsed.fragment or "#" in text:
        raise ValueError(f"redirect_uri {text!r} must not have a fragment")
    if scheme == "http":
        raise ValueError(
            f"redirect_uri {text!r} uses plain http, which NetSuite refuses: use https://… or a custom scheme "
            "such as myapp://callback"
        )
    if scheme == "https":
        if not parsed.netloc:
            raise ValueError(f"redirect_uri {text!r} must name a host")
        return text
    if not scheme or not _SCHEME_RE.match(scheme) or scheme in _NOT_CUSTOM_SCHEMES:
        raise ValueError(
            f"redirect_uri {text!r} must be an absolute https URL or use an app's custom scheme (myapp://callback)"
        )
    if not (parsed.netloc or parsed.path):
        raise ValueError(f"redirect_uri {text!r} has nothing after its scheme")
    return text
