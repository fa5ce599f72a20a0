-- Lease a streaming session up to `wanted` more ms of its user's day: as much of it as
-- the limit leaves beside what is charged and what every session holds leased.
-- A negative `wanted` gives back that much of the lease (audio a socket will not send).
-- The charges (usage_apply.lua) take from the lease; reservations (holds) are
-- promises made at session creation and do not limit a lease.
-- KEYS: ledger hash, day hash, leases zset.
-- ARGV: now_ms, wanted_ms, limit_ms, day, session_id, user_id, lease expiry ms,
--       day key ttl ms, ledger ttl ms.
-- Returns {granted_ms, lease_ms after, used_ms, leased_ms after}.
local now, wanted, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local day, session = ARGV[4], ARGV[5]
prune_holds(KEYS[3], now)
local lease = current_lease(KEYS[1], KEYS[3], day, session)
local used, leased = used_ms(KEYS[2]), reserved_ms(KEYS[3])
local granted
if wanted < 0 then
  granted = math.max(wanted, -lease)
else
  granted = math.max(math.min(wanted, limit - used - leased), 0)
end
set_lease(KEYS[1], KEYS[3], day, session, lease, lease + granted, tonumber(ARGV[7]),
  tonumber(ARGV[8]))
redis.call('HSET', KEYS[1], 'user_id', ARGV[6])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[9]))
return {granted, lease + granted, used, leased + granted}
