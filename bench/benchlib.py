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
