-- End a session: it stops counting toward the owner's cap at once and its record
-- stays readable for keep_ms. Ending an ended session returns it unchanged.
-- ARGV: session_id, user_id, now_ms, keep_ms.
-- Returns {'ok', field, value, ...} | {'not_found'} | {'forbidden'}.
local now = tonumber(ARGV[3])
local denial = session_denial(KEYS[1], ARGV[2], now)
if denial then
  return {denial}
end
if redis.call('HGET', KEYS[1], 'status') ~= 'ended' then
  redis.call('HSET', KEYS[1], 'status', 'ended', 'ended_ms', now)
  keep_until(KEYS[1], now + tonumber(ARGV[4]), now)
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return session_reply(KEYS[1])
