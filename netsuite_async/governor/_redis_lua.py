"""The Lua scripts behind `RedisGovernor`.

Every decision about slots happens inside one script call, so Redis serialises them and no two processes
can both see "one slot free" and both take it. Every script reads the clock with ``TIME`` (Redis's clock, the
same for every process) and starts by reclaiming leases whose holder stopped renewing them (and ghost or cooling
slots whose time is up) and dropping tickets whose waiter stopped heartbeating, then hands free slots to the
oldest live tickets (``pump``), so a dead holder's slots go to live waiters as soon as any process touches the key.

A slot handed to a queued ticket is only *reserved* for it (a lease that lapses when the ticket would have,
and no sooner than a quarter of the ticket TTL from now): the waiter must *claim* it (``ACQUIRE`` again), which
turns it into a full lease. A waiter that died just before its grant never claims it, so the slot goes to the
next live ticket instead of staying taken for a whole lease TTL.

The adaptive limit is *not* computed here. It is `LimitController`'s (``governor/_aimd.py``), the same object
`AdaptiveGovernor` drives: the scripts report the facts an observation needs, measured atomically (was the
pool busy when a slot came back; how many attempts were running at NetSuite when a 429 came back) together with
the controller's stored state and its ``version``; the governor runs the controller in Python and writes the
new state back with ``SET_STATE``, a compare-and-set on ``version``. The scripts only read the whole-number
``limit`` the controller wrote, to grant slots.

Keys (all share one hash tag so they live in one cluster slot):

* ``leases``  ZSET  lease id -> expiry (ms, Redis clock); an unclaimed grant's expiry is its claim deadline; a
  ghost or cooling slot's expiry is when it is let go
* ``queue``   ZSET  ticket id -> arrival sequence number (first come, first served)
* ``tickets`` ZSET  ticket id -> expiry (ms): the waiter's heartbeat; a waiter that stops it is dropped
* ``state``   HASH  the controller's state (ceiling, limit, value, slow_start, generation, cuts, bad_level,
  bad_at, slowdown, version) and counters (acquired, limited, seq)
* ``started`` ZSET  lease id -> when it was claimed (ms): the attempts in flight, for the in-flight estimate
* ``ghosts``  ZSET  lease id -> expiry: attempts abandoned in flight, held because NetSuite may still run them
* ``cooling`` ZSET  lease id -> expiry: attempts refused with a 429, held for a while (not running anywhere)
* ``<grant prefix><ticket>``  LIST: one element (the generation) pushed when a queued ticket is granted, so
  the waiter's BLPOP wakes exactly that waiter, without polling.

Common ARGV: 1 grant prefix, 2 ceiling and 3 limit to use while no state is stored yet, 4 lease ms, 5 ticket ms;
script arguments follow from ARGV[6].

Every script answers ``report``: {granted/held/written, generation, limit, ceiling, in flight, queued, acquired,
limited, cuts, ms until the earliest lease expires (-1: none), ghost and cooling slots, now (ms), state version,
busy (0/1), in-flight estimate (-1: none), then the stored value, slow_start, generation, bad_level, bad_at and
slowdown (nil before the first write)}.
"""

from __future__ import annotations

__all__ = ["ACQUIRE", "PEEK", "RELEASE", "RENEW", "SET_STATE"]

_PRELUDE = r"""
local leases, queue, tickets, state = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local started, ghosts, cooling = KEYS[5], KEYS[6], KEYS[7]
local grant_prefix = ARGV[1]
local lease_ms = tonumber(ARGV[4])
local ticket_ms = tonumber(ARGV[5])
local claim_floor = math.max(1, math.floor(ticket_ms / 4))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function num(field, default)
  local v = redis.call('HGET', state, field)
  if v then return tonumber(v) end
  return default
end

-- The whole-number limit and the ceiling the controller last wrote; before its first write, the caller's.
local function shared()
  local v = redis.call('HMGET', state, 'limit', 'ceiling')
  local c = tonumber(v[2] or ARGV[2])
  local l = math.floor(tonumber(v[1] or ARGV[3]))
  if l > c then l = c end
  if l < 1 then l = 1 end
  return l, c
end
local limit, ceiling = shared()

local function expire()
  local gone = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
    for _, m in ipairs(gone) do redis.call('ZREM', started, m) end
    redis.call('ZREMRANGEBYSCORE', ghosts, '-inf', now)
    redis.call('ZREMRANGEBYSCORE', cooling, '-inf', now)
  end
  local dead = redis.call('ZRANGEBYSCORE', tickets, '-inf', now)
  for _, d in ipairs(dead) do
    redis.call('ZREM', queue, d)
    redis.call('ZREM', tickets, d)
  end
end

local function pump()
  expire()
  local free = limit - redis.call('ZCARD', leases)
  if free <= 0 then return end
  local heads = redis.call('ZRANGE', queue, 0, free - 1)
  local gen = tostring(num('generation', 0))
  for _, h in ipairs(heads) do
    -- Reserved, not yet taken: the grant lapses when the ticket itself would have (a live waiter heartbeats
    -- long before), at the earliest claim_floor from now. The waiter's claim makes it a full lease.
    local due = tonumber(redis.call('ZSCORE', tickets, h) or now)
    local claim_by = math.max(due, now + claim_floor)
    redis.call('ZREM', queue, h)
    redis.call('ZREM', tickets, h)
    redis.call('ZADD', leases, claim_by, h)
    local g = grant_prefix .. h
    redis.call('RPUSH', g, gen)
    redis.call('PEXPIRE', g, claim_by - now + ticket_ms)
  end
end

local function report(granted, gen, busy, estimate)
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  local hint = -1
  if #first == 2 then hint = math.max(0, tonumber(first[2]) - now) end
  local s = redis.call('HMGET', state, 'acquired', 'limited', 'cuts', 'version',
                       'value', 'slow_start', 'generation', 'bad_level', 'bad_at', 'slowdown')
  return {granted, tonumber(gen), limit, ceiling,
          redis.call('ZCARD', leases), redis.call('ZCARD', queue),
          tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3] or 0), hint,
          redis.call('ZCARD', ghosts) + redis.call('ZCARD', cooling), now, tonumber(s[4] or 0), busy, estimate,
          s[5], s[6], s[7], s[8], s[9], s[10]}
end
"""

# ARGV[6] ticket. Grants at once when nobody is queued and a slot is free; claims a slot reserved for the
# ticket (making it a full lease); otherwise queues the ticket or refreshes its heartbeat, and answers 0. A
# waiter calls it after every wake-up and at least once per heartbeat interval while it waits.
ACQUIRE = _PRELUDE + r"""
local ticket = ARGV[6]
pump()
local gen = num('generation', 0)
if redis.call('ZSCORE', leases, ticket) then
  local g = grant_prefix .. ticket
  local granted_gen = redis.call('LINDEX', g, 0)
  redis.call('DEL', g)
  redis.call('ZADD', leases, now + lease_ms, ticket)
  redis.call('ZADD', started, now, ticket)
  redis.call('HINCRBY', state, 'acquired', 1)
  return report(1, granted_gen or gen, 0, -1)
end
if not redis.call('ZSCORE', queue, ticket) then
  if redis.call('ZCARD', queue) == 0 and redis.call('ZCARD', leases) < limit then
    redis.call('ZADD', leases, now + lease_ms, ticket)
    redis.call('ZADD', started, now, ticket)
    redis.call('HINCRBY', state, 'acquired', 1)
    return report(1, gen, 0, -1)
  end
  redis.call('ZADD', queue, redis.call('HINCRBY', state, 'seq', 1), ticket)
end
redis.call('ZADD', tickets, now + ticket_ms, ticket)
return report(0, gen, 0, -1)
"""

# ARGV[6] ticket, ARGV[7] outcome (success|limited|failure|ghost|abandon), ARGV[8] ms to keep the slot (a
# ghost's or a refused slot's; 0 frees it at once), ARGV[9] the estimate's window in ms (-1: count every
# attempt in flight). Gives the slot back (or withdraws a waiting ticket) and measures, in the same atomic step,
# what the controller needs: ``busy`` (every slot taken or someone queued, before this one left) and, for a
# 429, the attempts running at NetSuite: those in flight claimed at most the window before the refused one
# (older ones have most likely been answered already) plus the ghosts. Hands freed slots on.
RELEASE = _PRELUDE + r"""
local ticket = ARGV[6]
local outcome = ARGV[7]
local hold = tonumber(ARGV[8])
local window = tonumber(ARGV[9])
expire()
local busy = 0
if redis.call('ZCARD', leases) >= limit or redis.call('ZCARD', queue) > 0 then busy = 1 end
local held = 0
if redis.call('ZSCORE', leases, ticket) then held = 1 end
local start = redis.call('ZSCORE', started, ticket)
redis.call('ZREM', started, ticket)
redis.call('ZREM', queue, ticket)
redis.call('ZREM', tickets, ticket)
redis.call('DEL', grant_prefix .. ticket)
if held == 1 and hold > 0 and (outcome == 'ghost' or outcome == 'limited') then
  redis.call('ZADD', leases, 'XX', now + hold, ticket)
  if outcome == 'ghost' then
    redis.call('ZADD', ghosts, now + hold, ticket)
  else
    redis.call('ZADD', cooling, now + hold, ticket)
  end
else
  redis.call('ZREM', leases, ticket)
end
local estimate = -1
if outcome == 'limited' then
  redis.call('HINCRBY', state, 'limited', 1)
  local live
  if window < 0 or not start then
    live = redis.call('ZCARD', started)
  else
    live = redis.call('ZCOUNT', started, tonumber(start) - window, '+inf')
  end
  estimate = live + redis.call('ZCARD', ghosts)
end
pump()
return report(held, num('generation', 0), busy, estimate)
"""

# ARGV[6] lease id. Extends a live lease; a lease that already expired is not resurrected (its slot may have
# gone to someone else), the answer is 0.
RENEW = _PRELUDE + r"""
local ticket = ARGV[6]
local ok = 0
local s = redis.call('ZSCORE', leases, ticket)
if s and tonumber(s) >= now then
  redis.call('ZADD', leases, now + lease_ms, ticket)
  ok = 1
end
pump()
return report(ok, num('generation', 0), 0, -1)
"""

# ARGV[6] the version the new state was computed from; ARGV[7..15] value, slow_start (0/1), generation, cuts,
# bad_level ('' for none), bad_at, slowdown, ceiling, limit. Writes the controller's new state only if nobody
# wrote since that version (answers 1), otherwise leaves it (answers 0 with the state that won); then hands
# slots a raised limit frees to the queue.
SET_STATE = _PRELUDE + r"""
local ok = 0
if num('version', 0) == tonumber(ARGV[6]) then
  redis.call('HSET', state, 'value', ARGV[7], 'slow_start', ARGV[8], 'generation', ARGV[9], 'cuts', ARGV[10],
             'bad_at', ARGV[12], 'slowdown', ARGV[13], 'ceiling', ARGV[14], 'limit', ARGV[15])
  if ARGV[11] == '' then
    redis.call('HDEL', state, 'bad_level')
  else
    redis.call('HSET', state, 'bad_level', ARGV[11])
  end
  redis.call('HINCRBY', state, 'version', 1)
  ok = 1
  limit, ceiling = shared()
end
pump()
return report(ok, num('generation', 0), 0, -1)
"""

# Reclaims and pumps like the others, then reports the shared state.
PEEK = _PRELUDE + r"""
pump()
return report(0, num('generation', 0), 0, -1)
"""
