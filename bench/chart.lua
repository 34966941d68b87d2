-- wrk script: the three requests a client's chart screen makes, for a random client each time:
--   GET /clients/{id}                  the client (profile, screening state, warnings)
--   GET /appointments?client_id={id}   their sessions (the API has no "last N"; a demo client has about ten)
--   GET /clients/{id}/check            their check flags
-- Every connection of a thread takes the next request of the thread's round, so the mix is one
-- third each and charts/s = requests/s ÷ 3 (bench/chart.sql is the same SQL for pgbench).
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

local lo, hi, step, client
non2xx = 0

function init(args)
    lo, hi = tonumber(args[1]), tonumber(args[2])
    math.randomseed(os.time() * 1000 + (tid or 0))
    step = 0
end

function request()
    if step % 3 == 0 then client = math.random(lo, hi) end
    local path
    if step % 3 == 0 then
        path = "/clients/" .. client
    elseif step % 3 == 1 then
        path = "/appointments?client_id=" .. client
    else
        path = "/clients/" .. client .. "/check"
    end
    step = step + 1
    return wrk.format("GET", path)
end

function response(status, headers, body)
    if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
    local bad = 0
    for _, thread in ipairs(threads) do bad = bad + (thread:get("non2xx") or 0) end
    io.write(string.format("bench: requests=%d non2xx=%d duration_us=%d\n", summary.requests, bad, summary.duration))
end
