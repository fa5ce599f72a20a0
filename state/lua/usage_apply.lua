-- Charge a session's processed audio exactly once, from its cumulative total.
-- The ledger keeps the highest total seen; only the part above it is charged,
-- so replays (lower or equal totals) charge nothing and a crash loses nothing.
-- KEYS: ledger hash, day hash, holds zset, session hash.
-- ARGV: processed_total_ms, now_ms, user_id, day key ttl ms, ledger ttl ms.
-- Returns {charged_ms, high_water_ms, used_ms, reserved_ms}.
local total, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local high_water = tonumber(redis.call('HGET', KEYS[1], 'processed_ms') or '0')
local charged = 0
if total > high_water then
  charged = total - high_water
  high_water = total
  redis.call('HSET', KEYS[1], 'processed_ms', total, 'user_id', ARGV[3], 'updated_ms', now)
  redis.call('HINCRBY', KEYS[2], 'used_ms', charged)
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]))
  -- The session record mirrors the ledger while it exists; never recreate an expired one.
  if redis.call('EXISTS', KEYS[4]) == 1 then
    redis.call('HSET', KEYS[4], 'processed_ms', total)
  end
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
prune_holds(KEYS[3], now)
return {charged, high_water, used_ms(KEYS[2]), reserved_ms(KEYS[3])}
