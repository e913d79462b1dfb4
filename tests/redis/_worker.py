"""A worker process for the multi-process tests: ``python tests/redis/_worker.py MODE URL KEY [options]``.

Modes:
  count     TASKS tasks each take SLOTS slots; inside each slot the number of holders is counted in Redis itself
            (``<key>:probe:now`` / ``<key>:probe:peak``), so the parent can check the limit held everywhere.
  hold      take TASKS slots, print "held", then wait to be killed.
  limited   take one slot and report a 429 (Outcome.LIMITED).
  emulator  TASKS tasks each send SLOTS requests through NetSuiteClient to the emulator at --base-url
            (bearer --token).
  m2m       like emulator, but authenticated with ClientCredentials (--m2m) and a RedisTokenCache.
  fleet     TASKS tasks send requests to the emulator in a loop until the parent pushes to ``<key>:stop:<ID>``.
            Each slot's start and end is recorded in Redis (``<key>:events``, stamped with Redis's clock) as
            "ID +1 <time>" / "ID -1 <time>", so the parent can rebuild who held how many slots when. Prints
            "ready <ticket prefix>" (how its leases and tickets are named in Redis). Uses the governor's
            default timings unless --lease-ttl is given.

Each worker prints "ready" and waits for the parent's go signal (a push to ``<key>:go``) so all start together.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
import redis.asyncio as aioredis

from netsuite_async.governor import GovernorStats, Outcome, Permit
from netsuite_async.governor.redis import RedisGovernor

PROBE = """
local now = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[1]) > 0 then
  local peak = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now > peak then redis.call('SET', KEYS[2], now) end
end
return now
"""

EVENT = """
local t = redis.call('TIME')
redis.call('RPUSH', KEYS[1], ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. t[1] .. '.' .. string.format('%06d', tonumber(t[2])))
"""


class RecordingGovernor:
    """Delegates to a RedisGovernor and records, inside each slot, when it was entered and left."""

    def __init__(self, inner: RedisGovernor, client: aioredis.Redis, key: str, worker_id: str) -> None:
        self.inner = inner
        self._event = client.register_script(EVENT)
        self._keys = [f"{key}:events"]
        self._id = worker_id

    def slot(self) -> AbstractAsyncContextManager[Permit]:
        return self._slot()

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[Permit]:
        async with self.inner.slot() as permit:
            await self._event(keys=self._keys, args=[self._id, "+1"])
            try:
                yield permit
            finally:
                with anyio.CancelScope(shield=True):
                    await self._event(keys=self._keys, args=[self._id, "-1"])

    def stats(self) -> GovernorStats:
        return self.inner.stats()

    def set_ceiling(self, ceiling: int) -> None:
        self.inner.set_ceiling(ceiling)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["count", "hold", "limited", "emulator", "m2m", "fleet"])
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--slots", type=int, default=10)
    parser.add_argument("--lease-ttl", type=float, default=None)
    parser.add_argument("--id", default="w")
    parser.add_argument("--hold", type=float, default=0.005)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--account", default="1234567_SB1")
    parser.add_argument("--token", default="")
    parser.add_argument("--m2m", default="", help="JSON: client_id, certificate_id, private_key")
    args = parser.parse_args(argv)

    client = aioredis.Redis.from_url(args.url)
    timings = {} if args.lease_ttl is None else {"lease_ttl": args.lease_ttl}
    gov = RedisGovernor(args.url, key=args.key, limit=args.limit, **timings)
    print(f"ready {gov._ticket_prefix}" if args.mode == "fleet" else "ready", flush=True)
    await client.blpop([f"{args.key}:go"], timeout=30)

    if args.mode == "count":
        probe = client.register_script(PROBE)
        keys = [f"{args.key}:probe:now", f"{args.key}:probe:peak"]

        async def run() -> None:
            for _ in range(args.slots):
                async with gov.slot() as permit:
                    await probe(keys=keys, args=[1])
                    await anyio.sleep(args.hold)
                    await probe(keys=keys, args=[-1])
                    permit.record(Outcome.SUCCESS)

        async with anyio.create_task_group() as tg:
            for _ in range(args.tasks):
                tg.start_soon(run)
    elif args.mode == "hold":
        held = 0
        all_held = anyio.Event()

        async def hold() -> None:
            nonlocal held
            async with gov.slot():
                held += 1
                if held == args.tasks:
                    all_held.set()
                await anyio.sleep_forever()

        async with anyio.create_task_group() as tg:
            for _ in range(args.tasks):
                tg.start_soon(hold)
            await all_held.wait()
            print("held", flush=True)
            await anyio.sleep_forever()
    elif args.mode == "limited":
        async with gov.slot() as permit:
            permit.record(Outcome.LIMITED)
    elif args.mode == "fleet":
        await run_fleet(gov, client, args)
    elif args.mode == "m2m":
        await mint_through_shared_cache(gov, args)
    else:
        await run_against_emulator(gov, args)
    await gov.aclose()
    await client.aclose()
    print("done", flush=True)


async def run_against_emulator(gov: RedisGovernor, args: argparse.Namespace) -> None:
    from netsuite_async import BearerToken, NetSuiteClient

    async with NetSuiteClient(
        account=args.account, auth=BearerToken(args.token), governor=gov, base_url=args.base_url
    ) as ns:

        async def run() -> None:
            for _ in range(args.slots):
                await ns.request("GET", "/system/v1/governanceLimits")

        async with anyio.create_task_group() as tg:
            for _ in range(args.tasks):
                tg.start_soon(run)


async def run_fleet(gov: RedisGovernor, client: aioredis.Redis, args: argparse.Namespace) -> None:
    from netsuite_async import BearerToken, NetSuiteClient

    recording = RecordingGovernor(gov, client, args.key, args.id)
    stop = anyio.Event()
    sent = 0

    async def wait_for_stop() -> None:
        # Short blocking reads: redis-py's client may time out a read that blocks for long.
        while await client.blpop([f"{args.key}:stop:{args.id}"], timeout=1) is None:
            pass
        stop.set()

    async with NetSuiteClient(
        account=args.account, auth=BearerToken(args.token), governor=recording, base_url=args.base_url
    ) as ns:

        async def run() -> None:
            nonlocal sent
            while not stop.is_set():
                await ns.request("GET", "/system/v1/governanceLimits")
                sent += 1

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait_for_stop)
            for _ in range(args.tasks):
                tg.start_soon(run)
            await stop.wait()
    print(f"sent {sent}", flush=True)


async def mint_through_shared_cache(gov: RedisGovernor, args: argparse.Namespace) -> None:
    import json

    from netsuite_async import NetSuiteClient
    from netsuite_async.auth import ClientCredentials
    from netsuite_async.auth.redis_cache import RedisTokenCache

    creds = json.loads(args.m2m)
    cache = RedisTokenCache(args.url, prefix=f"{args.key}:token:")
    auth = ClientCredentials(creds["client_id"], creds["certificate_id"], creds["private_key"], cache=cache)
    async with NetSuiteClient(account=args.account, auth=auth, governor=gov, base_url=args.base_url) as ns:

        async def run() -> None:
            for _ in range(args.slots):
                await ns.request("GET", "/system/v1/governanceLimits")

        async with anyio.create_task_group() as tg:
            for _ in range(args.tasks):
                tg.start_soon(run)
    await cache.aclose()


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
