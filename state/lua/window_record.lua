-- Record an event in a sliding window whatever the count (a failure happened: it counts),
-- keeping at most `limit` of the newest so a flood cannot grow the key.
-- KEYS: zset of event times.  ARGV: now_ms, window_ms, limit, event id.
-- Returns {full 0/1 after this event, count, retry_after_ms (0 unless full)}.
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[4])
local count = redis.call('ZCARD', KEYS[1])
if count > limit then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, count - limit - 1)
  count = limit
end
redis.call('PEXPIRE', KEYS[1], window)
if count < limit then
  return {0, count, 0}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return {1, count, math.max(oldest + window - now, 1)}
