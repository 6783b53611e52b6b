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
