-- Sliding-window rate limit: at most `limit` requests in any `window_ms`.
-- KEYS: zset of accepted request times.  ARGV: now_ms, window_ms, limit, request id.
-- Returns {allowed 0/1, remaining, retry_after_ms}. Refused requests are not
-- recorded, so hammering does not push the window further out.
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  return {0, 0, oldest + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {1, limit - count - 1, 0}
