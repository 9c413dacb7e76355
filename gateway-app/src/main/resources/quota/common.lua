-- Shared by every quota script (docs/quotas.md, "The Redis store"). Prepended to each of them.
--
-- A bucket of C per minute holds a level in unit-milliseconds: at most C * 60,000 (full), refilled by C every
-- millisecond, one unit costs 60,000. This is what a Bucket4j bucket (greedy refill of C per minute, 64-bit integer
-- state, millisecond clock) holds as "size * period + rounding error", so the same operations give the same numbers.
-- Limits are at most 5 * 10^7 a minute (checked by the gateway), so every value stays below 2^53 and Lua's doubles
-- are exact integers; every division goes through fdiv, every number written to Redis through fmt.
--
-- Keys (all of one model share the hash tag {m:<model>}, so a script's keys live in one cluster slot):
--   llgw:{m:<model>}:limits     hash   t:<team> / d:<deployment> -> "<tokens/min> <requests/min> <version>" (-1: not limited)
--   llgw:{m:<model>}:t:<team>   hash   the team's buckets on the model    (t, tc, tt: tokens level, limit, last refill;
--   llgw:{m:<model>}:d:<dep>    hash   the deployment's buckets            r, rc, rt: the same for requests)
--   llgw:{m:<model>}:r:<id>     hash   one admission: a (its answer), n (tokens reserved), f (what it debited), done
--   llgw:{m:<model>}:c:d:<dep>  string the end of the deployment's cool-down (ms)

local P = 60000

local function fmt(x)
  return string.format('%d', x)
end

-- floor(a / b) for integers |a| < 2^53, b > 0, exact even where a / b rounds
local function fdiv(a, b)
  local q = math.floor(a / b)
  local r = a - q * b
  if r < 0 then q = q - 1 elseif r >= b then q = q + 1 end
  return q
end

local function cdiv(a, b)
  return -fdiv(-a, b)
end

-- the server's clock in ms; a test may pass its own (the gateway passes '' unless a test clock is configured)
local function clock(arg)
  if arg ~= nil and arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + fdiv(tonumber(t[2]), 1000)
end

local function parse(view)
  local t, r, v = string.match(view, '^(%-?%d+) (%-?%d+) (%d+)$')
  return tonumber(t), tonumber(r), tonumber(v)
end

-- Each scope's limits: the stored ones, unless the caller's view of them is newer, which is then stored (so a Redis
-- that lost its data is filled again by the next request). A scope nobody limited is not limited.
local function limits(lkey, scopes)
  local fields = {}
  for i, s in ipairs(scopes) do fields[i] = s.field end
  local stored = redis.call('HMGET', lkey, unpack(fields))
  for i, s in ipairs(scopes) do
    local tpm, rpm, v = -1, -1, 0
    if stored[i] then tpm, rpm, v = parse(stored[i]) end
    if s.view then
      local vt, vr, vv = parse(s.view)
      if vv > v then
        tpm, rpm, v = vt, vr, vv
        redis.call('HSET', lkey, s.field, s.view)
      end
    end
    s.tpm, s.rpm, s.v = tpm, rpm, v
  end
end

-- Bucket4j's greedy refill over dt ms
local function refill(level, c, dt)
  local cap = c * P
  if level >= cap then return level end
  if dt >= cdiv(cap - level, c) then return cap end
  return level + c * dt
end

-- Bucket4j's TokensInheritanceStrategy.ADDITIVE: a raised limit adds the difference, a lowered one keeps what is
-- left up to the new limit
local function replace(level, old, new)
  local size = fdiv(level, P)
  if new <= old then
    if size >= new then return new * P end
    return level
  end
  if size >= old then return new * P end
  return level + (new - old) * P
end

-- One unit of a scope brought to now: refilled under the limit it was kept under, then moved to the current limit.
-- Returns nil when the unit is not limited (its bucket is dropped).
local function unit(h, level, limit, at, current, now)
  if current < 0 then return nil end
  level, limit, at = tonumber(h[level]), tonumber(h[limit]), tonumber(h[at])
  if not level or not limit or not at then return { level = current * P, c = current, at = now } end
  if now > at then
    level = refill(level, limit, now - at)
    at = now
  end
  if current ~= limit then level = replace(level, limit, current) end
  return { level = level, c = current, at = at }
end

local function load(s, now)
  local h = redis.call('HMGET', s.key, 't', 'tc', 'tt', 'r', 'rc', 'rt')
  s.t = unit(h, 1, 2, 3, s.tpm, now)
  s.r = unit(h, 4, 5, 6, s.rpm, now)
end

-- writes the scope's buckets back; the key expires well after its buckets would be full again (absent = full)
local function persist(s, now)
  if not s.t and not s.r then
    redis.call('DEL', s.key)
    return
  end
  local args, ttl = {}, 0
  for _, u in ipairs({ { 't', s.t }, { 'r', s.r } }) do
    local name, b = u[1], u[2]
    if b then
      args[#args + 1] = name; args[#args + 1] = fmt(b.level)
      args[#args + 1] = name .. 'c'; args[#args + 1] = fmt(b.c)
      args[#args + 1] = name .. 't'; args[#args + 1] = fmt(b.at)
      local full = math.max(0, b.at - now) + cdiv(b.c * P - b.level, b.c)
      if full > ttl then ttl = full end
    else
      redis.call('HDEL', s.key, name, name .. 'c', name .. 't')
    end
  end
  redis.call('HSET', s.key, unpack(args))
  redis.call('PEXPIRE', s.key, fmt(ttl + 10 * P))
end

-- Bucket4j's addTokens: never above the limit
local function give(b, amount)
  if fdiv(b.level, P) + amount >= b.c then b.level = b.c * P else b.level = b.level + amount * P end
end

-- usage above the reservation: into debt, down to minus one minute's limit at most
local function charge(b, amount)
  local k = math.min(amount, fdiv(b.level, P) + b.c)
  if k > 0 then b.level = b.level - k * P end
end

-- level (whole units, negative in debt) and limit of each unit: 0 and -1 where a unit is not limited
local function levels(s)
  local out = {}
  for _, b in ipairs({ s.t or false, s.r or false }) do
    if b then out[#out + 1] = fdiv(b.level, P); out[#out + 1] = b.c else out[#out + 1] = 0; out[#out + 1] = -1 end
  end
  return out
end
