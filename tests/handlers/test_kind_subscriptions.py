"""Daily digests of whole campaigns and Canvases: subscribe over signed HTTP (command, report and find
buttons), then digest rounds against the sample Braze server, ending on archival or 14 quiet days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from digests.records import OPEN_END
from digests.round import run_round
from fakes.braze_kinds import campaign_series_payload, canvas_series_payload
from fakes.settings import SIGNING_SECRET
from fakes.signing import FORM, block_action_body, block_actions_payload, post_signed
from handlers.layout.blocks import KIND_SUBSCRIBE
from tests.harness import BotUnderTest, message_text

TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)


def subscribe(bot: BotUnderTest, text: str, channel: str = "C_PUBLIC") -> str:
    """``/sendstats subscribe …``; what the bot said in the channel or privately."""
    url = bot.slack.new_response_url()
    ack = bot.command(f"subscribe {text}", channel_id=channel, response_url=url).json()["text"]
    assert "Checking" in ack
    bot.idle()
    posts = [message_text(c.params) for c in bot.slack.calls_to("chat.postMessage") if c.response.get("ok")]
    return "\n".join(posts + [message_text(r) for r in bot.slack.responses.get(url, [])])


def subs(bot: BotUnderTest) -> list[Any]:
    return bot.runtime.store.subscriptions.active()


def posts(bot: BotUnderTest) -> list[Any]:
    """Posts that landed outside any thread (not the digests' chart replies)."""
    return [c for c in bot.slack.calls_to("chat.postMessage") if c.response.get("ok") and not c.params.get("thread_ts")]


def raw_email_sent(bot: BotUnderTest, campaign_id: str, day: date) -> int:
    """Email ``sent`` on ``day`` straight from the sample server's JSON (independent of reports/)."""
    payload = campaign_series_payload(bot.braze.campaigns[campaign_id], length=1, ending=day)
    return sum(row["sent"] for d in payload["data"] for row in d["messages"]["email"])


def raw_entries(bot: BotUnderTest, canvas_id: str, day: date) -> int:
    payload = canvas_series_payload(bot.braze.canvases[canvas_id], length=1, ending=day)
    return sum(d["total_stats"]["entries"] for d in payload["data"]["stats"])


@pytest.mark.slow  # Slack's pace of a post a second per channel
def test_campaign_and_canvas_digests_fetch_once_post_once_and_never_expire(bot: BotUnderTest) -> None:
    bot.braze.add_campaign("cmp-multi", "Multi-channel launch", days_ago=20)
    bot.braze.add_canvas("cv-flow", "Onboarding flow", days_ago=40)
    if "C_TEAM2" not in bot.slack.channels:
        bot.slack.add_channel("C_TEAM2")
    said = subscribe(bot, "campaign cmp-multi at 08:00 UTC")
    assert "Multi-channel launch" in said and "no end date" in said and "archived" in said
    subscribe(bot, "campaign cmp-multi", channel="C_TEAM2")
    # A named zone other than UTC whose date is always UTC's (no offset, no summer time): the round below
    # posts TODAY's digests, and Berlin's date is already tomorrow for the last hour or two of a UTC day.
    subscribe(bot, "canvas cv-flow at 07:30 Atlantic/Reykjavik")
    made = {(s.kind, s.object_id, s.channel_id) for s in subs(bot)}
    assert made == {
        ("campaign", "cmp-multi", "C_PUBLIC"),
        ("campaign", "cmp-multi", "C_TEAM2"),
        ("canvas", "cv-flow", "C_PUBLIC"),
    }
    assert all(s.ends_on == OPEN_END for s in subs(bot))
    bot.slack.reset()
    bot.braze.requests.clear()
    bot.braze.canvas_days_served.clear()

    result = run_round(bot.runtime.rounds, subs(bot), digest_date=TODAY)
    assert (result.posted, result.failed, result.ended) == (3, 0, 0)
    series = [r for r in bot.braze.requests if r.path in ("/campaigns/data_series", "/canvas/data_series")]
    assert sorted(r.path for r in series) == ["/campaigns/data_series", "/canvas/data_series"]  # once each
    [campaign_series] = [r for r in series if r.path == "/campaigns/data_series"]
    assert campaign_series.query["length"] == "14"
    assert [len(days) for days in bot.braze.canvas_days_served] == [14]  # asked by starting_at, 14 days
    by_channel = {(c.params["channel"], "Onboarding flow" in message_text(c.params)): c for c in posts(bot)}
    campaign_text = message_text(by_channel[("C_PUBLIC", False)].params)
    assert "Daily digest" in campaign_text and "Multi-channel launch" in campaign_text
    assert f"{raw_email_sent(bot, 'cmp-multi', YESTERDAY):,} sent" in campaign_text
    canvas_text = message_text(by_channel[("C_PUBLIC", True)].params)
    assert f"*Entries*\n{raw_entries(bot, 'cv-flow', YESTERDAY):,}" in canvas_text
    assert "Last 14 days" in canvas_text
    assert len(bot.slack.files) == 2  # each distinct chart uploaded once (the campaign's serves both channels)
    replies = [c for c in bot.slack.calls_to("chat.postMessage") if c.response.get("ok") and c.params.get("thread_ts")]
    assert len(replies) == 3  # and shown in each digest's thread

    again = run_round(bot.runtime.rounds, subs(bot), digest_date=TODAY)
    assert (again.posted, again.already_done) == (0, 3)
    canvas_subs = [s for s in subs(bot) if s.kind == "canvas"]  # (the sample campaign's sends die out)
    far = run_round(bot.runtime.rounds, canvas_subs, digest_date=TODAY + timedelta(days=30))
    assert (far.posted, far.ended) == (1, 0) and len(subs(bot)) == 3  # no 14-day expiry, unlike sends


def test_archived_campaign_gets_a_final_digest_and_ends(bot: BotUnderTest) -> None:
    campaign = bot.braze.add_campaign("cmp-old", "Spring promo", days_ago=10)
    subscribe(bot, "campaign cmp-old")
    campaign.archived = True
    result = run_round(bot.runtime.rounds, subs(bot), digest_date=TODAY)
    assert (result.posted, result.ended) == (1, 1)
    text = message_text(posts(bot)[-1].params)
    assert "Final digest" in text and "last digest" in text and "archived" in text
    assert subs(bot) == []
    channel = bot.runtime.store.subscriptions.in_channel("C_PUBLIC", include_inactive=True)
    later = run_round(bot.runtime.rounds, channel, digest_date=TODAY)
    assert later.posted == 0


def test_quiet_days_are_counted_from_the_subscription_and_14_end_it(bot: BotUnderTest) -> None:
    bot.braze.add_campaign("cmp-quiet", "Paused newsletter", days_ago=60, quiet_days=frozenset(range(30, 61)))
    subscribe(bot, "campaign cmp-quiet")
    [fresh] = subs(bot)
    first = run_round(bot.runtime.rounds, [fresh], digest_date=TODAY)
    assert (first.quiet, first.ended) == (1, 0)  # quiet for weeks, but only since yesterday for this channel
    assert "No activity on" in message_text(posts(bot)[-1].params)
    assert bot.slack.files == []

    store = bot.runtime.store
    bot.slack.add_channel("C_QUIET")  # another channel the bot is in
    old, _ = store.subscriptions.upsert(
        team_id="T1", channel_id="C_QUIET", kind="campaign", object_id="cmp-quiet", send_id="", hour=9, minute=0,
        timezone="UTC", created_by="U1", first_day=TODAY - timedelta(days=20), ends_on=OPEN_END,
        now=datetime.now(UTC) - timedelta(days=20),
    )
    ended = run_round(bot.runtime.rounds, [old], digest_date=TODAY)
    assert (ended.quiet, ended.ended) == (1, 1)
    text = message_text(posts(bot)[-1].params)
    assert "Final digest" in text and "nothing was sent for 14 days in a row" in text
    assert store.subscriptions.get(old.id).status == "ended"


def test_subscribe_refuses_archived_and_unknown_and_stores_nothing(bot: BotUnderTest) -> None:
    bot.braze.add_canvas("cv-done", "Retired journey", archived=True)
    said = subscribe(bot, "canvas cv-done")
    assert "Not subscribed" in said and "archived" in said
    said = subscribe(bot, "campaign no-such-campaign")
    assert "Not subscribed" in said and "no-such-campaign" in said
    assert subs(bot) == []


def test_find_and_report_subscribe_buttons_subscribe_the_channel(bot: BotUnderTest) -> None:
    bot.braze.add_canvas("cv-flow", "Onboarding flow", days_ago=40)
    assert bot.runtime.catalogue is not None
    bot.runtime.catalogue.refresh()
    answer = bot.command("find onboarding").json()
    button = next(
        e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == KIND_SUBSCRIBE
    )
    payload = block_actions_payload(KIND_SUBSCRIBE, value=button["value"], response_url=bot.slack.new_response_url())
    payload["container"]["is_ephemeral"] = True
    assert post_signed(f"{bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM).status_code == 200
    bot.idle()
    [sub] = subs(bot)
    assert (sub.kind, sub.object_id, sub.channel_id) == ("canvas", "cv-flow", "C_PUBLIC")
    assert "thread_ts" not in posts(bot)[-1].params  # the confirmation is in the channel

    listing = bot.command("list").json()["text"]
    assert "Canvas `cv-flow`" in listing and "ends when archived or after 14 quiet days" in listing
    reply = bot.command("unsubscribe canvas cv-flow").json()["text"]
    assert "Unsubscribed" in reply and subs(bot) == []
