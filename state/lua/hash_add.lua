-- Set fields of a hash and renew its expiry (answers nothing: the hash may be large).
-- KEYS: the hash.  ARGV: ttl_ms, field, value, field, value...
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
