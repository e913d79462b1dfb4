"""Error answers become typed, readable exceptions that never carry secrets."""

from __future__ import annotations

import json
import pickle

import pytest

from netsuite_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConcurrencyLimitError,
    ConflictError,
    ErrorDetail,
    NetSuiteError,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    WriteOutcomeUnknownError,
    error_for_status,
)

URL = "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer/1"


def ns_body(status: int, code: str, detail: str, **extra: str) -> bytes:
    item = {"detail": detail, "o:errorCode": code, **extra}
    return json.dumps(
        {"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1", "title": "Bad Request",
         "status": status, "o:errorDetails": [item]}
    ).encode()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, ConcurrencyLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (418, APIError),
        (405, APIError),
    ],
)
def test_error_class_is_chosen_by_status(status: int, cls: type[APIError]) -> None:
    err = error_for_status("GET", URL, status, ns_body(status, "SOME_CODE", "something"))
    assert type(err) is cls
    assert isinstance(err, APIError)
    assert isinstance(err, NetSuiteError)
    assert err.status_code == status


def test_o_error_details_are_parsed_into_code_detail_path_and_query_param() -> None:
    body = json.dumps({
        "title": "Bad Request",
        "status": 400,
        "o:errorDetails": [
            {"detail": "Invalid query.", "o:errorCode": "INVALID_PARAMETER", "o:errorQueryParam": "q",
             "o:errorPath": "email", "o:extraThing": 1},
            {"detail": "Second.", "o:errorCode": "USER_ERROR"},
        ],
    }).encode()
    err = error_for_status("GET", URL, 400, body)
    assert err.error_code == "INVALID_PARAMETER"  # the first code
    assert err.detail == "Invalid query."
    assert err.title == "Bad Request"
    assert [d.error_code for d in err.details] == ["INVALID_PARAMETER", "USER_ERROR"]
    first = err.details[0]
    assert first == ErrorDetail(
        detail="Invalid query.", error_code="INVALID_PARAMETER", error_path="email", error_query_param="q",
        extra={"o:extraThing": 1},
    )


def test_str_shows_status_code_and_detail_and_where() -> None:
    err = error_for_status("GET", URL, 404, ns_body(404, "NONEXISTENT_ID", "The record instance does not exist."))
    text = str(err)
    assert text.startswith("404 NONEXISTENT_ID: The record instance does not exist.")
    assert "GET" in text
    assert URL in text


def test_str_names_the_query_parameter_or_field_at_fault() -> None:
    q = error_for_status("GET", URL, 400, ns_body(400, "INVALID_PARAMETER", "Bad q", **{"o:errorQueryParam": "q"}))
    assert "(query parameter 'q')" in str(q)
    f = error_for_status("POST", URL, 400, ns_body(400, "USER_ERROR", "Bad", **{"o:errorPath": "email"}))
    assert "(field 'email')" in str(f)


def test_html_body_from_a_proxy_gives_a_readable_error() -> None:
    html = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
            b"<script>var x = 1;</script>" + b"<p>filler</p>" * 500 + b"</body></html>")
    err = error_for_status("GET", URL, 502, html)
    assert isinstance(err, ServerError)
    assert err.error_code is None
    text = str(err)
    assert text.startswith("502 ")
    assert "502 Bad Gateway" in text
    assert "proxy" in text
    assert "<script>" not in text
    assert "<html" not in text.lower()
    assert len(text) < 500
    assert len(err.response_text) <= 2000


@pytest.mark.parametrize("body", [b"", b"   \n", b"not json at all", b"{truncated", b"[1, 2]", b"null", b'"str"'])
def test_empty_or_non_object_bodies_still_give_a_readable_error(body: bytes) -> None:
    err = error_for_status("DELETE", URL, 503, body)
    assert isinstance(err, ServerError)
    assert err.error_code is None
    text = str(err)
    assert text.startswith("503 ")
    assert "DELETE" in text
    if not body.strip():
        assert "(empty response body)" in text


def test_binary_garbage_body_does_not_raise_while_building_the_error() -> None:
    err = error_for_status("GET", URL, 500, bytes(range(256)))
    assert isinstance(err, ServerError)
    assert str(err).startswith("500 ")


def test_oauth_style_error_bodies_are_readable() -> None:
    err = error_for_status("POST", URL, 400,
                           b'{"error": "invalid_grant", "error_description": "The refresh token expired."}')
    assert err.error_code == "invalid_grant"
    assert "The refresh token expired." in str(err)
    nested = error_for_status("POST", URL, 400, b'{"error": {"code": "SSS_MISSING_REQD_ARGUMENT", "message": "x"}}')
    assert nested.error_code == "SSS_MISSING_REQD_ARGUMENT"


def test_concurrency_limit_code_maps_to_concurrency_error_even_on_other_statuses() -> None:
    restlet = error_for_status("POST", URL, 400, ns_body(400, "SSS_REQUEST_LIMIT_EXCEEDED", "Too many"),
                               limit_error_codes=("SSS_REQUEST_LIMIT_EXCEEDED",))
    assert isinstance(restlet, ConcurrencyLimitError)
    plain = error_for_status("GET", URL, 429, ns_body(429, "CONCURRENCY_LIMIT_EXCEEDED",
                                                      "Concurrent request limit exceeded. Request blocked."))
    assert isinstance(plain, ConcurrencyLimitError)
    assert plain.error_code == "CONCURRENCY_LIMIT_EXCEEDED"
    without_registration = error_for_status("POST", URL, 400, ns_body(400, "SSS_REQUEST_LIMIT_EXCEEDED", "x"))
    assert type(without_registration) is BadRequestError


def test_401_hints_are_shown_in_str() -> None:
    err = error_for_status("GET", URL, 401, ns_body(401, "INVALID_LOGIN", "Invalid login attempt."),
                           hints=["check the realm"])
    assert isinstance(err, AuthenticationError)
    assert "hint: check the realm" in str(err)


def test_attempts_show_in_str_when_more_than_one() -> None:
    err = error_for_status("GET", URL, 503, b"", attempts=4)
    assert "after 4 attempts" in str(err)


def test_errors_never_hold_request_secrets_in_str_repr_or_pickles() -> None:
    secret = "Bearer s3cr3t-token-value"
    err = error_for_status("GET", URL, 401, ns_body(401, "INVALID_LOGIN", "Invalid login attempt."))
    for rendering in (str(err), repr(err), repr(err.__dict__)):
        assert secret not in rendering
        assert "Authorization" not in rendering
    # Only the error's own data survives pickling (the raw response, which holds the request, is dropped).
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is AuthenticationError
    assert str(clone) == str(err)
    assert clone.response is None


def test_transport_errors_keep_method_url_and_whether_the_server_was_reached() -> None:
    err = RequestTimeoutError("GET", URL, "ReadTimeout", reached_server=True, attempts=3)
    assert isinstance(err, TransportError)
    assert err.reached_server
    assert "after 3 attempts" in str(err)
    assert URL in str(err)


def test_write_outcome_unknown_says_it_may_have_been_applied_and_keeps_context() -> None:
    context = {"record_type": "customer", "body_sha256": "ab"}
    err = WriteOutcomeUnknownError("POST", URL, "read timeout", context=context)
    text = str(err)
    assert "may or may not have been applied" in text
    assert "record_type=customer" in text
    assert err.context == {"record_type": "customer", "body_sha256": "ab"}


@pytest.mark.parametrize(
    "err",
    [
        TransportError("GET", URL, "connection refused", reached_server=False, attempts=2),
        RequestTimeoutError("GET", URL, "ReadTimeout", reached_server=True),
        WriteOutcomeUnknownError("POST", URL, "read timeout", context={"record_type": "customer"}, attempts=1),
    ],
)
def test_non_api_errors_survive_pickling(err: NetSuiteError) -> None:
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is type(err)
    assert str(clone) == str(err)
    assert clone.__dict__.keys() >= {"method", "url", "attempts"}


def test_every_error_starts_with_an_empty_history() -> None:
    assert error_for_status("GET", URL, 500, b"").history == []
    assert TransportError("GET", URL, "x", reached_server=False).history == []
