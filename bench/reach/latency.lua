-- wrk's report for Reach's landing page: p50 and p99 beside the target (TARGET_MS, default 20).
done = function(summary, latency, requests)
  local target = tonumber(os.getenv("TARGET_MS") or "20")
  local p50 = latency:percentile(50) / 1000
  local p99 = latency:percentile(99) / 1000
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    "p50 %.1f ms | p99 %.1f ms | target p99 < %d ms: %s | %d requests, %.0f/s, %d non-2xx, %d socket errors\n",
    p50, p99, target, p99 < target and "met" or "MISSED", summary.requests,
    summary.requests / (summary.duration / 1e6), summary.errors.status, errors))
end
