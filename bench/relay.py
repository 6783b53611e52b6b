#!/usr/bin/env python3
"""Benchmark `herd relay` against nginx proxy_cache, side by side in one sitting.

Both servers are pinned to core 0 (taskset), the load (wrk, herd load) to core 1, and
the upstream (`herd menu-api`) to core 1 too (it is only asked on misses). Access logging
is on for both, as a user runs them (the relay's to a file via stderr, nginx's default).

Runs:
1. cache-hit GET /api/restaurant/, 50 connections, wrk -t1: herd relay vs nginx,
   alternating, 3 runs each; medians compared (requests/s and p99);
2. MISS-heavy: 20,000 distinct keys through a 1 MiB memory tier with a disk tier
   (first pass: misses; second pass: working set larger than memory, served by disk);
3. the seed's load table: herd load --users 10,50,100,150,200 on the cache-hit URL;
4. memory per cached entry: RSS growth over 50,000 distinct cached keys.

Usage: bench/relay.py [HERD_BINARY] [--quick]
Prints JSON with every figure and the exact commands; needs nginx and wrk.
"""
import http.client, json, os, re, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import stop, wait_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
HERD = args[0] if args else os.path.join(ROOT, "target", "release", "herd")
QUICK = "--quick" in sys.argv
SECS = 3 if QUICK else 10
SERVER, LOAD = "0", "1"
MENU, RELAY, NGINX = 18201, 18200, 18280
PATH = "/api/restaurant/"
out = {"runs": {}, "commands": {}}


def start(cmd, port, **kw):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, **kw)
    wait_port(port)
    return p


def wrk(port, conns=50, secs=SECS):
    cmd = ["taskset", "-c", LOAD, "wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency", f"http://127.0.0.1:{port}{PATH}"]
    txt = subprocess.run(cmd, check=True, text=True, capture_output=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", txt).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", txt)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", txt)
    return rps, p99, int(errs.group(1)) if errs else 0, " ".join(cmd)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("X-Cache"), body


def hit_vs_nginx(log_dir):
    relay_log = open(os.path.join(log_dir, "relay-access.log"), "w")
    relay = start(["taskset", "-c", SERVER, HERD, "relay", "--listen", f"127.0.0.1:{RELAY}",
                   "--upstream", f"http://127.0.0.1:{MENU}", "--default-ttl", "1h"], RELAY, stderr=relay_log)
    nginx = start(["taskset", "-c", SERVER, "nginx", "-c", os.path.join(ROOT, "bench", "nginx-relay.conf")], NGINX)
    try:
        for port in (RELAY, NGINX):
            for _ in range(3):
                get(port, PATH)
        s, x, _ = get(RELAY, PATH)
        assert (s, x) == (200, "HIT"), (s, x)
        s, x, _ = get(NGINX, PATH)
        assert (s, x) == (200, "HIT"), (s, x)
        ours, theirs = [], []
        for _ in range(3):
            theirs.append(wrk(NGINX))
            ours.append(wrk(RELAY))
        out["commands"]["hit_nginx"] = theirs[0][3]
        out["commands"]["hit_relay"] = ours[0][3]
        med = lambda runs, i: statistics.median(r[i] for r in runs)
        out["runs"]["hit"] = {
            "relay_rps": [r[0] for r in ours], "nginx_rps": [r[0] for r in theirs],
            "relay_p99_ms": [r[1] for r in ours], "nginx_p99_ms": [r[1] for r in theirs],
            "relay_non2xx": sum(r[2] for r in ours), "nginx_non2xx": sum(r[2] for r in theirs),
            "relay_median_rps": med(ours, 0), "nginx_median_rps": med(theirs, 0),
            "ratio": med(ours, 0) / med(theirs, 0),
            "relay_median_p99_ms": med(ours, 1), "nginx_median_p99_ms": med(theirs, 1),
        }
        relay_log.flush()
        out["runs"]["hit"]["relay_access_log_lines"] = sum(1 for _ in open(relay_log.name))
        users = [10, 50, 100, 150, 200]
        cmd = ["taskset", "-c", LOAD, HERD, "load", f"http://127.0.0.1:{RELAY}{PATH}", "--users",
               ",".join(map(str, users)), "-d", f"{max(SECS // 2, 2)}s", "--threads", "1", "--json"]
        res = json.loads(subprocess.run(cmd, check=True, text=True, capture_output=True).stdout)
        out["commands"]["users"] = " ".join(cmd)
        out["runs"]["users"] = res
    finally:
        stop(relay)
        stop(nginx)
        relay_log.close()


def miss_heavy(log_dir):
    cache_dir = tempfile.mkdtemp(prefix="herd-bench-relay-disk-")
    relay_log = open(os.path.join(log_dir, "relay-miss-access.log"), "w")
    relay = start(["taskset", "-c", SERVER, HERD, "relay", "--listen", f"127.0.0.1:{RELAY}",
                   "--upstream", f"http://127.0.0.1:{MENU}", "--default-ttl", "1h",
                   "--memory", "1MiB", "--cache-dir", cache_dir], RELAY, stderr=relay_log)
    urls = os.path.join(log_dir, "urls.txt")
    n = 5000 if QUICK else 20000
    with open(urls, "w") as f:
        for i in range(n):
            f.write(f"GET http://127.0.0.1:{RELAY}/api/restaurant/bistro-nobel/?k={i}\n")
    try:
        res = {}
        for label in ("first_pass_miss", "second_pass_disk"):
            cmd = ["taskset", "-c", LOAD, HERD, "load", "--urls", urls,
                   "-c", "50", "-n", str(n), "--threads", "1", "--json"]
            r = json.loads(subprocess.run(cmd, check=True, text=True, capture_output=True).stdout)
            res[label] = {"requests_per_sec": r["requests_per_sec"], "latency_ms": r["latency_ms"],
                          "errors": r["errors"]}
            out["commands"]["miss_heavy"] = " ".join(cmd)
        relay_log.flush()
        log = open(relay_log.name).read()
        res["x_cache_counts"] = {k: log.count(f'cache="{k}"') for k in ("HIT", "MISS", "STALE")}
        res["keys"] = n
        out["runs"]["miss_heavy"] = res
    finally:
        stop(relay)
        relay_log.close()
        shutil.rmtree(cache_dir, ignore_errors=True)


def memory_per_entry():
    relay = start([HERD, "relay", "--listen", f"127.0.0.1:{RELAY}", "--upstream", f"http://127.0.0.1:{MENU}",
                   "--default-ttl", "1h", "--memory", "1GiB", "--no-access-log"], RELAY, stderr=subprocess.DEVNULL)
    n = 10000 if QUICK else 50000
    try:
        c = http.client.HTTPConnection("127.0.0.1", RELAY, timeout=10)
        c.request("GET", "/api/restaurant/bistro-nobel/?warm")
        body = c.getresponse().read()
        time.sleep(0.5)
        before = rss_kib(relay.pid)
        for i in range(n):
            c.request("GET", f"/api/restaurant/bistro-nobel/?k={i}")
            c.getresponse().read()
        time.sleep(1)
        after = rss_kib(relay.pid)
        out["runs"]["memory"] = {"entries": n, "body_bytes": len(body), "rss_before_kib": before,
                                 "rss_after_kib": after,
                                 "bytes_per_entry": round((after - before) * 1024 / n)}
    finally:
        stop(relay)


if __name__ == "__main__":
    if not (shutil.which("nginx") and shutil.which("wrk")):
        sys.exit("needs nginx and wrk: apt-get install -y nginx wrk")
    log_dir = tempfile.mkdtemp(prefix="herd-bench-relay-")
    menu = start(["taskset", "-c", LOAD, HERD, "menu-api", "--listen", f"127.0.0.1:{MENU}", "--max-age", "3600s"], MENU,
                 stderr=subprocess.DEVNULL)
    try:
        hit_vs_nginx(log_dir)
        miss_heavy(log_dir)
        memory_per_entry()
    finally:
        stop(menu)
    out["binary"] = HERD
    out["secs"] = SECS
    print(json.dumps(out, indent=1))
