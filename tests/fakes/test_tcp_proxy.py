"""The TCP proxy that the database fault tests put between the bot and PostgreSQL: each mode does what
its docstring says, against an echo server and against the real PostgreSQL server."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from fakes.tcp_proxy import TcpProxy

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Echo:
    """A TCP echo server on 127.0.0.1 (one thread per connection)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def echo() -> Iterator[Echo]:
    server = Echo()
    yield server
    server.close()


@pytest.fixture
def proxy(echo: Echo) -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", echo.port) as running:
        yield running


def connect(proxy: TcpProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
    sock.settimeout(2)
    return sock


def round_trip(sock: socket.socket, data: bytes = b"ping") -> bytes:
    sock.sendall(data)
    return sock.recv(4096)


def test_pass_forwards_both_ways_and_counts(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert round_trip(sock, b"hello") == b"hello"
        assert round_trip(sock, b"again") == b"again"
    assert proxy.accepted == 1 and proxy.forwarded == 1


def test_an_end_of_stream_is_passed_on_and_the_answer_still_arrives(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert received == b"last words"


def test_refuse_refuses_new_connections_keeps_open_ones_and_pass_listens_again_on_the_same_port(
    proxy: TcpProxy,
) -> None:
    port = proxy.port
    with connect(proxy) as open_one:
        assert round_trip(open_one) == b"ping"  # accepted and forwarded, not only in the backlog
        proxy.set_mode("refuse")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        assert round_trip(open_one) == b"ping"
        proxy.set_mode("pass")
        assert proxy.port == port
        with connect(proxy) as new_one:
            assert round_trip(new_one) == b"ping"


def test_drop_resets_every_open_connection(proxy: TcpProxy) -> None:
    socks = [connect(proxy) for _ in range(3)]
    for sock in socks:
        assert round_trip(sock) == b"ping"
    assert proxy.drop() == 3
    for sock in socks:
        with sock, pytest.raises((ConnectionResetError, BrokenPipeError)):
            sock.sendall(b"x")
            if not sock.recv(1):  # an orderly end would be a polite close, not the reset of a dying server
                raise AssertionError("got an end of stream, not a reset")
    assert proxy.open_connections() == 0
    with connect(proxy) as sock:  # the proxy itself still passes
        assert round_trip(sock) == b"ping"


@pytest.mark.slow  # a hung connection
def test_hang_accepts_but_never_answers_holds_open_connections_and_pass_lets_them_flow(proxy: TcpProxy) -> None:
    with connect(proxy) as open_one:
        assert round_trip(open_one) == b"ping"
        proxy.set_mode("hang")
        open_one.sendall(b"held")
        open_one.settimeout(0.5)
        with pytest.raises(TimeoutError):
            open_one.recv(4096)
        new_one = connect(proxy)  # the handshake completes: the kernel accepts
        new_one.settimeout(0.5)
        new_one.sendall(b"hello?")
        with pytest.raises(TimeoutError):
            new_one.recv(4096)
        proxy.set_mode("pass")
        open_one.settimeout(2)
        assert open_one.recv(4096) == b"held"  # the held bytes went on once the hang ended
        new_one.settimeout(2)
        with new_one, contextlib.suppress(ConnectionResetError):
            assert new_one.recv(4096) == b""  # it never reached the server: closed when the hang ended


def test_a_target_that_refuses_resets_the_client() -> None:
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    with TcpProxy("127.0.0.1", port) as proxy:
        # The reset may come before the client's connect() has even returned (a loaded machine): either way
        # the client gets no byte, only the connection's end.
        with contextlib.suppress(ConnectionResetError), connect(proxy) as sock:
            assert sock.recv(1) == b""
        assert proxy.forwarded == 0


def test_unknown_modes_are_refused(proxy: TcpProxy) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        proxy.set_mode("flaky")  # type: ignore[arg-type]


@pytest.fixture
def pg_proxy() -> Iterator[tuple[TcpProxy, str]]:
    """The proxy in front of the machine's PostgreSQL server, and a libpq conninfo through it."""
    admin = make_url(PG_ADMIN_URL)
    with TcpProxy(admin.host or "127.0.0.1", admin.port or 5432) as running:
        dsn = f"host=127.0.0.1 port={running.port} user={admin.username or 'postgres'} dbname=postgres"
        try:
            psycopg.connect(dsn, connect_timeout=3).close()
        except psycopg.OperationalError as exc:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
        yield running, dsn


@pytest.mark.slow  # a restarted and a hung connection
def test_postgresql_through_the_proxy_sees_a_restart_and_a_black_hole(pg_proxy: tuple[TcpProxy, str]) -> None:
    proxy, dsn = pg_proxy
    with psycopg.connect(dsn, connect_timeout=3, autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        proxy.drop()  # the server "restarts": its connections die
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    proxy.set_mode("refuse")
    with pytest.raises(psycopg.OperationalError, match="refused"):
        psycopg.connect(dsn, connect_timeout=3)
    proxy.set_mode("hang")
    with pytest.raises(psycopg.OperationalError, match="timeout"):
        psycopg.connect(dsn, connect_timeout=1)
    proxy.set_mode("pass")
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
