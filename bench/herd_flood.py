#!/usr/bin/env python3
"""Flood latency to the farthest server of the classic herd.

Sends IAMATs to Welsh (time = the send time) and reads, from Hands' JSON-lines log, when each
update arrived there by flooding (Welsh -> Holiday -> Goloman|Wilkes -> Hands: three hops).
Latency = arrival `ts` at Hands - client time. Both clocks are this machine's.

Usage: herd_flood.py HERD_BINARY [COUNT] [RATE_PER_SEC]
"""
from benchlib import wait_port
import json, os, socket, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 1000.0
logdir = tempfile.mkdtemp(prefix="herd-flood-")
cpus = os.environ.get("SERVER_CPUS")
cmd = [binary, "up", "--config", os.path.join(here, "herd-bench.toml"), "--log-dir", logdir]
if cpus:
    cmd = ["taskset", "-c", cpus] + cmd
proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    wait_port(13003)
    # Wait for the links to form: an update at Welsh must reach Hands.
    probe = socket.create_connection(("127.0.0.1", 13003))
    probe.sendall(f"IAMAT probe +1+1 {time.time():.9f}\n".encode())
    probe.recv(4096)
    probe.close()
    deadline = time.time() + 20
    while True:
        s = socket.create_connection(("127.0.0.1", 13001))
        s.sendall(b"WHATSAT probe 1 1\n")
        if s.recv(64).startswith(b"AT "):
            s.close()
            break
        s.close()
        if time.time() > deadline:
            sys.exit("links did not form")
        time.sleep(0.05)

    s = socket.create_connection(("127.0.0.1", 13003))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.perf_counter()
    for i in range(count):
        due = start + i / rate
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        s.sendall(f"IAMAT flood{i} +34.068930-118.445127 {time.time_ns() // 10**9}.{time.time_ns() % 10**9:09d}\n".encode())
        buf = b""
        while not buf.endswith(b"\n"):
            buf += s.recv(4096)
    s.close()
    time.sleep(1.0)
finally:
    proc.terminate()
    proc.wait(timeout=20)

lat = []
with open(os.path.join(logdir, "Hands.log")) as f:
    for line in f:
        rec = json.loads(line)
        if rec.get("event") != "peer_update" or " flood" not in rec.get("line", ""):
            continue
        sent = rec["line"].split()[-1]
        arrived = rec["ts"]
        def ns(t):
            secs, _, frac = t.partition(".")
            return int(secs) * 10**9 + int((frac + "000000000")[:9])
        lat.append((ns(arrived) - ns(sent)) / 1e6)
lat.sort()
if not lat:
    sys.exit("no flooded updates found in Hands.log")
pick = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
print(json.dumps({"updates": count, "arrived": len(lat), "rate": rate,
                  "p50_ms": round(pick(50), 3), "p99_ms": round(pick(99), 3), "max_ms": round(lat[-1], 3)}))
