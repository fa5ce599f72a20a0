-- Quota helpers, prepended to the quota and usage scripts (see state/scripts.py).
-- A day hash holds used_ms; a holds zset holds open reservations as members
-- "<ms>:<id>" scored by their expiry, so an unsettled reservation lapses on its own.

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
