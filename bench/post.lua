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
