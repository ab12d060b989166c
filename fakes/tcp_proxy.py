"""A TCP proxy on 127.0.0.1 for database fault tests: it forwards to a real server (PostgreSQL) and
refuses, drops or hangs connections on command, as a database restart, a failover or a partition looks
from the client. The machine's database server itself is never touched.

Modes (:meth:`TcpProxy.set_mode`):

* ``pass``: forward both ways.
* ``refuse``: nothing listens on the port, so new connections get ECONNREFUSED, as from a server that
  is down or restarting. Open connections keep forwarding; a restart also drops them (:meth:`drop`).
* ``hang``: new connections are accepted (the kernel completes the handshake) and never answered, and
  bytes on open connections are held, not forwarded. Assumption: a real partition also stops the TCP
  acknowledgements, which a proxy in user space cannot do (its kernel acknowledges what it receives),
  so TCP-level timeouts such as libpq's ``tcp_user_timeout`` do not fire here; only the client's own
  bounds end its waits. Leaving ``hang`` closes the held new connections (they never reached the
  server) and lets the held bytes flow again.

:meth:`drop` resets every open connection (RST both ways), as a killed or restarted server does.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import struct
import threading
from typing import Literal

log = logging.getLogger(__name__)
Mode = Literal["pass", "refuse", "hang"]
#: How often waiting threads look at the mode again (and notice :meth:`TcpProxy.close`).
TICK = 0.05


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a dying server's kernel does, not a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Link:
    """One proxied connection: the client's socket and ours to the server."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.closed = False
        self.pumps_left = 2


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target``; see the module docstring for the modes."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.host = host
        self._lock = threading.Condition()
        self._mode: Mode = "pass"
        self._links: set[_Link] = set()
        self._held: set[socket.socket] = set()
        self._closed = False
        #: Connections accepted, and forwarded to the server, since start (tests assert on these).
        self.accepted = 0
        self.forwarded = 0
        self._listener: socket.socket | None = self._listen(port)
        self.port = int(self._listener.getsockname()[1])
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()
        return self

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def mode(self) -> Mode:
        with self._lock:
            return self._mode

    def set_mode(self, mode: Mode) -> None:
        """Switch modes; effective when this returns (a refused port refuses at once)."""
        if mode not in ("pass", "refuse", "hang"):
            raise ValueError(f"unknown mode {mode!r}")
        with self._lock:
            previous, self._mode = self._mode, mode
            if mode == "refuse" and self._listener is not None:
                self._stop_listening()
            elif mode != "refuse" and self._listener is None:
                self._listener = self._listen(self.port)
            if previous == "hang" and mode != "hang":
                held, self._held = self._held, set()
                for sock in held:
                    _reset(sock)
            self._lock.notify_all()

    def drop(self) -> int:
        """Reset every open connection (both sides) and every held one; returns how many."""
        with self._lock:
            links, self._links = self._links, set()
            held, self._held = self._held, set()
            for link in links:
                link.closed = True
            self._lock.notify_all()
        for link in links:
            _reset(link.client)
            _reset(link.upstream)
        for sock in held:
            _reset(sock)
        return len(links) + len(held)

    def open_connections(self) -> int:
        """Connections forwarding (or held in ``hang``) right now."""
        with self._lock:
            return len(self._links) + len(self._held)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._listener is not None:
                self._stop_listening()
            self._lock.notify_all()
        self.drop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- internals -----------------------------------------------------------------------------------

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(128)
        sock.settimeout(TICK)
        return sock

    def _stop_listening(self) -> None:
        """Stop listening now (lock held): ``shutdown`` first, since a ``close`` alone waits until the
        accepting thread's poll returns, and the port would accept meanwhile."""
        assert self._listener is not None
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        _reset(self._listener)
        self._listener = None

    def _accept_loop(self) -> None:
        while True:
            with self._lock:
                while not self._closed and self._listener is None:
                    self._lock.wait(TICK)
                if self._closed:
                    return
                listener = self._listener
            assert listener is not None
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):  # a tick, or the listener closed under us (refuse)
                continue
            client.settimeout(None)
            with self._lock:
                self.accepted += 1
                if self._mode == "hang":
                    self._held.add(client)
                    continue
                if self._mode == "refuse" or self._closed:  # switched while accepting: as if refused
                    _reset(client)
                    continue
            threading.Thread(target=self._connect, args=(client,), name="tcp-proxy-connect", daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError as exc:
            log.info("tcp proxy: the target %s:%d refused: %s", *self.target, exc)
            _reset(client)
            return
        upstream.settimeout(None)
        link = _Link(client, upstream)
        with self._lock:
            if self._closed:
                _reset(client)
                _reset(upstream)
                return
            self._links.add(link)
            self.forwarded += 1
        for src, dst, name in ((client, upstream, "up"), (upstream, client, "down")):
            threading.Thread(target=self._pump, args=(link, src, dst), name=f"tcp-proxy-{name}", daemon=True).start()

    def _pump(self, link: _Link, src: socket.socket, dst: socket.socket) -> None:
        """Copy ``src`` → ``dst`` until either side ends; in ``hang`` nothing is read (bytes wait). An end
        of stream is passed on as one (half-close); a broken side breaks the whole link."""
        broken = True
        try:
            while True:
                with self._lock:
                    while self._mode == "hang" and not link.closed and not self._closed:
                        self._lock.wait(TICK)
                    if link.closed or self._closed:
                        return
                try:
                    readable, _, _ = select.select([src], [], [], TICK)
                except (OSError, ValueError):
                    return
                if not readable:
                    continue
                with self._lock:  # bytes that arrived after a switch to hang are held too
                    if self._mode == "hang" or link.closed:
                        continue
                try:
                    data = src.recv(65536)
                except OSError:
                    return
                if not data:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    broken = False
                    return
                try:
                    dst.sendall(data)
                except OSError:
                    return
        finally:
            self._pump_done(link, broken)

    def _pump_done(self, link: _Link, broken: bool) -> None:
        with self._lock:
            link.pumps_left -= 1
            if link.pumps_left > 0 and not broken:
                return
            self._links.discard(link)
            already, link.closed = link.closed, True
        if already:
            return
        for sock in (link.client, link.upstream):
            if broken:
                _reset(sock)
            else:
                with contextlib.suppress(OSError):
                    sock.close()
