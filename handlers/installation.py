"""This install's salt: a random value made once per database, which keys the install's Slack messages.

Tagged messages (digests, reports) carry a key hashed from the workspace, the app and this salt
(:class:`handlers.adapter.delivery.Identity`), so a look-up never takes another deployment's message for
one of its own: a staging copy of the same Slack app numbers its deliveries from the same counters, and
only its database tells them apart. The salt is read once and kept: reports need no database, and keep
needing none after the first read (``bot.runtime`` reads it at start).
"""

from __future__ import annotations

import secrets
import threading

from sqlalchemy import CheckConstraint, Column, Engine, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from digests.tables import UTCDateTime, as_utc

metadata = MetaData()

installation = Table(
    "installation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("salt", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("id = 1", name="ck_installation_one_row"),
)


class InstallSalt:
    """The salt, made by whichever process asks first (one row, id 1: the primary key picks the winner);
    called, it returns the salt, read once per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._salt: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._salt is None:
                self._salt = self._read() or self._make()
            return self._salt

    def _read(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(installation.c.salt).where(installation.c.id == 1)).scalar_one_or_none()

    def _make(self) -> str:
        try:
            with self.engine.begin() as conn:
                salt = secrets.token_hex(16)
                conn.execute(insert(installation).values(id=1, salt=salt, created_at=as_utc(None)))
                return salt
        except IntegrityError:  # another process made it a moment ago
            found = self._read()
            if found is None:
                raise
            return found
