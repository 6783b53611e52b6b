-- Publish+poll mix for `herd pubsub` (and the same requests to the constant-body
-- baseline): request k goes to topic i = (k // 2) % TOPICS; even k publishes a 64-byte
-- body to /mix<i>, odd k polls /mix<i>/u. bench/pubsub.py subscribes user u to every
-- topic first, so each topic has one subscriber and queues stay short.
-- PORTS="a,b,c,d" spreads wrk's threads over several nodes (thread t -> port t mod n).
local topics = tonumber(os.getenv("TOPICS") or "50")
local body = string.rep("x", 64)
local reqs = {}
for i = 0, topics - 1 do
  table.insert(reqs, wrk.format("POST", "/mix" .. i, nil, body))
  table.insert(reqs, wrk.format("GET", "/mix" .. i .. "/u"))
end
local k = 0
request = function()
  k = k % #reqs + 1
  return reqs[k]
end

local addrs, next_thread = nil, 0
function setup(thread)
  local ports = os.getenv("PORTS")
  if not ports then return end
  if not addrs then
    addrs = {}
    for p in string.gmatch(ports, "%d+") do
      table.insert(addrs, wrk.lookup("127.0.0.1", p)[1])
    end
  end
  thread.addr = addrs[next_thread % #addrs + 1]
  next_thread = next_thread + 1
end
