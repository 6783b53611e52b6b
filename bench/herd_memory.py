#!/usr/bin/env python3
"""Memory per client: RSS of one herd server before and after N distinct clients' IAMATs.

Usage: herd_memory.py HERD_BINARY [CLIENTS]
"""
from benchlib import wait_port
import json, os, socket, subprocess, sys, tempfile, threading, time

binary = sys.argv[1]
clients = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
conf = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
conf.write('[servers]\nSolo = "127.0.0.1:13100"\n[herd]\nsecret = "bench"\n')
conf.close()
proc = subprocess.Popen([binary, "node", "Solo", "--config", conf.name, "--no-log"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def rss_kib():
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def load(lo, hi, secs=1700000000):
    s = socket.create_connection(("127.0.0.1", 13100))
    want = hi - lo
    def reader():
        got, buf = 0, b""
        while got < want:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += chunk.count(b"\n")
    t = threading.Thread(target=reader)
    t.start()
    batch = []
    for i in range(lo, hi):
        batch.append(f"IAMAT client-{i:08d}.example.org +34.068930-118.445127 {secs}.{i:09d}\n")
        if len(batch) == 10000:
            s.sendall("".join(batch).encode())
            batch = []
    s.sendall("".join(batch).encode())
    t.join()
    s.close()

try:
    wait_port(13100)
    before = rss_kib()
    start = time.time()
    parts = 4
    step = clients // parts
    def run_pass(secs):
        threads = [threading.Thread(target=load, args=(k * step, clients if k == parts - 1 else (k + 1) * step, secs)) for k in range(parts)]
        for t in threads: t.start()
        for t in threads: t.join()
    run_pass(1700000000)
    took = time.time() - start
    after_first = rss_kib()
    # The same clients again, newer: every entry is replaced; memory must not grow.
    run_pass(1700000001)
    s = socket.create_connection(("127.0.0.1", 13100))
    s.sendall(f"WHATSAT client-{clients - 1:08d}.example.org 1 1\n".encode())
    ok = s.recv(64).startswith(b"AT ")
    s.close()
    after = rss_kib()
finally:
    proc.terminate()
    proc.wait(timeout=20)
    os.unlink(conf.name)
print(json.dumps({"clients": clients, "rss_before_mib": round(before / 1024, 1),
                  "rss_after_mib": round(after_first / 1024, 1),
                  "rss_after_second_pass_mib": round(after / 1024, 1),
                  "bytes_per_client": round((after_first - before) * 1024 / clients),
                  "load_secs": round(took, 2), "iamat_per_sec_pipelined": round(clients / took),
                  "last_client_stored": ok}))
