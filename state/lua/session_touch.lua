-- Record activity on an active session: push its idle expiry out (never past its
-- lifetime), add to its counters, move last_seq forward, keep the last event id.
-- ARGV: session_id, user_id, now_ms, idle_ms, audio_chunks, subtitles,
--       last_seq ('' leaves it), last_event_id ('' leaves it).
-- Returns {'ok', field, value, ...} | {'not_found'} | {'forbidden'} | {'ended'}.
local key, now = KEYS[1], tonumber(ARGV[3])
local denial = session_denial(key, ARGV[2], now)
if denial then
  return {denial}
end
if redis.call('HGET', key, 'status') == 'ended' then
  return {'ended'}
end
redis.call('HINCRBY', key, 'audio_chunks_processed', ARGV[5])
redis.call('HINCRBY', key, 'subtitles_generated', ARGV[6])
-- Reconnects resume after the highest sequence number seen, so it only grows.
if ARGV[7] ~= '' and tonumber(ARGV[7]) > tonumber(redis.call('HGET', key, 'last_seq')) then
  redis.call('HSET', key, 'last_seq', ARGV[7])
end
if ARGV[8] ~= '' then
  redis.call('HSET', key, 'last_event_id', ARGV[8])
end
local expires = math.min(now + tonumber(ARGV[4]), tonumber(redis.call('HGET', key, 'lifetime_ends_ms')))
redis.call('HSET', key, 'last_activity_ms', now)
keep_until(key, expires, now)
index_session(KEYS[2], ARGV[1], expires, now)
return session_reply(key)
