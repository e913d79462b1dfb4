"""The Lua scripts behind `RedisGovernor`.

Every decision about slots happens inside one script call, so Redis serialises them and no two processes
can both see "one slot free" and both take it. Every script reads the clock with ``TIME`` (Redis's clock, the
same for every process) and starts by reclaiming leases whose holder stopped renewing them and dropping
tickets whose waiter stopped heartbeating, then hands free slots to the oldest live tickets (``pump``), so a
dead holder's slots go to live waiters as soon as any process touches the key.

A slot handed to a queued ticket is only *reserved* for it (a lease that lapses when the ticket would have,
and no sooner than a quarter of the ticket TTL from now): the waiter must *claim* it (``ACQUIRE`` again), which
turns it into a full lease. A waiter that died just before its grant never claims it, so the slot goes to the
next live ticket instead of staying taken for a whole lease TTL.

Keys (all share one hash tag so they live in one cluster slot):

* ``leases``  ZSET  lease id -> expiry (ms, Redis clock); an unclaimed grant's expiry is its claim deadline
* ``queue``   ZSET  ticket id -> arrival sequence number (first come, first served)
* ``tickets`` ZSET  ticket id -> expiry (ms): the waiter's heartbeat; a waiter that stops it is dropped
* ``state``   HASH  limit (float), ceiling, generation, acquired, limited, cuts, seq, bad_level, bad_at
* ``<grant prefix><ticket>``  LIST: one element (the generation) pushed when a queued ticket is granted, so
  the waiter's BLPOP wakes exactly that waiter, without polling.

Common ARGV: 1 grant prefix, 2 ceiling, 3 lease ms, 4 ceiling mode (0 follow, 1 declare, 2 reset), 5 ratio,
6 probe slowdown, 7 probe memory ms, 8 adaptive ("1"/"0"), 9 ticket ms; script arguments follow from ARGV[10].

Every script answers ``report``: {granted/held, generation, limit, ceiling, in flight, queued, acquired,
limited, cuts, ms until the earliest lease expires (-1: none)}.
"""

from __future__ import annotations

__all__ = ["ACQUIRE", "PEEK", "RELEASE", "RENEW"]

_PRELUDE = r"""
local leases, queue, tickets, state = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local grant_prefix = ARGV[1]
local ceiling = tonumber(ARGV[2])
local lease_ms = tonumber(ARGV[3])
local mode = ARGV[4]
local ratio = tonumber(ARGV[5])
local slowdown = tonumber(ARGV[6])
local memory_ms = tonumber(ARGV[7])
local adaptive = ARGV[8] == '1'
local ticket_ms = tonumber(ARGV[9])
local claim_floor = math.max(1, math.floor(ticket_ms / 4))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function num(field, default)
  local v = redis.call('HGET', state, field)
  if v then return tonumber(v) end
  return default
end

-- The ceiling is shared. A governor declares its configured one on first contact ('1') and after
-- set_ceiling ('2', which also moves the limit to it); otherwise ('0') it follows the stored one. So a fleet
-- redeployed with a new limit takes it up at once, and one process's set_ceiling reaches every process.
local stored = num('ceiling', nil)
if mode == '0' and stored ~= nil then ceiling = stored end
local limit = num('limit', nil)
local stored_limit = limit
if limit == nil or mode == '2' then
  limit = ceiling
  redis.call('HDEL', state, 'bad_level', 'bad_at')
elseif limit > ceiling then
  limit = ceiling
end
-- Written only when changed: most calls leave the state hash alone.
if stored ~= ceiling or stored_limit ~= limit then
  redis.call('HSET', state, 'limit', tostring(limit), 'ceiling', ceiling)
end

local function effective()
  local e = math.floor(limit)
  if e > ceiling then e = ceiling end
  if e < 1 then e = 1 end
  return e
end

local function pump()
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local dead = redis.call('ZRANGEBYSCORE', tickets, '-inf', now)
  for _, d in ipairs(dead) do
    redis.call('ZREM', queue, d)
    redis.call('ZREM', tickets, d)
  end
  local free = effective() - redis.call('ZCARD', leases)
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

local function report(granted, gen)
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  local hint = -1
  if #first == 2 then hint = math.max(0, tonumber(first[2]) - now) end
  local counts = redis.call('HMGET', state, 'acquired', 'limited', 'cuts')
  return {granted, tonumber(gen), effective(), ceiling,
          redis.call('ZCARD', leases), redis.call('ZCARD', queue),
          tonumber(counts[1] or 0), tonumber(counts[2] or 0), tonumber(counts[3] or 0), hint}
end
"""

# ARGV[10] ticket. Grants at once when nobody is queued and a slot is free; claims a slot reserved for the
# ticket (making it a full lease); otherwise queues the ticket or refreshes its heartbeat, and answers 0. A
# waiter calls it after every wake-up and at least once per heartbeat interval while it waits.
ACQUIRE = _PRELUDE + r"""
local ticket = ARGV[10]
pump()
local gen = num('generation', 0)
if redis.call('ZSCORE', leases, ticket) then
  local g = grant_prefix .. ticket
  local granted_gen = redis.call('LINDEX', g, 0)
  redis.call('DEL', g)
  redis.call('ZADD', leases, now + lease_ms, ticket)
  redis.call('HINCRBY', state, 'acquired', 1)
  return report(1, granted_gen or gen)
end
if not redis.call('ZSCORE', queue, ticket) then
  if redis.call('ZCARD', queue) == 0 and redis.call('ZCARD', leases) < effective() then
    redis.call('ZADD', leases, now + lease_ms, ticket)
    redis.call('HINCRBY', state, 'acquired', 1)
    return report(1, gen)
  end
  redis.call('ZADD', queue, redis.call('HINCRBY', state, 'seq', 1), ticket)
end
redis.call('ZADD', tickets, now + ticket_ms, ticket)
return report(0, gen)
"""

# ARGV[10] ticket, ARGV[11] outcome (success|limited|failure|abandon), ARGV[12] generation the lease was
# granted in. Gives the slot back (or withdraws a waiting ticket), applies AIMD, hands freed slots on.
RELEASE = _PRELUDE + r"""
local ticket = ARGV[10]
local outcome = ARGV[11]
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
local busy = redis.call('ZCARD', leases) >= effective() or redis.call('ZCARD', queue) > 0
local held = redis.call('ZREM', leases, ticket)
redis.call('ZREM', queue, ticket)
redis.call('ZREM', tickets, ticket)
redis.call('DEL', grant_prefix .. ticket)
local gen = num('generation', 0)
if outcome == 'limited' then
  redis.call('HINCRBY', state, 'limited', 1)
  -- One cut per congestion episode: a 429 on a lease granted before the latest cut was already answered.
  if adaptive and tonumber(ARGV[12]) >= gen then
    redis.call('HSET', state, 'bad_level', effective(), 'bad_at', now)
    limit = math.max(1, limit * ratio)
    redis.call('HSET', state, 'limit', tostring(limit))
    gen = redis.call('HINCRBY', state, 'generation', 1)
    redis.call('HINCRBY', state, 'cuts', 1)
  end
elseif outcome == 'success' and held == 1 and adaptive and busy and limit < ceiling then
  -- Additive increase only while the pool is really used: an app-limited fleet learns nothing.
  local step = 1 / math.max(limit, 1)
  local bad = num('bad_level', nil)
  if bad ~= nil then
    if now - num('bad_at', 0) > memory_ms then
      redis.call('HDEL', state, 'bad_level', 'bad_at')
    elseif limit + step >= bad - 1 then
      step = step / slowdown
    end
  end
  limit = math.min(ceiling, limit + step)
  redis.call('HSET', state, 'limit', tostring(limit))
end
pump()
return report(held, gen)
"""

# ARGV[10] lease id. Extends a live lease; a lease that already expired is not resurrected (its slot may have
# gone to someone else), the answer is 0.
RENEW = _PRELUDE + r"""
local ticket = ARGV[10]
local ok = 0
local s = redis.call('ZSCORE', leases, ticket)
if s and tonumber(s) >= now then
  redis.call('ZADD', leases, now + lease_ms, ticket)
  ok = 1
end
pump()
return report(ok, num('generation', 0))
"""

# Reclaims and pumps like the others, then reports the shared state.
PEEK = _PRELUDE + r"""
pump()
return report(0, num('generation', 0))
"""
