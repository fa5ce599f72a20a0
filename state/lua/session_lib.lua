-- Session helpers, prepended to the session scripts (see state/scripts.py).
-- Every session script gets KEYS: the session hash, the owner's live-session zset.
-- A session is live while its expires_ms (the caller's clock) is ahead of now;
-- the key's Redis TTL follows expires_ms only to clean up.

local function session_denial(key, user_id, now_ms)
  local expires = redis.call('HGET', key, 'expires_ms')
  if not expires or tonumber(expires) <= now_ms then
    return 'not_found'
  end
  if redis.call('HGET', key, 'user_id') ~= user_id then
    return 'forbidden'
  end
  return nil
end

local function keep_until(key, expires_ms, now_ms)
  redis.call('HSET', key, 'expires_ms', expires_ms)
  redis.call('PEXPIRE', key, expires_ms - now_ms)
end

-- The zset is scored by expiry so the cap counts only live sessions; the key
-- itself lives as long as its longest-lived member.
local function index_session(index_key, session_id, expires_ms, now_ms)
  redis.call('ZADD', index_key, expires_ms, session_id)
  if redis.call('PTTL', index_key) < expires_ms - now_ms then
    redis.call('PEXPIRE', index_key, expires_ms - now_ms)
  end
end

local function session_reply(key)
  local reply = redis.call('HGETALL', key)
  table.insert(reply, 1, 'ok')
  return reply
end
