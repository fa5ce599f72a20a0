"""Atomic state in Redis: quotas, the usage ledger, sessions and rate limits.

Every change is a Lua script (`state/lua/`). Domain objects (`Quotas`, `Usage`,
`Sessions`, `RateLimits`) build calls; a runner from `state.scripts` executes
them on the client the caller already has:

    run = AsyncScriptRunner(redis.asyncio.Redis.from_url(cfg.redis_url))  # ingress
    reservation = await run(Quotas(cfg).check_and_reserve(user, 2.0, tier=tier))

    run = ScriptRunner(redis.Redis.from_url(cfg.redis_url))  # Bytewax flow
    charge = run(Usage(cfg).apply_usage(session_id, user, tier, processed_ms_total))

`state.quotas` and `state.usage` explain how reservations and exactly-once
charging fit together; `state.keys` lists every key.
"""
