"""One overall deadline per operation, for every HTTP call the bot makes: Braze's (httpx) and Slack's
(slack_sdk, which speaks urllib).

An operation (one Braze call with its retries and backoffs; one Slack call with its retries and
rate-limit waits; a whole report delivery) runs inside :func:`within` or :func:`until`. Scopes nest, and
the earliest end wins. Inside, everything that waits honours the time left:

- every socket connect, TLS handshake, read and write, through :func:`transport` (httpx) and
  :func:`install_urllib_opener` (urllib). Per-read timeouts alone restart with every byte, so a server
  that trickles one byte every few seconds would hold a thread forever; here each read gets at most the
  time left, so a call ends at its deadline however the server behaves, headers included;
- every retry backoff and rate-limit wait, which asks :func:`remaining` or :func:`end` first and gives up
  rather than wait past the deadline.

Past the deadline a socket operation fails at once: ``httpx.TimeoutException`` under httpx,
:class:`DeadlineExceeded` (a ``TimeoutError``) under urllib. Without a deadline nothing changes: the
clients' own timeouts apply as before.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import io
import socket
import ssl
import threading
import time
import typing
import urllib.request
from collections.abc import Iterator

import httpcore
import httpx

_end: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline_end", default=None)


class DeadlineExceeded(TimeoutError):
    """The operation's overall deadline passed during a socket operation (urllib)."""

    def __init__(self, message: str = "overall deadline reached") -> None:
        super().__init__(message)


@contextlib.contextmanager
def until(monotonic_end: float) -> Iterator[None]:
    """Bound every HTTP call and wait of this operation by ``monotonic_end`` (an outer, earlier end wins)."""
    previous = _end.get()
    token = _end.set(monotonic_end if previous is None else min(previous, monotonic_end))
    try:
        yield
    finally:
        _end.reset(token)


def within(seconds: float) -> contextlib.AbstractContextManager[None]:
    """:func:`until` ``seconds`` from now."""
    return until(time.monotonic() + seconds)


def unless_set(seconds: float) -> contextlib.AbstractContextManager[None]:
    """:func:`within` ``seconds``, unless the caller already runs under a deadline: then the caller's
    operation, and its deadline, are the one this call belongs to."""
    return contextlib.nullcontext() if _end.get() is not None else within(seconds)


def end() -> float | None:
    """The current deadline (``time.monotonic()`` clock), None without one."""
    return _end.get()


def remaining() -> float | None:
    """Seconds left before the current deadline (None: no deadline)."""
    ends = _end.get()
    return None if ends is None else ends - time.monotonic()


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to the time left; ``error`` when none is left."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("overall deadline reached")
    return left if timeout is None else min(timeout, left)


# -- httpx (Braze) ----------------------------------------------------------------------------------------


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[typing.Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def transport() -> httpx.HTTPTransport:
    """httpx's own transport (its TLS, limits and error mapping) over a deadline-aware network backend.

    httpx does not expose the network backend, so the connection pool is rebuilt with the same settings.
    """
    result = httpx.HTTPTransport()
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
    result._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_Backend(),
    )
    return result


# -- urllib (Slack) ---------------------------------------------------------------------------------------


def _socket_timeout(timeout: object) -> float | None:
    """urllib's per-operation timeout (a number, None, or socket's "use the default" marker), cut to the
    time left."""
    plain = timeout if isinstance(timeout, int | float) else socket.getdefaulttimeout()
    return _bounded(None if plain is None else float(plain), DeadlineExceeded)


class _Reader(io.RawIOBase):
    """A socket's reading end whose every read gets at most the time left."""

    def __init__(self, sock: _Socket) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.inner.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: typing.Any) -> int | None:
        self._sock.arm()
        try:
            return self._raw.readinto(buffer)
        except TimeoutError:
            self._sock.expired()
            raise

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Socket:
    """The connected socket of an http.client connection, re-armed with the time left before every
    write and read; anything else goes to the socket itself."""

    def __init__(self, inner: socket.socket, timeout: object) -> None:
        self.inner = inner
        self._timeout = timeout

    def arm(self) -> None:
        self.inner.settimeout(_socket_timeout(self._timeout))

    @staticmethod
    def expired() -> None:
        """A socket timeout that came from the deadline is the deadline's."""
        left = remaining()
        if left is not None and left <= 0:
            raise DeadlineExceeded from None

    def sendall(self, data: typing.Any) -> None:
        self.arm()
        try:
            self.inner.sendall(data)
        except TimeoutError:
            self.expired()
            raise

    def makefile(self, mode: str = "rb", *args: typing.Any, **kwargs: typing.Any) -> io.BufferedReader:
        return io.BufferedReader(_Reader(self))

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self.inner, name)


class _Connecting:
    """Connect (and the TLS handshake) within the time left, then read and write through :class:`_Socket`."""

    timeout: object
    sock: typing.Any

    def connect(self) -> None:
        per_operation = self.timeout
        self.timeout = _socket_timeout(per_operation)
        super().connect()  # type: ignore[misc]
        self.timeout = per_operation
        self.sock = _Socket(self.sock, per_operation)


class _HTTPConnection(_Connecting, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Connecting, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def do_open(self, http_class: typing.Any, req: typing.Any, **kwargs: typing.Any) -> typing.Any:
        return super().do_open(_HTTPConnection, req, **kwargs)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def do_open(self, http_class: typing.Any, req: typing.Any, **kwargs: typing.Any) -> typing.Any:
        return super().do_open(_HTTPSConnection, req, **kwargs)


def urllib_opener() -> urllib.request.OpenerDirector:
    """urllib's default opener, with HTTP and HTTPS connections that honour the deadline."""
    return urllib.request.build_opener(_HTTPHandler(), _HTTPSHandler())


_installed = threading.Lock()
_opener: urllib.request.OpenerDirector | None = None


def install_urllib_opener() -> None:
    """Make :func:`urllib_opener` the opener of ``urllib.request.urlopen``, once per process.

    slack_sdk's clients (``WebClient``, its file upload, ``WebhookClient``) open every connection with
    ``urlopen`` and offer no transport to replace; urllib's installed opener is the one seam. Without a
    deadline the connections behave exactly as urllib's own.
    """
    global _opener
    with _installed:
        if _opener is None:
            _opener = urllib_opener()
            urllib.request.install_opener(_opener)
