"""Load script run *inside* the ``netsuite`` 0.12 environment (see peers.py); never imports netsuite_async.

    python peer_netsuite012.py '{"base_url": "http://127.0.0.1:PORT", "account": ..., "consumer_key": ...,
                                 "concurrency": 60, "requests": 600, "path": "/record/v1/customer/1"}'

Fires ``requests`` GETs at once through ``NetSuiteRestApi(concurrent_requests=concurrency)``, each given the
emulator's URL explicitly (the library's ``url=`` keyword), and prints one JSON line: ok, failed, answered_429,
seconds, cpu_seconds. The library has no retries: an answer other than 2xx fails the call.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def main(job: dict) -> dict:
    from netsuite.config import Config, TokenAuth
    from netsuite.rest_api import NetSuiteRestApi

    config = Config(
        account=job["account"],
        auth=TokenAuth(
            consumer_key=job["consumer_key"], consumer_secret=job["consumer_secret"],
            token_id=job["token_id"], token_secret=job["token_secret"],
        ),
    )
    api = NetSuiteRestApi(config, concurrent_requests=int(job["concurrency"]))
    url = job["base_url"].rstrip("/") + "/services/rest" + job["path"]
    loopback = url.startswith(("http://127.0.0.1", "http://localhost"))
    assert loopback, "peer benchmarks talk to the loopback emulator only"
    out = {"ok": 0, "failed": 0, "answered_429": 0, "other_errors": {}}

    async def classified() -> None:
        try:
            resp = await api.request("GET", job["path"], url=url)
        except Exception as exc:
            out["failed"] += 1
            name = type(exc).__name__
            out["other_errors"][name] = out["other_errors"].get(name, 0) + 1
            return
        if 200 <= resp.status_code < 300:
            out["ok"] += 1
        else:
            out["failed"] += 1
            out["answered_429"] += resp.status_code == 429
            if resp.status_code != 429:
                key = str(resp.status_code)
                out["other_errors"][key] = out["other_errors"].get(key, 0) + 1

    await classified()  # warm-up, not counted
    out.update(ok=0, failed=0, answered_429=0, other_errors={})
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(classified() for _ in range(int(job["requests"]))))
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = time.process_time() - cpu0
    out["version"] = __import__("importlib.metadata").metadata.version("netsuite")
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
