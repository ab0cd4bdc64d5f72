-- wrk script of the FHIR load benchmark (bench/fhir_load.py).
-- Arguments after "--": PATH_TEMPLATE VALUES_FILE [TOKEN]
--   every request is PATH_TEMPLATE with its "%s" replaced by a value drawn at
--   random from VALUES_FILE (one a line: patient ids, name prefixes); with TOKEN,
--   it carries "Authorization: Bearer TOKEN".
-- done() prints one line "WRKJSON {...}" with counts and latency percentiles
-- (microseconds), which the orchestrator parses: wrk's own text is for people.

local template, values = nil, {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

function init(args)
  template = args[1]
  for line in io.lines(args[2]) do
    if #line > 0 then values[#values + 1] = line end
  end
  assert(#values > 0, "no values in " .. args[2])
  if args[3] and #args[3] > 0 then
    wrk.headers["Authorization"] = "Bearer " .. args[3]
  end
  wrk.headers["Accept"] = "application/fhir+json"
  -- Each thread its own sequence, so threads do not ask for the same rows in step.
  math.randomseed(os.time() * 100 + (thread_number or 0))
end

function request()
  local value = values[math.random(#values)]
  -- A function, not a string: values hold "%20", which gsub would read as a capture.
  return wrk.format("GET", (template:gsub("%%s", function() return value end)))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"min": %d, "mean": %.1f, "p50": %d, "p90": %d, "p95": %d, '
      .. '"p99": %d, "p99_9": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency:percentile(99.9), latency.max))
end
