-- wrk script for bench/reach/mail.sh: POSTs the landing form with a fresh address each time,
-- LIMIT times in all, then only GETs the landing page (the shell stops wrk once the outbox
-- holds LIMIT confirmations). FORM and CONSENT come from the environment.
local form = os.getenv("FORM")
local consent = os.getenv("CONSENT")
local limit = tonumber(os.getenv("LIMIT") or "10000")
local counter = 0

request = function()
  counter = counter + 1
  -- wrk calls request() once more than it sends (to build its first request).
  if counter > limit + 1 then
    return wrk.format("GET")
  end
  local body = "form=" .. form .. "&consent_text=" .. consent .. "&locale=en&website="
    .. "&email=mail-bench-" .. counter .. "%40bench.test"
    .. "&name=Bench+Person&consent=on"
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
