"""The digests' database: the engine, and one :class:`Store` that holds its two parts,
``store.subscriptions`` (:class:`digests.subscriptions.Subscriptions`) and ``store.deliveries``
(:class:`digests.deliveries.Deliveries`).

SQLite is the embedded default (one process); PostgreSQL via ``DATABASE_URL`` when several processes
(web + clock, or many dynos) share the work. Every cross-process guarantee rests on a UNIQUE constraint
or on a single conditional UPDATE, never on read-then-write in Python, so it holds on both backends:

* one subscription per channel and target: ``uq_subscriptions_key`` (channel, kind, object, send);
* one digest per (subscription, day): ``uq_deliveries_day``, then every step an UPDATE conditional on
  the state it moves from (:mod:`digests.states`) and on the lease holder.

Callers only ever see frozen dataclasses (:class:`Subscription`, :class:`Delivery`), never rows.
Every datetime is timezone-aware UTC going in and coming out (SQLite stores naive UTC text).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from digests.alert_store import AlertPosts, Alerts
from digests.charts import SharedCharts
from digests.deliveries import Deliveries
from digests.subscriptions import Subscriptions
from digests.tables import subscriptions

#: Seconds to wait for a PostgreSQL connection: a "black hole" server would otherwise hang start-up forever.
CONNECT_TIMEOUT = 5
#: libpq TCP settings, so a connection to a server that vanished (a failover's old primary, a partition)
#: fails within about half a minute instead of the kernel's default of about 15 minutes (2 hours idle).
TCP_BOUNDS = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,  # ms: data sent and not acknowledged for this long ends the connection
}


def make_engine(url: str, *, busy_timeout_ms: int = 5000) -> Engine:
    """Engine for ``sqlite:///path``, ``sqlite://`` (memory), ``postgresql://…`` or ``postgres://…``.

    PostgreSQL URLs always get the psycopg 3 driver (the one we ship; Heroku hands out ``postgres://``),
    with a ``connect_timeout`` (unless the URL sets one) so an unreachable server fails fast.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        # pre_ping: managed Postgres drops idle connections; the scheduler is idle most of the day.
        # Pool sized for a digest round's worker threads plus the web and job threads.
        connect_args: dict[str, Any] = {}
        for name, value in {"connect_timeout": CONNECT_TIMEOUT, **TCP_BOUNDS}.items():
            if name not in parsed.query:
                connect_args[name] = value
        return create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=30,
            pool_timeout=10,
            connect_args=connect_args,
        )
    if backend != "sqlite":
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}; use sqlite or postgresql")

    if parsed.database in (None, "", ":memory:"):
        # One shared connection, or every thread would see its own empty in-memory database.
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        engine = create_engine(parsed, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # first, so the WAL switch itself waits for locks
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
        finally:
            cursor.close()

    return engine


class Store:
    """The digests' tables on one engine: ``subscriptions``, ``deliveries`` and the shared ``charts``, and the
    alerts' (``alerts``, ``alert_posts``: :mod:`digests.alert_store`).

    Thread-safe and multi-process-safe: share one instance per process.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.subscriptions = Subscriptions(engine)
        self.deliveries = Deliveries(engine)
        self.alerts = Alerts(engine)
        self.alert_posts = AlertPosts(engine)
        self.charts = SharedCharts(engine)

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    def dispose(self) -> None:
        """Close pooled connections (at shutdown, or in a child process after fork)."""
        self.engine.dispose()

    def ping(self) -> None:
        """Raise unless the database answers a read of our own table (the health check's probe)."""
        with self.engine.connect() as conn:
            conn.execute(select(subscriptions.c.id).limit(1)).all()
