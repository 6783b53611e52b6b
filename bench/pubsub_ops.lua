-- One operation for `herd pubsub`: OP=publish posts a 64-byte body to /<TOPIC>;
-- OP=poll reads /<TOPIC>/u<j> cycling j over USERS subscribers (bench/pubsub.py
-- subscribes them and fills their queues first).
local op = os.getenv("OP") or "publish"
local topic = os.getenv("TOPIC") or "fan"
local users = tonumber(os.getenv("USERS") or "1")
local reqs = {}
if op == "publish" then
  reqs[1] = wrk.format("POST", "/" .. topic, nil, string.rep("x", 64))
else
  for j = 0, users - 1 do
    table.insert(reqs, wrk.format("GET", "/" .. topic .. "/u" .. j))
  end
end
local k = 0
request = function()
  k = k % #reqs + 1
  return reqs[k]
end

-- PORTS="a,b,c,d" spreads wrk's threads over several nodes (thread t -> port t mod n).
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
