-- POST the body in $BODY_FILE with the key in $AUTH (a full header value) to the URL wrk is given.
wrk.method = "POST"
local f = assert(io.open(os.getenv("BODY_FILE"), "r"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("AUTH")
