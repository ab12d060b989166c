"""What a start prints, as an operator reads it: a real ``python -m bot`` process against the fakes.

At the default log level a start says what an operator needs, in sendstats' own words, and no library
narrates its set-up; a start that cannot go on says why in one line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import db
from fakes.braze import SampleBraze
from fakes.slack import SlackFake
from tests.processes import ServedBot, clean_env, free_port, process_env

pytestmark = pytest.mark.slow

#: ``2026-12-04 19:33:55,050 INFO bot: message``: the format of :func:`bot.logs.configure`, one record a line.
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<message>.*)$")
OURS = {"bot", "handlers", "digests", "catalogue", "reports"}


def records(text: str) -> list[tuple[str, str, str]]:
    """(level, logger, message) of every line; a line that is not one log record fails the test."""
    found = []
    for line in text.splitlines():
        match = RECORD.match(line)
        assert match, f"not a log record: {line!r}"
        found.append((match["level"], match["logger"], match["message"]))
    return found


def test_a_start_prints_what_an_operator_needs_and_no_library_chatter(
    fakes: tuple[SlackFake, SampleBraze], tmp_path: Path
) -> None:
    slack, braze = fakes
    env = process_env(slack, braze, f"sqlite:///{tmp_path / 'fresh.db'}")
    del env["LOG_LEVEL"]  # the default level, as an operator who set nothing gets it
    bot = ServedBot(env, tmp_path, tmp_path / "bot.log")
    try:
        bot.wait_ready()
    finally:
        assert bot.stop() == 0
    logged = records(bot.log.read_text())
    assert {logger.split(".")[0] for _, logger, _ in logged} <= OURS, logged
    ready = f"sendstats ready, listening on :{bot.port} (POST /slack/events, GET /healthz)"
    start = logged[: [message for _, _, message in logged].index(ready) + 1]
    assert start == [
        ("INFO", "bot.db", f"database schema upgraded from empty to {db.head()}"),
        ("INFO", "bot.scheduler", "digest scheduler started with 0 slot(s)"),
        ("INFO", "bot", ready),
    ]
    assert ("INFO", "bot", "signal 15: shutting down") in logged


def test_a_refused_database_is_one_line_naming_database_url_without_its_password(
    fakes: tuple[SlackFake, SampleBraze], tmp_path: Path
) -> None:
    slack, braze = fakes
    url = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/sendstats"
    env = process_env(slack, braze, url, PORT=str(free_port()))
    del env["LOG_LEVEL"]
    run = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode != 0
    [line] = run.stderr.splitlines()
    assert line.startswith("sendstats cannot start: the database at DATABASE_URL=postgresql://postgres:***@127.0.0.1:")
    assert "refused" in line and "hunter2" not in run.stderr + run.stdout
    assert run.stdout == ""


def test_db_upgrade_against_a_refused_database_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/sendstats"
    run = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=clean_env(DATABASE_URL=url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    [line] = run.stderr.splitlines()
    assert line.startswith("sendstats cannot upgrade the schema: the database at DATABASE_URL=postgresql://postgres:***@")
    assert "hunter2" not in run.stderr + run.stdout and run.stdout == ""
