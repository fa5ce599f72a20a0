-- Charge a session's processed audio exactly once, from its cumulative total.
-- The ledger keeps the highest total seen; only the part above it is charged,
-- so replays (lower or equal totals) charge nothing and a crash loses nothing.
-- What is charged came out of the session's lease, which shrinks by it; the
-- session's last charge (final) gives back what is left of the lease. Audio a
-- reconnecting client sent again was leased again but is not processed again:
-- the flow's total of it (resent_total_ms, kept as a mark of its own, so a
-- replay gives back nothing twice) goes back to the lease as it grows.
-- KEYS: ledger hash, day hash, holds zset, leases zset, session hash.
-- ARGV: processed_total_ms, now_ms, user_id, day key ttl ms, ledger ttl ms,
--       day, session_id, lease expiry ms, final (0/1), resent_total_ms.
-- Returns {charged_ms, high_water_ms, used_ms, reserved_ms}.
local total, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local day, session = ARGV[6], ARGV[7]
local high_water = tonumber(redis.call('HGET', KEYS[1], 'processed_ms') or '0')
local charged = 0
if total > high_water then
  charged = total - high_water
  high_water = total
  redis.call('HSET', KEYS[1], 'processed_ms', total, 'user_id', ARGV[3], 'updated_ms', now)
  redis.call('HINCRBY', KEYS[2], 'used_ms', charged)
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]))
  -- The session record mirrors the ledger while it exists; never recreate an expired one.
  if redis.call('EXISTS', KEYS[5]) == 1 then
    redis.call('HSET', KEYS[5], 'processed_ms', total)
  end
end
local resent = tonumber(ARGV[10])
local resent_mark = tonumber(redis.call('HGET', KEYS[1], 'resent_ms') or '0')
local unspent = 0
if resent > resent_mark then
  unspent = resent - resent_mark
  redis.call('HSET', KEYS[1], 'resent_ms', resent)
end
local lease = current_lease(KEYS[1], KEYS[4], day, session)
if lease > 0 then
  local left = math.max(lease - charged - unspent, 0)
  if ARGV[9] == '1' then
    left = 0
  end
  set_lease(KEYS[1], KEYS[4], day, session, lease, left, tonumber(ARGV[8]), tonumber(ARGV[4]))
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return {charged, high_water, used_ms(KEYS[2]), promised_ms(KEYS[3], KEYS[4], now)}
