"""Specification of the identifier validators every API module builds URLs with."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netsuite_async import identifiers as ids


@pytest.mark.parametrize("name", ["customer", "salesOrder", "customrecord_acme_widget", "a", "X1_"])
def test_record_type_accepts_identifiers(name: str) -> None:
    assert ids.validate_record_type(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../x",
        "customer/1",
        "customer?x=1",
        "1customer",
        "_x",
        "sales order",
        "kunde\u00e9",
        "a" * 101,
        "a.b",
    ],
)
def test_record_type_rejects_anything_that_is_not_an_identifier(name: str) -> None:
    with pytest.raises(ValueError, match="invalid record type"):
        ids.validate_record_type(name)


def test_record_type_of_wrong_kind_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        ids.validate_record_type(5)


@pytest.mark.parametrize(("value", "expected"), [(1, "1"), ("7", "7"), ("0042", "42"), (2**40, str(2**40))])
def test_internal_id_accepts_positive_integers_and_digit_strings(value: int | str, expected: str) -> None:
    assert ids.validate_internal_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0",
        0,
        -1,
        "-1",
        "1?a=b",
        "1/!transform/invoice",
        "../x",
        " 1",
        "1 ",
        "1.0",
        "\u0661",
        "0x10",
        "1e3",
    ],
)
def test_internal_id_rejects_everything_else(value: object) -> None:
    with pytest.raises(ValueError, match="invalid internal id"):
        ids.validate_internal_id(value)


@pytest.mark.parametrize("value", [True, False, 1.0, None, b"1"])
def test_internal_id_of_wrong_kind_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        ids.validate_internal_id(value)


def test_external_id_is_percent_encoded_into_one_segment() -> None:
    assert ids.record_id_segment("eid:a/b?c=d#e%f g") == "eid:a%2Fb%3Fc%3Dd%23e%25f%20g"
    assert ids.record_id_segment("eid:\u00fc\u6771") == "eid:%C3%BC%E6%9D%B1"


@pytest.mark.parametrize("value", ["eid:", "eid:a\nb", "eid:\x00", "eid:" + "x" * 256])
def test_external_id_rejects_empty_control_characters_and_overlong(value: str) -> None:
    with pytest.raises(ValueError, match="invalid external id"):
        ids.record_id_segment(value)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=255))
def test_any_printable_external_id_round_trips_and_stays_one_safe_segment(value: str) -> None:
    segment = ids.external_id_segment(value)
    assert segment.startswith("eid:")
    encoded = segment[4:]
    assert unquote(encoded) == value
    assert not set(encoded) & set("/?#[]@!$&'()*+,;= ")


def test_record_path_builds_record_and_sub_resource_paths() -> None:
    assert ids.record_path("customer") == "/record/v1/customer"
    assert ids.record_path("customer", 5) == "/record/v1/customer/5"
    assert ids.record_path("salesOrder", "1", "item") == "/record/v1/salesOrder/1/item"
    assert ids.record_path("salesOrder", 1, "item", 3) == "/record/v1/salesOrder/1/item/3"
    assert ids.record_path("customer", "eid:A B") == "/record/v1/customer/eid:A%20B"


@pytest.mark.parametrize(
    ("args"),
    [
        ("customer", "1/!transform/invoice"),
        ("customer", 1, "!transform"),
        ("customer", 1, "item", 0),
        ("customer", 1, "item", "../2"),
        ("../customer", 1),
    ],
)
def test_record_path_rejects_injection_in_any_part(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError, match="invalid"):
        ids.record_path(*args)  # type: ignore[arg-type]


def test_record_path_needs_an_id_before_a_sub_resource() -> None:
    with pytest.raises(ValueError, match="needs a record id"):
        ids.record_path("salesOrder", None, "item")


def test_ids_param_joins_internal_and_external_ids_unencoded() -> None:
    assert ids.ids_param([1, "02", "eid:A B/1"]) == "1,2,eid:A B/1"


@pytest.mark.parametrize(("value", "error"), [([], ValueError), (["eid:a,b"], ValueError), ("1,2", TypeError)])
def test_ids_param_refuses_empty_lists_commas_in_eids_and_bare_strings(value: object, error: type) -> None:
    with pytest.raises(error):
        ids.ids_param(value)  # type: ignore[arg-type]


def test_field_names_are_validated_deduplicated_and_never_a_bare_string() -> None:
    assert ids.validate_field_names(["email", "phone", "email"]) == ["email", "phone"]
    with pytest.raises(TypeError):
        ids.validate_field_names("email")
    with pytest.raises(ValueError, match="invalid field name"):
        ids.validate_field_names(["email", "a,b"])
    with pytest.raises(ValueError, match="must not be empty"):
        ids.validate_field_names([])


@pytest.mark.parametrize(
    ("script", "deploy"),
    [("customscript_x", "customdeploy_x"), (12, 1), ("12", "1"), ("customscript1", "customdeploy1")],
)
def test_script_and_deploy_ids_accept_numbers_and_script_ids(script: object, deploy: object) -> None:
    assert ids.validate_script_id(script) == str(script)
    assert ids.validate_deploy_id(deploy) == str(deploy)


@pytest.mark.parametrize("value", ["", "custom script", "x&deploy=2", "0", -3, "a/b", "\u00e9t\u00e9"])
def test_script_ids_reject_injection(value: object) -> None:
    with pytest.raises(ValueError, match="invalid"):
        ids.validate_script_id(value)
