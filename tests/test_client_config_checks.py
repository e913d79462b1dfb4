"""NetSuiteClient refuses unsafe or meaningless configuration before anything is sent.

https only (unless loopback, an in-process transport, or ``allow_insecure_http=True``), no ``user:password@``
(never echoed), only an ``httpx2.AsyncClient`` as ``http_client``, positive finite timeouts.
"""

from __future__ import annotations

import math
from decimal import Decimal

import httpx
import httpx2
import pytest
from click.testing import CliRunner

from netsuite_async import BearerToken, NetSuiteClient, RetryPolicy, Timeouts
from netsuite_async.cli import main
from netsuite_async.testing import FakeNetSuite

AUTH = BearerToken("tok-not-a-secret")


def mock_client() -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.MockTransport(lambda r: httpx2.Response(204)))


@pytest.mark.parametrize("url", [
    "http://1234567.suitetalk.api.netsuite.com",
    "http://10.0.0.5:8080",
    "http://localhost.attacker.test",
    "http://127.0.0.1.nip.io",
    "http://[2001:db8::1]",
])
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="clear text"):
        NetSuiteClient("1234567", AUTH, base_url=url)
    with pytest.raises(ValueError, match="clear text"):
        NetSuiteClient("1234567", AUTH, restlet_base_url=url)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080", "http://127.9.9.9", "http://localhost:9000", "http://LOCALHOST", "http://[::1]:8080",
])
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    ns = NetSuiteClient("1234567", AUTH, base_url=url, restlet_base_url=url + "/")
    assert ns.rest_base_url.startswith("http://")
    assert ns.restlet_base_url == ns.rest_base_url


def test_https_is_allowed_and_services_rest_is_trimmed() -> None:
    ns = NetSuiteClient("1234567", AUTH, base_url="https://proxy.example.com:8443/services/rest/")
    assert ns.rest_base_url == "https://proxy.example.com:8443"


def test_plain_http_is_allowed_with_an_in_process_transport_or_an_explicit_opt_in() -> None:
    assert NetSuiteClient("1234567", AUTH, base_url="http://emu.test", http_client=mock_client()).rest_base_url \
        == "http://emu.test"
    ns = NetSuiteClient("1234567", AUTH, base_url="http://sidecar.internal:8080", allow_insecure_http=True)
    assert ns.rest_base_url == "http://sidecar.internal:8080"
    with pytest.raises(ValueError, match="clear text"):
        NetSuiteClient("1234567", AUTH, base_url="http://emu.test", http_client=httpx2.AsyncClient())
    with pytest.raises(TypeError):
        NetSuiteClient("1234567", AUTH, base_url="http://emu.test", allow_insecure_http="yes")  # type: ignore[arg-type]


async def _fake_client_works() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake, fake.client() as ns:
        assert (await ns.records.get("customer", 1))["id"] == "1"


@pytest.mark.anyio
async def test_fake_netsuite_keeps_its_http_origin() -> None:
    await _fake_client_works()


@pytest.mark.parametrize("url", [
    "https://admin:hunter2@1234567.suitetalk.api.netsuite.com",
    "https://admin@proxy.example.com",
    "http://:hunter2@127.0.0.1:8080",
])
def test_userinfo_is_refused_without_echoing_the_password(url: str) -> None:
    for kwarg in ("base_url", "restlet_base_url"):
        with pytest.raises(ValueError, match="user:password@") as info:
            NetSuiteClient("1234567", AUTH, **{kwarg: url})
        assert "hunter2" not in str(info.value)
        assert "admin" not in str(info.value)


@pytest.mark.parametrize("url", ["ftp://x.test", "https://", "x.test", "https://x.test?a=1", "https://x.test#f",
                                 "https://x.test:99999"])
def test_malformed_base_urls_are_value_errors(url: str) -> None:
    with pytest.raises(ValueError):
        NetSuiteClient("1234567", AUTH, base_url=url)


def test_a_non_string_base_url_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        NetSuiteClient("1234567", AUTH, base_url=b"https://x.test")  # type: ignore[arg-type]


def test_cli_refuses_plain_http_from_netsuite_base_url(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("NETSUITE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NETSUITE_CONFIG", "/nonexistent/netsuite-config.toml")
    monkeypatch.setenv("NETSUITE_ACCOUNT", "1234567")
    monkeypatch.setenv("NETSUITE_ACCESS_TOKEN", "tok")
    monkeypatch.setenv("NETSUITE_BASE_URL", "http://user:hunter2@1234567.suitetalk.api.netsuite.com")
    result = CliRunner().invoke(main, ["record", "get", "customer", "1"])
    assert result.exit_code == 2
    assert "user:password@" in result.stderr
    assert "hunter2" not in result.output + result.stderr
    monkeypatch.setenv("NETSUITE_BASE_URL", "http://1234567.suitetalk.api.netsuite.com")
    result = CliRunner().invoke(main, ["record", "get", "customer", "1"])
    assert result.exit_code == 2
    assert "clear text" in result.stderr


def test_http_client_must_be_an_httpx2_async_client() -> None:
    with pytest.raises(TypeError, match=r"httpx2\.AsyncClient") as info:
        NetSuiteClient("1234567", AUTH, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    assert "httpx.AsyncClient" in str(info.value) or "httpx._client" in str(info.value)
    with pytest.raises(TypeError, match=r"httpx2\.AsyncClient"):
        NetSuiteClient("1234567", AUTH, http_client=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"httpx2\.AsyncClient"):
        NetSuiteClient("1234567", AUTH, http_client=httpx2.Client())  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, 0.0, -0.5, math.nan, math.inf])
def test_timeouts_must_be_positive_and_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        NetSuiteClient("1234567", AUTH, timeout=bad)
    with pytest.raises(ValueError, match="positive"):
        Timeouts(read=bad)
    with pytest.raises(ValueError, match="positive"):
        RetryPolicy(deadline=bad)


@pytest.mark.parametrize("bad", ["10", True, None, [1]])
def test_timeout_values_of_the_wrong_type_are_type_errors(bad: object) -> None:
    with pytest.raises(TypeError):
        Timeouts(connect=bad)  # type: ignore[arg-type]
    if bad is not None:
        with pytest.raises(TypeError):
            NetSuiteClient("1234567", AUTH, timeout=bad)  # type: ignore[arg-type]


def test_numeric_timeouts_of_any_real_type_are_accepted() -> None:
    assert Timeouts(read=Decimal("2.5")).read == 2.5
    assert NetSuiteClient("1234567", AUTH, timeout=3).timeouts == Timeouts(3.0, 3.0, 3.0, 3.0)


@pytest.mark.anyio
@pytest.mark.parametrize("bad", [0, -1, math.nan])
async def test_per_call_timeouts_must_be_positive_before_anything_is_sent(bad: float) -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake, fake.client() as ns:
        with pytest.raises(ValueError, match="positive"):
            await ns.request("GET", "/record/v1/customer/1", timeout=bad)
        with pytest.raises(ValueError, match="positive"):
            await ns.restlets.call("customscript_echo", 1, timeout=bad)
        assert fake.counters.requests == 0
