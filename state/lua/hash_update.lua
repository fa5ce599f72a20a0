-- Set fields of a hash and renew its expiry; answer what the hash held before.
-- KEYS: the hash.  ARGV: ttl_ms, field, value, field, value...
-- Returns the hash's fields and values before the update (HGETALL order).
local before = redis.call('HGETALL', KEYS[1])
if #ARGV > 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return before
