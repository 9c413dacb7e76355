-- Admission, all or nothing: the team's buckets and those of the first pool member that has room take the request.
-- KEYS: 1 limits, 2 the admission, 3 the team's buckets, then per pool member in order of preference: its buckets,
--       its cool-down
-- ARGV: 1 tokens, 2 now ('' = the server's clock), 3 how long the admission is kept (ms), 4 '1' if cool-downs apply,
--       5 the team's field, 6 the team's limits as the caller knows them, then per member: field, limits
-- Reply: status (1 admitted, 2 the team refuses, 3 no member has room, 4 never fits the team, 5 never fits any
-- member, 6 no member has room and the one with the shortest wait is cooling down), member (1-based: the admitting
-- one, the one with the shortest wait, or the largest), wait (ms, rounded up), then team and member levels: tokens
-- left, tokens limit, requests left, requests limit.
-- A member cooling down has no room until its cool-down ends (cool.lua).
-- The same admission asked again gets the first answer and debits nothing.

local prior = redis.call('HGET', KEYS[2], 'a')
if prior then
  local reply = {}
  for x in string.gmatch(prior, '%S+') do reply[#reply + 1] = tonumber(x) end
  return reply
end

local n = tonumber(ARGV[1])
local now = clock(ARGV[2])
local coolDownsApply = ARGV[4] == '1'
local scopes = { { key = KEYS[3], field = ARGV[5], view = ARGV[6] } }
for j = 1, (#KEYS - 3) / 2 do
  scopes[#scopes + 1] = { key = KEYS[2 + 2 * j], cool = KEYS[3 + 2 * j], field = ARGV[5 + 2 * j], view = ARGV[6 + 2 * j] }
end
limits(KEYS[1], scopes)

-- whether the scope could ever take the request, and how long until it can (ms, rounded up; 0: now)
local function check(s)
  local never, wait = false, 0
  for _, u in ipairs({ { s.t, n }, { s.r, 1 } }) do
    local b, amount = u[1], u[2]
    if b then
      if amount > b.c then
        never = true
      elseif b.level < amount * P then
        -- Bucket4j's wait: floor(deficit * 10^6 / c) ns, here rounded up to whole ms
        local deficit = amount * P - b.level
        local q = fdiv(deficit, b.c)
        local ms = q
        if (deficit - q * b.c) * 1000000 >= b.c then ms = q + 1 end
        wait = math.max(wait, ms)
      end
    end
  end
  return never, wait
end

local function answer(status, member, wait, m)
  local reply = { status, member, wait }
  for _, x in ipairs(levels(scopes[1])) do reply[#reply + 1] = x end
  local ml = m and levels(m) or { 0, -1, 0, -1 }
  for _, x in ipairs(ml) do reply[#reply + 1] = x end
  return reply
end

local team = scopes[1]
load(team, now)
local never, wait = check(team)
if never or wait > 0 then
  persist(team, now)
  return answer(never and 4 or 2, 0, wait, nil)
end

local soonest, soonestWait, soonestCooling, largest, largestLimit = 0, -1, false, 0, -2
for i = 2, #scopes do
  local m = scopes[i]
  load(m, now)
  local mnever, mwait = check(m)
  local cooled = false
  if coolDownsApply then
    local ends = tonumber(redis.call('GET', m.cool))
    if ends and ends > now and ends - now >= mwait then
      mwait, cooled = ends - now, true
    end
  end
  if not mnever and mwait == 0 then
    local debited = ''
    for _, s in ipairs({ team, m }) do
      if s.t then s.t.level = s.t.level - n * P; debited = debited .. 't' else debited = debited .. '-' end
      if s.r then s.r.level = s.r.level - P; debited = debited .. 'r' else debited = debited .. '-' end
      persist(s, now)
    end
    local reply = answer(1, i - 1, 0, m)
    redis.call('HSET', KEYS[2], 'a', table.concat(reply, ' '), 'n', fmt(n), 'f', debited)
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    return reply
  end
  persist(m, now)
  if not mnever and (soonestWait < 0 or mwait < soonestWait) then soonest, soonestWait, soonestCooling = i - 1, mwait, cooled end
  local limit = m.t and m.t.c or -1
  if limit > largestLimit then largest, largestLimit = i - 1, limit end
end
if soonest == 0 then
  return answer(5, largest, 0, scopes[largest + 1])
end
return answer(soonestCooling and 6 or 3, soonest, soonestWait, scopes[soonest + 1])
