#!/usr/bin/env python3
"""Benchmark the proxy herd and rewrite the "Proxy herd" section of docs/benchmarks.md.

The default configuration comes first (logs on, as `herd node` runs out of the box), then
`--no-log` as an extra row, each mode measured in alternating rounds in one sitting with the
medians compared. Server pinned to core 0, `herd load` to core 1. Besides requests/s (which
a busy shared machine disturbs) each row gives the server's CPU time per request, read from
/proc, which is steadier.

Usage: bench/herd_bench.py [--quick] [--herd PATH]
"""
from benchlib import cpu_ticks, splice_section, stop, wait_port
import datetime, json, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SERVER_CPU, LOAD_CPU = "0", "1"
ROUNDS = 3
PORT = 13200


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def start(cmd, port):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    time.sleep(0.3)
    return p


def load(herd, args, pid):
    cmd = ["taskset", "-c", LOAD_CPU, herd, "load", *args, "--json"]
    t0 = cpu_ticks(pid)
    r = json.loads(sh(cmd))
    secs = (cpu_ticks(pid) - t0) / os.sysconf("SC_CLK_TCK")
    r["server_cpu_us_per_req"] = secs * 1e6 / max(r["requests"], 1)
    return r, " ".join(["taskset", "-c", LOAD_CPU, "herd", "load", *args])


def solo(herd, logged, workdir):
    conf = os.path.join(workdir, "solo.toml")
    with open(conf, "w") as f:
        f.write(f'[servers]\nSolo = "127.0.0.1:{PORT}"\n[herd]\nsecret = "bench"\n')
    log = ["--log-dir", os.path.join(workdir, "logs")] if logged else ["--no-log"]
    return start(["taskset", "-c", SERVER_CPU, herd, "node", "Solo", "--config", conf, *log], PORT)


WORKLOADS = [
    ("IAMAT, persistent connections", []),
    ("IAMAT, one connection per command", ["--connection-per-request"]),
    ("WHATSAT, offline places, persistent", ["--whatsat-ratio", "1"]),
]


def solo_rows(herd, secs):
    """Each workload with logs on and off, alternating rounds; medians."""
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for label, extra in WORKLOADS:
            runs = {True: [], False: []}
            cmd = None
            for _ in range(ROUNDS):
                for logged in (True, False):
                    p = solo(herd, logged, d)
                    try:
                        args = [f"herd://127.0.0.1:{PORT}", "--protocol", "herd", "-c", "50",
                                "-d", f"{secs}s", "--threads", "1", *extra]
                        r, cmd = load(herd, args, p.pid)
                        runs[logged].append(r)
                    finally:
                        stop(p)
            med = {k: statistics.median(x["requests_per_sec"] for x in v) for k, v in runs.items()}
            cpu = {k: statistics.median(x["server_cpu_us_per_req"] for x in v) for k, v in runs.items()}
            p99 = {k: statistics.median(x["latency_ms"]["p99"] for x in v) for k, v in runs.items()}
            all_runs = lambda k: ", ".join(f'{x["requests_per_sec"]:,.0f}' for x in runs[k])
            rows.append((f"{label}: default (log on)",
                         f"{med[True]:,.0f} req/s (runs: {all_runs(True)}); p99 {p99[True]:.3f} ms; "
                         f"server CPU {cpu[True]:.2f} µs/request", cmd + "   # herd node Solo"))
            cost = 1 - med[True] / med[False]
            rows.append((f"{label}: `--no-log`",
                         f"{med[False]:,.0f} req/s (runs: {all_runs(False)}); p99 {p99[False]:.3f} ms; "
                         f"server CPU {cpu[False]:.2f} µs/request; **the log costs {cost:.0%} of "
                         f"throughput, {cpu[True] - cpu[False]:.2f} µs CPU per request**",
                         cmd + "   # herd node Solo --no-log"))
    return rows


def herd_rows(herd, secs, quick):
    rows = []
    up = start(["taskset", "-c", SERVER_CPU, herd, "up", "--config", os.path.join(BENCH, "herd-bench.toml"),
                "--relay-listen", "127.0.0.1:0", "--menu-listen", "127.0.0.1:0",
                "--pubsub-listen", "127.0.0.1:0", "--log-dir", tempfile.mkdtemp()], 13000)
    try:
        r, cmd = load(herd, ["herd://127.0.0.1:13000", "--protocol", "herd", "-c", "50", "-d", f"{secs}s",
                             "--threads", "1", "--connection-per-request"], up.pid)
        rows.append(("IAMAT, one connection per command, whole 5-server herd in one process, logs on "
                     "(every update flooded to 4 peers)",
                     f'{r["requests_per_sec"]:,.0f} req/s; p99 {r["latency_ms"]["p99"]:.3f} ms; '
                     f'herd CPU {r["server_cpu_us_per_req"]:.2f} µs/request', cmd + "   # herd up"))
    finally:
        stop(up)
    env = dict(os.environ, SERVER_CPUS=SERVER_CPU)
    flood = json.loads(sh([sys.executable, os.path.join(BENCH, "herd_flood.py"), herd,
                           "3000" if quick else "10000", "1000"], env=env))
    rows.append(("Flood latency Welsh -> Hands (3 hops), 1,000 updates/s",
                 f'p50 {flood["p50_ms"]} ms, p99 {flood["p99_ms"]} ms, max {flood["max_ms"]} ms '
                 f'({flood["arrived"]} of {flood["updates"]} arrived)',
                 f"bench/herd_flood.py target/release/herd {flood['updates']} 1000"))
    n = 200_000 if quick else 1_000_000
    mem = json.loads(sh([sys.executable, os.path.join(BENCH, "herd_memory.py"), herd, str(n)]))
    rows.append((f"Memory with {n:,} distinct clients",
                 f'RSS {mem["rss_before_mib"]} MiB -> {mem["rss_after_mib"]} MiB = {mem["bytes_per_client"]} '
                 f'bytes per client; after updating all of them again: {mem["rss_after_second_pass_mib"]} MiB '
                 f'(pipelined load: {mem["iamat_per_sec_pipelined"]:,} IAMAT/s)',
                 f"bench/herd_memory.py target/release/herd {n}"))
    return rows


def section(rows, secs, quick):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], text=True,
                         capture_output=True).stdout.strip() or "unknown"
    load = os.getloadavg()[0]
    out = ["## Proxy herd", "",
           f"Sitting: {now}, commit {rev}; {secs} s per run" + (" (--quick)" if quick else "")
           + f"; {ROUNDS} alternating rounds (log on, log off), medians; load average at the end "
           f"{load:.1f}. Server on core {SERVER_CPU}, `herd load` on core {LOAD_CPU}, 50 connections, one "
           "load thread. Regenerate with `bench/herd_bench.py`.", "",
           "| what | result | command |", "|---|---|---|"]
    out += [f"| {n} | {v} | `{c}` |" for n, v, c in rows]
    return out + [""]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    secs = 3 if quick else 10
    herd = os.path.join(ROOT, "target", "release", "herd")
    if "--herd" in sys.argv:
        herd = sys.argv[sys.argv.index("--herd") + 1]
    else:
        subprocess.run(["cargo", "build", "--release", "-p", "herd-cli"], cwd=ROOT, check=True)
    rows = solo_rows(herd, secs) + herd_rows(herd, secs, quick)
    lines = section(rows, secs, quick)
    splice_section(ROOT, "Proxy herd", lines)
    print("\n".join(lines))
