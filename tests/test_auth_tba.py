"""TokenAuth (OAuth 1.0a, HMAC-SHA256): signatures against RFC 5849 and oauthlib, and end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.parse

import oauthlib.oauth1
import pytest
from _auth_harness import BASE, MiniEmulator
from hypothesis import given, settings
from hypothesis import strategies as st

from netsuite_async import AuthenticationError
from netsuite_async.auth import AuthRequest, TokenAuth
from netsuite_async.auth.tba import percent_encode, signature_base_string
from netsuite_async.retry import RetryPolicy
from netsuite_async.transport import RequestSpec

pytestmark = pytest.mark.anyio


def _parse_header(value: str) -> dict[str, str]:
    assert value.startswith("OAuth ")
    out = {}
    for item in value[len("OAuth ") :].split(","):
        k, _, v = item.strip().partition("=")
        out[k] = urllib.parse.unquote(v.strip('"'))
    return out


def _sha1_signature(base: str, consumer_secret: str, token_secret: str) -> str:
    # Test-only: RFC 5849's worked examples are HMAC-SHA1, which the library (rightly) never sends.
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


def test_base_string_matches_rfc5849_section_3_4_1_1_example() -> None:
    oauth = [
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
        # The RFC's example also signs two form-body parameters; TokenAuth never signs bodies, so they are
        # passed along with the oauth parameters here to reproduce the published string.
        ("c2", ""),
        ("a3", "2 q"),
    ]
    base = signature_base_string("post", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", oauth)
    assert base == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540"
        "%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3D"
        "HMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )


def test_sha1_signature_of_rfc5849_section_1_2_example_matches_published_value() -> None:
    oauth = [
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131202"),
        ("oauth_nonce", "chapoH"),
    ]
    base = signature_base_string("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original", oauth)
    assert _sha1_signature(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00") == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def test_percent_encoding_keeps_only_unreserved_characters() -> None:
    assert percent_encode("Ladies + Gentlemen") == "Ladies%20%2B%20Gentlemen"
    assert percent_encode("An encoded string!") == "An%20encoded%20string%21"
    assert percent_encode("Dogs, Cats & Mice") == "Dogs%2C%20Cats%20%26%20Mice"
    assert percent_encode("☃") == "%E2%98%83"
    assert percent_encode("a-b._~") == "a-b._~"


def _oauthlib_signature(url: str, method: str, nonce: str, ts: int) -> str:
    client = oauthlib.oauth1.Client(
        "ck-1",
        client_secret="cs/+=secret",
        resource_owner_key="tk-1",
        resource_owner_secret="ts&secret",
        signature_method=oauthlib.oauth1.SIGNATURE_HMAC_SHA256,
        realm="1234567_SB1",
        nonce=nonce,
        timestamp=str(ts),
    )
    _, headers, _ = client.sign(url, http_method=method)
    return _parse_header(headers["Authorization"])["oauth_signature"]


@pytest.mark.parametrize(
    "url",
    [
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer/1",
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=1000&offset=2000",
        "https://1234567-sb1.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=customscript_x&deploy=1"
        "&name=J%C3%BCrgen%20M%C3%BCller&tag=a%2Bb&empty=&tag=a",
        "https://h.example/services/rest/record/v1/customer?q=email%20START_WITH%20%22a%40b%22&fields=email,name",
        "https://h.example:8443/services/rest/record/v1/customer/eid:EXT-1?expandSubResources=true",
    ],
)
async def test_hmac_sha256_signature_equals_oauthlib(url: str) -> None:
    auth = TokenAuth("ck-1", "cs/+=secret", "tk-1", "ts&secret")
    header = auth.authorization_header("GET", url, "1234567_SB1", nonce="n0nce-n0nce-n0nce-n0nce", timestamp=1700000000)
    assert _parse_header(header)["oauth_signature"] == _oauthlib_signature(
        url, "GET", "n0nce-n0nce-n0nce-n0nce", 1700000000
    )


_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(params=st.lists(st.tuples(_texts.filter(bool), _texts), max_size=6), method=st.sampled_from(["GET", "POST"]))
def test_any_query_parameters_are_signed_like_oauthlib(params: list[tuple[str, str]], method: str) -> None:
    url = "https://h.example/services/rest/record/v1/customer"
    if params:
        url += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    auth = TokenAuth("ck-1", "cs/+=secret", "tk-1", "ts&secret")
    header = auth.authorization_header(method, url, "1234567_SB1", nonce="abcdefghijklmnopqrst", timestamp=1)
    assert _parse_header(header)["oauth_signature"] == _oauthlib_signature(url, method, "abcdefghijklmnopqrst", 1)


async def test_every_attempt_gets_a_fresh_nonce_of_at_least_20_chars_and_a_current_timestamp() -> None:
    now = [1_700_000_000.0]
    auth = TokenAuth("ck", "cs", "tk", "ts", clock=lambda: now[0])
    emu = MiniEmulator()
    async with emu.client(auth) as ns:
        headers = []
        for _ in range(3):
            req = AuthRequest("GET", BASE + "/services/rest/record/v1/customer/1", {})
            await auth.sign(req, ns.auth_context)
            headers.append(_parse_header(req.headers["Authorization"]))
            now[0] += 7
    nonces = [h["oauth_nonce"] for h in headers]
    assert len(set(nonces)) == 3
    assert all(len(n) >= 20 for n in nonces)
    assert [int(h["oauth_timestamp"]) for h in headers] == [1_700_000_000, 1_700_000_007, 1_700_000_014]
    assert all(h["oauth_signature_method"] == "HMAC-SHA256" and h["realm"] == "1234567_SB1" for h in headers)


@pytest.mark.parametrize("spelling", ["1234567_SB1", "1234567-sb1", "1234567_sb1", "1234567-SB1"])
async def test_sandbox_account_in_any_spelling_authenticates_with_upper_case_realm(spelling: str) -> None:
    emu = MiniEmulator("1234567_SB1")
    c = emu.credentials
    auth = TokenAuth(c.consumer_key, c.consumer_secret, c.token_id, c.token_secret, clock=emu.now)
    async with emu.client(auth, account=spelling) as ns:
        resp = await ns.request("GET", "/record/v1/customer/1", params={"fields": "email,companyName"})
    assert resp.json()["kind"] == "tba"


async def test_query_parameters_of_restlets_and_suiteql_are_signed_and_json_body_is_sent() -> None:
    emu = MiniEmulator()
    c = emu.credentials
    auth = TokenAuth(c.consumer_key, c.consumer_secret, c.token_id, c.token_secret, clock=emu.now)
    async with emu.client(auth) as ns:
        r1 = await ns.transport.send(
            RequestSpec(
                "GET",
                "/app/site/hosting/restlet.nl",
                params=[("script", "customscript_x"), ("deploy", "1"), ("who", "Jürgen & Co +1"), ("empty", "")],
                host="restlets",
            )
        )
        r2 = await ns.request("POST", "/query/v1/suiteql", params={"limit": 5, "offset": 10}, json={"q": "SELECT 1"})
    assert ["who", "Jürgen & Co +1"] in r1.json()["query"]
    assert r2.json()["query"] == [["limit", "5"], ["offset", "10"]]
    assert json.loads(r2.json()["body"]) == {"q": "SELECT 1"}


async def test_wrong_secret_is_401_invalid_login_with_hints_and_no_secret_in_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emu = MiniEmulator()
    c = emu.credentials
    auth = TokenAuth(c.consumer_key, "wrong-consumer-secret", c.token_id, c.token_secret, clock=emu.now)
    caplog.set_level(logging.DEBUG)
    async with emu.client(auth, retry=RetryPolicy(max_attempts=1)) as ns:
        with pytest.raises(AuthenticationError) as info:
            await ns.request("GET", "/record/v1/customer/1")
    err = info.value
    assert err.status_code == 401
    assert err.error_code == "INVALID_LOGIN"
    assert any("realm" in h for h in err.hints)
    assert any("clock" in h for h in err.hints)
    assert emu.counters.auth_failures == 1
    text = str(err) + repr(err) + caplog.text + repr(auth) + str(auth)
    for secret in ("wrong-consumer-secret", c.token_secret):
        assert secret not in text


async def test_clock_more_than_five_minutes_off_is_refused() -> None:
    emu = MiniEmulator()
    c = emu.credentials
    auth = TokenAuth(c.consumer_key, c.consumer_secret, c.token_id, c.token_secret, clock=lambda: emu.now() - 301)
    async with emu.client(auth) as ns:
        with pytest.raises(AuthenticationError):
            await ns.request("GET", "/record/v1/customer/1")
    assert emu.auth.last_failure is not None
    assert "timestamp" in emu.auth.last_failure


@pytest.mark.parametrize(
    ("name", "value", "exc"),
    [
        ("consumer_key", "", ValueError),
        ("consumer_secret", "   ", ValueError),
        ("token_id", None, TypeError),
        ("token_secret", 'a"b', ValueError),
    ],
)
def test_bad_credentials_are_refused_at_construction(name: str, value: object, exc: type[Exception]) -> None:
    kwargs: dict[str, object] = {"consumer_key": "ck", "consumer_secret": "cs", "token_id": "tk", "token_secret": "ts"}
    kwargs[name] = value
    with pytest.raises(exc, match=name):
        TokenAuth(**kwargs)  # type: ignore[arg-type]


def test_repr_and_str_never_show_secrets() -> None:
    auth = TokenAuth("consumer-key-1234567890", "consumer-SECRET-value", "token-id-1234567890", "token-SECRET-value")
    for text in (repr(auth), str(auth), f"{auth}"):
        assert "SECRET" not in text
        assert "consumer-key-1234567890" not in text


async def test_path_with_external_id_and_escaped_characters_is_signed_as_sent() -> None:
    emu = MiniEmulator()
    c = emu.credentials
    auth = TokenAuth(c.consumer_key, c.consumer_secret, c.token_id, c.token_secret, clock=emu.now)
    async with emu.client(auth) as ns:
        resp = await ns.request("GET", "/record/v1/customer/eid:EXT%201(b)", params={"fields": "a b"})
    assert resp.json()["kind"] == "tba"
