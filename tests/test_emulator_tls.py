"""The emulator served over HTTPS (``--ssl-certfile``/``--ssl-keyfile``, ``EmulatorServer(ssl_certfile=...)``): a
client trusting exactly that certificate gets answers over TLS; one that does not trust it gets a
TLSConfigurationError; a certificate without its key (or the reverse) is refused before anything listens."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner

from netsuite_async import BearerToken, NetSuiteClient, build_http_client, pool_limits
from netsuite_async.cli import main
from netsuite_async.errors import TLSConfigurationError
from netsuite_async.testing.server import EmulatorServer
from tests.test_tls_and_logs import self_signed


@pytest.fixture
def cert_pair(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path)


def _trusting(cert: Path) -> httpx2.AsyncClient:
    """The library's pooled client, verifying against exactly this certificate."""
    context = ssl.create_default_context(cafile=str(cert))
    return build_http_client(5, transport=httpx2.AsyncHTTPTransport(verify=context, limits=pool_limits(5)))


@pytest.mark.anyio
@pytest.mark.both_backends
@pytest.mark.parametrize("mode", ["thread", "process"])
async def test_a_client_trusting_the_certificate_reads_records_over_tls(
    cert_pair: tuple[Path, Path], mode: Any
) -> None:
    cert, key = cert_pair
    with EmulatorServer(mode=mode, seed={"customers": 2}, ssl_certfile=cert, ssl_keyfile=key) as srv:
        assert srv.base_url.startswith("https://127.0.0.1:")
        token = BearerToken(srv.config_data["static_token"])
        http = _trusting(cert)
        async with http, NetSuiteClient(srv.account, token, base_url=srv.base_url, http_client=http) as ns:
            first = await ns.records.get("customer", 1)
            second = await ns.records.get("customer", 2)
            assert (first["id"], second["id"]) == ("1", "2")
            assert ns.transport.stats.attempts == 2


@pytest.mark.anyio
@pytest.mark.both_backends
async def test_a_client_not_trusting_the_certificate_gets_a_tls_configuration_error(
    cert_pair: tuple[Path, Path],
) -> None:
    cert, key = cert_pair
    with EmulatorServer(seed={"customers": 1}, ssl_certfile=cert, ssl_keyfile=key) as srv:
        token = BearerToken(srv.config_data["static_token"])
        async with NetSuiteClient(srv.account, token, base_url=srv.base_url) as ns:
            with pytest.raises(TLSConfigurationError, match="certificate verify failed"):
                await ns.records.get("customer", 1)
            assert ns.transport.stats.attempts == 1


def test_a_certificate_without_its_key_is_refused(cert_pair: tuple[Path, Path]) -> None:
    cert, key = cert_pair
    with pytest.raises(ValueError, match="ssl_certfile and ssl_keyfile go together"):
        EmulatorServer(ssl_certfile=cert)
    with pytest.raises(ValueError, match="go together"):
        EmulatorServer(ssl_keyfile=key)


# -- `netsuite-async emulator serve --ssl-certfile/--ssl-keyfile` ------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Capture what `emulator serve` would serve instead of listening on a socket."""
    calls: list[dict[str, Any]] = []

    def fake_serve(config: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    monkeypatch.setattr("netsuite_async.testing.server.serve", fake_serve)
    return calls


def test_serve_passes_both_tls_files_on(served: list[dict[str, Any]], cert_pair: tuple[Path, Path]) -> None:
    cert, key = cert_pair
    result = CliRunner().invoke(main, ["emulator", "serve", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)])
    assert result.exit_code == 0, result.output
    assert (served[-1]["ssl_certfile"], served[-1]["ssl_keyfile"]) == (cert, key)
    assert CliRunner().invoke(main, ["emulator", "serve"]).exit_code == 0
    assert "ssl_certfile" not in served[-1]  # plain HTTP unless asked


@pytest.mark.parametrize("flag", ["--ssl-certfile", "--ssl-keyfile"])
def test_serve_refuses_one_tls_file_alone(
    flag: str, served: list[dict[str, Any]], cert_pair: tuple[Path, Path]
) -> None:
    result = CliRunner().invoke(main, ["emulator", "serve", flag, str(cert_pair[0])])
    assert result.exit_code == 2, result.output
    assert "--ssl-certfile and --ssl-keyfile go together" in result.output
    assert served == []


def test_serve_help_lists_the_tls_flags() -> None:
    result = CliRunner().invoke(main, ["emulator", "serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "--ssl-certfile" in result.output
    assert "--ssl-keyfile" in result.output


def _pool_sizes(transport: Any) -> tuple[int, int, float]:
    # httpx2 keeps the pool private; reading it here is the only way to see what a transport was built with.
    pool = transport._pool
    return pool._max_connections, pool._max_keepalive_connections, pool._keepalive_expiry


@pytest.mark.parametrize("concurrency", [1, 15, 40])
def test_a_transport_built_with_pool_limits_has_the_librarys_own_pool(concurrency: int) -> None:
    own = build_http_client(concurrency)
    mine = httpx2.AsyncHTTPTransport(limits=pool_limits(concurrency))
    assert _pool_sizes(mine) == _pool_sizes(own._transport) == (max(concurrency, 10) + 5,) * 2 + (30.0,)
    # Without it, httpx2's defaults apply (fewer connections kept alive than the library keeps at 40).
    assert _pool_sizes(httpx2.AsyncHTTPTransport())[1] < max(40, 10) + 5
