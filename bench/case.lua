-- One benchmark case for wrk, driven by bench/run:
--   wrk ... -s bench/case.lua URL -- METHOD VISITORS KEYS
-- METHOD   GET or POST
-- VISITORS "one": every request has the same User-Agent; "new": each request
--          is a new visitor (its own User-Agent), the worst case for unique
--          tracking, which records every visitor it has not seen today
-- KEYS     0: request the URL as given; N: append one of N keys at random
--          (URL/k1 .. URL/kN), to spread hits over many keys
-- At the end each wrk thread's results are summed by wrk, and done() prints
-- one "RESULT {json}" line for bench/run to read.

local method, visitors, keys = "GET", "one", 0
local counter = 0
local next_id = 0
local base_path = nil
thread_id = 0        -- a global: setup() sets it in each thread's state

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  method = args[1] or "GET"
  visitors = args[2] or "one"
  keys = tonumber(args[3] or "0") or 0
  base_path = wrk.path
  math.randomseed(os.time() + thread_id * 7919)
end

local browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 " ..
                "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

function request()
  local path = base_path
  if keys > 0 then
    path = base_path .. "/k" .. math.random(1, keys)
  end
  local ua = browser
  if visitors == "new" then
    counter = counter + 1
    ua = browser .. " bench/" .. thread_id .. "." .. counter
  end
  return wrk.format(method, path, { ["User-Agent"] = ua })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, e.status,
    e.connect + e.read + e.write + e.timeout))
end
