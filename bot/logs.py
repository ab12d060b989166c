"""Logging set-up with a last line of defence: known secret values are masked in every record.

Libraries that narrate their routine work at INFO (Alembic's plugin set-up and migration context,
APScheduler's every job run) log only warnings and errors unless LOG_LEVEL is DEBUG, and httpx's line per
request never shows: at the default level the log says what an operator needs, in sendstats' own words.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from handlers.database import is_outage, reason_of

MASK = "[redacted]"
#: Libraries that log routine work at INFO; warnings only, unless LOG_LEVEL is DEBUG.
CHATTY = ("alembic", "apscheduler")


class OutagesInOneLine(logging.Filter):
    """A database outage is an event to report, not a bug to trace: a record that carries one (refused,
    dropped, timed out, locked) keeps the database's own reason on its line instead of a traceback, so
    a restart of the database is a few clear lines in the log rather than pages of frames."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and is_outage(error):
            record.msg, record.args = f"{record.getMessage()}: the database: {reason_of(error)}", None
            record.exc_info = None
            record.exc_text = None
        return True


class RedactSecrets(logging.Filter):
    """Replaces any configured secret that reaches a log record, whatever logger produced it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        cleaned = message
        for secret in self._secrets:
            cleaned = cleaned.replace(secret, MASK)
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if any(s in text for s in self._secrets):
                for secret in self._secrets:
                    text = text.replace(secret, MASK)
                cleaned = f"{cleaned}\n{text}"
                record.exc_info = None
                record.exc_text = None
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr with timestamps (once per process, at start)."""
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(OutagesInOneLine())
    handler.addFilter(RedactSecrets(secrets))
    root.addHandler(handler)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING)
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))  # one line per request, even at DEBUG
