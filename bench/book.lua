-- wrk script: POST /appointments, one visit per request, every one in a slot of its own.
--
--   wrk -s bench/book.lua -H "Authorization: Bearer TOKEN" URL -- MONDAY_EPOCH FIRST_CLIENT CLIENTS FIRST_THERAPIST THERAPISTS THREADS
--
-- Request k (k = 0, 1, 2, … over all threads: thread i of n takes i-1, i-1+n, …) books client
-- c = k mod CLIENTS in week r = k div CLIENTS after MONDAY_EPOCH (noon UTC of a Monday), with
-- therapist c mod THERAPISTS, at 07:00–18:00 Monday to Saturday by j = c div THERAPISTS (twelve
-- hourly slots a day). So no therapist and no client is ever booked twice at once, and no client
-- twice in a week (the policy's weekly limit is never reached; no override is needed). The ids are
-- the benchmark's own clients and therapists, contiguous (bench/run checks that). bench/book.sql
-- lays out pgbench's INSERTs the same way.
--
-- Responses other than 2xx (a refusal, a clash, 503) are counted and printed by done().

local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("tid", counter)
    table.insert(threads, thread)
end

local monday, c0, nc, t0, nt, nthreads, n
non2xx = 0

function init(args)
    monday, c0, nc = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
    t0, nt, nthreads = tonumber(args[4]), tonumber(args[5]), tonumber(args[6])
    n = 0
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    local k = (tid - 1) + nthreads * n
    n = n + 1
    local c, r = k % nc, math.floor(k / nc)
    local t, j = c % nt, math.floor(c / nt)
    local date = os.date("!%Y-%m-%d", monday + (7 * r + math.floor(j / 12)) * 86400)
    local body = string.format('{"client_id":%d,"therapist_id":%d,"date":"%s","start":"%02d:00","minutes":60}',
                               c0 + c, t0 + t, date, 7 + j % 12)
    return wrk.format("POST", "/appointments", nil, body)
end

function response(status, headers, body)
    if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
    local bad = 0
    for _, thread in ipairs(threads) do bad = bad + (thread:get("non2xx") or 0) end
    io.write(string.format("bench: requests=%d non2xx=%d duration_us=%d\n", summary.requests, bad, summary.duration))
end
