"""Fixtures that run the real bot over HTTP against the Slack fake and the sample Braze server.

Loaded by ``tests/conftest.py``. The bot is built by :func:`bot.runtime.build_runtime` (the shipped
wiring) and served by waitress on 127.0.0.1, and requests are signed exactly as Slack signs them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from bot.config import Settings
from bot.db import METADATA
from bot.runtime import Runtime, build_runtime
from bot.server import HttpServer, make_wsgi
from fakes.braze import SampleBraze, series_payload
from fakes.settings import BOT_TOKEN, BRAZE_KEY, CAMPAIGN, SEND, SIGNING_SECRET, settings_values
from fakes.signing import FORM, JSON, event_body, post_signed, slash_command_body
from fakes.slack import SlackFake
from handlers.deps import utc_now
from handlers.jobs import FairJobs
from handlers.promises import Promises
from reports.braze import BrazeClient
from reports.pipeline import CampaignNames


def make_settings(slack: SlackFake, braze: SampleBraze, db_path: Path, **extra: Any) -> Settings:
    """The bot's settings pointing at the fakes (no .env file read)."""
    return Settings(_env_file=None, **settings_values(slack, braze, db_path, **extra))  # type: ignore[call-arg]


#: The in-process bot's overall Braze deadline: short, so hang and trickle tests end quickly.
BRAZE_DEADLINE = 4.0


def fast_braze(runtime: Runtime) -> None:
    """Swap in a Braze client with millisecond backoff so retry tests stay quick (same code path), for
    the reports, the digest rounds and the alert checks alike."""
    settings = runtime.settings
    braze = BrazeClient(
        settings.braze_rest_endpoint,
        settings.braze_api_key.get_secret_value(),
        company_timezone=settings.braze_company_timezone,
        backoff_initial=0.01,
        backoff_max=0.05,
        max_rate_limit_wait=5.0,
        deadline_seconds=BRAZE_DEADLINE,
    )
    names = CampaignNames(braze)
    runtime.deps.braze, runtime.deps.names = braze, names
    runtime.rounds = replace(runtime.rounds, braze=braze, names=names)
    if runtime.alerts is not None:
        runtime.alerts = replace(runtime.alerts, braze=braze, names=names)


class TrackingExecutor(FairJobs):
    """The shipped job pool, remembering its futures so a test can wait for all background work to end."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(active=max_workers)
        self.futures: list[Future[Any]] = []

    def submit_keyed(self, key: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit_keyed(key, fn, *args, **kwargs)
        self.futures.append(future)
        return future

    def drain(self, timeout: float) -> None:
        pending = list(self.futures)
        self.futures.clear()
        done, not_done = wait(pending, timeout=timeout)
        assert not not_done, f"{len(not_done)} background jobs still running after {timeout}s"
        for future in done:
            if future.exception() is not None:
                raise future.exception()  # type: ignore[misc]


@dataclass
class BotUnderTest:
    """The running bot plus the fakes it talks to."""

    url: str
    runtime: Runtime
    slack: SlackFake
    braze: SampleBraze

    def command(self, text: str, **kwargs: Any) -> httpx.Response:
        """POST a signed ``/sendstats`` as Slack does; a fresh response_url unless one is given."""
        kwargs.setdefault("response_url", self.slack.new_response_url())
        body = slash_command_body(text, **kwargs)
        return post_signed(f"{self.url}/slack/events", body, SIGNING_SECRET, FORM)

    def event(self, event: dict[str, Any], *, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        body = event_body(event, **kwargs)
        return post_signed(f"{self.url}/slack/events", body, SIGNING_SECRET, JSON, extra_headers=headers)

    def idle(self, timeout: float = 30.0) -> None:
        """Wait until every background job submitted so far has finished (and re-raise its error)."""
        jobs = self.runtime.deps.jobs
        assert isinstance(jobs, TrackingExecutor)
        jobs.drain(timeout)
        assert self.runtime.deps.lanes.wait_idle(timeout), "deliveries still queued"


#: In-process tests: Slack "processes" an upload in 0.05–0.1 s (not the fake's default second or two), and
#: the digest round first shows a shared chart 0.2 s after uploading it (not 2 s), then backs off as in
#: production. The order is the same (processing ends before the first try, a late end is retried), in a
#: tenth of the time. Tests about the processing delay itself set ``share_delay`` and the waits they need.
TEST_SHARE_DELAY = (0.05, 0.1)
TEST_PROCESSING_WAITS = (0.2, 0.2, 0.5, 1.0, 2.0)


@pytest.fixture(scope="session")
def slack_fake() -> Iterator[SlackFake]:
    with SlackFake(token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="session")
def braze_server() -> Iterator[SampleBraze]:
    with SampleBraze(api_key=BRAZE_KEY) as server:
        yield server


@pytest.fixture
def fakes(slack_fake: SlackFake, braze_server: SampleBraze) -> Iterator[tuple[SlackFake, SampleBraze]]:
    """Both fakes reset with one known send, for tests that run the bot as its own process."""
    slack_fake.reset()
    braze_server.reset()
    braze_server.sends.clear()
    braze_server.add_send(CAMPAIGN, SEND, days_ago=4)
    yield slack_fake, braze_server
    braze_server.reset()  # lets hung answers go


@pytest.fixture(scope="session")
def running_bot(
    slack_fake: SlackFake, braze_server: SampleBraze, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotUnderTest]:
    db = tmp_path_factory.mktemp("bot") / "sendstats.db"
    runtime = build_runtime(make_settings(slack_fake, braze_server, db))
    fast_braze(runtime)
    runtime.deps.jobs = TrackingExecutor(max_workers=4)
    runtime.rounds = replace(runtime.rounds, processing_waits=TEST_PROCESSING_WAITS)
    runtime.start()
    server = HttpServer(make_wsgi(runtime.app, runtime.health_state), host="127.0.0.1", port=0).start_background()
    yield BotUnderTest(f"http://127.0.0.1:{server.port}", runtime, slack_fake, braze_server)
    server.stop()
    runtime.deps.jobs.shutdown(wait=True)  # type: ignore[union-attr]
    runtime.close()


@pytest.fixture
def bot(running_bot: BotUnderTest) -> Iterator[BotUnderTest]:
    """The session's bot with both fakes reset and one known send registered."""
    running_bot.slack.reset()
    running_bot.braze.reset()
    running_bot.braze.sends.clear()
    running_bot.braze.campaigns.clear()
    running_bot.braze.canvases.clear()
    running_bot.braze.listed.clear()
    running_bot.braze.add_send(CAMPAIGN, SEND, days_ago=4)
    running_bot.slack.share_delay = TEST_SHARE_DELAY
    deps = running_bot.runtime.deps
    deps.delivery.pacer.reset()
    limits = getattr(deps.delivery.client, "limits", None)
    if limits is not None:  # the per-method buckets too, so no test inherits another's spent tokens
        limits.reset()
    deps.names.clear()
    deps.clock = utc_now
    deps.promises = Promises()  # no test sees another's open promises
    with deps.store.engine.begin() as conn:
        for metadata in METADATA:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    yield running_bot
    running_bot.idle()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def file_role(filename: str) -> str:
    """What a file a report uploads is, by the name the bot gives it: ``chart`` (the daily chart),
    ``variants`` (the error-bar chart of the variations) or ``csv`` (the daily series)."""
    if filename.endswith(".csv"):
        return "csv"
    return "variants" if "-variants-" in filename else "chart"


def daily_charts(files: list[Any]) -> list[Any]:
    """The daily charts among the fake's file shares (a report uploads its variants chart and CSV beside it)."""
    return [f for f in files if file_role(f.filename) == "chart"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE), "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def message_text(message: dict) -> str:
    """All text a person would see in a posted message (blocks flattened)."""
    parts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        for item in block.get("fields", []) + block.get("elements", []):
            if isinstance(item, dict) and "text" in item:
                parts.append(item["text"] if isinstance(item["text"], str) else item["text"].get("text", ""))
    return "\n".join(parts)


#: Braze's per-day figures beside ``messages``: they, not the rows' sums, are the totals.
DAY_FIGURES = (
    "unique_recipients",
    "conversions",
    "conversions_by_send_time",
    "conversions1",
    "conversions1_by_send_time",
    "revenue",
)


def expected_totals(bot: BotUnderTest, days: int = 14, channels: tuple[str, ...] | None = None) -> dict[str, float]:
    """Totals computed straight from the raw Braze JSON the sample server sends, independent of reports/:
    the rows' counters summed (only those of ``channels`` when given), and Braze's per-day figures summed
    over the days."""
    send = bot.braze.sends[(CAMPAIGN, SEND)]
    payload = series_payload(send, length=days, ending=bot.braze.current_day())
    totals: dict[str, float] = {}
    for day in payload["data"]:
        for channel, rows in day["messages"].items():
            for row in rows if channels is None or channel in channels else ():
                for key, value in row.items():
                    if key != "variation_name" and key not in DAY_FIGURES:
                        totals[key] = totals.get(key, 0) + value
        for key in DAY_FIGURES if channels is None else ():
            totals[key] = round(totals.get(key, 0) + day[key], 2)
    return totals


def make_subscription(bot: BotUnderTest, channel: str, *, send: str = SEND, created: datetime | None = None):
    """A subscription as ``subscribe`` stores it, made at ``created`` (default: two days ago)."""
    first_day = bot.braze.sends[(CAMPAIGN, send)].first_day
    sub, _ = bot.runtime.store.subscriptions.upsert(
        team_id="T1",
        channel_id=channel,
        kind="send",
        object_id=CAMPAIGN,
        send_id=send,
        hour=9,
        minute=0,
        timezone="UTC",
        created_by="U1",
        first_day=first_day,
        ends_on=first_day + timedelta(days=14),
        now=created or datetime.now(UTC) - timedelta(days=2),
    )
    return sub


def drop_schema(engine: Engine) -> None:
    """Drop every table and Alembic's version row, so the next upgrade starts from an empty database."""
    for metadata in METADATA:
        metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
