-- A pool member kept out of the model's admissions until now + ms: a later cool-down that ends later extends it,
-- one that ends sooner changes nothing.
-- KEYS: 1 the member's cool-down (its end, ms on the store's clock)
-- ARGV: 1 now, 2 ms
-- Reply: the end of the member's cool-down

local now = clock(ARGV[1])
local ends = now + tonumber(ARGV[2])
local prior = tonumber(redis.call('GET', KEYS[1]))
if prior and prior >= ends then return prior end
-- kept well past its end, as the buckets are: the end decides, the expiry only cleans up
redis.call('SET', KEYS[1], fmt(ends), 'PX', fmt(ends - now + 10 * P))
return ends
