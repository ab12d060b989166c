"""The migration tests' database: an empty SQLite file and the session's PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from digests.store import make_engine
from tests.harness import drop_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'm.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    drop_schema(engine)
    try:
        yield engine
    finally:
        drop_schema(engine)
        engine.dispose()
