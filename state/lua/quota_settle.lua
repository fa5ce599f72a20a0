-- Release a reservation; settling twice, or after it lapsed, releases nothing.
-- KEYS: day hash, holds zset, leases zset (of the day it was made).  ARGV: now_ms, hold member.
-- Returns {released 0/1, used_ms, reserved_ms after}.
local now = tonumber(ARGV[1])
prune_holds(KEYS[2], now)
local released = redis.call('ZREM', KEYS[2], ARGV[2])
return {released, used_ms(KEYS[1]), promised_ms(KEYS[2], KEYS[3], now)}
