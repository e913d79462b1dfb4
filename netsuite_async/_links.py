"""Reading NetSuite's links and the ids in its URLs: the one home of these readers (issue 16).

NetSuite names what it made in URLs: a write answers with ``Location: …/record/v1/{type}/{id}``, an
asynchronous request with ``Location: …/async/v1/job/{id}``, and a job's task listing names each task by the
``self`` link of an item (``{"links": [{"rel": "self", "href": "…/task/{id}"}]}``). The library reads them all
here (records, jobs and the probe).

Every reader takes what NetSuite sent and returns ``None`` for an absent or odd value instead of raising: the
caller decides whether a missing id is an error and says so in its own words. Only the URL's path is read (a
query string or fragment is ignored), one trailing ``/`` is allowed, and an id is returned as written (an
``eid:`` record id stays ``eid:…``; nothing is percent-decoded). A URL must *end* in the part read:
``…/record/v1/customer/7/addressBook`` names no record, it is not taken for customer 7.

The emulator (``netsuite_async.testing``) does not use this module: it writes the URLs that these read, and one
shared parser would let a mistake in it pass both sides unseen.

Examples:
    >>> record_in_location("https://x/services/rest/record/v1/customer/647?fields=id")
    ('customer', '647')
    >>> job_id_in_location("/services/rest/async/v1/job/42/")
    '42'
    >>> task_id_in_href(link_href({"links": [{"rel": "self", "href": "https://x/async/v1/job/42/task/3"}]}))
    '3'
    >>> record_in_location(None), link_href({"links": None})
    (None, None)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__: list[str] = []

#: The characters of a job or task id (NetSuite's are digits; the unreserved URL characters are allowed).
ID_CHARS = r"[A-Za-z0-9_.~-]+"
_RECORD_IN_PATH = re.compile(r"/record/v1/([A-Za-z][A-Za-z0-9_]*)/([^/?#]+)/?$")
_JOB_IN_PATH = re.compile(rf"/async/v1/job/({ID_CHARS})/?$")
_TASK_IN_PATH = re.compile(rf"/task/({ID_CHARS})/?$")
_REST = "/services/rest"


def is_id(text: str) -> bool:
    """True when ``text`` is a job or task id that can go into a URL path as it is.

    A ``text`` that is not a ``str`` raises `TypeError` (as ``re.fullmatch`` does).

    Examples:
        >>> is_id("5120"), is_id("1/../2"), is_id("")
        (True, False, False)
    """
    return re.fullmatch(ID_CHARS, text) is not None


def url_path(url: object) -> str | None:
    """The path of a URL (absolute or relative), or None for a missing or unreadable one.

    Examples:
        >>> url_path("https://x/services/rest/record/v1/customer/7?fields=id"), url_path("http://[x")
        ('/services/rest/record/v1/customer/7', None)
    """
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        return urlsplit(url.strip()).path
    except ValueError:  # e.g. an unclosed "[" in the host
        return None


def link_href(doc: object, rel: str = "self") -> str | None:
    """The ``href`` of the first link of ``doc["links"]`` whose ``rel`` is ``rel``, else None.

    A ``doc`` that is not a mapping, ``links`` that are not a list, and links without a text ``href`` are
    skipped, not errors.

    Examples:
        >>> link_href({"links": [{"rel": "related", "href": "/r"}, {"rel": "self", "href": "/s"}]})
        '/s'
        >>> link_href({"links": [{"rel": "self"}]}, "self"), link_href("not a document")
        (None, None)
    """
    links = doc.get("links") if isinstance(doc, Mapping) else None
    if not isinstance(links, (list, tuple)):
        return None
    for link in links:
        if isinstance(link, Mapping) and link.get("rel") == rel:
            href = link.get("href")
            if isinstance(href, str):
                return href
    return None


def last_segment(href: object) -> str | None:
    """The last segment of a URL's path (a trailing ``/`` ignored), or None when the path has none.

    Examples:
        >>> last_segment("https://x/services/rest/record/v1/salesOrder/7/item/2/?expand=true")
        '2'
        >>> last_segment("https://x/"), last_segment(None)
        (None, None)
    """
    path = url_path(href)
    last = path.rstrip("/").rsplit("/", 1)[-1] if path else ""
    return last or None


def record_in_location(location: object) -> tuple[str, str] | None:
    """``(record type, id)`` from a URL ending in ``/record/v1/{type}/{id}``, else None.

    Examples:
        >>> record_in_location("https://x/services/rest/record/v1/customer/eid:CUST-1/")
        ('customer', 'eid:CUST-1')
        >>> record_in_location("https://x/services/rest/async/v1/job/7")
    """
    path = url_path(location)
    match = _RECORD_IN_PATH.search(path) if path else None
    return (match.group(1), match.group(2)) if match else None


def job_id_in_location(location: object) -> str | None:
    """The job id of a URL ending in ``/async/v1/job/{id}``, else None.

    Examples:
        >>> job_id_in_location("https://x/services/rest/async/v1/job/15?x=1")
        '15'
        >>> job_id_in_location("https://x/services/rest/async/v1/job/15/task/1")
    """
    path = url_path(location)
    match = _JOB_IN_PATH.search(path) if path else None
    return match.group(1) if match else None


def task_id_in_href(href: object) -> str | None:
    """The task id of a URL ending in ``/task/{id}`` (a task's ``self`` link), else None.

    Examples:
        >>> task_id_in_href("https://x/services/rest/async/v1/job/15/task/5120/")
        '5120'
        >>> task_id_in_href("https://x/services/rest/async/v1/job/15/task/5120/result")
    """
    path = url_path(href)
    match = _TASK_IN_PATH.search(path) if path else None
    return match.group(1) if match else None


def rest_path(href: str) -> str:
    """What follows ``/services/rest`` in a URL (the path the transport sends), or the URL unchanged.

    Examples:
        >>> rest_path("https://x.suitetalk.api.netsuite.com/services/rest/async/v1/job/1/task/1")
        '/async/v1/job/1/task/1'
    """
    at = href.find(_REST)
    return href[at + len(_REST):] if at != -1 else href


def job_path(location: object) -> str | None:
    """The REST path of the job a ``Location`` names (``/async/v1/job/{id}``), else None.

    Examples:
        >>> job_path("https://1234567.suitetalk.api.netsuite.com/services/rest/async/v1/job/7/")
        '/async/v1/job/7'
    """
    job_id = job_id_in_location(location)
    return None if job_id is None else f"/async/v1/job/{job_id}"
