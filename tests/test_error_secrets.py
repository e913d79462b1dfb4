"""No credential is reachable from an error object, whatever the error and whatever the auth.

Every error kind is produced for real (emulator, faults, a token endpoint that fails), then its whole object
graph is walked: attributes, ``__dict__``, ``args``, ``__cause__``/``__context__`` chains, ``history``,
``response``/``request``/``headers``, containers, and everything ``gc.get_referents`` reports, recursively and
bounded. Frames and tracebacks are not walked: a traceback's frames are the program's own (they hold the client,
which holds its credentials, by design); error trackers that serialise frame locals see only reprs, and every
credential-holding object masks its repr (providers, ``AuthRequest``, httpx2 headers).
"""

from __future__ import annotations

import gc
import pickle
import secrets
import traceback
import types
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx2
import pytest

from netsuite_async import (
    APIError,
    AuthenticationError,
    AuthorizationCode,
    BadRequestError,
    BearerToken,
    ClientCredentials,
    ConcurrencyLimitError,
    ConflictError,
    NetSuiteClient,
    NetSuiteError,
    NotFoundError,
    PermissionDeniedError,
    ReauthorizationRequired,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TokenAuth,
    TransportError,
    WriteOutcomeUnknownError,
)
from netsuite_async.auth.base import AuthRequest
from netsuite_async.testing import FakeNetSuite

pytestmark = [pytest.mark.anyio, pytest.mark.both_backends]

# Made at run time: a literal would appear in the formatted traceback's source lines.
PARAM_SECRET = "restlet-param-" + secrets.token_hex(8)

FAST = {"backoff_base": 0.001, "backoff_max": 0.002}
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
_SKIP_TYPES = (types.FrameType, types.TracebackType, types.ModuleType, type, types.FunctionType, types.CodeType,
               types.BuiltinFunctionType, types.MethodType, types.MethodWrapperType, types.WrapperDescriptorType)



def reachable_texts(root: object, limit: int = 50_000) -> Iterator[str]:
    """Every str/bytes reachable from ``root`` (see the module docstring for what is walked)."""
    seen: set[int] = set()
    stack: list[object] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SKIP_TYPES):
            continue
        seen.add(id(obj))
        assert len(seen) < limit, "object graph larger than expected: is something reaching the client?"
        if isinstance(obj, str):
            yield obj
            continue
        if isinstance(obj, (bytes, bytearray, memoryview)):
            yield bytes(obj).decode("latin-1")
            continue
        if isinstance(obj, (int, float, complex, type(None))):
            continue
        children: list[object] = [c for c in gc.get_referents(obj) if not isinstance(c, types.TracebackType)]
        for name in ("__context__", "__cause__", "args", "response", "request", "headers", "history", "details",
                     "__dict__", "url", "content", "text", "context", "extensions", "stream"):
            try:
                children.append(getattr(obj, name))
            except Exception:
                continue
        if isinstance(obj, BaseException):
            yield str(obj)
            yield repr(obj)
        if isinstance(obj, httpx2.Headers):
            children.extend(obj.raw)
        if isinstance(obj, (httpx2.URL, httpx2.Request, httpx2.Response)):
            yield str(obj)
        if isinstance(obj, dict):
            children.extend(obj.keys())
            children.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children.extend(obj)
        stack.extend(children)


def assert_no_secret(err: BaseException, hidden: list[str]) -> int:
    texts = list(reachable_texts(err))
    texts.append("".join(traceback.format_exception(err)))
    texts.append(pickle.dumps(err).decode("latin-1"))
    blob = "\n".join(texts)
    for secret in hidden:
        assert secret, "empty secret"
        assert secret not in blob, f"a secret is reachable from {type(err).__name__}"
    return len(texts)


def key_lines(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----") and len(line) >= 16]


class Faulty(httpx2.AsyncBaseTransport):
    """The emulator in process; ``mode`` makes API requests answer 429 or an undecodable body, or the token
    endpoint answer 503 or refuse connections."""

    def __init__(self, fake: FakeNetSuite) -> None:
        self.inner = httpx2.ASGITransport(app=fake.app)
        self.mode: str | None = None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        token = request.url.path == TOKEN_PATH
        if self.mode == "429" and not token:
            return httpx2.Response(429, json={"o:errorDetails": [{"o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
                                                                   "detail": "over"}]}, request=request)
        if self.mode in ("403", "409") and not token:
            code = "INSUFFICIENT_PERMISSION" if self.mode == "403" else "CONFLICT"
            return httpx2.Response(int(self.mode), json={"o:errorDetails": [{"o:errorCode": code, "detail": "no"}]},
                                   headers={"Set-Cookie": "JSESSIONID=" + PARAM_SECRET}, request=request)
        if self.mode == "garbled" and not token:
            return httpx2.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all",
                                   request=request)
        if self.mode == "token503" and token:
            return httpx2.Response(503, json={"error": "server_error"}, request=request)
        if self.mode == "token-refuse" and token:
            raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)
        return await self.inner.handle_async_request(request)


Scenario = Callable[[NetSuiteClient, FakeNetSuite, Faulty], Awaitable[Any]]


async def _not_found(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    return await ns.records.get("customer", 99999)


async def _bad_request(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    return await ns.suiteql.all("SELECT nonsense FROM nowhere_at_all")


async def _server_error(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    fake.emulator.faults.script("GET /record/v1/customer/", kind="error_before", times=None)
    return await ns.request("GET", "/record/v1/customer/1", params={"fields": "email"})


async def _write_unknown(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    fake.emulator.faults.script("POST /record/v1/customer", kind="error_after")
    return await ns.records.create("customer", {"companyName": "Acme"})


async def _dropped(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    fake.emulator.faults.script("GET /record/v1/customer/", kind="drop", times=None)
    return await ns.records.get("customer", 1)


async def _dropped_write(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    fake.emulator.faults.script("POST /record/v1/customer", kind="drop", apply=True)
    return await ns.records.create("customer", {"companyName": "Acme"})


async def _timeout(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    fake.emulator.faults.script("GET /record/v1/customer/", kind="slow", seconds=30, times=None)
    return await ns.records.get("customer", 1)


async def _limited(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    t.mode = "429"
    return await ns.restlets.call("customscript_echo", 1, params={"apikey": PARAM_SECRET})


async def _garbled(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    t.mode = "garbled"
    return await ns.records.get("customer", 1)


async def _forbidden(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    t.mode = "403"
    return await ns.records.get("customer", 1)


async def _conflict(ns: NetSuiteClient, fake: FakeNetSuite, t: Faulty) -> Any:
    t.mode = "409"
    return await ns.records.update("customer", 1, {"companyName": "x"})


SCENARIOS: dict[str, tuple[Scenario, type[BaseException]]] = {
    "permission-denied": (_forbidden, PermissionDeniedError),
    "conflict": (_conflict, ConflictError),
    "not-found": (_not_found, NotFoundError),
    "bad-request": (_bad_request, BadRequestError),
    "server-error": (_server_error, ServerError),
    "write-outcome-unknown": (_write_unknown, WriteOutcomeUnknownError),
    "dropped-connection": (_dropped, TransportError),
    "dropped-write": (_dropped_write, WriteOutcomeUnknownError),
    "timeout": (_timeout, RequestTimeoutError),
    "concurrency-limit": (_limited, ConcurrencyLimitError),
    "undecodable-body": (_garbled, TransportError),
}


def providers(fake: FakeNetSuite) -> dict[str, tuple[Any, list[str]]]:
    c = fake.credentials
    return {
        "bearer": (BearerToken(c.static_token), [c.static_token]),
        "tba": (TokenAuth(c.consumer_key, c.consumer_secret, c.token_id, c.token_secret),
                [c.consumer_secret, c.token_secret]),
        "m2m": (ClientCredentials(c.client_id, c.certificate_id, c.private_key), key_lines(c.private_key)),
    }


def client_for(fake: FakeNetSuite, transport: Faulty, auth: Any, **kwargs: Any) -> NetSuiteClient:
    http = httpx2.AsyncClient(transport=transport, base_url=fake.base_url)
    return NetSuiteClient(fake.config.account, auth, base_url=fake.base_url, http_client=http,
                          allow_insecure_http=True, **kwargs)


@pytest.mark.parametrize("provider", ["bearer", "tba", "m2m"])
async def test_no_error_kind_reaches_a_credential(provider: str) -> None:
    walked = 0
    for name, (scenario, expected) in SCENARIOS.items():
        async with FakeNetSuite(seed={"customers": 2}) as fake:
            auth, secrets = providers(fake)[provider]
            transport = Faulty(fake)
            retry = RetryPolicy(max_attempts=3, deadline=0.5 if name == "timeout" else 30, **FAST)
            async with client_for(fake, transport, auth, retry=retry) as ns:
                await ns.records.get("customer", 1)  # a successful call first: tokens are minted and cached
                if provider == "m2m":
                    secrets = [*secrets, await auth.token(ns.auth_context)]
                with pytest.raises(expected) as info:
                    await scenario(ns, fake, transport)
            err = info.value
            assert isinstance(err, NetSuiteError), name
            walked += assert_no_secret(err, [*secrets, PARAM_SECRET])
            if isinstance(err, APIError) and err.response is not None:
                sent = err.response.request.headers
                assert sent["authorization"] == "[redacted]", name
                assert err.response.status_code == err.status_code
                assert err.response.content == err.response_text.encode()[: len(err.response.content)]
            rebuilt = pickle.loads(pickle.dumps(err))
            assert type(rebuilt) is type(err)
            assert str(rebuilt) == str(err)
    assert walked > 100


@pytest.mark.parametrize("mode", ["token503", "token-refuse", "wrong-key", "wrong-bearer", "wrong-tba"])
async def test_authentication_and_token_endpoint_errors_reach_no_credential(mode: str) -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake:
        c = fake.credentials
        transport = Faulty(fake)
        secrets = [c.static_token, c.consumer_secret, c.token_secret, *key_lines(c.private_key)]
        auth: Any
        expected: type[BaseException]
        if mode in ("token503", "token-refuse"):
            auth, expected = ClientCredentials(c.client_id, c.certificate_id, c.private_key), TransportError
            transport.mode = mode
            expected = ServerError if mode == "token503" else TransportError
        elif mode == "wrong-key":
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ec

            pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            auth, expected = ClientCredentials(c.client_id, c.certificate_id, pem), AuthenticationError
            secrets += key_lines(pem)
        elif mode == "wrong-bearer":
            auth, expected = BearerToken("wrong-bearer-secret-0123456789"), AuthenticationError
            secrets.append("wrong-bearer-secret-0123456789")
        else:
            auth, expected = TokenAuth(c.consumer_key, "wrong-consumer-secret-42", c.token_id, "wrong-tsecret-42"), \
                AuthenticationError
            secrets += ["wrong-consumer-secret-42", "wrong-tsecret-42"]
        async with client_for(fake, transport, auth, retry=RetryPolicy(max_attempts=2, **FAST)) as ns:
            with pytest.raises(expected) as info:
                await ns.records.get("customer", 1)
        assert_no_secret(info.value, secrets)


def test_auth_request_repr_shows_header_names_only() -> None:
    req = AuthRequest("GET", "https://x.test/r?apikey=abc", {"Authorization": "Bearer tok-123"})
    assert "tok-123" not in repr(req)
    assert "apikey=abc" not in repr(req)
    assert "Authorization" in repr(req)


async def test_reauthorization_required_reaches_no_credential() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake:
        c = fake.credentials
        auth = AuthorizationCode(c.auth_code_client_id, c.auth_code_client_secret, c.redirect_uri)
        async with client_for(fake, Faulty(fake), auth) as ns:
            with pytest.raises(ReauthorizationRequired) as info:
                await ns.records.get("customer", 1)
        assert_no_secret(info.value, [c.auth_code_client_secret, c.static_token])


async def test_a_failure_while_reading_the_governance_limits_reaches_no_credential() -> None:
    async with FakeNetSuite(seed={"customers": 1}) as fake:
        c = fake.credentials
        fake.emulator.faults.script("GET /system/v1/governanceLimits", kind="drop", times=None)
        transport = Faulty(fake)
        async with client_for(fake, transport, BearerToken(c.static_token), concurrency="auto",
                              retry=RetryPolicy(max_attempts=2, **FAST)) as ns:
            with pytest.raises(TransportError) as info:
                await ns.records.get("customer", 1)
        assert_no_secret(info.value, [c.static_token])
