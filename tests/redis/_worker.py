"""A worker process for the multi-process tests: ``python tests/redis/_worker.py MODE URL KEY [options]``.

Modes:
  count     TASKS tasks each take SLOTS slots; inside each slot the number of holders is counted in Redis itself
            (``<key>:probe:now`` / ``<key>:probe:peak``), so the parent can check the limit held everywhere.
  hold      take TASKS slots, print "held", then wait to be killed.
  limited   take one slot and report a 429 (Outcome.LIMITED).
  emulator  TASKS tasks each send SLOTS requests through NetSuiteClient to the emulator at --base-url
            (bearer --token).
  m2m       like emulator, but authenticated with ClientCredentials (--m2m) and a RedisTokenCache.

Each worker prints "ready" and waits for the parent's go signal (a push to ``<key>:go``) so all start together.
"""

from __future__ import annotations

import argparse
import sys

import anyio
import redis.asyncio as aioredis

from netsuite_async.governor import Outcome
from netsuite_async.governor.redis import RedisGovernor

PROBE = """
local now = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[1]) > 0 then
  local peak = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now > peak then redis.call('SET', KEYS[2], now) end
end
return now
"""


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["count", "hold", "limited", "emulator", "m2m"])
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--slots", type=int, default=10)
    parser.add_argument("--lease-ttl", type=float, default=1.0)
    parser.add_argument("--hold", type=float, default=0.005)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--account", default="1234567_SB1")
    parser.add_argument("--token", default="")
    parser.add_argument("--m2m", default="", help="JSON: client_id, certificate_id, private_key")
    args = parser.parse_args(argv)

    client = aioredis.Redis.from_url(args.url)
    gov = RedisGovernor(args.url, key=args.key, limit=args.limit, lease_ttl=args.lease_ttl)
    print("ready", flush=True)
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
