-- wrk script: a client's chart, one request for a random client each time:
--   GET /clients/{id}/chart   the profile, the last 10 sessions held and today's check flags, in one snapshot
-- (bench/chart.sql is the same SQL for pgbench.)
--
--   wrk -s bench/chart.lua -H "Authorization: Bearer TOKEN" URL -- FIRST_CLIENT_ID LAST_CLIENT_ID
--
-- Responses other than 2xx are counted and printed by done() as "bench: non2xx=N".

local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("tid", counter)
    table.insert(threads, thread)
end

local lo, hi
non2xx = 0

function init(args)
    lo, hi = tonumber(args[1]), tonumber(args[2])
    math.randomseed(os.time() * 1000 + (tid or 0))
end

function request()
    return wrk.format("GET", "/clients/" .. math.random(lo, hi) .. "/chart")
end

function response(status, headers, body)
    if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
    local bad = 0
    for _, thread in ipairs(threads) do bad = bad + (thread:get("non2xx") or 0) end
    io.write(string.format("bench: requests=%d non2xx=%d duration_us=%d\n", summary.requests, bad, summary.duration))
end
