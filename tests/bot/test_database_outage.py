"""The database goes away and comes back while a real ``python -m bot`` runs on PostgreSQL.

The bot reaches PostgreSQL through :class:`fakes.tcp_proxy.TcpProxy`, which drops and refuses
connections (a restart) or accepts them and never answers (a partition); the machine's PostgreSQL
server itself is never touched. Every request is sent with Slack's own patience, a 3 s HTTP timeout:
an ack that does not arrive in time fails the test. Nothing else is timed; waits are bounds on an
outcome. (SQLite is embedded: it does not go away. Its one fault, a writer holding the file past
Slack's 3 s, is in ``tests/handlers/test_hostile_users.py``.)
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot import db
from digests.store import Store, make_engine
from fakes.braze import SampleBraze
from fakes.signing import block_actions_payload, block_suggestion_payload
from fakes.slack import SlackFake
from fakes.tcp_proxy import TcpProxy
from handlers.layout.blocks import button_value
from handlers.layout.catalogue_blocks import TARGET_ACTION, TARGET_BLOCK
from reports.kinds import Kind, Target
from tests.harness import CAMPAIGN, SEND, daily_charts, drop_schema, message_text
from tests.processes import SLACK_ACK_TIMEOUT, ServedBot, process_env

pytestmark = pytest.mark.slow

KIND_CAMPAIGN = "cmp-outage"


@pytest.fixture
def proxied_database(pg_url: str) -> Iterator[tuple[TcpProxy, str, Store]]:
    """The session's PostgreSQL database with the schema, the proxy in front of it, the bot's DATABASE_URL
    through the proxy, and a store that reaches the database directly (for the test's own reads)."""
    store = Store(make_engine(pg_url))
    db.upgrade(store.engine)
    direct = make_url(pg_url)
    with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        yield proxy, direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), store
    drop_schema(store.engine)  # the database is shared by the session: leave it empty
    store.dispose()


def health(bot: ServedBot) -> tuple[int, str]:
    answer = httpx.get(f"{bot.url}/healthz", timeout=SLACK_ACK_TIMEOUT)
    return answer.status_code, answer.text


def wait_until(what: str, condition: Callable[[], object], bot: ServedBot, timeout: float = 60) -> None:
    """Until ``condition()`` holds (a bound on the wait, not a timing); fails at once if the bot exits."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert bot.proc.poll() is None, f"the bot exited:\n{bot.log.read_text()}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s:\n{bot.log.read_text()}"
        time.sleep(0.2)


def acked(answer: httpx.Response) -> str:
    """The ack's text (what the user sees at once); the request itself had Slack's 3 s."""
    assert answer.status_code == 200, answer.text
    return str(answer.json().get("text", "")) if answer.content else ""


def private(slack: SlackFake, url: str) -> str:
    return "\n".join(message_text(r) for r in slack.responses.get(url, []))


def start_bot(slack: SlackFake, braze: SampleBraze, url: str, tmp_path: Path) -> ServedBot:
    braze.add_campaign(KIND_CAMPAIGN, "Outage Promo", days_ago=10)
    env = process_env(slack, braze, url, SCHEDULER="off", RENDER_PROCESSES="1")
    bot = ServedBot(env, tmp_path, tmp_path / "bot.log")
    bot.wait_ready()
    return bot


def subscription(store: Store, braze: SampleBraze) -> int:
    first_day = braze.sends[(CAMPAIGN, SEND)].first_day
    sub, _ = store.subscriptions.upsert(
        team_id="T1", channel_id="C_PUBLIC", kind="send", object_id=CAMPAIGN, send_id=SEND, hour=9, minute=0,
        timezone="UTC", created_by="U1", first_day=first_day, ends_on=first_day + timedelta(days=14),
        now=datetime.now(UTC) - timedelta(days=1),
    )
    return sub.id


def reports_in(slack: SlackFake, channel: str) -> list[str]:
    return [message_text(m) for m in slack.messages_in(channel) if "Spring Sale" in message_text(m)]


def test_a_postgresql_restart_keeps_every_ack_within_3_s_reports_delivered_and_healthz_honest(
    fakes: tuple[SlackFake, SampleBraze], proxied_database: tuple[TcpProxy, str, Store], tmp_path: Path
) -> None:
    slack, braze = fakes
    proxy, url, store = proxied_database
    sub_id = subscription(store, braze)
    bot = start_bot(slack, braze, url, tmp_path)
    try:
        assert health(bot) == (200, "ok\n")
        proxy.drop()  # the server restarts: its connections die, and new ones are refused meanwhile
        proxy.set_mode("refuse")
        wait_until("503 from /healthz", lambda: health(bot)[0] == 503, bot)
        assert health(bot) == (503, "database unavailable\n")
        pid = bot.proc.pid

        t = SLACK_ACK_TIMEOUT
        assert "Fetching send" in acked(bot.command(f"{CAMPAIGN} {SEND} 7", timeout=t))
        assert "Fetching campaign" in acked(bot.command(f"campaign {KIND_CAMPAIGN} 7", timeout=t))
        button = block_actions_payload("sendstats_rerun_7", value=button_value(Target(Kind.SEND, CAMPAIGN, SEND), 7))
        assert bot.interact(button, timeout=t).status_code == 200
        mention = {"type": "app_mention", "user": "U1", "channel": "C_PUBLIC", "ts": "1700000001.000100",
                   "text": f"<@UBOT> {CAMPAIGN} {SEND} 7"}
        assert bot.event(mention, timeout=t).status_code == 200

        found = acked(bot.command("find spring", timeout=t))
        assert "can't search names right now" in found and "unavailable" in found and "Try again" in found
        for command in ("list", f"unsubscribe {sub_id}"):
            answer = acked(bot.command(command, timeout=t))
            assert "database is not answering" in answer and "try again" in answer, (command, answer)
        sub_url, kind_sub_url = slack.new_response_url(), slack.new_response_url()
        assert "Checking send" in acked(bot.command(f"subscribe {CAMPAIGN} {SEND}", response_url=sub_url, timeout=t))
        assert "Checking campaign" in acked(
            bot.command(f"subscribe campaign {KIND_CAMPAIGN}", response_url=kind_sub_url, timeout=t)
        )
        assert bot.command("", timeout=t).status_code == 200  # the report modal
        [modal] = slack.wait_for("views.open")
        assert "names can't be searched right now" in json.dumps(modal.params["view"])
        typed = block_suggestion_payload(slack.opened_views[-1], TARGET_ACTION, KIND_CAMPAIGN, block_id=TARGET_BLOCK)
        options = bot.interact(typed, timeout=t)
        assert f"campaign:{KIND_CAMPAIGN}" in [o["value"] for o in options.json()["options"]]  # a typed ID still works

        # Reports need no database: the send report, the campaign report, the button's, the mention's.
        wait_until("four reports", lambda: len(daily_charts(slack.files)) >= 4, bot)
        assert len(reports_in(slack, "C_PUBLIC")) == 3  # the mention's is in its thread, not top level
        assert any(m.get("thread_ts") == "1700000001.000100" for m in slack.messages_in("C_PUBLIC"))
        wait_until("the subscribes' answers", lambda: private(slack, sub_url) and private(slack, kind_sub_url), bot)
        for answer in (private(slack, sub_url), private(slack, kind_sub_url)):
            assert "Not subscribed: my database is unavailable" in answer and "try again" in answer, answer
        assert not [m for m in slack.messages_in("C_PUBLIC") if "subscribed this channel" in message_text(m)]

        proxy.set_mode("pass")  # the database is back
        wait_until("200 from /healthz again", lambda: health(bot) == (200, "ok\n"), bot)
        assert bot.proc.pid == pid and bot.proc.poll() is None  # the same process, never restarted
        assert f"#{sub_id}" in acked(bot.command("list", timeout=t))
    finally:
        code = bot.stop()
    log = bot.log.read_text()
    assert code == 0, log
    assert "Traceback" not in log, log


def test_a_database_that_hangs_never_holds_an_ack_and_healthz_says_it_is_not_answering(
    fakes: tuple[SlackFake, SampleBraze], proxied_database: tuple[TcpProxy, str, Store], tmp_path: Path
) -> None:
    slack, braze = fakes
    proxy, url, store = proxied_database
    sub_id = subscription(store, braze)
    bot = start_bot(slack, braze, url, tmp_path)
    try:
        acked(bot.command("list", timeout=SLACK_ACK_TIMEOUT))  # the pool now holds live connections
        proxy.set_mode("hang")  # they, and every new one, now wait for an answer that never comes
        t = SLACK_ACK_TIMEOUT
        found = acked(bot.command("find spring", timeout=t))
        assert "can't search names right now: my database is not answering" in found
        list_url, unsubscribe_url = slack.new_response_url(), slack.new_response_url()
        assert "database is slow" in acked(bot.command("list", response_url=list_url, timeout=t))
        answer = bot.command(f"unsubscribe {sub_id}", response_url=unsubscribe_url, timeout=t)
        assert "database is slow" in acked(answer)
        assert bot.command("", timeout=t).status_code == 200
        [modal] = slack.wait_for("views.open")
        assert "not answering, so names can't be searched" in json.dumps(modal.params["view"])
        options = bot.interact(
            block_suggestion_payload(slack.opened_views[-1], TARGET_ACTION, KIND_CAMPAIGN, block_id=TARGET_BLOCK),
            timeout=t,
        )
        assert f"campaign:{KIND_CAMPAIGN}" in [o["value"] for o in options.json()["options"]]
        mention = {"type": "app_mention", "user": "U1", "channel": "C_PUBLIC", "ts": "1700000002.000100",
                   "text": f"<@UBOT> {CAMPAIGN} {SEND} 7"}
        assert bot.event(mention, timeout=t).status_code == 200
        assert "Fetching send" in acked(bot.command(f"{CAMPAIGN} {SEND} 7", timeout=t))
        wait_until("both reports", lambda: len(daily_charts(slack.files)) >= 2, bot)  # no database needed
        wait_until("/healthz saying so", lambda: health(bot)[0] == 503, bot)
        assert health(bot) == (503, "database not answering\n")

        # The slow ones are told their outcome privately: no new connection could be made (5 s).
        wait_until("the slow answers", lambda: private(slack, list_url) and private(slack, unsubscribe_url), bot)
        for url in (list_url, unsubscribe_url):
            [answer] = [r["text"] for r in slack.responses[url]]
            assert answer.startswith("⚠️ The database is not answering right now") and "try again" in answer
        assert store.subscriptions.get(sub_id).status == "active"  # nothing was changed indeed

        proxy.set_mode("pass")  # the held queries go through now
        wait_until("200 from /healthz again", lambda: health(bot) == (200, "ok\n"), bot)
        assert f"#{sub_id}" in acked(bot.command("list", timeout=t))
        assert f"Unsubscribed #{sub_id}" in acked(bot.command(f"unsubscribe {sub_id}", timeout=t))
    finally:
        code = bot.stop()
    assert code == 0, bot.log.read_text()
    assert "Traceback" not in bot.log.read_text()


def test_a_command_waiting_on_the_database_when_sigterm_arrives_still_gets_its_ack(
    fakes: tuple[SlackFake, SampleBraze], proxied_database: tuple[TcpProxy, str, Store], tmp_path: Path
) -> None:
    """The process stops listening at SIGTERM, but a request it already holds is answered: Slack got
    an ack, so the user sees one, not "failed with the error…"."""
    slack, braze = fakes
    proxy, url, _ = proxied_database
    bot = start_bot(slack, braze, url, tmp_path)
    try:
        proxy.drop()  # the pool's connections die, so the next query opens a new one, which the proxy holds
        proxy.set_mode("hang")
        accepted = proxy.accepted
        with ThreadPoolExecutor(1) as pool:
            asked = pool.submit(bot.command, "find spring", timeout=SLACK_ACK_TIMEOUT)
            wait_until("the find waiting on the database", lambda: proxy.accepted > accepted, bot)
            bot.proc.send_signal(signal.SIGTERM)
            answer = asked.result()
        assert "can't search names right now: my database is not answering" in acked(answer)
        with pytest.raises(httpx.TransportError):  # and nothing new is taken in
            bot.command("find spring", timeout=SLACK_ACK_TIMEOUT)
        bot.proc.wait(timeout=60)  # it ends by itself (a bound on the wait, not a timing)
    finally:
        proxy.set_mode("pass")
        code = bot.stop()  # the exit code (a second SIGTERM, if it still ran, changes nothing)
    assert code == 0, bot.log.read_text()
    assert "Traceback" not in bot.log.read_text(), bot.log.read_text()
