-- A scope's buckets as they are now (the admin views), after storing the caller's view of its limits if newer.
-- KEYS: 1 limits, 2 the scope's buckets
-- ARGV: 1 now, 2 the scope's field, 3 its limits as the caller knows them
-- Reply: tokens left, tokens limit, requests left, requests limit (0 and -1 for a unit not limited), the version
-- of the limits stored (0: none)

local now = clock(ARGV[1])
local s = { key = KEYS[2], field = ARGV[2], view = ARGV[3] }
limits(KEYS[1], { s })
load(s, now)
persist(s, now)
local reply = levels(s)
reply[#reply + 1] = s.v
return reply
