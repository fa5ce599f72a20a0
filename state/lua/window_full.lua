-- Is a sliding window of events full? Drops events older than the window first.
-- KEYS: zset of event times.  ARGV: now_ms, window_ms, limit.
-- Returns {full 0/1, count, retry_after_ms (0 unless full)}.
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  return {0, count, 0}
end
-- Full until enough of the oldest leave for one more.
local edge = tonumber(redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')[2])
return {1, count, math.max(edge + window - now, 1)}
