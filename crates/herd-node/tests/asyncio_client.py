#!/usr/bin/env python3
"""An asyncio client, as the original project's graders wrote them: for each server, send
one command without a trailing newline, half-close (write_eof), read the answer to EOF.

Usage: asyncio_client.py PORT... ; exits non-zero with a message on any wrong answer.
"""
import asyncio, sys, time


async def ask(port, text):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(text.encode())
    writer.write_eof()
    data = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    await writer.wait_closed()
    return data.decode()


async def main(ports):
    first = ports[0]
    at = await ask(first, f"IAMAT asyncio.client +34.068930-118.445127 {time.time():.9f}")
    assert at.startswith("AT ") and at.endswith("\n"), repr(at)
    deadline = time.time() + 10
    for port in ports:
        while True:
            reply = await ask(port, "WHATSAT asyncio.client 10 3")
            if reply.startswith(at.rstrip("\n") + "\n"):
                break
            if time.time() > deadline:
                sys.exit(f"port {port}: never answered with {at!r}, got {reply!r}")
            await asyncio.sleep(0.05)
        assert reply.endswith("\n\n"), repr(reply[-20:])
        bad = await ask(port, "IAMAT broken")
        assert bad == "? IAMAT broken\n", repr(bad)
    print(f"ok: {len(ports)} servers answered the half-closing asyncio client")


asyncio.run(main([int(p) for p in sys.argv[1:]]))
