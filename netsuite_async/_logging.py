"""Keeping query values and credentials out of httpx2's and httpcore2's log lines.

The library's own log lines carry URLs with query *values* redacted (``?script=…&apikey=…``) and never a header.
httpx2 itself logs every request at INFO (``HTTP Request: GET https://…?apikey=s3cret "HTTP/1.1 200 OK"``) and
httpcore2 logs response headers (``Set-Cookie`` included) at DEBUG. Creating a
`NetSuiteClient` installs one `RedactingFilter` on those loggers (once per process):
it rewrites the records of requests to the client's hosts only, so other httpx2 users in the same process keep
their log lines as they are. The filter changes the record, never drops it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from netsuite_async._http import SENSITIVE_HEADERS, httpx2, redacted_url

__all__ = ["HTTPX2_LOGGERS", "RedactingFilter", "redact_httpx2_logs"]

#: The loggers the filter is installed on (a logger's filters do not apply to its children's records).
HTTPX2_LOGGERS = ("httpx2", "httpcore2.http11", "httpcore2.http2", "httpcore2.connection", "httpcore2.proxy")

_TEXT_HEADER_PAIR = re.compile(
    r"\((b['\"](?:" + "|".join(re.escape(h) for h in SENSITIVE_HEADERS) + r")['\"]),\s*b(['\"]).*?\2\)",
    re.IGNORECASE,
)


def _origin(url: str) -> str:
    parsed = httpx2.URL(url)
    port = parsed.port if parsed.port is not None else (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{parsed.host.lower()}:{port}"


class RedactingFilter(logging.Filter):
    """Rewrites httpx2/httpcore2 records about requests to registered hosts: query values and credentials out.

    Examples:
        >>> f = RedactingFilter()
        >>> f.add_hosts(["https://123.restlets.api.netsuite.com"])
        >>> record = logging.LogRecord("httpx2", logging.INFO, "", 0, 'HTTP Request: %s %s "%s %d %s"',
        ...     ("GET", httpx2.URL("https://123.restlets.api.netsuite.com/r?apikey=s3cret"), "HTTP/1.1", 200, "OK"),
        ...     None)
        >>> f.filter(record), record.getMessage()
        (True, 'HTTP Request: GET https://123.restlets.api.netsuite.com/r?apikey=… "HTTP/1.1 200 OK"')
    """

    def __init__(self) -> None:
        super().__init__()
        self._origins: set[str] = set()
        self._lock = threading.Lock()

    def add_hosts(self, urls: Iterable[str]) -> None:
        """Redact records about requests to these URLs' origins (scheme, host, port)."""
        with self._lock:
            self._origins = self._origins | {_origin(u) for u in urls}

    def _ours(self, url: httpx2.URL) -> bool:
        port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
        return f"{url.scheme}://{url.host.lower()}:{port}" in self._origins

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; always keep it."""
        args = record.args
        if isinstance(args, tuple) and args:
            changed = False
            new_args = list(args)
            for i, arg in enumerate(args):
                if isinstance(arg, httpx2.URL) and arg.query and self._ours(arg):
                    new_args[i] = redacted_url(arg)
                    changed = True
            if changed:
                record.args = tuple(new_args)
        if record.name.startswith("httpcore2") and isinstance(record.msg, str) and "b'" in record.msg:
            # httpcore2's trace lines show response (and proxy request) headers as tuples of bytes.
            record.msg = _TEXT_HEADER_PAIR.sub(r"(\1, b'[redacted]')", record.msg)
        return True


_FILTER = RedactingFilter()
_installed = False
_install_lock = threading.Lock()


def redact_httpx2_logs(*urls: str) -> RedactingFilter:
    """Install the process-wide filter on httpx2's loggers (once) and register ``urls``' hosts with it.

    Examples:
        >>> flt = redact_httpx2_logs("https://123.suitetalk.api.netsuite.com")
        >>> flt in logging.getLogger("httpx2").filters
        True
    """
    global _installed
    with _install_lock:
        if not _installed:
            for name in HTTPX2_LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
            _installed = True
    _FILTER.add_hosts(urls)
    return _FILTER
