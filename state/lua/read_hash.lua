-- A whole hash (a session record, a usage ledger entry); the caller decides liveness.
-- KEYS: the hash.
return redis.call('HGETALL', KEYS[1])
