"""How many simple requests per second the emulator serves on one core over loopback (uvicorn).

The server runs in its own process (one event loop = one core). The load generator is a minimal raw-socket
HTTP/1.1 client on keep-alive connections (an HTTP library would be the bottleneck, not the server). Two
numbers per route: wall-clock requests/s, and requests per second of *server CPU time* (from
/proc/<pid>/stat), which stays meaningful when the machine is shared. Target: >= 2,000 simple requests/s.

Run: ``python benchmarks/bench_emulator.py`` (``NETSUITE_BENCH_QUICK=1`` for a short run).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import quick, write_result

from netsuite_async.testing._emulator import EmulatorConfig
from netsuite_async.testing.server import EmulatorServer

ROUTES = {
    "record get": "/services/rest/record/v1/customer/1",
    "governanceLimits": "/services/rest/system/v1/governanceLimits",
    "record list (limit 10)": "/services/rest/record/v1/customer?limit=10",
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def one_connection(host: str, port: int, request: bytes, deadline: float, counts: list[int]) -> None:
    stream = await anyio.connect_tcp(host, port)
    async with stream:
        buffer = b""
        while time.perf_counter() < deadline:
            await stream.send(request)
            while True:
                head_end = buffer.find(b"\r\n\r\n")
                if head_end >= 0:
                    head = buffer[:head_end].lower()
                    i = head.find(b"content-length:")
                    length = int(head[i + 15 : head.find(b"\r\n", i) if head.find(b"\r\n", i) > 0 else None])
                    if len(buffer) >= head_end + 4 + length:
                        status = int(buffer[9:12])
                        buffer = buffer[head_end + 4 + length :]
                        counts[0 if status == 200 else 1] += 1
                        break
                buffer += await stream.receive(65536)


async def load(host: str, port: int, path: str, token: str, connections: int, seconds: float) -> tuple[int, int]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    counts = [0, 0]
    deadline = time.perf_counter() + seconds
    async with anyio.create_task_group() as tg:
        for _ in range(connections):
            tg.start_soon(one_connection, host, port, request, deadline, counts)
    return counts[0], counts[1]


def main() -> None:
    seconds = 2.0 if quick() else 5.0
    connections = 16
    config = EmulatorConfig(concurrency=1000)
    rows = []
    with EmulatorServer(config, seed={"customers": 1000}, mode="process") as server:
        assert server._proc is not None
        pid = server._proc.pid
        host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
        token = server.config_data["static_token"]
        for name, path in ROUTES.items():
            anyio.run(load, host, int(port), path, token, connections, 0.5)  # warm-up
            cpu0, t0 = cpu_seconds(pid), time.perf_counter()
            ok, bad = anyio.run(load, host, int(port), path, token, connections, seconds)
            wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
            rows.append(
                {
                    "route": name,
                    "requests": ok + bad,
                    "non_200": bad,
                    "wall_req_per_s": round((ok + bad) / wall),
                    "server_cpu_s": round(cpu, 2),
                    "req_per_cpu_s": round((ok + bad) / cpu) if cpu > 0 else None,
                }
            )
            print(rows[-1], flush=True)
    write_result(
        "bench_emulator",
        {"seconds": seconds, "connections": connections, "target_req_per_s": 2000},
        rows,
    )


if __name__ == "__main__":
    main()
