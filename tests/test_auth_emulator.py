"""The emulator's verification of TBA headers, built here with oauthlib (not with the library's signer)."""

from __future__ import annotations

import oauthlib.oauth1
import pytest
from _auth_harness import BASE, MiniEmulator

from netsuite_async.testing._auth import EmulatorCredentials

pytestmark = pytest.mark.anyio

URL = BASE + "/services/rest/record/v1/customer/1?fields=email&q=name%20IS%20%22a%2Bb%22"


def _header(
    emu: MiniEmulator,
    *,
    url: str = URL,
    realm: str = "1234567_SB1",
    nonce: str = "abcdefghijklmnopqrst",
    ts: float | None = None,
    method: str = oauthlib.oauth1.SIGNATURE_HMAC_SHA256,
    consumer_secret: str | None = None,
) -> str:
    c = emu.credentials
    client = oauthlib.oauth1.Client(
        c.consumer_key,
        client_secret=consumer_secret or c.consumer_secret,
        resource_owner_key=c.token_id,
        resource_owner_secret=c.token_secret,
        signature_method=method,
        realm=realm,
        nonce=nonce,
        timestamp=str(int(emu.now() if ts is None else ts)),
    )
    _, headers, _ = client.sign(url, http_method="GET")
    return str(headers["Authorization"])


async def _get(emu: MiniEmulator, header: str, url: str = URL) -> int:
    async with emu.http() as http:
        resp = await http.get(url, headers={"Authorization": header})
    if resp.status_code == 401:
        assert resp.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    return resp.status_code


async def test_header_signed_by_oauthlib_is_accepted() -> None:
    emu = MiniEmulator()
    assert await _get(emu, _header(emu)) == 200


async def test_replayed_nonce_for_the_same_timestamp_is_refused() -> None:
    emu = MiniEmulator()
    header = _header(emu)
    assert await _get(emu, header) == 200
    assert await _get(emu, header) == 401
    assert emu.counters.auth_failures == 1
    assert "nonce" in (emu.auth.last_failure or "")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"realm": "1234567_sb1"}, "realm"),
        ({"realm": "1234567-SB1"}, "realm"),
        ({"nonce": "abcde"}, "nonce"),
        ({"ts_offset": 301}, "timestamp"),
        ({"ts_offset": -301}, "timestamp"),
        ({"method": oauthlib.oauth1.SIGNATURE_HMAC_SHA1}, "signature method"),
        ({"consumer_secret": "not-the-secret"}, "signature"),
    ],
)
async def test_invalid_tba_headers_are_401_invalid_login(change: dict[str, object], reason: str) -> None:
    emu = MiniEmulator()
    kw: dict[str, object] = {k: v for k, v in change.items() if k != "ts_offset"}
    if "ts_offset" in change:
        kw["ts"] = emu.now() + float(change["ts_offset"])  # type: ignore[arg-type]
    assert await _get(emu, _header(emu, **kw)) == 401  # type: ignore[arg-type]
    assert reason in (emu.auth.last_failure or "")


async def test_query_parameter_left_out_of_the_signature_is_refused() -> None:
    emu = MiniEmulator()
    header = _header(emu, url=BASE + "/services/rest/record/v1/customer/1")
    assert await _get(emu, header, URL) == 401


async def test_unknown_token_and_missing_or_foreign_authorization_are_refused() -> None:
    emu = MiniEmulator()
    other = EmulatorCredentials.generate("1234567_SB1", rng_seed=99)
    assert await _get(emu, _header(emu).replace(emu.credentials.token_id, other.token_id)) == 401
    assert await _get(emu, "Bearer not-a-token") == 401
    assert await _get(emu, "Basic Zm9vOmJhcg==") == 401
    assert await _get(emu, f"Bearer {emu.credentials.static_token}") == 200


def test_generated_credentials_are_reproducible_with_a_seed_and_masked_in_repr() -> None:
    a = EmulatorCredentials.generate("1234567", rng_seed=5)
    b = EmulatorCredentials.generate("1234567", rng_seed=5)
    assert a == b
    assert EmulatorCredentials.generate("1234567") != a
    for secret in (a.consumer_secret, a.token_secret, a.auth_code_client_secret, a.static_token):
        assert secret not in repr(a)
    assert a.private_key.splitlines()[1] not in repr(a) + str(a)
