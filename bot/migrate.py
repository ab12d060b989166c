"""``python -m bot db upgrade|current``: migrate by hand, or see where the schema stands. Needs only
DATABASE_URL, so an operator can migrate without the Slack or Braze keys."""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy import Engine

from bot import db
from bot.config import DatabaseSettings
from bot.starting import database_problem


def main(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from digests.store import make_engine

    logging.basicConfig(level=logging.WARNING)
    url = DatabaseSettings().database_url
    try:
        engine = make_engine(url)
        try:
            state = upgrade(engine) if args.action == "upgrade" else current(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError, ValueError) as exc:  # refused, missing, unparsable: one line, no traceback
        verb = "upgrade" if args.action == "upgrade" else "read"
        print(f"sendstats cannot {verb} the schema: {database_problem(url, exc)}", file=sys.stderr)
        return 1
    print(f"{engine.url.render_as_string(hide_password=True)}: {state}")
    return 0


def upgrade(engine: Engine) -> str:
    before, after = db.upgrade(engine)
    change = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    return f"{change} {after}"


def current(engine: Engine) -> str:
    now, newest = db.current(engine), db.head()
    state = "up to date" if now == newest else f"behind: `python -m bot db upgrade` goes to {newest}"
    return f"at {now or 'no revision (empty, or made before migrations)'}; {state}"
