"""Checking a base URL override (``NetSuiteClient(base_url=..., restlet_base_url=...)``); split out of
``client.py`` (issue 16).

Examples:
    >>> url_root("https://localhost:8443", "base_url", False)
    'https://localhost:8443'
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__: list[str] = []


def url_root(url: object, name: str, insecure_ok: bool) -> str:
    """Validate a base URL override (``name`` is the option) and return it without a trailing ``/`` or
    ``/services/rest``.

    Plain ``http://`` is refused unless the host is a loopback one or ``insecure_ok`` (``allow_insecure_http=True``,
    or an in-process test client); a URL with ``user:password@`` is refused without being echoed.

    Examples:
        >>> url_root("https://proxy.example:8443/netsuite/services/rest/", "base_url", False)
        'https://proxy.example:8443/netsuite'
        >>> url_root("http://127.0.0.1:8080", "base_url", False)
        'http://127.0.0.1:8080'
    """
    if not isinstance(url, str):
        raise TypeError(f"{name} must be a str, not {type(url).__name__}")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"{name} is not a valid URL") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        # Never echo the URL: its userinfo may be a password. httpx2 would also turn it into a Basic
        # Authorization header replacing the real credentials.
        raise ValueError(f"{name} must not contain 'user:password@': pass credentials with auth=")
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must look like https://host[:port], got {shown!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must not carry a query string or fragment, got {shown!r}")
    if parts.scheme == "http" and not insecure_ok and not is_loopback(parts.hostname):
        raise ValueError(
            f"{name} {shown!r} is plain http to a non-loopback host: credentials would travel in clear text. Use "
            "https://, or pass allow_insecure_http=True if a TLS-terminating proxy on a trusted network is meant"
        )
    root = f"{parts.scheme}://{parts.hostname if ':' not in parts.hostname else f'[{parts.hostname}]'}"
    root += f":{port}" if port is not None else ""
    root += parts.path.rstrip("/")
    if root.endswith("/services/rest"):
        root = root[: -len("/services/rest")]
    return root


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (``127.0.0.0/8``, ``::1``).

    Examples:
        >>> is_loopback("localhost"), is_loopback("::1"), is_loopback("netsuite.com")
        (True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
