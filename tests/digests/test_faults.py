"""Exactly once under the faults production has: real ``python -m bot digest`` processes killed with
SIGKILL at each step of a round, two processes with one killed, a round longer than its lease beside
a second process, a post answered after the client gave up, Slack down for rounds, a backfill, a hung
send. On SQLite and on PostgreSQL.

The verdict always comes from the Slack fake's record, not from our tables: each (channel, day) got
exactly one digest message and at most one chart. Leases, timeouts and waits are shortened through the
settings a deployment uses, so the suite stays quick; nothing here measures time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import make_url

from bot import db
from digests.store import Store, make_engine
from digests.tables import metadata
from fakes.braze import SampleBraze
from fakes.slack import DEFAULT_SHARE_DELAY, UPLOAD, SlackFake, TierLimits
from fakes.tcp_proxy import TcpProxy
from handlers.flows.digest_posting import CHART_EVENT_TYPE, EVENT_TYPE
from tests.harness import BOT_TOKEN, BRAZE_KEY, CAMPAIGN, SIGNING_SECRET, drop_schema
from tests.processes import OURS

#: Real bot processes (started, killed, stopped): left out by ``pytest -m "not slow"``.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TODAY = datetime.now(UTC).date()


@dataclass
class Scene:
    """The fakes, a clean database with due subscriptions (one channel each), and the bot's settings."""

    slack: SlackFake
    braze: SampleBraze
    store: Store
    url: str
    channels: list[str]
    tmp: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
        env.update(
            PYTHONPATH=str(REPO),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.slack.base_url,
            BRAZE_API_KEY=BRAZE_KEY,
            BRAZE_REST_ENDPOINT=self.braze.url,
            DATABASE_URL=self.url,
            SCHEDULER="off",
            RENDER_PROCESSES="0",
            LOG_LEVEL="INFO",
            DIGEST_LEASE_SECONDS="2",
            DIGEST_WAIT_SECONDS="90",
        )
        env.update(extra)
        return env

    def start(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        """``python -m bot digest …`` in its own process group (as a container runs it)."""
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "digest", *args],
            env=self.env(**extra),
            cwd=self.tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def run(self, *args: str, **extra: str) -> tuple[int, str]:
        proc = self.start(*args, **extra)
        out = proc.communicate(timeout=150)[0]
        return proc.returncode, out

    def digests(self) -> Counter[tuple[str, str]]:
        """Digest messages per (channel, day), from the messages Slack holds (tagged by metadata)."""
        found: Counter[tuple[str, str]] = Counter()
        with self.slack.locked():
            for channel, messages in self.slack.messages.items():
                for message in messages:
                    meta = message.get("metadata") or {}
                    if meta.get("event_type") == EVENT_TYPE:
                        found[(channel, meta["event_payload"]["digest_date"])] += 1
        return found

    def charts(self) -> Counter[tuple[str, str]]:
        """Charts per (channel, digest day) in the digests' threads, from what Slack holds: replies showing a
        shared upload (tagged ``sendstats_chart``) and files uploaded into a thread (the fallback)."""
        found: Counter[tuple[str, str]] = Counter()
        with self.slack.locked():
            for channel, messages in self.slack.messages.items():
                days = {
                    m["ts"]: m["metadata"]["event_payload"]["digest_date"]
                    for m in messages
                    if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE
                }
                for message in messages:
                    chart = (message.get("metadata") or {}).get("event_type") == CHART_EVENT_TYPE
                    if (chart or message.get("files")) and message.get("thread_ts") in days:
                        found[(channel, days[message["thread_ts"]])] += 1
        return found

    def uploads(self) -> int:
        """Chart bytes uploaded to Slack (each upload's second step)."""
        return len(self.slack.calls_to(UPLOAD))

    def assert_exactly_once(self, *days: date) -> None:
        digests, charts = self.digests(), self.charts()
        expected = {(c, d.isoformat()) for c in self.channels for d in days}
        assert set(digests) == expected, f"missing {expected - set(digests)}, unexpected {set(digests) - expected}"
        assert [k for k, n in digests.items() if n != 1] == [], f"doubled digests: {digests}"
        assert [k for k, n in charts.items() if n > 1] == [], f"doubled charts: {charts}"
        assert set(charts) == expected, f"digests without their chart: {expected - set(charts)}"
        for sub in [s for c in self.channels for s in self.store.subscriptions.in_channel(c, include_inactive=True)]:
            for delivery in self.store.deliveries.of_subscription(sub.id):
                if delivery.digest_date in days:
                    assert delivery.status == "posted", delivery
                    assert delivery.file_id is not None, f"chart never attached: {delivery}"

    def wait(self, what: str, condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if proc.poll() is not None:
                raise AssertionError(f"process ended before {what}:\n{proc.communicate()[0]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout}s")
            time.sleep(0.05)

    def delivery_rows(self) -> int:
        return sum(len(self.store.deliveries.of_subscription(sub.id)) for sub in self.store.subscriptions.active())


def _day_of(filename: str) -> str:
    """``sendstats-digest-<send>-YYYY-MM-DD.png`` → ``YYYY-MM-DD``."""
    return filename.removesuffix(".png")[-10:]


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the whole process group, as a container runtime does, and wait until it is empty."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError("processes of the killed group are still alive")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'faults.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.fixture
def make_scene(
    slack_fake: SlackFake, braze_server: SampleBraze, database_url: str, tmp_path: Path
) -> Iterator[Callable[..., Scene]]:
    slack_fake.reset()
    braze_server.reset()
    braze_server.sends.clear()
    store = Store(make_engine(database_url))
    db.upgrade(store.engine)
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())

    def make(subscriptions: int = 6, sends: int = 2) -> Scene:
        channels = []
        for n in range(sends):
            braze_server.add_send(CAMPAIGN, f"send-f{n}", days_ago=5 + n)
        for n in range(subscriptions):
            channel = f"C_FAULT{n:02d}"
            slack_fake.add_channel(channel)
            send = braze_server.sends[(CAMPAIGN, f"send-f{n % sends}")]
            store.subscriptions.upsert(
                team_id="T1", channel_id=channel, kind="send", object_id=CAMPAIGN, send_id=send.send_id, hour=0,
                minute=0, timezone="UTC", created_by="U1", first_day=send.first_day,
                ends_on=send.first_day + timedelta(days=14), now=datetime.now(UTC) - timedelta(days=3),
            )
            channels.append(channel)
        return Scene(slack_fake, braze_server, store, database_url, channels, tmp_path)

    yield make
    slack_fake.share_delay = DEFAULT_SHARE_DELAY
    slack_fake.release_late()
    braze_server.reset()
    drop_schema(store.engine)  # the PostgreSQL database is shared by the session: leave it empty
    store.dispose()


def test_sigkill_after_the_claim_the_post_and_the_chart_then_a_rerun_posts_each_digest_once(
    make_scene: Callable[..., Scene],
) -> None:
    """One round killed with digests at every step: claimed but not fetched (a send hangs at Braze),
    posted but unrecorded (Slack's answer to one post never reached the bot), charted but unrecorded
    (likewise for one chart), and done."""
    scene = make_scene(subscriptions=9, sends=3)
    scene.braze.send_latency["send-f0"] = 60
    scene.slack.answer_late("chat.postMessage", 60)
    scene.slack.answer_late("files.completeUploadExternal", 60)
    proc = scene.start()
    scene.wait("digests at every step", lambda: len(scene.charts()) >= 2 and len(scene.digests()) >= 4, proc)
    assert scene.delivery_rows() == 9
    kill_group(proc)
    scene.braze.send_latency.clear()
    scene.slack.release_late()
    code, out = scene.run()
    assert code == 0 and "failed 0" in out and "missed 0" in out, out
    scene.assert_exactly_once(TODAY)
    assert scene.slack.calls_to("conversations.history")


def test_sigkill_between_the_shared_upload_and_its_replies_never_uploads_it_again(
    make_scene: Callable[..., Scene],
) -> None:
    """Slack takes 8 s to process each chart, so every reply is refused meanwhile: the round is killed once
    both charts are uploaded and their file ids written, before any reply shows them. The rerun shows the
    very same files in every thread; no chart is uploaded again, none of the channels goes without it."""
    scene = make_scene(subscriptions=6, sends=2)
    scene.slack.share_delay = (8.0, 8.0)
    proc = scene.start()
    recorded = lambda: [c for c in _chart_rows(scene.store) if c.file_id]  # noqa: E731
    scene.wait("both charts uploaded", lambda: len(recorded()) == 2 and len(scene.digests()) == 6, proc)
    kill_group(proc)
    assert scene.charts() == Counter() and scene.uploads() == 2
    files = {c.file_id for c in recorded()}
    code, out = scene.run()
    assert code == 0 and "posted 6 " in out and "chart uploads 0" in out, out
    scene.assert_exactly_once(TODAY)
    assert scene.uploads() == 2
    with scene.slack.locked():
        shown = {
            b["slack_file"]["id"]
            for messages in scene.slack.messages.values()
            for m in messages
            if (m.get("metadata") or {}).get("event_type") == CHART_EVENT_TYPE
            for b in m["blocks"]
        }
    assert shown == files


def _chart_rows(store: Store) -> list:
    from sqlalchemy import select

    from digests.tables import digest_charts

    with store.engine.connect() as conn:
        return list(conn.execute(select(digest_charts)))


def test_two_processes_one_killed_the_survivor_takes_its_digests_over(make_scene: Callable[..., Scene]) -> None:
    scene = make_scene(subscriptions=12, sends=3)
    scene.slack.latency["chat.postMessage"] = 0.3
    victim, survivor = scene.start(), scene.start()
    scene.wait("posts", lambda: sum(scene.digests().values()) >= 4, victim)
    kill_group(victim)
    out = survivor.communicate(timeout=150)[0]
    scene.slack.latency.clear()
    assert survivor.returncode == 0 and "in progress elsewhere 0" in out, out
    scene.assert_exactly_once(TODAY)


def test_a_round_longer_than_its_lease_is_never_overtaken(make_scene: Callable[..., Scene]) -> None:
    scene = make_scene(subscriptions=6, sends=2)
    scene.braze.latency = 3  # each Braze call (the series, then the name) takes 1.5 leases
    slow = scene.start()
    scene.wait("claims", lambda: scene.delivery_rows() == len(scene.channels), slow)
    second = scene.start()
    outs = [slow.communicate(timeout=150)[0], second.communicate(timeout=150)[0]]
    assert [slow.returncode, second.returncode] == [0, 0], outs
    assert "posted 6 " in outs[0] and "posted 0 " in outs[1] and "already posted 6" in outs[1], outs
    scene.assert_exactly_once(TODAY)


def test_a_post_answered_after_the_client_gave_up_is_found_not_reposted(make_scene: Callable[..., Scene]) -> None:
    scene = make_scene(subscriptions=4, sends=1)
    scene.slack.answer_late("chat.postMessage", 4, times=4)
    code, out = scene.run(SLACK_TIMEOUT_SECONDS="1")
    assert code == 0 and "posted 4 " in out, out
    scene.assert_exactly_once(TODAY)
    [lookup, *_] = scene.slack.calls_to("conversations.history")
    assert str(lookup.params["include_all_metadata"]).lower() in ("1", "true")


@pytest.mark.parametrize("share_wait", ["15", "0"])
def test_a_chart_whose_upload_answer_was_lost_is_found_once_slack_has_shared_it(
    make_scene: Callable[..., Scene], share_wait: str
) -> None:
    """Slack completes the upload but its answer comes after the client gave up, and Slack shares the file
    only 10 s later (processing). The round's look-up comes about 3 s after the upload: it must wait for
    the share, not upload the chart a second time. ``SLACK_SHARE_WAIT_SECONDS=0`` (look once) shows what
    the wait prevents."""
    scene = make_scene(subscriptions=2, sends=1)
    scene.slack.share_delay = (10.0, 10.0)
    scene.slack.answer_late("files.completeUploadExternal", 4, times=2)
    # the upload into each digest's thread (what a digest whose channel refuses the shared chart does)
    code, out = scene.run(SLACK_TIMEOUT_SECONDS="1", SLACK_SHARE_WAIT_SECONDS=share_wait, DIGEST_SHARED_CHARTS="false")
    assert code == 0 and "posted 2 " in out, out
    scene.slack.wait_shared(count=len(scene.slack.files), timeout=30)
    if share_wait == "0":
        assert len(scene.slack.calls_to(UPLOAD)) == 4, "without the wait, each chart is uploaded twice"
        assert set(scene.charts().values()) == {2}
        return
    scene.assert_exactly_once(TODAY)
    assert len(scene.slack.calls_to(UPLOAD)) == 2  # each chart's bytes went up once


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_install_outside_the_marketplace_finds_lost_posts_at_one_look_up_a_minute(
    make_scene: Callable[..., Scene],
) -> None:
    """Slack gives apps distributed outside the Marketplace ``conversations.history`` at 1 call a minute
    and at most 15 messages. Set up for it (SLACK_HISTORY_CALLS_PER_MINUTE=1, SLACK_HISTORY_LIMIT=15), a
    round whose post answers are lost finds each post among the channel's newest 15 messages, waiting
    its turn for each look-up instead of collecting 429s, and posts each digest once."""
    scene = make_scene(subscriptions=2, sends=1)
    other = scene.slack.add_app("xoxb-other-app")
    chatter = WebClient(token=other.token, base_url=scene.slack.base_url)
    for channel in scene.channels:
        for n in range(20):  # a busy channel: more than one look-up's worth of older messages
            chatter.chat_postMessage(channel=channel, text=f"chatter {n}")
    scene.slack.non_marketplace = True
    scene.slack.enable_tiers(TierLimits(non_marketplace=True))
    scene.slack.answer_late("chat.postMessage", 4, times=2)
    try:
        code, out = scene.run(
            SLACK_TIMEOUT_SECONDS="1", SLACK_HISTORY_CALLS_PER_MINUTE="1", SLACK_HISTORY_LIMIT="15"
        )
    finally:
        scene.slack.non_marketplace = False
        scene.slack.disable_tiers()
    assert code == 0 and "posted 2 " in out, out
    scene.assert_exactly_once(TODAY)
    look_ups = scene.slack.calls_to("conversations.history")
    # one look-up per lost post (a look-up whose own answer outlasts the 1 s timeout on a busy machine is
    # made again), every one at the pace Slack allows: none refused
    assert len(look_ups) >= 2 and all(c.status == 200 for c in look_ups), [c.response for c in look_ups]
    assert {int(c.params["limit"]) for c in look_ups} == {15}


def test_slack_down_for_several_rounds_then_back(make_scene: Callable[..., Scene]) -> None:
    scene = make_scene(subscriptions=4, sends=1)
    scene.slack.fail_next("chat.postMessage", "service_unavailable", status=503, times=8)
    for _ in range(2):
        code, out = scene.run()
        assert code == 1 and "failed 4" in out and "http_503" in out, out
    assert scene.digests() == Counter()
    code, out = scene.run()
    assert code == 0 and "posted 4 " in out, out
    scene.assert_exactly_once(TODAY)


def test_backfill_of_an_earlier_day_posts_it_whatever_later_days_hold(make_scene: Callable[..., Scene]) -> None:
    scene = make_scene(subscriptions=4, sends=2)
    code, out = scene.run()
    assert code == 0, out
    yesterday = TODAY - timedelta(days=1)
    code, out = scene.run("--date", yesterday.isoformat())
    assert code == 0 and "posted 4 " in out, out
    scene.assert_exactly_once(TODAY, yesterday)


def test_a_hung_send_delays_only_its_own_subscribers(make_scene: Callable[..., Scene]) -> None:
    scene = make_scene(subscriptions=6, sends=3)
    scene.braze.send_latency["send-f0"] = 60
    hung = {c for n, c in enumerate(scene.channels) if n % 3 == 0}
    proc = scene.start()
    others = {(c, TODAY.isoformat()) for c in scene.channels if c not in hung}
    scene.wait("the other sends' digests", lambda: others <= set(scene.digests()), proc)
    assert not any(c in hung for c, _ in scene.digests()) and proc.poll() is None
    scene.braze.send_latency.clear()
    kill_group(proc)  # the hung fetch would end by Braze's deadline; a rerun finishes the job
    code, out = scene.run()
    assert code == 0, out
    scene.assert_exactly_once(TODAY)


def test_sigterm_ends_a_round_in_bounded_time_and_leaves_it_resumable(make_scene: Callable[..., Scene]) -> None:
    scene = make_scene(subscriptions=4, sends=2)
    scene.braze.send_latency["send-f1"] = 120  # one send hangs: SIGTERM must not wait for it
    proc = scene.start()
    scene.wait("the healthy send's digests", lambda: len(scene.digests()) >= 2, proc)
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode != 0, out  # a round cut short is not a success
    scene.braze.send_latency.clear()
    code, out = scene.run()
    assert code == 0, out
    scene.assert_exactly_once(TODAY)


def _descendants(pid: int) -> set[int]:
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, set()).add(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_render_workers_and_resource_tracker_exit_when_their_parent_is_killed(
    make_scene: Callable[..., Scene], database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("about processes, not databases: once is enough")
    scene = make_scene(subscriptions=2, sends=1)
    scene.braze.latency = 60
    proc = scene.start(RENDER_PROCESSES="1")
    scene.wait("claims", lambda: scene.delivery_rows() == 2, proc)
    children = _descendants(proc.pid)
    assert len(children) >= 2, children  # the render worker and the resource tracker
    proc.kill()  # the parent alone: its children get no signal from us
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in children if _alive(pid)] == []


def test_a_clock_process_takes_over_a_killed_rounds_digests_and_stops_on_sigterm(
    make_scene: Callable[..., Scene], database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the takeover is covered on PostgreSQL above; this is about the clock process")
    scene = make_scene(subscriptions=6, sends=2)
    scene.slack.answer_late("chat.postMessage", 60)
    victim = scene.start()
    scene.wait("posts", lambda: sum(scene.digests().values()) >= 2, victim)
    kill_group(victim)
    scene.slack.release_late()
    clock = subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        env=scene.env(SCHEDULER="on", DIGEST_SWEEP_SECONDS="1"),
        cwd=scene.tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        scene.wait("every digest", lambda: len(scene.digests()) == 6 and len(scene.charts()) == 6, clock)
        time.sleep(1.5)  # a few more sweeps: none may post again
    finally:
        clock.send_signal(signal.SIGTERM)
        out = clock.communicate(timeout=60)[0]
    assert clock.returncode == 0, out
    scene.assert_exactly_once(TODAY)


@pytest.fixture
def proxied(database_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """The proxy in front of the session's PostgreSQL database, and its URL through the proxy."""
    if database_url.startswith("sqlite"):
        pytest.skip("an SQLite file does not go away like a database server (its lock is in test_hostile_users)")
    direct = make_url(database_url)
    with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        yield proxy, direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def test_a_round_that_loses_its_database_ends_by_itself_in_one_clear_line_and_the_next_posts_the_rest(
    make_scene: Callable[..., Scene], proxied: tuple[TcpProxy, str]
) -> None:
    """A PostgreSQL restart mid-round: one send's digests are out (charts still uploading), the other's
    are still being fetched from Braze, when the database drops every connection and refuses new ones."""
    proxy, url = proxied
    scene = make_scene(subscriptions=6, sends=2)
    scene.url = url  # the bot goes through the proxy; the test's own store reads the database directly
    scene.braze.send_latency["send-f1"] = 6
    scene.slack.latency["files.completeUploadExternal"] = 3
    proc = scene.start()
    first = {(c, TODAY.isoformat()) for n, c in enumerate(scene.channels) if n % 2 == 0}
    scene.wait("the first send's digests", lambda: first <= set(scene.digests()), proc)
    proxy.drop()
    proxy.set_mode("refuse")
    out = proc.communicate(timeout=120)[0]  # it must end by itself: a bound, not a timing
    assert proc.returncode == 1, out
    assert "Traceback" not in out, out
    [line] = [x for x in out.splitlines() if "lost its database" in x]
    assert "DATABASE_URL=postgresql://" in line and "run the round again once the database is back" in line, line
    assert set(scene.digests()) == first and max(scene.digests().values()) == 1

    proxy.set_mode("pass")
    scene.braze.send_latency.clear()
    scene.slack.latency.clear()
    code, out = scene.run()
    assert code == 0 and "failed 0" in out, out
    scene.assert_exactly_once(TODAY)
