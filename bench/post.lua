-- POST the body in $BODY_FILE to the URL wrk is given, with the key in $AUTH (a full header value, may be empty) and
-- the headers in $EXTRA_HEADERS ("Name: value|Name: value", may be unset).
wrk.method = "POST"
local f = assert(io.open(os.getenv("BODY_FILE"), "r"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
for name, value in (os.getenv("EXTRA_HEADERS") or ""):gmatch("([^:|]+):%s*([^|]*)") do
  wrk.headers[name] = value
end
-- $ROTATE_AUTH ("Bearer a|Bearer b|...", may be unset): each request takes the next of these Authorization values in
-- turn (several teams share a load that one team's allowance, at most 50,000,000 tokens a minute, could not hold)
local rotation = {}
for value in (os.getenv("ROTATE_AUTH") or ""):gmatch("[^|]+") do
  rotation[#rotation + 1] = value
end
if #rotation > 0 then
  local requests = {}
  for i, value in ipairs(rotation) do
    wrk.headers["Authorization"] = value
    requests[i] = wrk.format()
  end
  local next = 0
  request = function()
    next = next % #requests + 1
    return requests[next]
  end
end
