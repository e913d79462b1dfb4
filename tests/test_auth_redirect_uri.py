"""Authorization-code redirect URIs follow NetSuite's rules (https or a custom scheme, never plain http), on
both sides, and public clients work end to end (no secret, client_id in the form, rotating refresh token)."""

from __future__ import annotations

import urllib.parse

import pytest
from _auth_harness import MiniEmulator

from netsuite_async import AuthenticationError
from netsuite_async.auth import AuthorizationCode, MemoryTokenStore
from netsuite_async.auth.authorization_code import check_redirect_uri
from netsuite_async.testing._auth import redirect_uri_problem

pytestmark = pytest.mark.anyio

GOOD = ["https://app.example.com/callback", "https://localhost:8443/cb?x=1", "myapp://callback",
        "com.example.app:/oauth2redirect", "my-app+test.v2://cb"]
BAD = ["http://app.example.com/callback", "http://localhost:8000/callback", "http://127.0.0.1/callback",
       "HTTP://localhost/cb", "https://a.example/cb#x", "ftp://x/cb", "file:///tmp/cb", "javascript:alert(1)",
       "data:text/html,x", "/relative/cb", "callback", "", "myapp:"]


@pytest.mark.parametrize("uri", GOOD)
def test_https_and_custom_schemes_are_accepted_on_both_sides(uri: str) -> None:
    assert check_redirect_uri(uri) == uri
    assert redirect_uri_problem(uri) is None
    AuthorizationCode("cid", "secret", uri)


@pytest.mark.parametrize("uri", BAD)
def test_plain_http_and_non_app_schemes_are_refused_on_both_sides(uri: str) -> None:
    with pytest.raises(ValueError, match="redirect_uri"):
        AuthorizationCode("cid", "secret", uri)
    assert redirect_uri_problem(uri) is not None
    with pytest.raises(ValueError):
        MiniEmulator().auth.add_auth_code_client("another", uri, "s")


def test_the_http_refusal_says_what_to_use_instead() -> None:
    with pytest.raises(ValueError) as info:
        check_redirect_uri("http://localhost:8000/callback")
    assert "https" in str(info.value)
    assert "myapp://callback" in str(info.value)


async def test_the_emulator_never_redirects_to_plain_http_even_when_asked() -> None:
    emu = MiniEmulator()
    emu.auth._auth_code_clients["legacy"] = (None, "http://localhost/cb")  # as if registered before the rule
    params = {"response_type": "code", "client_id": "legacy", "redirect_uri": "http://localhost/cb",
              "scope": "rest_webservices", "state": "s" * 22, "code_challenge": "a" * 43,
              "code_challenge_method": "S256"}
    async with emu.http() as browser:
        resp = await browser.get("/app/login/oauth2/authorize.nl", params=params)
    assert resp.status_code == 400
    assert "location" not in resp.headers
    assert "http" in resp.json()["error_description"]


async def test_a_public_client_with_a_custom_scheme_logs_in_refreshes_and_revokes() -> None:
    emu = MiniEmulator()
    emu.auth.add_auth_code_client("mobile-app", "myapp://callback")
    store = MemoryTokenStore()
    auth = AuthorizationCode("mobile-app", None, "myapp://callback", clock=emu.now, store=store)
    assert auth.public
    assert "public client" in repr(auth)
    async with emu.client(auth) as ns:
        start = auth.authorize_url(ns)
        async with emu.http() as browser:
            resp = await browser.get(start.url)
        location = resp.headers["location"]
        assert location.startswith("myapp://callback?")
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        await auth.exchange(q["code"], q["state"])
        first = await store.get(auth.store_key(ns.auth_context))
        emu.advance(3600)
        await ns.request("GET", "/record/v1/customer/1")
        second = await store.get(auth.store_key(ns.auth_context))
        assert first is not None
        assert second is not None
        assert second.refresh_token != first.refresh_token
        await auth.revoke()
        assert emu.auth.issued_access_tokens() == 0


async def test_a_confidential_client_cannot_pose_as_public_and_vice_versa() -> None:
    emu = MiniEmulator()
    c = emu.credentials
    # The confidential client's id without its secret is refused at the token endpoint.
    posing = AuthorizationCode(c.auth_code_client_id, None, c.redirect_uri, clock=emu.now)
    async with emu.client(posing) as ns:
        start = posing.authorize_url(ns)
        async with emu.http() as browser:
            location = (await browser.get(start.url)).headers["location"]
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        with pytest.raises(AuthenticationError) as info:
            await posing.exchange(q["code"], q["state"])
    assert info.value.error_code == "invalid_client"
    # A public client cannot use Basic with a made-up secret.
    secretive = AuthorizationCode(c.public_client_id, "made-up", c.redirect_uri, clock=emu.now)
    async with emu.client(secretive) as ns:
        start = secretive.authorize_url(ns)
        async with emu.http() as browser:
            location = (await browser.get(start.url)).headers["location"]
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        with pytest.raises(AuthenticationError):
            await secretive.exchange(q["code"], q["state"])


@pytest.mark.parametrize(("force", "rotates"), [(True, True), (False, False)])
async def test_rotation_can_be_forced_either_way_for_client_tests(force: bool, rotates: bool) -> None:
    emu = MiniEmulator(rotate_refresh_tokens=force)
    c = emu.credentials
    store = MemoryTokenStore()
    auth = AuthorizationCode(c.public_client_id, None, c.redirect_uri, clock=emu.now, store=store)
    async with emu.client(auth) as ns:
        start = auth.authorize_url(ns)
        async with emu.http() as browser:
            location = (await browser.get(start.url)).headers["location"]
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        await auth.exchange(q["code"], q["state"])
        first = await store.get(auth.store_key(ns.auth_context))
        emu.advance(3600)
        await ns.request("GET", "/record/v1/customer/1")
        second = await store.get(auth.store_key(ns.auth_context))
    assert first is not None
    assert second is not None
    assert (second.refresh_token != first.refresh_token) is rotates
