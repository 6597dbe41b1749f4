-- wrk script (bench/load.sh prepends `sessions` and `paths` from bench/load_sessions.py):
-- each request is one RM's session and one of that RM's pages, in turn; any answer but 200 is an error.
local threads = {}
local counter = 0
errors = 0  -- global: done() reads each thread's count with thread:get

function setup(thread)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local rm = sessions[(counter % #sessions) + 1]
  local path = rm.paths[(math.floor(counter / #sessions) % #rm.paths) + 1]
  return wrk.format("GET", path, {["Cookie"] = "sessionid=" .. rm.cookie, ["X-Forwarded-Proto"] = "https",
                                  ["Host"] = "127.0.0.1"})
end

function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("errors") or 0)
  end
  io.write(string.format("requests/s: %.1f  p50: %.1f ms  p99: %.1f ms  errors (not 200, or socket): %d of %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    failed + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests))
end
