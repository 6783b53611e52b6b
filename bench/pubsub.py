#!/usr/bin/env python3
"""Benchmark `herd pubsub` and write the pub/sub section of docs/benchmarks.md.

Server and load are pinned to different cores (taskset). Side-by-side comparisons alternate
their runs in one sitting and compare medians. Traffic goes only to 127.0.0.1. Needs:
wrk, redis-server (with redis-benchmark), python3, and release builds:

    cargo build --release -p herd-cli && cargo build --release -p pubsub --examples

Usage: bench/pubsub.py [--quick] [--before DIR] [SECTION...]
    --quick: 3 s runs, for a smoke test
    --before DIR: the target/release directory of an earlier build (its herd and
        examples/scripts), compared with this one by the `claim` section
Sections: mix (memory store vs the constant-body baseline), fan-out (1/100/10,000
subscribers, memory and Redis), redis (one node vs redis-benchmark running the same
scripts, and four nodes), claim (what a read's claim + confirm costs against the earlier
build's single poll script: needs --before), latency (publish to long-poll delivery),
memory (per message).
"""
from benchlib import wait_port
import datetime, http.client, os, platform, re, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
REL = os.path.join(ROOT, "target", "release")
HERD = os.path.join(REL, "herd")
BASELINE = os.path.join(REL, "examples", "constant_body")
SCRIPTS = os.path.join(REL, "examples", "scripts")
QUICK = "--quick" in sys.argv
BEFORE = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv else None
SECS = 3 if QUICK else 10
CORE_A, CORE_B = "0", "1"
rows = []  # (section, what, result, command)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def start(cmd, port, cpu):
    p = subprocess.Popen(["taskset", "-c", cpu, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    time.sleep(0.3)
    return p


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()


def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def wrk(port, script, env=None, conns=50, threads=1, cpu=CORE_B, path="/", secs=None, watch=()):
    """Run wrk; return (requests/s, p99 ms, shown command, cores used by each watched pid)."""
    secs = secs or SECS
    args = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{secs}s", "--latency", "-s", script,
            f"http://127.0.0.1:{port}{path}"]
    before = [cpu_secs(p) for p in watch]
    out = subprocess.run(["taskset", "-c", cpu, *args], check=True, text=True, capture_output=True,
                         env={**os.environ, **(env or {})}).stdout
    cores = [(cpu_secs(p) - b) / secs for p, b in zip(watch, before)]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")
    shown = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    shown = (shown + " " if shown else "") + " ".join(["taskset", "-c", cpu, *args]).replace(BENCH, "bench")
    return rps, p99, shown, cores


class Http:
    """A keep-alive client for set-up steps."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, method, path, body=b""):
        self.c.request(method, path, body=body)
        r = self.c.getresponse()
        return r.status, r.read()


def metrics(port):
    _, text = Http(port).send("GET", "/metrics")
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+) (\d+)$", text.decode(), re.M)}


def pubsub(port, store="memory", cpu=CORE_A, herd=HERD):
    cmd = [herd, "pubsub", "--listen", f"127.0.0.1:{port}", "--store", store]
    return start(cmd, port, cpu), "taskset -c " + cpu + " herd pubsub --store " + store


def redis_server(port, cpu=CORE_A):
    d = tempfile.mkdtemp(prefix="bench-redis-")
    return start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no", "--dir", d], port, cpu)


def redis_cli(port, *args):
    return sh(["redis-cli", "-p", str(port), *args]).strip()


def fmt(n):
    return f"{n:,.0f}"


# === mix: memory store vs the constant-body baseline ===

def mix_vs_baseline():
    p, shown = pubsub(18099)
    h = Http(18099)
    for i in range(50):
        h.send("POST", f"/mix{i}/u")
    base = start([BASELINE, "127.0.0.1:18098"], 18098, CORE_A)
    script = os.path.join(BENCH, "pubsub_mix.lua")
    runs = {"base": [], "pubsub": []}
    cmds = {}
    for _ in range(3):
        for name, port, pid in (("base", 18098, base.pid), ("pubsub", 18099, p.pid)):
            rps, p99, cmd, cores = wrk(port, script, watch=[pid])
            runs[name].append((rps, p99, cores[0]))
            cmds[name] = cmd
    m = metrics(18099)
    stop(base)
    stop(p)
    med = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
    ratio = med["pubsub"] / med["base"]
    # Requests per second of server CPU, per run, median: what the server costs per request
    # even when the load generator (or other work on the machine) is the limit.
    per_core = {k: statistics.median(x[0] / max(x[2], 1e-9) for x in v) for k, v in runs.items()}
    status = {s: m.get(f'pubsub_responses_total{{status="{s}"}}', 0) for s in (200, 204)}
    for name, label, server in (("base", "constant-body baseline (hyper on netkit)", "taskset -c 0 target/release/examples/constant_body"),
                                ("pubsub", "herd pubsub, memory store", shown)):
        r = runs[name]
        rows.append(("mix", f"publish+poll mix, 50 connections, one core: {label}",
                     f"{fmt(med[name])} req/s (runs: {', '.join(fmt(x[0]) for x in r)}); p99 {statistics.median(x[1] for x in r):.2f} ms; server used {statistics.median(x[2] for x in r):.2f} cores = **{fmt(per_core[name])} req/s per server core**"
                     + (f"; **{ratio:.2f}x the baseline's req/s, {per_core['pubsub'] / per_core['base']:.2f}x its req/s per core**; answers 200: {fmt(status[200])}, 204: {fmt(status[204])}" if name == "pubsub" else ""),
                     f"`{server}`; `{cmds[name]}`"))


# === fan-out: publish/s and poll/s with 1, 100, 10,000 subscribers ===

def fanout(store_name):
    if store_name == "redis":
        rp = redis_server(16379, CORE_A)
        store = "redis://127.0.0.1:16379"
    else:
        rp, store = None, "memory"
    secs = 3 if QUICK else 5
    ops = os.path.join(BENCH, "pubsub_ops.lua")
    for fan in (1, 100, 10_000):
        p, shown = pubsub(18099, store, CORE_A)
        h = Http(18099)
        for j in range(fan):
            h.send("POST", f"/fan/u{j}")
        pub, _, pcmd, (pc,) = wrk(18099, ops, {"OP": "publish", "TOPIC": "fan"}, secs=secs, watch=[p.pid])
        poll, _, qcmd, (qc,) = wrk(18099, ops, {"OP": "poll", "TOPIC": "fan", "USERS": str(fan)}, secs=secs, watch=[p.pid])
        m = metrics(18099)
        delivered = m.get("pubsub_delivered_total", 0)
        empty = m.get('pubsub_responses_total{status="204"}', 0)
        stop(p)
        if rp:
            redis_cli(16379, "FLUSHALL")
        rows.append(("fanout", f"{store_name} store, {fan:,} subscriber(s) per topic",
                     f"publish {fmt(pub)}/s (each stored for {fan:,}; node used {pc:.2f} cores = {fmt(pub / pc)}/s per core); poll {fmt(poll)}/s (node {qc:.2f} cores = {fmt(poll / qc)}/s per core; {fmt(delivered)} messages delivered, {fmt(empty)} empty)",
                     f"`{shown}`; `{pcmd}`; `{qcmd}`"))
    if rp:
        stop(rp)


def fanout_four_nodes():
    """Redis store, four nodes (all on core 1), Redis and wrk on core 0."""
    rp = redis_server(16379, CORE_A)
    store = "redis://127.0.0.1:16379"
    secs = 3 if QUICK else 5
    ops = os.path.join(BENCH, "pubsub_ops.lua")
    ports = [18101, 18102, 18103, 18104]
    env0 = {"PORTS": ",".join(map(str, ports))}
    for fan in (1, 100, 10_000):
        nodes = [pubsub(pt, store, CORE_B)[0] for pt in ports]
        h = Http(ports[0])
        for j in range(fan):
            h.send("POST", f"/fan/u{j}")
        watch = [*(x.pid for x in nodes), rp.pid]
        pub, _, pcmd, pc = wrk(ports[0], ops, {**env0, "OP": "publish", "TOPIC": "fan"}, threads=4, cpu=CORE_A, secs=secs, watch=watch)
        poll, _, qcmd, qc = wrk(ports[0], ops, {**env0, "OP": "poll", "TOPIC": "fan", "USERS": str(fan)}, threads=4, cpu=CORE_A, secs=secs, watch=watch)
        for x in nodes:
            stop(x)
        redis_cli(16379, "FLUSHALL")
        rows.append(("fanout4", f"redis store, four nodes, {fan:,} subscriber(s) per topic",
                     f"publish {fmt(pub)}/s (nodes {sum(pc[:4]):.2f} cores, Redis {pc[4]:.2f}); poll {fmt(poll)}/s (nodes {sum(qc[:4]):.2f} cores, Redis {qc[4]:.2f})",
                     f"`4 x taskset -c 1 herd pubsub --store {store} --listen 127.0.0.1:1810N`; `{pcmd}`; `{qcmd}`"))
    stop(rp)


# === Redis: one node vs redis-benchmark on the same scripts; four nodes ===

def shas(scripts=SCRIPTS, rport=None):
    """Each script's SHA1 by name; with `rport`, loaded into that Redis first (the node
    loads them on first use, redis-benchmark cannot)."""
    found = dict(line.split() for line in sh([scripts]).splitlines())
    for name in found if rport else ():
        redis_cli(rport, "SCRIPT", "LOAD", sh([scripts, "--source", name]))
    return found


def topic_keys(topic, sha):
    """The topic's keys as its build's scripts take them: five before claims, six since."""
    return [f"ps:{{{topic}}}:{k}" for k in ("snmrw" if "poll" in sha else "snmrwc")]


def pair_script(scripts, rport):
    """Load the build's claim and confirm scripts, verbatim, as one script that claims and
    confirms (what one node read costs Redis, in one call redis-benchmark can repeat).
    ARGV: user, token, lease, '0', '0', topic. Returns its SHA1."""
    def src(name):
        t = sh([scripts, "--source", name])
        return t.split("\n", 1)[1] if t.startswith("#!") else t
    claim, confirm = src("claim"), src("confirm")
    common = os.path.commonprefix([claim, confirm])
    prelude = common[:common.rfind("\n") + 1]
    text = ("#!lua flags=allow-oom\n" + prelude
            + "local function claim()\n" + claim[len(prelude):] + "end\n"
            + "local function confirm()\n" + confirm[len(prelude):] + "end\n"
            + "local r = claim()\n"
            + "if type(r) == 'table' and #r == 2 then ARGV[3] = ARGV[6]; confirm() end\n"
            + "return r\n")
    return redis_cli(rport, "SCRIPT", "LOAD", text)


def read_cmd(sha, scripts, rport, topic):
    """redis-benchmark arguments for one read on `topic` by user u0: the earlier build's
    poll script, or this build's claim + confirm pair."""
    keys = topic_keys(topic, sha)
    if "poll" in sha:
        return ["EVALSHA", sha["poll"], "5", *keys, "u0", "0"], "<poll sha>", ["u0", "0"]
    args = ["u0", "bench", "30000", "0", "0", topic]
    return ["EVALSHA", pair_script(scripts, rport), "6", *keys, *args], "<claim+confirm pair sha>", args


def commandstats(rport):
    """EVALSHA calls and microseconds inside Redis so far."""
    m = re.search(r"cmdstat_evalsha:calls=(\d+),usec=(\d+)", redis_cli(rport, "INFO", "commandstats"))
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def redis_section():
    rport = 16379
    rp = redis_server(rport, CORE_A)
    store = f"redis://127.0.0.1:{rport}"
    p, shown = pubsub(18099, store, CORE_B)
    h = Http(18099)
    # pubsub_ops.lua polls /<topic>/u<j> for j below USERS. 50 subscribers, so the 50
    # connections read different subscribers (one subscriber's reads are serial: below).
    for j in range(50):
        h.send("POST", f"/rb/u{j}")
    ops = os.path.join(BENCH, "pubsub_ops.lua")
    sha = shas(SCRIPTS, rport)
    keys = topic_keys("rb", sha)
    n = 100_000 if QUICK else 300_000
    for op in ("publish", "poll"):
        env = {"OP": op, "TOPIC": "rb", "USERS": "50"}
        rps, p99, cmd, cores = wrk(18099, ops, env, cpu=CORE_A, watch=[p.pid, rp.pid])
        if op == "publish":
            script = ["EVALSHA", sha["publish"], str(len(keys)), *keys, "x" * 64, "rb"]
            shown_script = ["EVALSHA", "<publish sha>", str(len(keys)), *keys, "<64 x>", "rb"]
        else:
            script, name, args = read_cmd(sha, SCRIPTS, rport, "rb")
            shown_script = ["EVALSHA", name, str(len(keys)), *keys, *args]
        bench_cmd = ["redis-benchmark", "-p", str(rport), "-c", "50", "-n", str(n), "--csv", *script]
        c0, t0 = cpu_secs(rp.pid), time.time()
        out = sh(["taskset", "-c", CORE_B, *bench_cmd])
        rb_cores = (cpu_secs(rp.pid) - c0) / (time.time() - t0)
        rb = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
        shown_b = " ".join(["taskset", "-c", CORE_B, "redis-benchmark", "-p", str(rport), "-c", "50", "-n", str(n), "--csv", *shown_script])
        what = "publish (to 50 subscribers)" if op == "publish" else "poll, 50 subscribers (node: claim, then confirm once the reply is written; redis-benchmark: the two scripts as one)"
        rows.append(("redis", f"{what}, one node (node on core 1; Redis and wrk on core 0) vs redis-benchmark on the same scripts and keys",
                     f"node {fmt(rps)}/s (p99 {p99:.2f} ms; node used {cores[0]:.2f} cores = {fmt(rps / cores[0])}/s per node core; Redis used {cores[1]:.2f} cores); "
                     f"redis-benchmark {fmt(rb)}/s (Redis used {rb_cores:.2f} cores = {fmt(rb / rb_cores)} scripts/s per Redis core); "
                     f"**node = {rps / rb:.0%} of redis-benchmark's rate; one node core drives {rps / cores[0] / (rb / rb_cores):.0%} of one Redis core's script rate**",
                     f"`{shown}`; `{cmd}`; `{shown_b}`"))
    rps, p99, cmd, cores = wrk(18099, ops, {"OP": "poll", "TOPIC": "rb", "USERS": "1"}, cpu=CORE_A, watch=[p.pid, rp.pid])
    rows.append(("redis", "poll, one subscriber read by all 50 connections at once (its reads are serial: each claims after the previous one's confirm)",
                 f"node {fmt(rps)}/s (p99 {p99:.2f} ms; node used {cores[0]:.2f} cores, Redis {cores[1]:.2f} cores)", f"`{cmd}`"))
    m = metrics(18099)
    ok, empty, missing = (m.get('pubsub_responses_total{status="%d"}' % s, 0) for s in (200, 204, 404))
    rows.append(("redis", "answers in the one-node runs", f"200: {fmt(ok)}, 204: {fmt(empty)}, 404: {fmt(missing)}", "(from /metrics)"))
    stop(p)
    redis_cli(rport, "FLUSHALL")
    # Four nodes on core 1, Redis and wrk on core 0, the mix spread over the nodes.
    ports = [18101, 18102, 18103, 18104]
    nodes = [pubsub(pt, store, CORE_B)[0] for pt in ports]
    h = Http(ports[0])
    for i in range(50):
        h.send("POST", f"/mix{i}/u")
    script = os.path.join(BENCH, "pubsub_mix.lua")
    env = {"PORTS": ",".join(map(str, ports))}
    rps, p99, cmd, cores = wrk(ports[0], script, env, threads=4, cpu=CORE_A, watch=[*(x.pid for x in nodes), rp.pid])
    for x in nodes:
        stop(x)
    rows.append(("redis", "publish+poll mix over four nodes (all four on core 1; Redis and wrk on core 0)",
                 f"{fmt(rps)} req/s; p99 {p99:.2f} ms; nodes used {sum(cores[:4]):.2f} cores together ({fmt(rps / sum(cores[:4]))} req/s per node core), Redis {cores[4]:.2f} cores ({fmt(rps / cores[4])} scripts/s per Redis core)",
                 f"`4 x taskset -c 1 herd pubsub --store {store} --listen 127.0.0.1:1810N`; `{cmd}`"))
    stop(rp)


# === claim: the cost of claim + confirm against the earlier build's one poll script ===

def claim_round(label, herd, scripts, res):
    """One round for one build: a fresh Redis, the node's publish/s and poll/s (every poll
    delivers: the queue is filled first), Redis's own time per poll, then redis-benchmark
    filling the queue with the publish script and draining it with the read script(s)."""
    rport = 16379
    rp = redis_server(rport, CORE_A)
    store = f"redis://127.0.0.1:{rport}"
    p, shown = pubsub(18099, store, CORE_B, herd)
    h = Http(18099)
    for j in range(50):
        h.send("POST", f"/cc/u{j}")
    ops = os.path.join(BENCH, "pubsub_ops.lua")
    secs = 3 if QUICK else 5
    pub, _, pcmd, pcores = wrk(18099, ops, {"OP": "publish", "TOPIC": "cc"}, cpu=CORE_A, secs=2 * secs, watch=[p.pid, rp.pid])
    m0, (calls0, usec0) = metrics(18099), commandstats(rport)
    poll, p99, qcmd, qcores = wrk(18099, ops, {"OP": "poll", "TOPIC": "cc", "USERS": "50"}, cpu=CORE_A, secs=secs, watch=[p.pid, rp.pid])
    time.sleep(0.2)  # the last confirms
    m1, (calls1, usec1) = metrics(18099), commandstats(rport)
    one, one_p99, _, _ = wrk(18099, ops, {"OP": "poll", "TOPIC": "cc", "USERS": "1"}, cpu=CORE_A, secs=secs)
    stop(p)
    delta = lambda k: m1.get(k, 0) - m0.get(k, 0)
    polls = delta('pubsub_responses_total{status="200"}')
    empties = delta('pubsub_responses_total{status="204"}')
    if delta('pubsub_responses_total{status="404"}'):
        sys.exit("polls answered 404: the benchmark reads a user it did not subscribe")
    redis_cli(rport, "FLUSHALL")
    sha = shas(scripts, rport)
    keys = topic_keys("rb", sha)
    n = 50_000 if QUICK else 200_000
    redis_cli(rport, "EVALSHA", sha["subscribe"], str(len(keys)), *keys, "u0")
    rb = {}
    for what, script in (("publish", ["EVALSHA", sha["publish"], str(len(keys)), *keys, "x" * 64, "rb"]),
                         ("read", read_cmd(sha, scripts, rport, "rb")[0])):
        out = sh(["taskset", "-c", CORE_B, "redis-benchmark", "-p", str(rport), "-c", "50", "-n", str(n), "--csv", *script])
        rb[what] = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
    left = redis_cli(rport, "HLEN", keys[2])
    stop(rp)
    res.setdefault(label, []).append({
        "publish": pub, "pub_node": pcores[0], "pub_redis": pcores[1],
        "poll": poll, "p99": p99, "node": qcores[0], "redis": qcores[1], "empties": empties,
        "one": one, "one_p99": one_p99,
        "scripts_per_poll": (calls1 - calls0) / max(polls, 1), "usec_per_poll": (usec1 - usec0) / max(polls, 1),
        "rb_publish": rb["publish"], "rb_read": rb["read"], "rb_left": int(left or 0),
        "cmds": (shown, pcmd, qcmd)})


def claim_cost():
    if not BEFORE:
        sys.exit("the claim section needs --before DIR (an earlier build's target/release)")
    builds = [("before", os.path.join(BEFORE, "herd"), os.path.join(BEFORE, "examples", "scripts")),
              ("after", HERD, SCRIPTS)]
    res = {}
    for _ in range(3):
        for label, herd, scripts in builds:
            claim_round(label, herd, scripts, res)
    med = lambda label, k: statistics.median(r[k] for r in res[label])
    desc = {"before": "earlier build: a read is one poll script (consumes the message)",
            "after": "this build: a read is a claim script, then a confirm script once the reply is written"}
    for label, _, _ in builds:
        r = res[label]
        rows.append(("claim", desc[label],
                     f"poll, 50 subscribers: {fmt(med(label, 'poll'))}/s (runs: {', '.join(fmt(x['poll']) for x in r)}; p99 {med(label, 'p99'):.2f} ms; {sum(x['empties'] for x in r)} empty answers); "
                     f"node {med(label, 'node'):.2f} cores = **{fmt(med(label, 'poll') / med(label, 'node'))} polls/s per node core**; Redis {med(label, 'redis'):.2f} cores = **{fmt(med(label, 'poll') / med(label, 'redis'))} polls/s per Redis core**; "
                     f"inside Redis **{med(label, 'usec_per_poll'):.1f} µs and {med(label, 'scripts_per_poll'):.2f} scripts per poll** (INFO commandstats); "
                     f"redis-benchmark read script(s) {fmt(med(label, 'rb_read'))}/s; "
                     f"one subscriber read by all 50 connections: {fmt(med(label, 'one'))}/s (p99 {med(label, 'one_p99'):.2f} ms); "
                     f"control: publish to 50 subscribers {fmt(med(label, 'publish'))}/s via the node, {fmt(med(label, 'rb_publish'))}/s in redis-benchmark (one subscriber)",
                     "`{}`; `{}`; `{}`; `taskset -c 1 redis-benchmark -p 16379 -c 50 -n {} --csv EVALSHA <publish sha> ...`, then the read: {}".format(
                         *r[0]["cmds"], 50_000 if QUICK else 200_000,
                         "`EVALSHA <poll sha> 5 <keys> u0 0`" if label == "before" else "`EVALSHA <claim+confirm pair sha> 6 <keys> u0 bench 30000 0 0 rb` (the two scripts verbatim in one, bench/pubsub.py `pair_script`)")))
    b, a = (med(l, "poll") for l in ("before", "after"))
    rb_b, rb_a = (med(l, "rb_read") for l in ("before", "after"))
    rows.append(("claim", "cost of claim + confirm",
                 f"node poll/s {a / b:.2f}x the earlier build's (one subscriber read by 50 connections: {med('after', 'one') / med('before', 'one'):.2f}x); per Redis core {(a / med('after', 'redis')) / (b / med('before', 'redis')):.2f}x; "
                 f"Redis time per poll {med('after', 'usec_per_poll') / max(med('before', 'usec_per_poll'), 1e-9):.2f}x; redis-benchmark read {rb_a / rb_b:.2f}x",
                 "medians of 3 alternating rounds, fresh Redis each"))


# === latency: publish to long-poll delivery ===

def latency(store_name):
    rp = redis_server(16379, CORE_A) if store_name == "redis" else None
    store = "redis://127.0.0.1:16379" if rp else "memory"
    p, shown = pubsub(18099, store, CORE_A)
    Http(18099).send("POST", "/lat/u")
    count, rate = (1000, 500) if QUICK else (5000, 500)
    lat = []

    def reader():
        h = Http(18099)
        while len(lat) < count:
            s, body = h.send("GET", "/lat/u?wait=10s")
            if s == 200:
                lat.append((time.perf_counter_ns() - int(body)) / 1e6)

    t = threading.Thread(target=reader)
    t.start()
    h = Http(18099)
    t0 = time.perf_counter()
    for i in range(count):
        due = t0 + i / rate
        while time.perf_counter() < due:
            time.sleep(max(0, due - time.perf_counter()))
        h.send("POST", "/lat", str(time.perf_counter_ns()).encode())
    t.join(timeout=60)
    stop(p)
    if rp:
        stop(rp)
    lat.sort()
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
    rows.append(("latency", f"publish -> long-poll delivery, {store_name} store, {rate}/s, one subscriber",
                 f"p50 {q(0.5):.3f} ms, p99 {q(0.99):.3f} ms, max {lat[-1]:.3f} ms ({len(lat)} of {count} delivered)",
                 f"`{shown}`; `taskset -c 1 bench/pubsub.py` (latency section: Python publisher and `?wait=10s` reader)"))


# === memory per queued message ===

def pipeline_publish(port, path, body, n):
    """Publish n times on one connection, 256 requests in flight at a time."""
    import socket
    s = socket.create_connection(("127.0.0.1", port))
    req = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    want = b"HTTP/1.1 200 OK"
    done, buf = 0, b""
    while done < n:
        k = min(256, n - done)
        s.sendall(req * k)
        got = 0
        while got < k:
            buf += s.recv(1 << 20)
            got_now = buf.count(want)
            if got_now >= k:
                buf = b""
                got = k
        done += k
    s.close()


def memory_section():
    p, shown = pubsub(18099, "memory", CORE_A)
    Http(18099).send("POST", "/mem/u")
    n = 50_000 if QUICK else 200_000
    r0 = rss_kib(p.pid)
    pipeline_publish(18099, "/mem", b"x" * 64, n)
    r1 = rss_kib(p.pid)
    m = metrics(18099)
    stop(p)
    rows.append(("memory", f"memory store, one subscriber, {n:,} queued 64-byte messages",
                 f"RSS +{(r1 - r0) / 1024:.1f} MiB = {(r1 - r0) * 1024 / n:.0f} bytes per message; stored {fmt(m['pubsub_messages_stored'])} messages, {fmt(m['pubsub_message_bytes_stored'])} body bytes",
                 f"`{shown}`; bench/pubsub.py memory section (pipelined POSTs, RSS from /proc)"))
    p, shown = pubsub(18099, "memory", CORE_A)
    h = Http(18099)
    for j in range(10_000):
        h.send("POST", f"/wide/u{j}")
    r0 = rss_kib(p.pid)
    pipeline_publish(18099, "/wide", b"y" * 10240, 1000)
    r1 = rss_kib(p.pid)
    m = metrics(18099)
    stop(p)
    rows.append(("memory", "memory store, 10,000 subscribers, 1,000 queued 10 KiB messages (10,000,000 deliveries pending)",
                 f"RSS +{(r1 - r0) / 1024:.1f} MiB; stored {fmt(m['pubsub_messages_stored'])} messages, {fmt(m['pubsub_message_bytes_stored'])} body bytes: **each body once** (a copy per subscriber would be {10_000 * 1000 * 10240 / 2**30:.0f} GiB)",
                 f"`{shown}`; bench/pubsub.py memory section"))
    rp = redis_server(16379, CORE_A)
    p, shown = pubsub(18099, "redis://127.0.0.1:16379", CORE_B)
    Http(18099).send("POST", "/mem/u")
    used = lambda: int(re.search(r"used_memory:(\d+)", redis_cli(16379, "INFO", "memory")).group(1))
    u0 = used()
    pipeline_publish(18099, "/mem", b"x" * 64, n)
    u1 = used()
    stop(p)
    stop(rp)
    rows.append(("memory", f"Redis store, one subscriber, {n:,} queued 64-byte messages",
                 f"Redis used_memory +{(u1 - u0) / 2**20:.1f} MiB = {(u1 - u0) / n:.0f} bytes per message",
                 f"`{shown}`; `redis-cli INFO memory` before and after"))


SECTIONS = {
    "mix": ("Memory store vs the constant-body baseline", mix_vs_baseline),
    "fanout": ("Fan-out: 1, 100 and 10,000 subscribers per topic", lambda: (fanout("memory"), fanout("redis"))),
    "fanout4": ("Fan-out over four nodes (Redis store)", fanout_four_nodes),
    "redis": ("Redis store: one node vs redis-benchmark, and four nodes", redis_section),
    "claim": ("Redis store: what a read's claim and confirm cost", claim_cost),
    "latency": ("Publish to delivery with long polls", lambda: (latency("memory"), latency("redis"))),
    "memory": ("Memory per queued message", memory_section),
}


def write(path, wanted):
    text = open(path).read() if os.path.exists(path) else ""
    prev = re.search(r"<!-- pubsub:begin.*?<!-- pubsub:end -->", text, re.S)
    kept = {}
    if prev:
        # A partial run keeps the other sections' tables from the last run (their header
        # lines say when that was).
        for key, (title, _) in SECTIONS.items():
            m = re.search(rf"### {re.escape(title)}\n\n(.*?)\n\n(?=### |<!-- pubsub:end)", prev.group(0), re.S)
            if m and key not in wanted:
                kept[key] = m.group(1)
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    commit = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()
    out = ["<!-- pubsub:begin (generated by bench/pubsub.py; rerun it, do not edit) -->",
           "## Pub/sub", "",
           f"- Machine: {os.cpu_count()} cores ({cpu.group(1).strip() if cpu else platform.machine()}), Linux {platform.release()}",
           f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; commit {commit}; {SECS} s per wrk run"
           + (f"; sections {', '.join(wanted)} (the others are from an earlier sitting)" if kept else ""),
           f"- Load average when the runs started / ended: {LOAD0[0]:.2f} / {os.getloadavg()[0]:.2f}"
           " (other work on the machine competes with the pinned processes when above ~0.5)",
           "- Method: see docs/pubsub.md#performance; cores named in each row (taskset).", ""]
    sitting = (f"Sitting: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit}, "
               f"load average {LOAD0[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end.")
    for key, (title, _) in SECTIONS.items():
        sect = [r for r in rows if r[0] == key]
        if sect:
            out += [f"### {title}", "", sitting, "", "| what | result | command |", "|---|---|---|"]
            out += [f"| {w} | {r} | {c} |" for _, w, r, c in sect]
            out.append("")
        elif key in kept:
            out += [f"### {title}", "", kept[key], ""]
    out.append("<!-- pubsub:end -->")
    block = "\n".join(out) + "\n"
    if prev:
        text = re.sub(r"<!-- pubsub:begin.*?<!-- pubsub:end -->\n?", lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    open(path, "w").write(text)
    print(block)


if __name__ == "__main__":
    # This script is itself a load generator (set-up, latency, memory): keep it off the
    # server's core.
    os.sched_setaffinity(0, {int(CORE_B)})
    LOAD0 = os.getloadavg()
    args = [a for i, a in enumerate(sys.argv[1:], 1) if not (sys.argv[i - 1] == "--before")]
    wanted = [a for a in args if not a.startswith("--")] or [k for k in SECTIONS if k != "claim" or BEFORE]
    for name in wanted:
        print(f"== {name}", file=sys.stderr)
        SECTIONS[name][1]()
    write(os.path.join(ROOT, "docs", "benchmarks.md"), wanted)
