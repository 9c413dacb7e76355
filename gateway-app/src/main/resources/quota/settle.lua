-- Settles an admission once: 'settle' gives back the tokens reserved but not used, or charges those used beyond
-- the reservation (into debt); 'refund' gives back everything, the request included.
-- KEYS: 1 limits, 2 the admission, 3 the team's buckets, 4 the member's buckets
-- ARGV: 1 settle | refund, 2 tokens used, 3 now, 4 the team's field, 5 the member's field, 6 how long the settled
--       admission is still kept (ms)
-- Reply: 1 settled, 0 settled before, -1 unknown (never admitted, or expired)

local h = redis.call('HMGET', KEYS[2], 'n', 'f', 'done')
if not h[1] then return -1 end
if h[3] then return 0 end
redis.call('HSET', KEYS[2], 'done', '1')
redis.call('PEXPIRE', KEYS[2], ARGV[6])

local n, debited = tonumber(h[1]), h[2]
local now = clock(ARGV[3])
local scopes = { { key = KEYS[3], field = ARGV[4] }, { key = KEYS[4], field = ARGV[5] } }
limits(KEYS[1], scopes)
for i, s in ipairs(scopes) do
  load(s, now)
  -- only the buckets this admission debited (a unit limited since then holds nothing of it)
  local t = s.t and string.sub(debited, 2 * i - 1, 2 * i - 1) == 't' and s.t or nil
  local r = s.r and string.sub(debited, 2 * i, 2 * i) == 'r' and s.r or nil
  if ARGV[1] == 'refund' then
    if t then give(t, n) end
    if r then give(r, 1) end
  elseif t then
    local extra = tonumber(ARGV[2]) - n
    if extra < 0 then give(t, -extra) elseif extra > 0 then charge(t, extra) end
  end
  persist(s, now)
end
return 1
