"""Serve the emulator over loopback with uvicorn.

`serve` blocks until stopped (Ctrl-C / SIGTERM) — ``netsuite-async emulator serve`` calls it. Once the
socket listens it writes the connection file (``write_config``) atomically (temporary file, mode 0600, then
rename): a JSON object with ``base_url``, ``account``, ``consumer_key``, ``consumer_secret``, ``token_id``,
``token_secret``, ``client_id``, ``certificate_id``, ``private_key``, ``auth_code_client_id``,
``auth_code_client_secret``, ``redirect_uri``, ``static_token`` and ``public_client_id``.

`EmulatorServer` runs one in a background thread (tests) or in a child process (benchmarks: the
server then has its own core).

uvicorn is an optional dependency (extras ``cli`` and ``emulator``); it is imported only when a server starts.

Examples:
    ```python
    with EmulatorServer(EmulatorConfig(concurrency=5), seed={"customers": 100}) as server:
        print(server.base_url, server.config_data["token_id"])
    ```
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from netsuite_async._files import write_json_atomic
from netsuite_async.testing._dialect import Dialect
from netsuite_async.testing._emulator import Emulator, EmulatorConfig
from netsuite_async.testing._seed import DEMO_SEED

__all__ = [
    "UVICORN_MISSING",
    "EmulatorServer",
    "build_emulator",
    "connection_info",
    "serve",
    "write_connection_file",
]

#: The one line shown when uvicorn is not installed.
UVICORN_MISSING = "serving the emulator needs uvicorn: pip install 'netsuite-asyncio-client[cli]'"


def build_emulator(config: EmulatorConfig | None, seed: Mapping[str, int] | None = None) -> Emulator:
    """An emulator with its seed data (``DEMO_SEED`` when ``seed`` is None; ``{}`` for an empty account).

    Examples:
        ```python
        emu = build_emulator(EmulatorConfig(), {"customers": 1000})
        ```
    """
    emu = Emulator(config or EmulatorConfig())
    sizes = DEMO_SEED if seed is None else seed
    if sizes:
        from netsuite_async.testing._seed import seed as _seed

        _seed(emu, sizes)
    return emu


def connection_info(emu: Emulator, base_url: str) -> dict[str, str]:
    """What a client needs to connect: base URL, account and every credential (secrets included!).

    Examples:
        ```python
        info = connection_info(emu, "http://127.0.0.1:8089")
        ```
    """
    c = emu.credentials
    keys = (
        "consumer_key",
        "consumer_secret",
        "token_id",
        "token_secret",
        "client_id",
        "certificate_id",
        "private_key",
        "auth_code_client_id",
        "auth_code_client_secret",
        "redirect_uri",
        "static_token",
        "public_client_id",
    )
    info = {"base_url": base_url, "account": emu.config.account}
    info.update({k: str(getattr(c, k)) for k in keys})
    return info


def write_connection_file(path: str | os.PathLike[str], info: Mapping[str, str]) -> None:
    """Write ``info`` as JSON atomically, readable by the owner only (it holds secrets).

    Examples:
        ```python
        write_connection_file("emulator.json", info)
        ```
    """
    write_json_atomic(path, dict(info), indent=2)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _base_url(sock: socket.socket, tls: bool = False) -> str:
    host, port = sock.getsockname()[:2]
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _tls_pair(ssl_certfile: str | os.PathLike[str] | None, ssl_keyfile: str | os.PathLike[str] | None) -> bool:
    """True when serving HTTPS; both files or neither (one alone is a mistake, not plain HTTP)."""
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise ValueError("ssl_certfile and ssl_keyfile go together: pass both to serve HTTPS, or neither")
    return ssl_certfile is not None


def _uvicorn_server(
    emu: Emulator,
    *,
    log_level: str = "warning",
    ssl_certfile: str | os.PathLike[str] | None = None,
    ssl_keyfile: str | os.PathLike[str] | None = None,
) -> Any:
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - depends on the install
        raise RuntimeError(UVICORN_MISSING) from None
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        import httptools  # type: ignore[import-not-found, unused-ignore]  # noqa: F401

        http = "httptools"
    except ImportError:
        http = "h11"
    config = uvicorn.Config(
        emu.app,
        log_level=log_level,
        access_log=False,
        loop=loop,
        http=http,
        lifespan="off",
        timeout_keep_alive=30,
        server_header=False,
        date_header=False,
        proxy_headers=False,
        ssl_certfile=None if ssl_certfile is None else os.fspath(ssl_certfile),
        ssl_keyfile=None if ssl_keyfile is None else os.fspath(ssl_keyfile),
    )
    logging.getLogger("uvicorn.error").addFilter(_quiet_drops)
    return uvicorn.Server(config)


def _quiet_drops(record: logging.LogRecord) -> bool:
    # A "drop" fault breaks the connection on purpose by raising; uvicorn would log it as a crash.
    exc = record.exc_info[1] if record.exc_info else None
    return not (exc is not None and "Server disconnected without sending a response" in str(exc))


def serve(
    config: EmulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    write_config: str | os.PathLike[str] | None = None,
    seed: Mapping[str, int] | None = None,
    emulator: Emulator | None = None,
    log_level: str = "warning",
    on_ready: Callable[[Mapping[str, str]], None] | None = None,
    ssl_certfile: str | os.PathLike[str] | None = None,
    ssl_keyfile: str | os.PathLike[str] | None = None,
) -> None:
    """Run the emulator with uvicorn until stopped.

    With ``ssl_certfile`` and ``ssl_keyfile`` (PEM files, both or neither) it serves HTTPS and ``base_url`` starts
    with ``https://``; a client must trust that certificate (e.g. ``ssl.create_default_context(cafile=...)`` as
    ``verify=`` of its httpx2 transport). Used to measure what TLS costs a client (``bench_tracing.py``).

    Order of events: bind the socket, start uvicorn, write the connection file (``write_config``, atomically),
    *then* call ``on_ready(info)``: whoever sees "ready" can read the file. On a clean stop the file is removed
    again, so a stale file never points a client at a port nobody listens on.

    Examples:
        ```python
        serve(EmulatorConfig(concurrency=5, latency=0.04), port=8089, write_config="emulator.json")
        ```
    """
    tls = _tls_pair(ssl_certfile, ssl_keyfile)
    emu = emulator or build_emulator(config, seed)
    sock = _bind(host, port)
    server = _uvicorn_server(emu, log_level=log_level, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
    info = connection_info(emu, _base_url(sock, tls))
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        if not server.started:  # uvicorn failed to start and is shutting down
            return
        if write_config is not None:
            write_connection_file(write_config, info)
        if on_ready is not None:
            on_ready(info)

    server.startup = startup
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        if write_config is not None and server.started:
            _remove_if_ours(Path(write_config), info)


def _remove_if_ours(path: Path, info: Mapping[str, str]) -> None:
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("base_url") == info["base_url"]:
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


class EmulatorServer:
    """An emulator on loopback for the duration of a ``with`` block, in a thread or a child process.

    ``mode="thread"``: same process (``.emulator`` gives the live state). ``mode="process"``: a child
    ``python -m netsuite_async.testing.server`` (its own interpreter and core; only ``config_data`` is known).
    ``ssl_certfile`` and ``ssl_keyfile`` (both or neither) serve HTTPS, as `serve` does.

    Examples:
        ```python
        with EmulatorServer(EmulatorConfig(concurrency=3), mode="process") as srv:
            client = NetSuiteClient(srv.account, BearerToken(srv.config_data["static_token"]),
                                    base_url=srv.base_url)
        ```
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        seed: Mapping[str, int] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: Literal["thread", "process"] = "thread",
        start_timeout: float = 30.0,
        ssl_certfile: str | os.PathLike[str] | None = None,
        ssl_keyfile: str | os.PathLike[str] | None = None,
    ) -> None:
        if mode not in ("thread", "process"):
            raise ValueError("mode must be 'thread' or 'process'")
        self.tls = _tls_pair(ssl_certfile, ssl_keyfile)
        self.ssl_certfile = ssl_certfile
        self.ssl_keyfile = ssl_keyfile
        self.config = config or EmulatorConfig()
        self.seed = seed
        self.host = host
        self.port = port
        self.mode = mode
        self.start_timeout = start_timeout
        self.emulator: Emulator | None = None
        self.config_data: dict[str, str] = {}
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` once started (``https://`` when serving TLS).

        Examples:
            ```python
            url = server.base_url + "/services/rest/record/v1/customer/1"
            ```
        """
        if not self.config_data:
            raise RuntimeError("the server is not running")
        return self.config_data["base_url"]

    @property
    def account(self) -> str:
        """The emulated account id.

        Examples:
            ```python
            assert server.account == "1234567_SB1"
            ```
        """
        return self.config.account

    def start(self) -> EmulatorServer:
        """Start serving; returns once the socket listens.

        Examples:
            ```python
            server = EmulatorServer().start()
            ```
        """
        if self.mode == "thread":
            self._start_thread()
        else:
            self._start_process()
        return self

    def _start_thread(self) -> None:
        emu = build_emulator(self.config, self.seed)
        self.emulator = emu
        sock = _bind(self.host, self.port)
        self._server = _uvicorn_server(emu, ssl_certfile=self.ssl_certfile, ssl_keyfile=self.ssl_keyfile)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self._server.run(sockets=[sock])
            except BaseException as exc:  # reported by stop(); a thread cannot raise into its starter
                failure.append(exc)
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="netsuite-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the emulator server failed to start: {failure[:1]}")
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator server did not start in time")
            time.sleep(0.005)
        self.config_data = connection_info(emu, _base_url(sock, self.tls))

    def _start_process(self) -> None:
        self._tmpdir = tempfile.TemporaryDirectory(prefix="ns-emulator-")
        path = Path(self._tmpdir.name) / "emulator.json"
        c = self.config
        args = {
            "account": c.account,
            "concurrency": c.concurrency,
            "latency": c.latency,
            "jitter": c.jitter,
            "batch_collections": c.batch_collections,
            "governance_readable": c.governance_readable,
            "rng_seed": c.rng_seed,
            "integration_limit": c.integration_limit,
            "allocated_to_others": c.allocated_to_others,
            "max_results": c.max_results,
            "dialect": c.dialect.to_dict(),
            "host": self.host,
            "port": self.port,
            "write_config": str(path),
            "seed": None if self.seed is None else dict(self.seed),
            "ssl_certfile": None if self.ssl_certfile is None else os.fspath(self.ssl_certfile),
            "ssl_keyfile": None if self.ssl_keyfile is None else os.fspath(self.ssl_keyfile),
        }
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "netsuite_async.testing.server", json.dumps(args)],
        )
        deadline = time.monotonic() + self.start_timeout
        while not path.exists():
            if self._proc.poll() is not None:
                raise RuntimeError(f"the emulator process exited with {self._proc.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("the emulator process did not start in time")
            time.sleep(0.01)
        self.config_data = json.loads(path.read_text(encoding="utf-8"))

    def stop(self) -> None:
        """Stop serving (idempotent).

        Examples:
            ```python
            server.stop()
            ```
        """
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
            self._thread = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
        self.config_data = {}

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _main(argv: list[str]) -> None:
    args = json.loads(argv[0]) if argv else {}
    config = EmulatorConfig(
        account=args.get("account", "1234567_SB1"),
        concurrency=args.get("concurrency", 5),
        latency=args.get("latency", 0.0),
        jitter=args.get("jitter", 0.0),
        batch_collections=args.get("batch_collections", True),
        governance_readable=args.get("governance_readable", True),
        rng_seed=args.get("rng_seed", 0),
        integration_limit=args.get("integration_limit"),
        allocated_to_others=args.get("allocated_to_others", 0),
        max_results=args.get("max_results", 100_000),
        dialect=Dialect.coerce(args.get("dialect")),
    )
    serve(
        config,
        host=args.get("host", "127.0.0.1"),
        port=args.get("port", 0),
        write_config=args.get("write_config"),
        seed=args.get("seed"),
        ssl_certfile=args.get("ssl_certfile"),
        ssl_keyfile=args.get("ssl_keyfile"),
    )


if __name__ == "__main__":
    _main(sys.argv[1:])
