"""The test Redis is a real Redis 7 that runs Lua."""

from __future__ import annotations

import redis


def test_redis_is_real_and_runs_lua(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert int(client.info("server")["redis_version"].split(".")[0]) >= 7
    assert client.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, "t:lua", 5) == 5
    client.delete("t:lua")
