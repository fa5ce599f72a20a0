-- A user's quota for one day: {used_ms, reserved_ms}.
-- KEYS: day hash, holds zset.  ARGV: now_ms.
prune_holds(KEYS[2], tonumber(ARGV[1]))
return {used_ms(KEYS[1]), reserved_ms(KEYS[2])}
