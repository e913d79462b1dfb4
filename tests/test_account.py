"""Account ids: every spelling users type maps to one canonical id, realm and set of hosts; nothing else passes."""

from __future__ import annotations

import string
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netsuite_async.account import Account

_ALLOWED = set(string.ascii_letters + string.digits + "_-")

digits = st.text(alphabet=string.digits, min_size=1, max_size=10)
sandbox_no = st.integers(min_value=1, max_value=9)


@pytest.mark.parametrize(
    ("spelling", "canonical", "slug"),
    [
        ("1234567", "1234567", "1234567"),
        ("1234567_SB1", "1234567_SB1", "1234567-sb1"),
        ("1234567-sb1", "1234567_SB1", "1234567-sb1"),
        ("1234567_sb1", "1234567_SB1", "1234567-sb1"),
        ("1234567-SB1", "1234567_SB1", "1234567-sb1"),
        ("tstdrv123456", "TSTDRV123456", "tstdrv123456"),
    ],
)
def test_documented_spellings_map_to_the_canonical_id_realm_and_hosts(spelling: str, canonical: str, slug: str) -> None:
    acct = Account.parse(spelling)
    assert acct.account_id == canonical
    assert acct.realm == canonical
    assert str(acct) == canonical
    assert acct.host_slug == slug
    assert acct.rest_base_url == f"https://{slug}.suitetalk.api.netsuite.com"
    assert acct.restlet_base_url == f"https://{slug}.restlets.api.netsuite.com"
    assert acct.app_base_url == f"https://{slug}.app.netsuite.com"


@given(number=digits, sb=sandbox_no, sep=st.sampled_from(["_", "-"]), tag=st.sampled_from(["SB", "sb", "Sb", "sB"]))
def test_any_sandbox_spelling_gives_upper_underscore_realm_and_lower_dash_hosts(
    number: str, sb: int, sep: str, tag: str
) -> None:
    acct = Account.parse(f"{number}{sep}{tag}{sb}")
    assert acct.realm == f"{number}_SB{sb}"
    assert acct.is_sandbox
    slug = f"{number}-sb{sb}"
    assert urlsplit(acct.rest_base_url).hostname == f"{slug}.suitetalk.api.netsuite.com"
    assert urlsplit(acct.restlet_base_url).hostname == f"{slug}.restlets.api.netsuite.com"
    assert urlsplit(acct.app_base_url).hostname == f"{slug}.app.netsuite.com"


@given(number=digits)
def test_production_ids_are_not_sandboxes_and_keep_their_digits(number: str) -> None:
    acct = Account.parse(number)
    assert acct.realm == number
    assert not acct.is_sandbox


@given(text=st.text(alphabet=sorted(_ALLOWED), min_size=1, max_size=40))
def test_every_spelling_of_one_account_parses_to_the_same_account(text: str) -> None:
    try:
        acct = Account.parse(text)
    except ValueError:
        return  # malformed use of the allowed characters (leading '-', '__' …) may be refused
    # Canonical form is a fixed point, and the dash/lower spelling parses back to the same account.
    assert Account.parse(acct.account_id) == acct
    assert Account.parse(acct.host_slug) == acct
    assert Account.parse(acct.account_id.lower()) == acct
    assert acct.realm == acct.realm.upper()
    assert "-" not in acct.realm
    assert acct.host_slug == acct.host_slug.lower()
    assert "_" not in acct.host_slug


@given(
    prefix=st.text(alphabet=string.digits, min_size=1, max_size=8),
    bad=st.characters(blacklist_characters=sorted(_ALLOWED)),
    suffix=st.text(alphabet=sorted(_ALLOWED), max_size=8),
)
def test_any_character_outside_letters_digits_underscore_dash_inside_the_id_raises(
    prefix: str, bad: str, suffix: str
) -> None:
    with pytest.raises(ValueError, match="invalid NetSuite account id"):
        Account.parse(f"{prefix}{bad}1{suffix}")


@given(value=st.text(max_size=30))
def test_whatever_is_accepted_yields_hosts_under_netsuite_com_only(value: str) -> None:
    try:
        acct = Account.parse(value)
    except ValueError:
        return
    for url, suffix in (
        (acct.rest_base_url, ".suitetalk.api.netsuite.com"),
        (acct.restlet_base_url, ".restlets.api.netsuite.com"),
        (acct.app_base_url, ".app.netsuite.com"),
    ):
        parts = urlsplit(url)
        assert parts.scheme == "https"
        assert parts.hostname is not None
        assert parts.hostname.endswith(suffix)
        assert parts.hostname.count(".") == suffix.count(".")
        assert parts.path == ""
        assert parts.query == ""
        assert parts.username is None
        assert parts.port is None
        assert set(parts.hostname[: -len(suffix)]) <= set(string.ascii_lowercase + string.digits + "-")


@pytest.mark.parametrize(
    "attack",
    [
        "1234567.evil.com",
        "evil.com/",
        "1234567@evil.com",
        "1234567/../x",
        "1234567?x=1",
        "1234567#frag",
        "1234567:443",
        "123 4567",
        "1234567\nHost: evil",
        "１２３４５６７",  # full-width digits are not ASCII digits
        "1234567%2eevil",
        "",
        "   ",
        "-1234567",
        "1234567_",
        "1234567__SB1",
        "1234567-_SB1",
        "a" * 65,
    ],
)
def test_host_injection_and_malformed_ids_raise_value_error(attack: str) -> None:
    with pytest.raises(ValueError):
        Account.parse(attack)


def test_surrounding_whitespace_is_trimmed_so_a_newline_read_from_a_file_cannot_reach_a_host() -> None:
    acct = Account.parse("  1234567_sb1\r\n")
    assert acct.realm == "1234567_SB1"
    assert acct.host_slug == "1234567-sb1"


def test_non_string_account_raises_type_error() -> None:
    with pytest.raises(TypeError):
        Account.parse(1234567)  # type: ignore[arg-type]


def test_parse_returns_an_account_unchanged() -> None:
    acct = Account.parse("1234567_SB2")
    assert Account.parse(acct) is acct


def test_error_message_says_what_a_valid_id_looks_like() -> None:
    with pytest.raises(ValueError, match="letters, digits") as info:
        Account.parse("123.evil")
    assert "123.evil" in str(info.value)
