-- A user's quota for one day: {used_ms, reserved_ms (holds and leases)}.
-- KEYS: day hash, holds zset, leases zset.  ARGV: now_ms.
return {used_ms(KEYS[1]), promised_ms(KEYS[2], KEYS[3], tonumber(ARGV[1]))}
