"""Campaign and Canvas reports end to end: signed commands, mentions and buttons over HTTP, asserted on
what the Slack fake received. Expected numbers are computed here from the raw JSON the sample Braze
server serves, independently of reports/."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fakes.braze_kinds import (
    CAMPAIGN_SERIES_PATH,
    CANVAS_SERIES_PATH,
    campaign_series_payload,
    canvas_series_payload,
)
from fakes.signing import FORM, block_action_body, block_actions_payload, post_signed
from tests.harness import BRAZE_KEY, SIGNING_SECRET, BotUnderTest, daily_charts, message_text, png_size

MULTI = "cmp-multichannel-01"
JOURNEY = "cnv-journey-01"


def private_reply(bot: BotUnderTest, url: str) -> str:
    bot.idle()
    replies = bot.slack.responses.get(url, [])
    assert replies, "nothing was sent to the response_url"
    return "\n".join(message_text(r) for r in replies)


def raw_channel_totals(payload: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per Braze channel key, every numeric field summed over days and variations."""
    totals: dict[str, dict[str, float]] = {}
    for day in payload["data"]:
        for channel, rows in day["messages"].items():
            bucket = totals.setdefault(channel, {})
            for row in rows:
                for key, value in row.items():
                    if isinstance(value, int | float):
                        bucket[key] = bucket.get(key, 0) + value
    return totals


def report_post(bot: BotUnderTest) -> dict[str, Any]:
    post = bot.slack.wait_for("chat.postMessage")[0]
    bot.slack.wait_for("files.completeUploadExternal")
    bot.idle()
    return post


def section_of(post: dict[str, Any], heading: str) -> str:
    """The text of the section that starts with ``*heading*``."""
    for block in post.params["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if block["type"] == "section" and text.startswith(f"*{heading}*"):
            return text
    raise AssertionError(f"no section {heading!r} in {message_text(post.params)}")


def n(value: float) -> str:
    return f"{int(value):,}"


def pct(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator * 100:.1f}%"


def test_multichannel_campaign_shows_each_channel_with_its_own_numbers(bot: BotUnderTest) -> None:
    campaign = bot.braze.add_campaign(MULTI, "Winter newsletter", days_ago=6)
    response = bot.command(f"campaign {MULTI} 10")
    assert response.status_code == 200 and "Fetching campaign" in response.json()["text"]
    post = report_post(bot)

    raw = raw_channel_totals(campaign_series_payload(campaign, length=10, ending=bot.braze.current_day()))
    email = section_of(post, "Email")
    e = raw["email"]
    for name in ("sent", "delivered", "opens", "unique_opens", "unique_clicks", "unsubscribes", "reported_spam"):
        assert f"{name.replace('_', ' ')} {n(e[name])}" in email
    assert f"unique open rate {pct(e['unique_opens'], e['delivered'])}" in email
    assert f"click-to-open {pct(e['unique_clicks'], e['unique_opens'])}" in email
    assert f"unsubscribe rate {pct(e['unsubscribes'], e['delivered'])}" in email
    assert f"spam rate {pct(e['reported_spam'], e['delivered'])}" in email
    assert "÷" not in email  # each formula is written once, in the footer

    push = section_of(post, "Push")
    ios, android = raw["ios_push"], raw["android_push"]
    assert f"sent {n(ios['sent'] + android['sent'])}" in push
    assert f"direct opens {n(ios['direct_opens'] + android['direct_opens'])}" in push
    assert f"total opens {n(ios['total_opens'] + android['total_opens'])}" in push
    assert "unique open" not in push and "delivered" not in push  # push has no such metrics in Braze

    sms = section_of(post, "SMS")
    assert f"delivered {n(raw['sms']['delivered'])}" in sms
    assert f"delivery failed {n(raw['sms']['delivery_failed'])}" in sms
    webhook = section_of(post, "Webhook")
    assert f"errors {n(raw['webhook']['errors'])}" in webhook and "opens" not in webhook
    in_app = section_of(post, "In-app message")
    assert f"impressions {n(raw['trigger_in_app_message']['impressions'])}" in in_app
    assert f"first button clicks {n(raw['trigger_in_app_message']['first_button_clicks'])}" in in_app

    text = message_text(post.params)
    assert "Winter newsletter" in text  # the name came from /campaigns/details
    assert "Variant 1" in text and "Variant 2" in text
    [share] = daily_charts(bot.slack.files)
    assert share.thread_ts == post.response["ts"] and png_size(share.content)[0] >= 800
    [request] = bot.braze.kind_requests(CAMPAIGN_SERIES_PATH)
    assert request.query == {"campaign_id": MULTI, "length": "10"}
    assert request.headers["Authorization"] == f"Bearer {BRAZE_KEY}"


def test_one_details_call_names_the_variations_and_events_and_the_headline_adds_only_sent(bot: BotUnderTest) -> None:
    campaign = bot.braze.add_campaign(MULTI, "Winter newsletter", days_ago=6)
    bot.braze.requests.clear()
    bot.command(f"campaign {MULTI} 10")
    post = report_post(bot)
    raw = raw_channel_totals(campaign_series_payload(campaign, length=10, ending=bot.braze.current_day()))
    text = message_text(post.params)
    # every channel that reports sent, added: the one figure that means the same in each
    sent = {k: v["sent"] for k, v in raw.items() if "sent" in v}
    assert f"*Sent {n(sum(sent.values()))} messages*: " in text
    assert f"Content Cards {n(sent['content_cards'])}" in text and f"WhatsApp {n(sent['whats_app'])}" in text
    assert f"push {n(sent['ios_push'] + sent['android_push'])}" in text
    # /campaigns/details, once for the title, the variation names and the conversion events
    assert len(bot.braze.kind_requests("/campaigns/details")) == 1
    assert "Makes specific purchase: Feline Body Armor (A)" in text
    assert "Performs custom event: Used Feline Body Armor (B)" in text
    variations = section_of(post, "By variation")
    assert "*B* Variant 1" in variations  # rows carried only variation_api_id; the details name them
    assert "SMS variation without a name (var-1-sms)" in variations  # Braze names no SMS message


def test_campaign_conversions_are_campaign_level(bot: BotUnderTest) -> None:
    campaign = bot.braze.add_campaign(MULTI, "Winter newsletter", days_ago=3)
    bot.command(f"campaign {MULTI}")
    post = report_post(bot)
    days = campaign_series_payload(campaign, length=30, ending=bot.braze.current_day())["data"]
    conversions = sum(d["conversions"] for d in days)
    recipients = sum(d["unique_recipients"] for d in days)
    text = message_text(post.params)
    assert f"*Conversions*\n{n(conversions)}  (conv. {pct(conversions, recipients)})" in text
    assert f"*Unique recipients*\n{n(recipients)}" in text
    assert bot.braze.kind_requests(CAMPAIGN_SERIES_PATH)[0].query["length"] == "30"  # the default


def canvas_totals(payload: dict[str, Any]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    total: dict[str, float] = {}
    variants: dict[str, dict[str, float]] = {}
    for day in payload["data"]["stats"]:
        for key, value in day["total_stats"].items():
            total[key] = total.get(key, 0) + value
        for item in day["variant_stats"].values():
            bucket = variants.setdefault(item["name"], {})
            for key in ("entries", "conversions"):
                bucket[key] = bucket.get(key, 0) + item[key]
    return total, variants


def test_multivariant_canvas_reports_entries_and_conversions_per_variant(bot: BotUnderTest) -> None:
    canvas = bot.braze.add_canvas(JOURNEY, "Onboarding journey", days_ago=30)
    bot.command(f"canvas {JOURNEY} 7")
    post = report_post(bot)
    total, variants = canvas_totals(canvas_series_payload(canvas, length=7, ending=bot.braze.current_day()))
    text = message_text(post.params)
    assert "Onboarding journey" in text
    assert f"*Entries*\n{n(total['entries'])}" in text
    assert f"*Conversions*\n{n(total['conversions'])}  (conv. {pct(total['conversions'], total['entries'])})" in text
    table = section_of(post, "By variant")
    assert len(variants) == 3
    # names too long to sit beside the numbers on a phone are keyed by letter, with a legend below
    keys = dict(re.findall(r"^\*([A-Z])\* (.+)$", table, re.MULTILINE))
    key_of = {name: key for key, name in keys.items()}
    for name, numbers in variants.items():
        row = next(
            line for line in table.splitlines() if line.split(" ")[0] == key_of.get(name) or line.startswith(name)
        )
        assert n(numbers["entries"]) in row and pct(numbers["conversions"], numbers["entries"]) in row
    [request] = bot.braze.kind_requests(CANVAS_SERIES_PATH)
    assert request.query["include_variant_breakdown"] == "true"
    assert request.query["ending_at"] and request.query["starting_at"]  # ending_at is required for Canvases
    assert len(bot.braze.canvas_days_served[0]) == 7
    assert png_size(daily_charts(bot.slack.files)[0].content)[0] >= 800


def test_canvas_range_over_14_days_is_fetched_in_pieces_and_joined(bot: BotUnderTest) -> None:
    canvas = bot.braze.add_canvas(JOURNEY, "Onboarding journey", days_ago=80)
    until = bot.braze.current_day() - timedelta(days=2)
    bot.command(f"canvas {JOURNEY} 40 until {until.isoformat()}")
    post = report_post(bot)
    requests = bot.braze.kind_requests(CANVAS_SERIES_PATH)
    assert [len(days) for days in bot.braze.canvas_days_served] == [14, 14, 12]
    ends = [datetime.fromisoformat(r.query["ending_at"]).date() for r in requests]
    assert ends == [until, until - timedelta(days=14), until - timedelta(days=28)]
    total, _ = canvas_totals(canvas_series_payload(canvas, length=40, ending=until))
    text = message_text(post.params)
    assert f"*Entries*\n{n(total['entries'])}" in text
    assert "(40 days, 40 with data)" in text


@pytest.mark.parametrize(
    ("command", "path", "permission"),
    [
        (f"campaign {MULTI}", CAMPAIGN_SERIES_PATH, "campaigns.data_series"),
        (f"canvas {JOURNEY} 30", CANVAS_SERIES_PATH, "canvas.data_series"),
    ],
)
def test_403_names_the_permission_of_the_endpoint(bot: BotUnderTest, command: str, path: str, permission: str) -> None:
    bot.braze.add_campaign(MULTI, "Winter newsletter")
    bot.braze.add_canvas(JOURNEY, "Onboarding journey")
    bot.braze.fail_next(403, {"message": "Insufficient permissions"}, path=path)
    url = bot.slack.new_response_url()
    bot.command(command, response_url=url)
    text = private_reply(bot, url)
    assert f"`{permission}` permission" in text
    assert bot.slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(("kind", "noun"), [("campaign", "campaign"), ("canvas", "Canvas")])
def test_unknown_id_explains_itself(bot: BotUnderTest, kind: str, noun: str) -> None:
    url = bot.slack.new_response_url()
    bot.command(f"{kind} no-such-id-42", response_url=url)
    text = private_reply(bot, url)
    assert f"Braze does not know {noun} `no-such-id-42`" in text and "API identifier" in text
    assert BRAZE_KEY not in text
    assert bot.slack.calls_to("chat.postMessage") == []


def test_campaign_without_data_in_range_says_so(bot: BotUnderTest) -> None:
    bot.braze.add_campaign(MULTI, "Winter newsletter", days_ago=-5)  # starts in the future: no days yet
    url = bot.slack.new_response_url()
    bot.command(f"campaign {MULTI} 7", response_url=url)
    assert "no data for campaign" in private_reply(bot, url)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("campaign", "needs a campaign ID"),
        ("canvas", "needs a Canvas ID"),
        ("campaign abc 101", "1 to 100"),
        ("canvas abc 0", "1 to 100"),
        ("canvas abc 7 until 2999-01-01", "in the future"),
        ("campaign <@U1>", "not a Braze ID"),
    ],
)
def test_malformed_kind_commands_get_usage_and_never_reach_braze(bot: BotUnderTest, text: str, expected: str) -> None:
    reply = bot.command(text).json()["text"]
    assert expected in reply and "Usage:" in reply
    assert f"/sendstats {text.split()[0]} {text.split()[0].upper()}_ID" in reply  # never <…>: Slack eats it
    bot.idle()
    assert bot.braze.requests == []


def test_canvas_mention_in_thread_answers_there(bot: BotUnderTest) -> None:
    bot.braze.add_canvas(JOURNEY, "Onboarding journey")
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@UBOT> canvas {JOURNEY} 5",
        "ts": "1764401000.000200",
        "thread_ts": "1764401000.000100",
        "channel": "C_PUBLIC",
    }
    assert bot.event(event).status_code == 200
    post = report_post(bot)
    assert post.params["thread_ts"] == "1764401000.000100"
    assert bot.slack.files[0].thread_ts == "1764401000.000100"
    assert [len(days) for days in bot.braze.canvas_days_served] == [5]


def test_rerun_button_on_a_campaign_report_runs_that_range_in_the_thread(bot: BotUnderTest) -> None:
    bot.braze.add_campaign(MULTI, "Winter newsletter")
    bot.command(f"campaign {MULTI} 7")
    post = report_post(bot)
    [actions] = [b for b in post.params["blocks"] if b["type"] == "actions"]
    buttons = {e["action_id"]: e for e in actions["elements"]}
    reruns = {"sendstats_rerun_campaign_7", "sendstats_rerun_campaign_30", "sendstats_rerun_campaign_90"}
    assert set(buttons) == reruns | {"sendstats_subscribe_kind"}
    bot.slack.reset()
    bot.braze.reset()
    ts = post.response["ts"]
    payload = block_actions_payload(
        "sendstats_rerun_campaign_90",
        value=buttons["sendstats_rerun_campaign_90"]["value"],
        channel_id="C_PUBLIC",
        message_ts=ts,
        response_url=bot.slack.new_response_url(),
    )
    assert post_signed(f"{bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM).status_code == 200
    rerun = report_post(bot)
    assert rerun.params["thread_ts"] == ts
    assert bot.braze.kind_requests(CAMPAIGN_SERIES_PATH)[0].query["length"] == "90"


def test_tampered_kind_button_is_explained(bot: BotUnderTest) -> None:
    url = bot.slack.new_response_url()
    payload = block_actions_payload(
        "sendstats_rerun_canvas_7",
        value='{"k":"canvas","i":"a b","d":7}',
        channel_id="C_PUBLIC",
        message_ts="1764402000.000100",
        response_url=url,
    )
    post_signed(f"{bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM)
    assert "out of date" in private_reply(bot, url)
    assert bot.braze.requests == []


def test_until_reaches_braze_as_end_of_day(bot: BotUnderTest) -> None:
    bot.braze.add_campaign(MULTI, "Winter newsletter", days_ago=20)
    until: date = (datetime.now(UTC) - timedelta(days=3)).date()
    bot.command(f"campaign {MULTI} 5 until {until.isoformat()}")
    report_post(bot)
    [request] = bot.braze.kind_requests(CAMPAIGN_SERIES_PATH)
    assert request.query["ending_at"] == f"{until.isoformat()}T23:59:59+00:00"
