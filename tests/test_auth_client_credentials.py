"""ClientCredentials (OAuth 2.0 M2M): JWT assertions, cached single-flight tokens, and end to end."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import anyio
import pytest
from _auth_harness import MiniEmulator
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

from netsuite_async import AuthenticationError
from netsuite_async.auth import AuthRequest, CachedToken, ClientCredentials
from netsuite_async.retry import RetryPolicy
from netsuite_async.testing._auth import CLIENT_ASSERTION_TYPE
from netsuite_async.transport import RequestSpec

pytestmark = pytest.mark.anyio


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, password: bytes | None = None) -> str:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _decode(part: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


def _provider(emu: MiniEmulator, **kw: object) -> ClientCredentials:
    c = emu.credentials
    return ClientCredentials(c.client_id, c.certificate_id, c.private_key, clock=emu.now, **kw)  # type: ignore[arg-type]


async def test_assertion_has_netsuite_header_and_claims() -> None:
    emu = MiniEmulator()
    auth = _provider(emu, scopes=["rest_webservices", "restlets"])
    async with emu.client(auth) as ns:
        jws = auth.make_assertion(ns.auth_context.token_url)
    header, claims = (_decode(p) for p in jws.split(".")[:2])
    assert header == {"typ": "JWT", "alg": "ES256", "kid": emu.credentials.certificate_id}
    assert claims["iss"] == emu.credentials.client_id
    assert claims["scope"] == ["rest_webservices", "restlets"]
    assert claims["aud"] == "https://emulator.test/services/rest/auth/oauth2/v1/token"
    assert isinstance(claims["iat"], int)
    assert isinstance(claims["exp"], int)
    assert claims["iat"] < claims["exp"] <= claims["iat"] + 3600


async def test_ec_key_end_to_end_mints_token_and_calls_rest_and_restlet() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        r1 = await ns.request("GET", "/record/v1/customer/1")
        r2 = await ns.transport.send(
            RequestSpec("GET", "/app/site/hosting/restlet.nl", params={"script": "1", "deploy": "1"}, host="restlets")
        )
    assert r1.json()["kind"] == r2.json()["kind"] == "client_credentials"
    assert emu.auth.token_requests == {"client_credentials": 1}


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP521R1()])
async def test_larger_ec_curves_sign_with_es384_and_es512(curve: ec.EllipticCurve) -> None:
    emu = MiniEmulator()
    key = ec.generate_private_key(curve)
    emu.auth.register_certificate(emu.credentials.client_id, "cert-big-ec", _pem(key))
    auth = ClientCredentials(emu.credentials.client_id, "cert-big-ec", _pem(key).encode(), clock=emu.now)
    assert auth.algorithm == {"secp384r1": "ES384", "secp521r1": "ES512"}[curve.name]
    async with emu.client(auth) as ns:
        assert (await ns.request("GET", "/record/v1/customer/1")).json()["kind"] == "client_credentials"


@pytest.mark.parametrize("algorithm", [None, "PS384", "PS512"])
async def test_rsa_key_signs_with_pss_and_authenticates(rsa_key: rsa.RSAPrivateKey, algorithm: str | None) -> None:
    emu = MiniEmulator()
    emu.auth.register_certificate(emu.credentials.client_id, "cert-rsa", _pem(rsa_key))
    auth = ClientCredentials(emu.credentials.client_id, "cert-rsa", _pem(rsa_key), algorithm=algorithm, clock=emu.now)
    assert auth.algorithm == (algorithm or "PS256")
    async with emu.client(auth) as ns:
        assert (await ns.request("GET", "/record/v1/customer/1")).json()["kind"] == "client_credentials"


async def test_private_key_from_path_and_encrypted_pem_with_passphrase(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    emu = MiniEmulator()
    path = tmp_path / "private.pem"
    path.write_text(_pem(rsa_key, b"s3cret-pass"))
    emu.auth.register_certificate(emu.credentials.client_id, "cert-rsa", _pem(rsa_key))
    auth = ClientCredentials(emu.credentials.client_id, "cert-rsa", path, passphrase="s3cret-pass", clock=emu.now)
    async with emu.client(auth) as ns:
        assert (await ns.request("GET", "/record/v1/customer/1")).status_code == 200
    auth2 = ClientCredentials(emu.credentials.client_id, "cert-rsa", str(path), passphrase=b"s3cret-pass")
    assert auth2.algorithm == "PS256"


async def test_rs256_assertion_is_refused_by_the_emulator(rsa_key: rsa.RSAPrivateKey) -> None:
    emu = MiniEmulator()
    emu.auth.register_certificate(emu.credentials.client_id, "cert-rsa", _pem(rsa_key))
    now = int(emu.now())
    token_url = "https://emulator.test/services/rest/auth/oauth2/v1/token"
    claims = {
        "iss": emu.credentials.client_id,
        "scope": ["rest_webservices"],
        "aud": token_url,
        "iat": now,
        "exp": now + 300,
    }
    jws = jwt.encode(
        {"alg": "RS256", "typ": "JWT", "kid": "cert-rsa"}, claims, RSAKey.import_key(rsa_key), algorithms=["RS256"]
    )
    form = {"grant_type": "client_credentials", "client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": jws}
    async with emu.http() as http:
        resp = await http.post(token_url, data=form)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"
    assert "RS256" in (emu.auth.last_failure or "")


async def test_thousand_concurrent_calls_mint_one_token_and_one_more_after_expiry() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    results: list[str] = []

    async with emu.client(auth, concurrency=50) as ns:

        async def call() -> None:
            resp = await ns.request("GET", "/record/v1/customer/1")
            results.append(resp.json()["kind"])

        async with anyio.create_task_group() as tg:
            for _ in range(1000):
                tg.start_soon(call)
        assert emu.auth.token_requests == {"client_credentials": 1}
        emu.advance(3600)  # every token minted so far has expired
        async with anyio.create_task_group() as tg:
            for _ in range(1000):
                tg.start_soon(call)
    assert emu.auth.token_requests == {"client_credentials": 2}
    assert auth.token_requests == 2
    assert results == ["client_credentials"] * 2000


async def test_token_is_renewed_before_expiry_with_a_margin_scaled_to_its_lifetime() -> None:
    emu = MiniEmulator(access_token_lifetime=600)
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        await ns.request("GET", "/record/v1/customer/1")
        emu.advance(600 - 61)  # 61 s left: still outside the 60 s margin (a tenth of 600 s)
        await ns.request("GET", "/record/v1/customer/1")
        assert auth.token_requests == 1
        emu.advance(2)  # now within the last tenth: renew before NetSuite would refuse it
        await ns.request("GET", "/record/v1/customer/1")
    assert auth.token_requests == 2


async def test_refused_cached_token_is_dropped_reminted_once_and_request_retried() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        await ns.request("GET", "/record/v1/customer/1")
        assert emu.auth.revoke_access_tokens() == 1
        resp = await ns.request("GET", "/record/v1/customer/1")
    assert resp.status_code == 200
    assert auth.token_requests == 2
    assert emu.counters.auth_failures == 1


async def test_restlet_call_without_restlets_scope_is_refused() -> None:
    emu = MiniEmulator()
    auth = _provider(emu, scopes=("rest_webservices",))
    async with emu.client(auth, retry=RetryPolicy(max_attempts=1)) as ns:
        assert (await ns.request("GET", "/record/v1/customer/1")).status_code == 200
        with pytest.raises(AuthenticationError):
            await ns.transport.send(
                RequestSpec(
                    "GET", "/app/site/hosting/restlet.nl", params={"script": "1", "deploy": "1"}, host="restlets"
                )
            )
    assert "restlets" in (emu.auth.last_failure or "")


async def test_unknown_certificate_fails_with_authentication_error_and_hints() -> None:
    emu = MiniEmulator()
    auth = ClientCredentials(emu.credentials.client_id, "not-registered", emu.credentials.private_key, clock=emu.now)
    async with emu.client(auth) as ns:
        with pytest.raises(AuthenticationError) as info:
            await ns.request("GET", "/record/v1/customer/1")
    assert info.value.error_code == "invalid_grant"
    assert any("certificate" in h for h in info.value.hints)
    assert emu.requests == 1  # only the token request: the API call was never sent unauthenticated


async def test_token_request_does_not_hold_a_governor_slot() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    entered, release = anyio.Event(), anyio.Event()

    async def slow_token_endpoint() -> None:
        entered.set()
        await release.wait()

    emu.auth.before_token = slow_token_endpoint
    async with emu.client(auth, concurrency=1) as ns, anyio.create_task_group() as tg:
        tg.start_soon(ns.request, "GET", "/record/v1/customer/1")
        await entered.wait()
        stats = ns.governor.stats()
        assert stats.in_flight == 0
        release.set()
    assert auth.token_requests == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"client_id": ""}, "client_id"),
        ({"certificate_id": "  "}, "certificate_id"),
        ({"private_key": "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n"}, "malformed"),
        ({"private_key": b"garbage"}, "not PEM"),
        ({"private_key": "/does/not/exist.pem"}, "cannot read"),
        ({"algorithm": "RS256"}, "PS256"),
        ({"algorithm": "ES384"}, "ES256"),
        ({"algorithm": "HS256"}, "one of"),
        ({"scopes": []}, "scope"),
        ({"scopes": ["rest_webservices", "admin"]}, "unknown scope"),
        ({"passphrase": "nope"}, "not encrypted"),
    ],
)
def test_bad_inputs_raise_value_error_at_construction(kwargs: dict[str, object], match: str) -> None:
    emu = MiniEmulator()
    args: dict[str, object] = {
        "client_id": emu.credentials.client_id,
        "certificate_id": emu.credentials.certificate_id,
        "private_key": emu.credentials.private_key,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ClientCredentials(**args)  # type: ignore[arg-type]


def test_rsa_key_with_es_algorithm_and_encrypted_key_without_passphrase_are_refused(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    with pytest.raises(ValueError, match="EC key"):
        ClientCredentials("cid", "kid", _pem(rsa_key), algorithm="ES256")
    with pytest.raises(ValueError, match="passphrase"):
        ClientCredentials("cid", "kid", _pem(rsa_key, b"pw"))
    with pytest.raises(ValueError, match="passphrase"):
        ClientCredentials("cid", "kid", _pem(rsa_key, b"pw"), passphrase="wrong")


async def test_secrets_never_in_repr_str_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    emu = MiniEmulator()
    caplog.set_level(logging.DEBUG)
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        await ns.request("GET", "/record/v1/customer/1")
        emu.auth.revoke_access_tokens()
        bad = ClientCredentials(emu.credentials.client_id, "wrong-kid", emu.credentials.private_key, clock=emu.now)
        async with emu.client(bad) as ns2:
            with pytest.raises(AuthenticationError) as info:
                await ns2.request("GET", "/record/v1/customer/1")
    pem_body = emu.credentials.private_key.splitlines()[1]
    minted = [t for t in emu.auth._access_tokens]
    texts = repr(auth) + str(auth) + repr(ns) + caplog.text + str(info.value) + repr(info.value)
    assert pem_body not in texts
    for t in minted:
        assert t not in texts
    cached = CachedToken("very-secret-access-token", expires_at=2.0, issued_at=1.0)
    assert "very-secret-access-token" not in repr(cached) + str(cached)


async def test_unauthorized_for_an_older_token_keeps_the_newer_cached_one() -> None:
    emu = MiniEmulator()
    auth = _provider(emu)
    async with emu.client(auth) as ns:
        ctx = ns.auth_context
        current = await auth.token(ctx)
        stale = AuthRequest("GET", "https://emulator.test/x", {"Authorization": "Bearer an-older-token"})
        assert await auth.on_unauthorized(stale, ctx) is True
        assert await auth.token(ctx) == current
        refused = AuthRequest("GET", "https://emulator.test/x", {"Authorization": f"Bearer {current}"})
        assert await auth.on_unauthorized(refused, ctx) is True
        assert await auth.token(ctx) != current
    assert auth.token_requests == 2
