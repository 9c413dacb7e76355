-- wrk's latency percentiles from p90 to p99.9 on one line ("PCT p90=1.20 ... p99.9=25.10", ms), for bench/tail.sh.
-- With $BODY_FILE set the requests are bench/post.lua's; otherwise wrk's own GET, with $AUTH as its Authorization.
if (os.getenv("BODY_FILE") or "") ~= "" then
  dofile("bench/post.lua")
elseif (os.getenv("AUTH") or "") ~= "" then
  wrk.headers["Authorization"] = os.getenv("AUTH")
end
done = function(summary, latency, requests)
  local line = "PCT"
  for _, p in ipairs({90, 95, 97, 98, 99, 99.5, 99.9}) do
    line = line .. string.format(" p%s=%.2f", p, latency:percentile(p) / 1000)
  end
  io.write(line .. string.format(" max=%.2f\n", latency.max / 1000))
end
