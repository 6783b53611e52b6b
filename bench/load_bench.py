#!/usr/bin/env python3
"""herd load beside wrk and oha against nginx `return 200`, plain and HTTPS, one load core.

Server (nginx, one worker) pinned to core 0, every load generator pinned to core 1 with one
thread (`wrk -t1`, `oha --worker-threads 1`, `herd load --threads 1`), 50 connections.
Runs alternate (wrk, oha, herd load, wrk, ...) for ROUNDS rounds and medians are compared;
when the runs of two tools overlap the result is called parity. HTTPS uses TLS with an
ECDSA P-256 certificate made here with the openssl CLI (a bench tool; herd itself links no
OpenSSL). Traffic goes only to 127.0.0.1.

Needs: nginx, wrk (apt-get install -y nginx wrk), oha (cargo install oha), openssl.

Usage: bench/load_bench.py [--quick] [--herd PATH]
  Rewrites the "herd load vs wrk and oha" section of docs/benchmarks.md and prints it.
  bench/run calls rows() for the same section of the full document.
"""
from benchlib import splice_section, wait_port
import datetime, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SERVER_CPU, LOAD_CPU = "0", "1"
ROUNDS = 5
TITLE = "herd load vs wrk and oha"


def sh(cmd):
    return subprocess.run(cmd, check=True, text=True, capture_output=True).stdout


# On a shared machine, concurrent builds steal the pinned cores; as root, server and load
# generators run at a higher priority (the same for every tool) to be disturbed less.
BOOST = ["nice", "-n", "-10"] if os.geteuid() == 0 else []


def pinned(cmd):
    return [*BOOST, "taskset", "-c", LOAD_CPU, *cmd]


def shown(cmd):
    """The command as a reader would type it (binary names, not paths)."""
    return " ".join(["taskset", "-c", LOAD_CPU] + [os.path.basename(cmd[0])] + cmd[1:])


def wrk(url, secs):
    cmd = ["wrk", "-t1", "-c50", f"-d{secs}s", url]
    out = sh(pinned(cmd))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), shown(cmd)


def oha(url, secs):
    cmd = ["oha", "-z", f"{secs}s", "-c", "50", "--worker-threads", "1", "--no-tui", "--output-format", "json"]
    if url.startswith("https"):
        cmd.append("--insecure")
    cmd.append(url)
    out = json.loads(sh(pinned(cmd)))
    return out["summary"]["requestsPerSec"], shown(cmd)


def herd(herd_bin, url, secs, extra=()):
    cmd = [herd_bin, "load", url, "-c", "50", "-d", f"{secs}s", "--threads", "1", *extra]
    if url.startswith("https"):
        cmd.append("--insecure")
    out = json.loads(sh(pinned(cmd + ["--json"])))
    return out, shown(cmd)


def versus(herd_bin, url, secs, label):
    """Alternate wrk, oha and herd load; rows with medians and every run."""
    runs = {"wrk": [], "oha": [], "herd load": []}
    cmds = {}
    for _ in range(ROUNDS):
        rps, cmds["wrk"] = wrk(url, secs)
        runs["wrk"].append(rps)
        rps, cmds["oha"] = oha(url, secs)
        runs["oha"].append(rps)
        out, cmds["herd load"] = herd(herd_bin, url, secs)
        runs["herd load"].append(out["requests_per_sec"])
    med = {k: statistics.median(v) for k, v in runs.items()}
    w = runs["wrk"]
    rows = []
    for tool, rs in runs.items():
        text = f"{med[tool]:,.0f} req/s (runs: {', '.join(f'{x:,.0f}' for x in rs)})"
        if tool != "wrk":
            overlap = min(rs) <= max(w) and min(w) <= max(rs)
            verdict = "parity with wrk (runs overlap)" if overlap else f"{med[tool] / med['wrk']:.2f}x wrk"
            text += f" = **{verdict}**"
        rows.append(("load", f"{label}: {tool}", text, cmds[tool]))
    return rows


def make_cert(d):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", os.path.join(d, "key.pem"), "-out", os.path.join(d, "cert.pem"), "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)


def start_nginx(d):
    conf = open(os.path.join(BENCH, "nginx-tls.conf")).read().replace("@DIR@", d)
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    p = subprocess.Popen([*BOOST, "taskset", "-c", SERVER_CPU, "nginx", "-c", path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(18080)
    wait_port(18443)
    time.sleep(0.3)
    return p


def rows(herd_bin, secs):
    """Every load row: plain and HTTPS side by side, and open-loop rate accuracy."""
    missing = [t for t in ("nginx", "wrk", "oha", "openssl") if not shutil.which(t)]
    if missing:
        return [("load", TITLE, f"skipped: missing {', '.join(missing)}",
                 "apt-get install -y nginx wrk openssl; cargo install oha")]
    d = tempfile.mkdtemp(prefix="herd-bench-nginx-")
    make_cert(d)
    nginx = start_nginx(d)
    try:
        out = versus(herd_bin, "http://127.0.0.1:18080/", secs, "nginx `return 200`, HTTP/1.1")
        out += versus(herd_bin, "https://127.0.0.1:18443/", secs, "nginx `return 200`, HTTPS (TLS 1.3, ECDSA P-256)")
        r, cmd = herd(herd_bin, "http://127.0.0.1:18080/", secs, ["--rate", "2000"])
        out.append(("load", "Open loop --rate 2000 against nginx",
                    f'{r["requests_per_sec"]:,.1f} req/s delivered; p99 {r["latency_ms"]["p99"]:.3f} ms from the intended send time, '
                    f'{r["uncorrected_latency_ms"]["p99"]:.3f} ms from the actual send', cmd))
        return out
    finally:
        nginx.terminate()
        try:
            nginx.wait(timeout=20)
        except subprocess.TimeoutExpired:
            nginx.kill()
        shutil.rmtree(d, ignore_errors=True)


def versions():
    v = lambda cmd: subprocess.run(cmd, text=True, capture_output=True).stdout + subprocess.run(cmd, text=True, capture_output=True).stderr
    nginx = re.search(r"nginx/([\d.]+)", v(["nginx", "-v"]))
    wrk_v = re.search(r"wrk (\S+)", v(["wrk", "-v"]))
    oha_v = re.search(r"oha ([\d.]+)", v(["oha", "--version"]))
    g = lambda m: m.group(1) if m else "?"
    return f"nginx {g(nginx)}, wrk {g(wrk_v)}, oha {g(oha_v)}"


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def section(rs, secs, quick):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], text=True, capture_output=True)
    rev = git.stdout.strip() or "unknown"
    out = [f"## {TITLE}", "",
           f"Sitting: {now}, commit {rev}, {machine()}; {versions()}; {secs} s per run"
           + (" (--quick)" if quick else "") + f", {ROUNDS} alternating rounds (wrk, oha, herd load), medians.",
           "nginx (one worker) on core 0, each load generator on core 1 with one thread, 50 connections"
           + ("; all at `nice -n -10` against concurrent builds on the shared machine;" if BOOST else ";"),
           "runs of two tools that overlap are called parity. Regenerate with `bench/load_bench.py`.",
           "", "| what | result | command |", "|---|---|---|"]
    out += [f"| {n} | {v} | `{c}` |" for _, n, v, c in rs]
    return out + [""]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    secs = 3 if quick else 10
    herd_bin = os.path.join(ROOT, "target", "release", "herd")
    if "--herd" in sys.argv:
        herd_bin = sys.argv[sys.argv.index("--herd") + 1]
    else:
        subprocess.run(["cargo", "build", "--release", "-p", "herd-cli"], cwd=ROOT, check=True)
    lines = section(rows(herd_bin, secs), secs, quick)
    splice_section(ROOT, "herd load vs wrk", lines)
    print("\n".join(lines))
