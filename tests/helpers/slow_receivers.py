"""Webhook receivers in a thread of the test's process, on loopback: one that answers a byte at a
time (`drip`), one that answers a very large body (`flood`), and a prompt one (`prompt`). Each
takes one request, records what happened, in order, in a shared list of events, and stops by
itself after `seconds`."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

BIG_BODY = 100 * 1024 * 1024


@contextlib.contextmanager
def misbehaving(kind: str, events: list[str], seconds: float = 20) -> Iterator[str]:
    """A receiver (`drip`, `flood` or `prompt`) at the URL yielded."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    served = threading.Thread(target=_serve, args=(listener, kind, events, seconds), daemon=True)
    served.start()
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        listener.close()
        served.join(timeout=seconds + 5)


def _serve(listener: socket.socket, kind: str, events: list[str], seconds: float) -> None:
    with contextlib.suppress(OSError):
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)  # the request (a small one)
            events.append(f"{kind}: request")
            if kind == "prompt":
                sent = connection.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            elif kind == "drip":
                sent = _drip(connection, seconds)
            else:
                sent = _flood(connection, seconds)
            events.append(f"{kind}: closed after {sent} bytes")


def _drip(connection: socket.socket, seconds: float) -> int:
    """The status line, a byte every 0.2 s, until the client hangs up (or `seconds` pass)."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" * 1000
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            connection.sendall(answer[sent : sent + 1])
            sent += 1
            time.sleep(0.2)
    except OSError:
        pass
    return sent


def _flood(connection: socket.socket, seconds: float) -> int:
    """A 200 with a 100 MB body, sent as fast as the client reads it."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % BIG_BODY)
    chunk = b"x" * 65536
    sent = 0
    connection.settimeout(seconds)
    try:
        while sent < BIG_BODY:
            connection.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    return sent
