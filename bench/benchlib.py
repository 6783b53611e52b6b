"""What the benchmark scripts share."""
import socket, sys, time


def wait_port(port, timeout=20):
    """Return once something accepts on 127.0.0.1:port; exit with a message after timeout."""
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline:
                sys.exit(f"nothing listening on 127.0.0.1:{port}")
            time.sleep(0.05)


def splice_section(root, title, lines):
    """Replace the `## <title>...` section of docs/benchmarks.md with `lines` (or insert it
    before the closing "## Reading" notes), leaving every other section as it is."""
    import os
    path = os.path.join(root, "docs", "benchmarks.md")
    doc = open(path).read().splitlines()
    start = next((i for i, l in enumerate(doc) if l.startswith(f"## {title}")), None)
    if start is None:
        start = next((i for i, l in enumerate(doc) if l.startswith("## Reading")), len(doc))
        end = start
    else:
        end = next((i for i in range(start + 1, len(doc)) if doc[i].startswith("## ")), len(doc))
    doc[start:end] = lines
    with open(path, "w") as f:
        f.write("\n".join(doc) + "\n")


def stop(p):
    """Ask a server to stop (SIGTERM), wait for it, kill it if it will not go."""
    import subprocess
    p.terminate()
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()


def cpu_ticks(pid):
    """User + system CPU time of a process so far, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return int(parts[11]) + int(parts[12])
