"""Shared pieces of the benchmark scripts: an emulator in its own process, result files, environment knobs.

Every benchmark talks to the emulator over loopback in a *separate process* (``netsuite-async emulator serve``),
so the client's CPU and event loop are measured on their own.

Conventions for ``bench_*.py`` scripts (``run.py`` relies on them):
- ``NETSUITE_BENCH_QUICK=1`` asks for small sizes (smoke runs, CI);
- ``NETSUITE_BENCH_RESULTS`` names the directory for result files (default ``benchmarks/results``);
- a script writes ``<results>/<name>.json``: an object with ``benchmark``, ``params``, ``rows`` (a list of flat
  dicts: the Markdown table) and optionally ``series`` (data for plots).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def quick() -> bool:
    """True when the run asked for small sizes."""
    return os.environ.get("NETSUITE_BENCH_QUICK", "") not in ("", "0", "false")


def results_dir() -> Path:
    """Where result files go (created on demand)."""
    path = Path(os.environ.get("NETSUITE_BENCH_RESULTS") or HERE / "results")
    path.mkdir(parents=True, exist_ok=True)
    return path


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def write_result(name: str, params: dict[str, Any], rows: list[dict[str, Any]], **extra: Any) -> Path:
    """Write ``<results>/<name>.json`` atomically and return its path."""
    doc = {"benchmark": name, "params": params, "machine": machine(), "rows": rows, **extra}
    path = results_dir() / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


@dataclass
class EmulatorProcess:
    """A running emulator server process and the config it wrote (base_url, account, credentials)."""

    process: subprocess.Popen[bytes]
    config: dict[str, Any]
    #: The server's self-signed certificate (PEM) when started with ``tls=True``: what a client must trust.
    certfile: Path | None = None

    @property
    def base_url(self) -> str:
        return str(self.config["base_url"])

    @property
    def token(self) -> str:
        return str(self.config["static_token"])


@contextmanager
def emulator_process(
    *,
    concurrency: int,
    latency_ms: float,
    seed: str | None = "customers=50",
    timeout: float = 60.0,
    extra_args: Sequence[str] = (),
    tls: bool = False,
) -> Iterator[EmulatorProcess]:
    """Start ``netsuite-async emulator serve`` on a free loopback port; stop it on exit.

    ``tls=True`` serves HTTPS with a throwaway self-signed certificate for 127.0.0.1 made here (in the temporary
    directory, gone on exit); ``EmulatorProcess.certfile`` names it, for the client to trust exactly that.

    ``extra_args`` go to ``emulator serve`` as they are (e.g. ``["--strictest"]`` for the dialect hardest on a
    client).

    Example::

        with emulator_process(concurrency=5, latency_ms=20) as emu:
            print(emu.base_url)
    """
    with tempfile.TemporaryDirectory(prefix="ns-bench-") as tmp:
        config_path = Path(tmp) / "emulator.json"
        argv = [
            sys.executable,
            "-m",
            "netsuite_async.cli",
            "emulator",
            "serve",
            "--port",
            "0",
            "--concurrency",
            str(concurrency),
            "--latency-ms",
            str(latency_ms),
            "--write-config",
            str(config_path),
        ]
        certfile = None
        if tls:
            certfile, keyfile = self_signed_certificate(Path(tmp))
            argv += ["--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile)]
        if seed:
            argv += ["--seed", seed]
        argv += list(extra_args)
        log = (Path(tmp) / "server.log").open("wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            # Polling a file in a benchmark driver is fine: the server writes it atomically once it listens.
            while not config_path.exists():
                if proc.poll() is not None:
                    log.flush()
                    output = (Path(tmp) / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"emulator exited with {proc.returncode}:\n{output[-4000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"emulator did not start within {timeout} s")
                time.sleep(0.05)
            config = json.loads(config_path.read_text(encoding="utf-8"))
            yield EmulatorProcess(proc, config, certfile)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def self_signed_certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """Write a throwaway self-signed certificate for ``host`` (an IP address) and its key as PEM files in
    ``directory``; return their paths ``(cert, key)``. ECDSA P-256 with SHA-256, valid a day either side of now:
    the kind of certificate a TLS 1.3 server commonly presents (NetSuite's own chain is RSA; the per-request record
    encryption, which is what a pooled client pays per call, does not depend on the certificate's key type)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path
