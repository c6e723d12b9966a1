-- wrk script for tests/src/harness/load.rs: the harness puts WRK_REQUESTS requests in the
-- environment (WRK_HEADERS_<n>, one "Name: value" a line, and WRK_BODY_<n>), which each
-- connection POSTs in turn; each thread counts the statuses it got, and the summary is
-- printed as one JSON line.
local variants = {}
for n = 1, tonumber(os.getenv("WRK_REQUESTS")) do
    local headers = {}
    for name, value in os.getenv("WRK_HEADERS_" .. n):gmatch("([^:\n]+): ([^\n]*)") do
        headers[name] = value
    end
    variants[n] = { headers = headers, body = os.getenv("WRK_BODY_" .. n) }
end
local turn = 0

function request()
    turn = turn % #variants + 1
    local variant = variants[turn]
    return wrk.format("POST", nil, variant.headers, variant.body)
end

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local merged = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            merged[status] = (merged[status] or 0) + count
        end
    end
    local parts = {}
    for status, count in pairs(merged) do
        table.insert(parts, string.format('"%d":%d', status, count))
    end
    local errors = summary.errors
    io.write(string.format(
        '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,'
            .. '"p50_us":%d,"p99_us":%d,"statuses":{%s}}\n',
        summary.requests, summary.duration, errors.connect, errors.read, errors.write,
        errors.timeout, latency:percentile(50), latency:percentile(99), table.concat(parts, ",")))
end
