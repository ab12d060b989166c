"""An overall deadline for HTTP calls, enforced at the socket.

httpx's timeouts bound each read, not a whole answer: a server trickling one byte every two seconds
never trips a 15-second read timeout, and holds the caller's thread forever. Here a thread-local
deadline bounds every connect, read and write by the time left, so a call ends on time however the
server behaves, headers included, and on pooled keep-alive connections too.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
import typing
from collections.abc import Iterator

import httpcore
import httpx

_local = threading.local()


@contextlib.contextmanager
def until(monotonic_end: float) -> Iterator[None]:
    """Bound every socket operation of this thread's HTTP calls by ``monotonic_end``."""
    previous = getattr(_local, "end", None)
    _local.end = monotonic_end if previous is None else min(previous, monotonic_end)
    try:
        yield
    finally:
        _local.end = previous


def remaining() -> float | None:
    """Seconds left before this thread's deadline (None: no deadline)."""
    end = getattr(_local, "end", None)
    return None if end is None else end - time.monotonic()


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("overall deadline reached")
    return left if timeout is None else min(timeout, left)


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
