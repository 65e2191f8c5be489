-- wrk script for Reach's benchmark: POSTs the landing form with a fresh address each time
-- (FORM and CONSENT from the environment: the page's signed form token and consent text id).
local form = os.getenv("FORM")
local consent = os.getenv("CONSENT")
local counter = 0
local thread_id = 0

setup = function(thread)
  thread:set("thread_id", math.random(1, 1e9))
end

request = function()
  counter = counter + 1
  local body = "form=" .. form .. "&consent_text=" .. consent .. "&locale=en&website="
    .. "&email=bench-" .. thread_id .. "-" .. counter .. "%40bench.test"
    .. "&name=Bench+Person&fields.company=Northwind&consent=on"
  -- As behind a load balancer: visitors from 4,096 networks (/24s), each well under the
  -- per-network limit, so the limit stays on as it ships.
  local from = string.format("10.%d.%d.7", math.floor(counter / 256) % 16, counter % 256)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = from,
  }, body)
end

done = function(summary, latency, requests)
  local p50 = latency:percentile(50) / 1000
  local p99 = latency:percentile(99) / 1000
  local rate = summary.requests / (summary.duration / 1e6)
  local target = tonumber(os.getenv("TARGET_RATE") or "1000")
  io.write(string.format(
    "%.0f submissions/s | target >= %d/s: %s | p50 %.1f ms | p99 %.1f ms | %d requests, %d answers >= 400, %d socket errors\n",
    rate, target, rate >= target and "met" or "MISSED", p50, p99, summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
