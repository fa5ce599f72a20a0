-- Reserve quota atomically: granted only if used + reserved + requested <= limit,
-- where reserved counts open holds and streaming sessions' leases.
-- KEYS: day hash, holds zset, leases zset.
-- ARGV: now_ms, requested_ms, limit_ms (-1: unlimited, nothing is held),
--       hold member "<ms>:<id>", hold expiry ms, holds key ttl ms.
-- Returns {granted 0/1, used_ms, reserved_ms after}.
local now, requested, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local used, reserved = used_ms(KEYS[1]), promised_ms(KEYS[2], KEYS[3], now)
if limit < 0 then
  return {1, used, reserved}
end
if used + reserved + requested > limit then
  return {0, used, reserved}
end
redis.call('ZADD', KEYS[2], tonumber(ARGV[5]), ARGV[4])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[6]))
return {1, used, reserved + requested}
