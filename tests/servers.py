"""A hostile server the fakes do not play (not a test module): one that trickles its answer's first line.

Per-read timeouts restart with every byte, so only an overall deadline ends a call to it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

#: The start of an answer that, one byte every few tenths of a second, never finishes in a test's time.
STATUS_LINE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


@contextlib.contextmanager
def trickling_server(interval: float = 0.3) -> Iterator[str]:
    """A server on 127.0.0.1 that reads one request and answers :data:`STATUS_LINE` one byte every
    ``interval`` seconds; yields its ``http://127.0.0.1:PORT`` URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in STATUS_LINE:
                if stop.wait(interval):
                    return
                conn.sendall(bytes([byte]))

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        server.join(timeout=10)
