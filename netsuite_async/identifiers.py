"""Validators for the names and ids that end up in NetSuite URLs.

Every API module builds its paths and query strings from these functions, so a bad value is refused with a
clear `ValueError` (or `TypeError` for the wrong kind of value) *before* any request is sent.
Nothing here touches the network.

NetSuite reads a path segment literally: ``"1/!transform/invoice"`` passed as an id would run a transform,
``"../x"`` would address another record type and ``"1?a=b"`` would smuggle in query parameters. Internal ids
are therefore positive integers only, record type and field names are plain identifiers, and external ids are
percent-encoded so that whatever the caller stored as an external id reaches NetSuite as one path segment.

Examples:

    >>> from netsuite_async.identifiers import record_path, record_id_segment
    >>> record_path("customer", 42)
    '/record/v1/customer/42'
    >>> record_id_segment("eid:ACME/2024")
    'eid:ACME%2F2024'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from netsuite_async._checks import is_int

__all__ = [
    "EXTERNAL_ID_PREFIX",
    "RecordId",
    "encode_external_id",
    "external_id_segment",
    "ids_param",
    "is_external_id",
    "record_id_segment",
    "record_path",
    "validate_deploy_id",
    "validate_field_name",
    "validate_field_names",
    "validate_internal_id",
    "validate_record_type",
    "validate_script_id",
]

EXTERNAL_ID_PREFIX = "eid:"

#: What callers may pass where a record is meant: an internal id (``7`` or ``"7"``) or ``"eid:VALUE"``.
RecordId = int | str

# ASCII only: str.isdigit() would let through Arabic-Indic and other Unicode digits.
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
# Record types (``customer``, ``salesOrder``, ``customrecord_acme_widget``), field and sublist names.
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)
# Script and deployment ids (``customscript_acme``, ``customdeploy1``); NetSuite also accepts the numeric
# internal id of the script or deployment, which _DIGITS covers.
_SCRIPT_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
# Control characters cannot be typed into NetSuite's external id field; refusing them keeps logs sane.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_MAX_NAME_LENGTH = 100
_MAX_EXTERNAL_ID_LENGTH = 255


def _require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}: {value!r}")
    return value


def validate_record_type(value: object) -> str:
    """Return ``value`` if it is a valid record type name, else raise ValueError/TypeError.

    A record type is an identifier: a letter followed by letters, digits or underscores
    (``customer``, ``salesOrder``, ``customrecord_acme_widget``), at most 100 characters.

    Examples:

        >>> validate_record_type("salesOrder")
        'salesOrder'
        >>> validate_record_type("../customer")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: invalid record type '../customer': expected an identifier such as ...
    """
    text = _require_str(value, "record type")
    if len(text) > _MAX_NAME_LENGTH or not _IDENTIFIER.fullmatch(text):
        raise ValueError(
            f"invalid record type {text!r}: expected an identifier such as 'customer' or 'salesOrder'"
        )
    return text


def validate_field_name(value: object, *, what: str = "field name") -> str:
    """Return ``value`` if it is a valid field or sublist name, else raise ValueError/TypeError.

    Examples:

        >>> validate_field_name("email")
        'email'
        >>> validate_field_name("item", what="sublist name")
        'item'
    """
    text = _require_str(value, what)
    if len(text) > _MAX_NAME_LENGTH or not _IDENTIFIER.fullmatch(text):
        raise ValueError(f"invalid {what} {text!r}: expected an identifier such as 'email' or 'addressBook'")
    return text


def validate_field_names(values: Iterable[str] | str, *, what: str = "field name") -> list[str]:
    """Validate a collection of field names and return them as a list (order kept, duplicates dropped).

    A single string is refused on purpose: ``fields="email"`` iterated would be ``e, m, a, i, l``.

    Examples:

        >>> validate_field_names(["email", "phone", "email"])
        ['email', 'phone']
    """
    if isinstance(values, str | bytes):
        raise TypeError(f"{what}s must be a list of names, not a single string: {values!r}")
    seen: dict[str, None] = {}
    for value in values:
        seen[validate_field_name(value, what=what)] = None
    if not seen:
        raise ValueError(f"{what}s must not be empty")
    return list(seen)


def validate_internal_id(value: object) -> str:
    """Return the canonical text of an internal id (a positive integer), else raise ValueError/TypeError.

    Accepts an ``int`` or a string of ASCII digits; leading zeros are dropped. ``bool`` is refused even though
    it is an ``int`` subclass, because ``True`` as a record id is always a bug.

    Examples:

        >>> validate_internal_id(42)
        '42'
        >>> validate_internal_id("0042")
        '42'
        >>> validate_internal_id("1/!transform/invoice")
        Traceback (most recent call last):
        ...
        ValueError: invalid internal id '1/!transform/invoice': expected a positive integer
    """
    if isinstance(value, bool):
        raise TypeError(f"internal id must be an int or a string of digits, not bool: {value!r}")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"invalid internal id {value!r}: expected a positive integer")
        return str(value)
    if not isinstance(value, str):
        raise TypeError(
            f"internal id must be an int or a string of digits, not {type(value).__name__}: {value!r}"
        )
    if not _DIGITS.fullmatch(value) or int(value) <= 0:
        raise ValueError(f"invalid internal id {value!r}: expected a positive integer")
    return str(int(value))


def _validate_external_id_value(value: object) -> str:
    text = _require_str(value, "external id")
    if not text:
        raise ValueError("invalid external id '': it must not be empty")
    if len(text) > _MAX_EXTERNAL_ID_LENGTH:
        raise ValueError(
            f"invalid external id {text[:20]!r}...: longer than {_MAX_EXTERNAL_ID_LENGTH} characters"
        )
    if _CONTROL.search(text):
        raise ValueError(f"invalid external id {text!r}: control characters are not allowed")
    return text


def encode_external_id(value: object) -> str:
    """Percent-encode a bare external id (without the ``eid:`` prefix) for use inside a URL path segment.

    Every byte outside the RFC 3986 unreserved set is encoded, so ``/``, ``?``, ``#``, ``%``, spaces and
    non-ASCII text all stay inside the one segment.

    Examples:

        >>> encode_external_id("ACME 2024/ü")
        'ACME%202024%2F%C3%BC'
    """
    return quote(_validate_external_id_value(value), safe="")


def external_id_segment(value: object) -> str:
    """Return the path segment ``eid:<percent-encoded value>`` for a bare external id.

    Examples:

        >>> external_id_segment("CUST-1")
        'eid:CUST-1'
    """
    return EXTERNAL_ID_PREFIX + encode_external_id(value)


def is_external_id(value: object) -> bool:
    """True when ``value`` is a string in the ``"eid:VALUE"`` form.

    Examples:

        >>> is_external_id("eid:X"), is_external_id(7)
        (True, False)
    """
    return isinstance(value, str) and value.startswith(EXTERNAL_ID_PREFIX)


def record_id_segment(value: object) -> str:
    """Return the URL path segment for a record id: an internal id or ``"eid:VALUE"``.

    Examples:

        >>> record_id_segment(7), record_id_segment("eid:A B")
        ('7', 'eid:A%20B')
    """
    if is_external_id(value):
        assert isinstance(value, str)
        return external_id_segment(value[len(EXTERNAL_ID_PREFIX) :])
    return validate_internal_id(value)


def record_path(record_type: str, record_id: RecordId | None = None, *sub_path: str | int) -> str:
    """Build ``/record/v1/{type}[/{id}[/{sublist}[/{line}]]]`` from validated parts.

    ``sub_path`` elements are sublist/sub-resource names (identifiers) or line numbers (positive integers).

    Examples:

        >>> record_path("salesOrder", 1, "item", 2)
        '/record/v1/salesOrder/1/item/2'
        >>> record_path("customer", "eid:C/1")
        '/record/v1/customer/eid:C%2F1'
    """
    parts = ["/record/v1", validate_record_type(record_type)]
    if record_id is None:
        if sub_path:
            raise ValueError("a sub-resource path needs a record id")
        return "/".join(parts)
    parts.append(record_id_segment(record_id))
    for element in sub_path:
        if isinstance(element, str) and not _DIGITS.fullmatch(element):
            parts.append(validate_field_name(element, what="sub-resource name"))
        else:
            parts.append(validate_internal_id(element))
    return "/".join(parts)


def ids_param(ids: Iterable[RecordId]) -> str:
    """Render record ids for the 2026.1 ``ids=`` query parameter (``1,2,eid:X``).

    Values go into the query string, where the HTTP layer encodes them, so external ids are *not*
    percent-encoded here; an external id containing a comma cannot be expressed in this list and is refused.

    Examples:

        >>> ids_param([1, "2", "eid:A-1"])
        '1,2,eid:A-1'
    """
    if isinstance(ids, str | bytes):
        raise TypeError(f"ids must be a list of ids, not a single string: {ids!r}")
    rendered: list[str] = []
    for value in ids:
        if is_external_id(value):
            assert isinstance(value, str)
            bare = _validate_external_id_value(value[len(EXTERNAL_ID_PREFIX) :])
            if "," in bare:
                raise ValueError(f"external id {bare!r} contains a comma and cannot be used in an ids list")
            rendered.append(EXTERNAL_ID_PREFIX + bare)
        else:
            rendered.append(validate_internal_id(value))
    if not rendered:
        raise ValueError("ids must not be empty")
    return ",".join(rendered)


def validate_script_id(value: object) -> str:
    """Validate a RESTlet script reference: a numeric internal id or a script id such as ``customscript_x``.

    Examples:

        >>> validate_script_id("customscript_acme_orders"), validate_script_id(512)
        ('customscript_acme_orders', '512')
    """
    return _validate_script_reference(value, "script")


def validate_deploy_id(value: object) -> str:
    """Validate a RESTlet deployment reference: a numeric id (``1``) or a deployment id (``customdeploy1``).

    Examples:

        >>> validate_deploy_id(1), validate_deploy_id("customdeploy_acme")
        ('1', 'customdeploy_acme')
    """
    return _validate_script_reference(value, "deploy")


def _validate_script_reference(value: object, what: str) -> str:
    if is_int(value):
        return validate_internal_id(value)
    text = _require_str(value, f"{what} id")
    if _DIGITS.fullmatch(text):
        return validate_internal_id(text)
    if len(text) > _MAX_NAME_LENGTH or not _SCRIPT_IDENTIFIER.fullmatch(text):
        raise ValueError(
            f"invalid {what} id {text!r}: expected a positive integer or an id such as 'custom{what}_example'"
        )
    return text
