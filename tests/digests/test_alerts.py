"""Alerts end to end: set over signed HTTP, checked by the scheduler's own code (``check_alerts``, which
the hourly job and ``python -m bot alerts`` run) while the sample Braze server changes its numbers
between checks: breach → one post, still breaching → nothing, clear → one reply in the thread, a lost
answer → still one post; and the commands' bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduler import DigestScheduler
from digests.alert_check import AlertContext, check_alerts
from fakes.braze import series_payload
from fakes.braze_kinds import campaign_series_payload, canvas_series_payload
from reports.stats import format_rate  # the number is computed here; only its format is shared
from tests.harness import CAMPAIGN, SEND, BotUnderTest, message_text

CMP = "cmp-alerts"


def today() -> datetime:
    return datetime.now(UTC)


def bounce_rate_today(bot: BotUnderTest) -> float:
    """bounces ÷ sent today, straight from the raw Braze JSON over the rows that report both."""
    payload = campaign_series_payload(bot.braze.campaigns[CMP], length=1, ending=bot.braze.current_day())
    rows = [row for day in payload["data"] for rows in day["messages"].values() for row in rows]
    both = [row for row in rows if "bounces" in row and "sent" in row]
    return sum(r["bounces"] for r in both) / sum(r["sent"] for r in both)


def ctx(bot: BotUnderTest) -> AlertContext:
    alerts = bot.runtime.alerts
    assert alerts is not None
    return alerts


def posts(bot: BotUnderTest, channel: str = "C_PUBLIC") -> list[dict]:
    """Every message that landed in ``channel`` (the Slack fake's channel, whatever answer the bot got),
    oldest first; the messages that share uploaded files left out."""
    return [m for m in bot.slack.messages_in(channel) if not m.get("files")]


def set_alert(bot: BotUnderTest, text: str, channel: str = "C_PUBLIC") -> str:
    url = bot.slack.new_response_url()
    ack = bot.command(f"alert {text}", channel_id=channel, response_url=url).json()["text"]
    bot.idle()
    private = [message_text(r) for r in bot.slack.responses.get(url, [])]
    return "\n".join([ack, *(message_text(p) for p in posts(bot, channel)), *private])


@pytest.fixture
def campaign(bot: BotUnderTest):
    return bot.braze.add_campaign(CMP, "Winter sale", days_ago=3)


def test_breach_posts_once_ongoing_posts_nothing_clear_replies_in_the_thread(bot: BotUnderTest, campaign) -> None:
    said = set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    [alert] = bot.runtime.store.alerts.in_channel("C_PUBLIC")
    assert f"alert #{alert.id}" in said and "bounce rate &gt; 5.0%" in said
    assert (alert.metric, alert.op, alert.threshold, alert.state) == ("bounce_rate", ">", 0.05, "ok")
    assert bounce_rate_today(bot) < 0.05
    before = len(posts(bot))

    first = check_alerts(ctx(bot))  # normal numbers: nothing to say
    assert first.exit_code == 0 and first.rules == 1 and first.posted == 0
    assert len(posts(bot)) == before

    campaign.email_bounce_share = 0.4  # Braze now reports 40% of email bouncing
    rate = bounce_rate_today(bot)
    assert rate > 0.05
    breach = check_alerts(ctx(bot))
    assert (breach.breaches, breach.posted, breach.exit_code) == (1, 1, 0)
    [post] = posts(bot)[before:]
    text = message_text(post)
    assert format_rate(rate) in text and "5.0%" in text and "today so far" in text
    assert post["metadata"]["event_type"] == "sendstats_alert"
    [upload] = bot.slack.calls_to("files.completeUploadExternal")
    assert upload.params["thread_ts"] == post["ts"]  # the chart, in the breach's thread
    [asked] = bot.slack.calls_to("files.getUploadURLExternal")
    first = campaign.first_day  # the chart starts at the campaign's first day (3 days ago), not 14 days back
    assert (
        f"Daily bounce rate against the alert's threshold for Winter sale, {first:%b} {first.day}"
        in (asked.params["alt_txt"])
    )

    campaign.email_bounce_share = 0.5  # worse, but the same breach: nothing more
    again = check_alerts(ctx(bot))
    assert (again.breaches, again.posted) == (0, 0)
    assert len(posts(bot)) == before + 1

    campaign.email_bounce_share = None  # back to normal
    clear = check_alerts(ctx(bot))
    assert (clear.clears, clear.posted) == (1, 1)
    [reply] = posts(bot)[before + 1 :]
    assert reply["thread_ts"] == post["ts"]
    assert "Back to normal" in reply["text"] and format_rate(bounce_rate_today(bot)) in reply["text"]

    assert check_alerts(ctx(bot)).posted == 0  # still normal: nothing
    assert len(posts(bot)) == before + 2
    listing = bot.command("alerts").json()["text"]
    assert f"#{alert.id}" in listing and "ok" in listing


def test_a_lost_answer_on_the_breach_post_is_looked_up_not_posted_again(bot: BotUnderTest, campaign) -> None:
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    before = len(posts(bot))
    campaign.email_bounce_share = 0.4
    bot.slack.lose_answer("chat.postMessage")  # the post lands; its answer never comes
    result = check_alerts(ctx(bot))
    assert len(posts(bot)) == before + 1
    assert result.posted == 1 and result.failed == 0
    [alert] = bot.runtime.store.alerts.in_channel("C_PUBLIC")
    [made] = bot.runtime.store.alert_posts.of_alert(alert.id)
    assert made.status == "posted" and made.message_ts == posts(bot)[-1]["ts"]
    assert bot.slack.calls_to("conversations.history"), "the lost post was looked up"
    assert check_alerts(ctx(bot)).posted == 0 and len(posts(bot)) == before + 1


def test_a_holder_that_died_after_posting_is_taken_over_and_its_post_found_not_repeated(
    bot: BotUnderTest, campaign
) -> None:
    """A process claimed the breach, marked it sent, posted it, and died before recording the answer."""
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    [alert] = bot.runtime.store.alerts.in_channel("C_PUBLIC")
    before = len(posts(bot))
    made = bot.runtime.store.alerts.observe(alert, value=0.4, day=today().date(), complete=False, now=today())
    assert made is not None
    dead = bot.runtime.store.alert_posts.claim(made.id, "dead-host:1:x", ctx(bot).keeper.lease, now=today())
    assert dead is not None and bot.runtime.store.alert_posts.mark_sent(made.id, "dead-host:1:x", now=today())
    ctx(bot).sender.post(alert, dead, title="Winter sale", thread_ts=None)  # it landed; then the process died
    assert len(posts(bot)) == before + 1
    campaign.email_bounce_share = 0.4
    assert check_alerts(ctx(bot)).posted == 0  # its lease is still fresh: nobody takes it
    later = today() + ctx(bot).keeper.lease + timedelta(seconds=1)
    result = check_alerts(ctx(bot), now=later)
    assert result.posted == 1 and len(posts(bot)) == before + 1  # found by its metadata, not posted again
    assert bot.runtime.store.alert_posts.get(made.id).message_ts == posts(bot)[-1]["ts"]


def test_a_post_whose_look_up_fails_too_waits_and_is_found_next_check(bot: BotUnderTest, campaign) -> None:
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    before = len(posts(bot))
    campaign.email_bounce_share = 0.4
    bot.slack.lose_answer("chat.postMessage")
    bot.slack.fail_next("conversations.history", "internal_error", status=500)
    first = check_alerts(ctx(bot))
    assert first.failed == 1 and first.exit_code == 1  # not known yet: said so
    assert len(posts(bot)) == before + 1
    later = ctx(bot).clock() + timedelta(minutes=5)
    second = check_alerts(ctx(bot), now=later)  # its backoff passed: looks first, finds it
    assert second.posted == 1 and len(posts(bot)) == before + 1


def test_a_channel_closed_to_the_bot_pauses_the_alert_and_tells_its_creator(bot: BotUnderTest, campaign) -> None:
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    before = len(posts(bot))
    campaign.email_bounce_share = 0.4
    bot.slack.fail_next("chat.postMessage", "is_archived")
    result = check_alerts(ctx(bot))
    assert result.failed == 1 and len(posts(bot)) == before
    [alert] = bot.runtime.store.alerts.in_channel("C_PUBLIC")
    assert alert.status == "paused"
    [dm] = [c.params["text"] for c in bot.slack.calls_to("chat.postMessage") if c.params.get("channel") == "U1"]
    assert f"alert #{alert.id}" in dm and f"/sendstats alert campaign {CMP} bounce_rate &gt; 5.0%" in dm
    assert check_alerts(ctx(bot)).rules == 0  # a paused alert is not checked
    assert "paused" in bot.command("alerts").json()["text"]
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")  # set again: active, and the breach still to post
    assert bot.runtime.store.alerts.get(alert.id).status == "active"
    assert check_alerts(ctx(bot), now=ctx(bot).clock() + timedelta(hours=1)).posted == 1


def test_two_checkers_at_once_post_once(bot: BotUnderTest, campaign) -> None:
    """Two checkers (two processes' contexts, each with its own lease holder) on one database."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from digests.lease import LeaseKeeper

    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    before = len(posts(bot))
    campaign.email_bounce_share = 0.4
    base = ctx(bot)
    other = replace(base, lease=LeaseKeeper(bot.runtime.store.alert_posts), stopping=base.stopping)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(check_alerts, [base, other]))
    assert sum(r.breaches for r in results) == 1 and sum(r.posted for r in results) == 1
    assert len(posts(bot)) == before + 1
    other.keeper.close()


def test_the_scheduler_runs_the_hourly_check(bot: BotUnderTest, campaign) -> None:
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    campaign.email_bounce_share = 0.4
    scheduler = DigestScheduler(bot.runtime.rounds, alerts=ctx(bot))
    result = scheduler.check_alerts()
    assert result is not None and result.posted == 1
    assert scheduler.scheduler.get_job("alerts:check") is None  # added at start, not before
    scheduler.start()
    try:
        job = scheduler.scheduler.get_job("alerts:check")
        assert job is not None and job.trigger.interval == timedelta(hours=1)
    finally:
        scheduler.shutdown()


def test_braze_refusing_a_target_is_a_check_not_made(bot: BotUnderTest, campaign) -> None:
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    bot.braze.refuse("/campaigns/data_series")
    result = check_alerts(ctx(bot))
    assert result.unchecked == 1 and result.exit_code == 1
    assert any("braze" in reason for reason in result.reasons)


@pytest.mark.slow  # a hung Braze
def test_a_hung_campaign_costs_its_own_alert_only(bot: BotUnderTest, campaign) -> None:
    from dataclasses import replace

    bot.braze.add_campaign("cmp-hung", "Hung", days_ago=3)
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    set_alert(bot, "campaign cmp-hung bounce_rate > 5%")
    before = len(posts(bot))
    campaign.email_bounce_share = 0.4
    bot.braze.misbehave("hang", campaign_id="cmp-hung")  # Braze never answers for this one
    quick = replace(ctx(bot), braze=bot.runtime.deps.braze)  # the tests' Braze client: a 4 s deadline
    result = check_alerts(quick)
    assert (result.unchecked, result.posted, result.exit_code) == (1, 1, 1)
    [breach] = posts(bot)[before:]
    assert "Winter sale" in breach["text"]


def test_remove_stops_the_alert(bot: BotUnderTest, campaign) -> None:
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    [alert] = bot.runtime.store.alerts.in_channel("C_PUBLIC")
    assert "Removed alert" in bot.command(f"alert remove {alert.id}").json()["text"]
    assert "no alerts" in bot.command("alerts").json()["text"]
    assert "No such alert" in bot.command(f"alert remove {alert.id}").json()["text"]
    before = len(posts(bot))
    campaign.email_bounce_share = 0.4
    assert check_alerts(ctx(bot)).rules == 0 and len(posts(bot)) == before


def test_an_alert_elsewhere_cannot_be_removed_from_here(bot: BotUnderTest, campaign) -> None:
    set_alert(bot, f"campaign {CMP} bounce_rate > 5%")
    [alert] = bot.runtime.store.alerts.in_channel("C_PUBLIC")
    reply = bot.command(f"alert remove {alert.id}", channel_id="C_OTHER").json()["text"]
    assert "No such alert in this channel" in reply
    assert bot.runtime.store.alerts.get(alert.id).status == "active"


def test_a_target_braze_refuses_stores_no_alert(bot: BotUnderTest) -> None:
    said = set_alert(bot, "campaign no-such-campaign bounce_rate > 5%")
    assert "No alert set" in said
    assert bot.runtime.store.alerts.in_channel("C_PUBLIC") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("campaign cmp-1 bounce > lots", "is not a number"),
        ("canvas cv-1 bounce_rate > 2%", "not something a Canvas reports"),
        ("campaign cmp-1 happiness > 2%", "not a metric I know"),
        ("campaign cmp-1 sent > 2%", "is a count"),
        ("campaign cmp-1 bounce_rate > 250%", "from 0% to 100%"),
        ("campaign cmp-1 bounce_rate = 2%", "write the rule"),
        ("cmp-1 bounce_rate > 2%", "not something I can watch"),
        ("remove first", "needs the number of an alert"),
    ],
)
def test_bad_alert_input_says_how_to_fix_it_and_stores_nothing(bot: BotUnderTest, text: str, expected: str) -> None:
    response = bot.command(f"alert {text}")
    assert response.status_code == 200
    reply = response.json()["text"]
    assert expected in reply and "Usage: `/sendstats alert" in reply and "<" not in reply.split("Usage")[1]
    bot.idle()
    assert bot.runtime.store.alerts.in_channel("C_PUBLIC") == [] and bot.braze.requests == []


def test_slack_escaped_operators_are_understood(bot: BotUnderTest, campaign) -> None:
    said = set_alert(bot, f"campaign {CMP} delivery_rate &lt; 95%")
    [alert] = bot.runtime.store.alerts.in_channel("C_PUBLIC")
    assert (alert.metric, alert.op, alert.threshold) == ("delivery_rate", "<", 0.95) and "alert #" in said


def test_an_alert_where_the_bot_cannot_post_is_not_kept(bot: BotUnderTest, campaign) -> None:
    said = set_alert(bot, f"campaign {CMP} bounce_rate > 5%", channel="G_PRIVATE")
    assert "No alert set" in said and "/invite @sendstats" in said
    assert bot.runtime.store.alerts.in_channel("G_PRIVATE") == [] and bot.runtime.store.alerts.active() == []


def test_a_canvas_alert_watches_conversions_per_entry(bot: BotUnderTest) -> None:
    canvas = bot.braze.add_canvas("cv-alerts", "Onboarding", days_ago=10)
    set_alert(bot, "canvas cv-alerts conversion_rate < 50%")
    before = len(posts(bot))
    result = check_alerts(ctx(bot))
    assert (result.breaches, result.posted) == (1, 1)
    [stats] = canvas_series_payload(canvas, length=1, ending=bot.braze.current_day())["data"]["stats"]
    rate = stats["total_stats"]["conversions"] / stats["total_stats"]["entries"]
    [breach] = posts(bot)[before:]
    assert format_rate(rate) in message_text(breach) and "below the alert's threshold of *50.0%*" in message_text(
        breach
    )


def test_a_send_alert_on_its_delivery_rate(bot: BotUnderTest) -> None:
    bot.braze.add_send(CAMPAIGN, SEND, days_ago=1)  # the day after its send day: about 1.5% not delivered
    said = set_alert(bot, f"send {CAMPAIGN} {SEND} delivery_rate < 99.9%")
    assert "send `" in said and "delivery rate &lt; 99.9%" in said
    before = len(posts(bot))
    assert check_alerts(ctx(bot)).posted == 1
    payload = series_payload(bot.braze.sends[(CAMPAIGN, SEND)], length=1, ending=bot.braze.current_day())
    rows = [row for day in payload["data"] for rows in day["messages"].values() for row in rows]
    # Push rows carry no ``delivered`` (Braze's documented push fields): the rate is over the rows that do.
    rows = [row for row in rows if "delivered" in row]
    assert rows, "the sample send must have a channel that reports delivered"
    rate = sum(r["delivered"] for r in rows) / sum(r["sent"] for r in rows)
    [breach] = posts(bot)[before:]
    assert format_rate(rate) in message_text(breach) and "Delivery rate" in message_text(breach)


def test_a_mention_asking_for_an_alert_points_to_the_slash_command(bot: BotUnderTest) -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "channel": "C_PUBLIC",
        "ts": "1700000000.000100",
        "text": "<@UBOT> alert campaign cmp-1 bounce_rate &gt; 2%",
    }
    assert bot.event(event).status_code == 200
    [call] = bot.slack.wait_for("chat.postMessage")
    bot.idle()
    reply = call.params
    assert reply["thread_ts"] == "1700000000.000100"
    assert "Alerts are managed with the slash command" in reply["text"]
    assert bot.runtime.store.alerts.active() == []
