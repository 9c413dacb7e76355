-- A replica says it is alive and learns how many are.
-- KEYS: 1 the replicas (sorted set: replica id -> last heartbeat, server ms)
-- ARGV: 1 this replica's id, 2 how long a heartbeat counts (ms), 3 now
-- Reply: the number of replicas alive

local now = clock(ARGV[3])
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], fmt(now), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - ttl))
redis.call('PEXPIRE', KEYS[1], fmt(2 * ttl))
return redis.call('ZCARD', KEYS[1])
