-- Quota helpers, prepended to the quota and usage scripts (see state/scripts.py).
-- A day hash holds used_ms; a holds zset holds open reservations as members
-- "<ms>:<id>" scored by their expiry, so an unsettled reservation lapses on its own.
-- A leases zset holds, the same way, each streaming session's lease "<ms>:<session>":
-- audio the ingress may publish for it that the flow has not charged yet.

local function used_ms(day_key)
  return tonumber(redis.call('HGET', day_key, 'used_ms') or '0')
end

local function prune_holds(holds_key, now_ms)
  redis.call('ZREMRANGEBYSCORE', holds_key, '-inf', now_ms)
end

local function reserved_ms(holds_key)
  local total = 0
  for _, member in ipairs(redis.call('ZRANGE', holds_key, 0, -1)) do
    total = total + tonumber(string.match(member, '^(%d+):'))
  end
  return total
end

-- Everything promised and not charged yet: open reservations and leases.
local function promised_ms(holds_key, leases_key, now_ms)
  prune_holds(holds_key, now_ms)
  prune_holds(leases_key, now_ms)
  return reserved_ms(holds_key) + reserved_ms(leases_key)
end

-- The session's lease of `day` (0 if it has none, it was of another day, or it lapsed).
local function current_lease(ledger_key, leases_key, day, session)
  if redis.call('HGET', ledger_key, 'lease_day') ~= day then
    return 0
  end
  local lease = tonumber(redis.call('HGET', ledger_key, 'lease_ms') or '0')
  if lease > 0 and not redis.call('ZSCORE', leases_key, lease .. ':' .. session) then
    return 0
  end
  return lease
end

local function set_lease(ledger_key, leases_key, day, session, old, new, expiry_ms, ttl_ms)
  if old > 0 then
    redis.call('ZREM', leases_key, old .. ':' .. session)
  end
  if new > 0 then
    redis.call('ZADD', leases_key, expiry_ms, new .. ':' .. session)
    redis.call('PEXPIRE', leases_key, ttl_ms)
  end
  redis.call('HSET', ledger_key, 'lease_ms', new, 'lease_day', day)
end
