-- Charges units used outside Redis (what a replica admitted from its local share while Redis was unavailable),
-- into debt as a settlement does, after storing the caller's view of the scope's limits if newer.
-- KEYS: 1 limits, 2 the scope's buckets
-- ARGV: 1 now, 2 the scope's field, 3 its limits as the caller knows them, 4 tokens, 5 requests
-- Reply: 1

local now = clock(ARGV[1])
local s = { key = KEYS[2], field = ARGV[2], view = ARGV[3] }
limits(KEYS[1], { s })
load(s, now)
local tokens, requests = tonumber(ARGV[4]), tonumber(ARGV[5])
if s.t and tokens > 0 then charge(s.t, tokens) end
if s.r and requests > 0 then charge(s.r, requests) end
persist(s, now)
return 1
