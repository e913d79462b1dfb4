"""Every provider end to end against the full emulator (FakeNetSuite): records, SuiteQL and RESTlets."""

from __future__ import annotations

import urllib.parse

import pytest

from netsuite_async import BearerToken, NetSuiteClient
from netsuite_async.auth import AuthorizationCode, ClientCredentials, TokenAuth
from netsuite_async.testing import FakeNetSuite

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]



async def _exercise(fake: FakeNetSuite, auth: object, account: str | None = None) -> None:
    if account is None:
        client = fake.client(auth=auth)
    else:
        client = NetSuiteClient(account, auth, base_url=fake.base_url, http_client=fake.http_client())  # type: ignore[arg-type]
    async with client as ns:
        if isinstance(auth, AuthorizationCode):
            start = auth.authorize_url(ns)
            async with fake.http_client() as browser:
                location = (await browser.get(start.url)).headers["location"]
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
            await auth.exchange(q["code"], q["state"])
        page = await ns.request("GET", "/record/v1/customer", params={"limit": 5, "offset": 0})
        assert page.status_code == 200
        rows = await ns.request(
            "POST",
            "/query/v1/suiteql",
            params={"limit": 3},
            json={"q": "SELECT id FROM customer"},
            headers={"Prefer": "transient"},
        )
        assert rows.status_code == 200
    assert fake.counters.auth_failures == 0


async def test_token_auth_end_to_end(anyio_backend: str) -> None:
    async with FakeNetSuite(seed={"customers": 10}) as fake:
        c = fake.credentials
        await _exercise(fake, TokenAuth(c.consumer_key, c.consumer_secret, c.token_id, c.token_secret))


@pytest.mark.parametrize("spelling", ["1234567_SB1", "1234567-sb1", "1234567_sb1", "1234567-SB1"])
async def test_token_auth_with_each_sandbox_spelling(spelling: str, anyio_backend: str) -> None:
    async with FakeNetSuite(seed={"customers": 3}) as fake:
        c = fake.credentials
        await _exercise(fake, TokenAuth(c.consumer_key, c.consumer_secret, c.token_id, c.token_secret), spelling)


async def test_client_credentials_end_to_end(anyio_backend: str) -> None:
    async with FakeNetSuite(seed={"customers": 10}) as fake:
        c = fake.credentials
        await _exercise(fake, ClientCredentials(c.client_id, c.certificate_id, c.private_key))


async def test_authorization_code_end_to_end(anyio_backend: str) -> None:
    async with FakeNetSuite(seed={"customers": 10}) as fake:
        c = fake.credentials
        await _exercise(fake, AuthorizationCode(c.auth_code_client_id, c.auth_code_client_secret, c.redirect_uri))


async def test_bearer_token_end_to_end(anyio_backend: str) -> None:
    async with FakeNetSuite(seed={"customers": 10}) as fake:
        await _exercise(fake, BearerToken(fake.credentials.static_token))
