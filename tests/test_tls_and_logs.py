"""A TLS setup problem is raised at once as TLSConfigurationError (not retried); no log line at any level shows
query values or credentials of the library's requests, httpx2's own INFO line included."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import secrets
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from netsuite_async import BearerToken, ClientCredentials, NetSuiteClient, RetryPolicy, TokenAuth, TransportError
from netsuite_async.errors import TLSConfigurationError
from netsuite_async.testing import FakeNetSuite
from tests.test_error_secrets import assert_no_secret

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]



def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TLSServer:
    """A loopback TLS server with a self-signed certificate; counts the TCP connections it accepts."""

    def __init__(self, tmp: Path) -> None:
        cert, key = self_signed(tmp)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.settimeout(2)
            try:
                with self.context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass
            finally:
                conn.close()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TLSServer]:
    server = TLSServer(tmp_path)
    server.thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.thread.join(5)
        server.sock.close()


async def test_a_certificate_that_does_not_verify_is_raised_at_once_as_a_configuration_error(
    tls_server: TLSServer,
) -> None:
    token = "tok-" + secrets.token_hex(12)
    async with NetSuiteClient("1234567", BearerToken(token), base_url=f"https://127.0.0.1:{tls_server.port}",
                              retry=RetryPolicy(max_attempts=8)) as ns:
        with pytest.raises(TLSConfigurationError, match="certificate verify failed") as info:
            await ns.records.get("customer", 1)
        # "At once" is a count: one attempt, no retry (so no backoff wait), out of the 8 the policy allows.
        assert ns.transport.stats.attempts == 1
        assert ns.transport.stats.retries == 0
    err = info.value
    assert isinstance(err, TransportError)
    assert not err.reached_server
    assert err.attempts == 1
    assert "configuration" in str(err)
    assert_no_secret(err, [token])


async def test_a_token_endpoint_with_a_bad_certificate_is_not_retried_either(tls_server: TLSServer) -> None:
    async with FakeNetSuite() as fake:
        c = fake.credentials
        auth = ClientCredentials(c.client_id, c.certificate_id, c.private_key)
        async with NetSuiteClient("1234567", auth, base_url=f"https://127.0.0.1:{tls_server.port}") as ns:
            with pytest.raises(TLSConfigurationError):
                await ns.records.get("customer", 1)
    assert auth.token_requests == 1


async def test_a_refused_connection_is_still_retried(anyio_backend: str) -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    async with NetSuiteClient("1234567", BearerToken("t"), base_url=f"https://127.0.0.1:{port}",
                              retry=RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)) as ns:
        with pytest.raises(TransportError) as info:
            await ns.records.get("customer", 1)
    assert not isinstance(info.value, TLSConfigurationError)
    assert info.value.attempts == 3


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()}")


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


async def test_no_log_line_shows_query_values_or_credentials(captured: Capture) -> None:
    apikey = "apikey-" + secrets.token_hex(8)
    email = f"who-{secrets.token_hex(4)}@example.com"
    async with FakeNetSuite(seed={"customers": 3}) as fake:
        c = fake.credentials
        fake.emulator.restlets.register("customscript_logs", "1", lambda method, params, body: {"ok": True})
        for auth in (BearerToken(c.static_token), TokenAuth(c.consumer_key, c.consumer_secret, c.token_id,
                                                            c.token_secret),
                     ClientCredentials(c.client_id, c.certificate_id, c.private_key)):
            async with fake.client(auth=auth, retry=RetryPolicy(max_attempts=2, backoff_base=0.001)) as ns:
                await ns.restlets.call("customscript_logs", 1, params={"apikey": apikey})
                await ns.request("GET", "/record/v1/customer", params={"q": f'email IS "{email}"'})
                async for _ in ns.records.list("customer", q=f'email IS "{email}"'):
                    pass
                fake.emulator.faults.script("GET /record/v1/customer", kind="error_before")
                await ns.request("GET", "/record/v1/customer", params={"q": f'email IS "{email}"', "limit": 2})
                access = await auth.token(ns.auth_context) if isinstance(auth, ClientCredentials) else None
        hidden = [apikey, email, c.static_token, c.consumer_secret, c.token_secret, access or "unused-" + apikey]
    httpx2_lines = [line for line in captured.lines if line.startswith("httpx2 ")]
    assert any("HTTP Request: GET http://emulator.test/app/site/hosting/restlet.nl?script=…&deploy=…&apikey=…"
               in line for line in httpx2_lines)
    assert any(line.startswith("httpx2 HTTP Request: POST http://emulator.test/services/rest/auth/oauth2/v1/token")
               for line in httpx2_lines)
    assert len(captured.lines) > 20
    text = "\n".join(captured.lines)
    for value in hidden:
        assert value not in text
    assert "%40" not in text  # not even URL-encoded


async def test_other_hosts_httpx2_log_lines_are_left_alone(captured: Capture) -> None:
    NetSuiteClient("1234567", BearerToken("t"))  # installs the filter
    transport = httpx2.MockTransport(lambda r: httpx2.Response(200))
    async with httpx2.AsyncClient(transport=transport) as http:
        await http.get("https://other.example.com/search?q=visible")
    assert any("https://other.example.com/search?q=visible" in line for line in captured.lines)


def test_httpcore2_header_lines_are_redacted() -> None:
    from netsuite_async._logging import RedactingFilter

    record = logging.LogRecord(
        "httpcore2.http11", logging.DEBUG, "", 0,
        "receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', [(b'Set-Cookie', b'JSESSIONID=s3'),"
        " (b'Content-Type', b'application/json')])", None, None,
    )
    RedactingFilter().filter(record)
    assert "JSESSIONID" not in record.getMessage()
    assert "(b'Set-Cookie', b'[redacted]')" in record.getMessage()
    assert "application/json" in record.getMessage()
