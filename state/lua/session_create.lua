-- Open a session unless its owner already has max_sessions live ones.
-- ARGV: session_id, user_id, settings json, now_ms, idle_ms, lifetime_ms, max_sessions.
-- Returns {'ok', field, value, ...} | {'forbidden'} | {'limit', live_count}.
-- Creating an id that is live for the same owner returns it unchanged (a retried request).
local session_id, user_id = ARGV[1], ARGV[2]
local now, idle, lifetime = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local denial = session_denial(KEYS[1], user_id, now)
if denial == nil then
  return session_reply(KEYS[1])
elseif denial == 'forbidden' then
  return {'forbidden'}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local live = redis.call('ZCARD', KEYS[2])
if live >= tonumber(ARGV[7]) then
  return {'limit', live}
end
local expires = now + math.min(idle, lifetime)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'user_id', user_id, 'settings', ARGV[3], 'status', 'active',
  'created_ms', now, 'last_activity_ms', now, 'lifetime_ends_ms', now + lifetime,
  'audio_chunks_processed', 0, 'subtitles_generated', 0, 'processed_ms', 0, 'last_seq', -1)
keep_until(KEYS[1], expires, now)
index_session(KEYS[2], session_id, expires, now)
return session_reply(KEYS[1])
