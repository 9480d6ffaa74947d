-- wrk script for jim's peer benchmark (filled in by peerbench/wrk.py, never edited by hand).
-- Every system gets this same script: a POST of a GraphQL body; for a mutation each request
-- carries its own integer (a per-thread counter, so rows never collide); every response is
-- checked for a non-200 status or a GraphQL "errors" member, which counts as a failure.
local body_prefix = [==[__PREFIX__]==]
local body_suffix = [==[__SUFFIX__]==]
local varying = __VARYING__
local auth = [==[__AUTH__]==]
local threads = {}
local counter = 0
-- globals, not locals: wrk reads and writes them across threads with thread:get/set
thread_no = 0
failures = 0
sample = nil

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if auth ~= "" then wrk.headers["Authorization"] = auth end
if not varying then wrk.body = body_prefix end

function setup(thread)
  thread:set("thread_no", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- every thread gets its own range of integers
  counter = thread_no * 100000000 + __FIRST__
end

if varying then
  function request()
    counter = counter + 1
    return wrk.format(nil, nil, nil, body_prefix .. counter .. body_suffix)
  end
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    failures = failures + 1
    if sample == nil then sample = string.gsub(string.sub(body, 1, 300), '[%c"\\]', ' ') end
  end
end

function done(summary, latency, requests)
  local failed = 0
  local first_failure = ""
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failures") or 0)
    local s = thread:get("sample")
    if s and first_failure == "" then first_failure = s end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us": %d, "requests": %d, "bytes": %d, "failures": %d, '
    .. '"socket_errors": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"mean_us": %.1f, "first_failure": "%s"}\n',
    summary.duration, summary.requests, summary.bytes, failed,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, first_failure))
end
