"""Reports that decide, through the real bot over signed HTTP against the Slack fake and the sample Braze
server: the variant comparison in the report and the digest, the variants chart and the CSV uploaded
with the daily chart in one completion, and a digest's "Data (CSV)" button.

Every expected number is computed here from the sample server's own JSON (``fakes.braze_kinds``), with
statsmodels for the statistics, never with reports/.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from digests.round import run_round
from fakes.braze import series_payload
from fakes.braze_kinds import campaign_series_payload, canvas_series_payload
from fakes.settings import SIGNING_SECRET
from fakes.signing import FORM, block_action_body, block_actions_payload, post_signed
from handlers.flows.digest_posting import CHART_EVENT_TYPE
from handlers.layout.comparison_blocks import DIGEST_CSV
from tests.harness import CAMPAIGN, SEND, BotUnderTest, file_role, message_text

TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)
JOURNEY = "cv-journey"
LAUNCH = "cmp-launch"
Rows = dict[tuple[str, str, str], dict[str, float]]


def parse_csv(data: bytes) -> Rows:
    """(date, channel, variation's API ID, else its name) → its numbers, from the CSV bytes the Slack fake
    received."""
    text = data.decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # RFC 4180 line ends
    found: Rows = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        name, api_id = row.pop("variation"), row.pop("variation_api_id")
        key = (row.pop("date"), row.pop("channel"), api_id or name)
        assert key not in found, f"{key} twice"
        found[key] = {name: float(value) for name, value in row.items() if value != ""}
    return found


def campaign_rows(payload: dict[str, Any]) -> Rows:
    """The same from a ``/campaigns/data_series`` or ``/sends/data_series`` answer: the day's own figures
    (channel and variation empty) and each channel × variation row."""
    rows: Rows = {}
    for day in payload["data"]:
        when = day["time"][:10]
        rows[(when, "", "")] = {k: v for k, v in day.items() if k not in ("time", "messages")}
        for channel, items in day["messages"].items():
            for item in items:
                numbers = {k: v for k, v in item.items() if k not in ("variation_name", "variation_api_id")}
                rows[(when, channel, item.get("variation_api_id") or item["variation_name"])] = numbers
    return rows


def canvas_rows(payload: dict[str, Any]) -> Rows:
    rows: Rows = {}
    for day in payload["data"]["stats"]:
        rows[(day["time"], "", "")] = dict(day["total_stats"])
        for variant_id, variant in day["variant_stats"].items():
            rows[(day["time"], "", variant_id)] = {k: v for k, v in variant.items() if k != "name"}
    return rows


def thread_files(bot: BotUnderTest, ts: str, channel: str = "C_PUBLIC") -> list[Any]:
    return [f for f in bot.slack.files if f.channel == channel and f.thread_ts == ts]


def chart_replies(bot: BotUnderTest, ts: str, channel: str = "C_PUBLIC") -> list[dict[str, Any]]:
    """The digest's chart replies in its thread (an image block showing the shared upload)."""
    return [
        m
        for m in bot.slack.messages_in(channel, thread_ts=ts)
        if (m.get("metadata") or {}).get("event_type") == CHART_EVENT_TYPE
    ]


def only_csv(bot: BotUnderTest, ts: str) -> bytes:
    [data] = [f.content for f in thread_files(bot, ts) if file_role(f.filename) == "csv"]
    return data


# -- the report's thread: chart, variants chart and CSV, uploaded together -------------------------------


@pytest.mark.parametrize("kind", ["send", "campaign", "canvas"])
def test_the_csv_in_a_reports_thread_holds_every_number_braze_returned(bot: BotUnderTest, kind: str) -> None:
    if kind == "send":
        command = f"{CAMPAIGN} {SEND}"
        expected = campaign_rows(
            series_payload(bot.braze.sends[(CAMPAIGN, SEND)], length=14, ending=bot.braze.current_day())
        )
    elif kind == "campaign":
        campaign = bot.braze.add_campaign(LAUNCH, "Spring launch", days_ago=9)
        command = f"campaign {LAUNCH} 30"
        expected = campaign_rows(campaign_series_payload(campaign, length=30, ending=bot.braze.current_day()))
    else:
        canvas = bot.braze.add_canvas(JOURNEY, "Onboarding journey", days_ago=30)
        command = f"canvas {JOURNEY} 7"
        expected = canvas_rows(canvas_series_payload(canvas, length=7, ending=bot.braze.current_day()))
    assert bot.command(command).status_code == 200
    [complete] = bot.slack.wait_for("files.completeUploadExternal", timeout=30)
    bot.idle()
    [post] = [c for c in bot.slack.calls_to("chat.postMessage") if c.response.get("ok")]
    shares = thread_files(bot, post.response["ts"])
    assert sorted(file_role(f.filename) for f in shares) == ["chart", "csv", "variants"]
    assert len(complete.params["files"]) == 3  # one completion shares all three
    assert parse_csv(only_csv(bot, post.response["ts"])) == expected


def canvas_sentences(payload: dict[str, Any]) -> list[str]:
    """The comparison sentences of a Canvas with a "Control" variant, worked from the raw JSON with
    statsmodels: conversions ÷ entries, Wilson 95% intervals, pooled z-tests, Holm."""
    totals: dict[str, list[int]] = {}
    for day in payload["data"]["stats"]:
        for variant in day["variant_stats"].values():
            sums = totals.setdefault(variant["name"], [0, 0])
            sums[0] += variant["conversions"]
            sums[1] += variant["entries"]
    cx, cn = totals.pop("Control")
    _, adjusted, _, _ = multipletests(
        [proportions_ztest([x, cx], [n, cn])[1] for x, n in totals.values()], method="holm"
    )

    def rate(x: int, n: int) -> str:
        low, high = proportion_confint(x, n, method="wilson")
        return f"{x / n * 100:.1f}% ({low * 100:.1f}–{high * 100:.1f})"

    said = []
    for (name, (x, n)), p in zip(totals.items(), adjusted, strict=True):
        assert p < 0.05 and x / n > 0.01  # the sample Canvas's paths do convert better
        lift = (x / n - cx / cn) / (cx / cn)
        said.append(
            f"{name} converts {rate(x, n)} against {rate(cx, cn)} for Control: {lift:+.0%}, "
            f"{min(math.floor((1 - p) * 100), 99)}% confidence."
        )
    return said


def test_a_canvas_report_states_each_variants_result_against_the_control(bot: BotUnderTest) -> None:
    canvas = bot.braze.add_canvas(JOURNEY, "Onboarding journey", days_ago=30)
    bot.command(f"canvas {JOURNEY} 14")
    bot.slack.wait_for("files.completeUploadExternal", timeout=30)
    bot.idle()
    [post] = [c for c in bot.slack.calls_to("chat.postMessage") if c.response.get("ok")]
    text = message_text(post.params)
    expected = canvas_sentences(canvas_series_payload(canvas, length=14, ending=bot.braze.current_day()))
    assert len(expected) == 2
    for sentence in expected:
        assert f"• *{sentence}*" in text
    assert "control: Control (a variation named Control)" in text
    assert "Holm" in text and "95% Wilson intervals" in text


# -- digests: one comparison section, and the CSV behind a button ---------------------------------------


def post_digest(bot: BotUnderTest) -> tuple[dict[str, Any], dict[str, Any]]:
    """Subscribe this channel to a campaign (subscriber in UTC) and run today's round: the digest message
    as the channel shows it, and its data button."""
    bot.braze.add_campaign(LAUNCH, "Spring launch", days_ago=20)
    assert bot.command(f"subscribe campaign {LAUNCH} at 08:00 UTC").status_code == 200
    bot.idle()
    [sub] = bot.runtime.store.subscriptions.active()
    result = run_round(bot.runtime.rounds, [sub], digest_date=TODAY)
    assert result.posted == 1, result
    [digest] = [
        m
        for m in bot.slack.messages_in("C_PUBLIC")
        if (m.get("metadata") or {}).get("event_type") == "sendstats_digest"
    ]
    [button] = [
        e for b in digest["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == DIGEST_CSV
    ]
    return digest, button


def press(bot: BotUnderTest, digest: dict[str, Any], button: dict[str, Any], user: str = "U1") -> str:
    url = bot.slack.new_response_url()
    payload = block_actions_payload(
        DIGEST_CSV, value=button["value"], message_ts=digest["ts"], user_id=user, response_url=url
    )
    response = post_signed(f"{bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM)
    assert response.status_code == 200, response.text  # acked at once; the work runs after
    return url


def replies(bot: BotUnderTest, url: str) -> str:
    return "\n".join(message_text(r) for r in bot.slack.responses.get(url, []))


@pytest.mark.slow  # the second press looks for the CSV while Slack processes it
def test_a_digest_compares_variations_once_and_its_button_uploads_the_csv_once(bot: BotUnderTest) -> None:
    digest, button = post_digest(bot)
    text = message_text(digest)
    assert text.count("· control: ") == 1  # one section: the first rate, conversions ÷ unique recipients
    assert "*Conversion rate* · control: Control (a variation named Control)" in text
    assert "Variant 1 converts" in text and "Variant 2 converts" in text
    assert json.loads(button["value"]) == {
        "k": "campaign",
        "i": LAUNCH,
        "a": (YESTERDAY - timedelta(days=13)).isoformat(),
        "b": YESTERDAY.isoformat(),
    }
    # the daily chart is a reply showing the round's one upload of it (no file in the thread before the CSV)
    assert len(chart_replies(bot, digest["ts"])) == 1 and thread_files(bot, digest["ts"]) == []
    first, second = press(bot, digest, button), press(bot, digest, button, user="U2")  # a double click, a colleague
    bot.idle(timeout=60)
    csvs = [f for f in thread_files(bot, digest["ts"]) if file_role(f.filename) == "csv"]
    assert len(csvs) == 1
    campaign = bot.braze.campaigns[LAUNCH]
    expected = campaign_rows(campaign_series_payload(campaign, length=14, ending=YESTERDAY))
    assert parse_csv(csvs[0].content) == expected
    told = ["already in its thread" in replies(bot, url) for url in (first, second)]
    assert sorted(told) == [False, True]  # the later press is told so, privately
    press(bot, digest, button)  # a press long after finds it too, without asking Braze
    before = len(bot.braze.kind_requests("/campaigns/data_series"))
    bot.idle(timeout=60)
    assert len(bot.braze.kind_requests("/campaigns/data_series")) == before
    assert len([f for f in thread_files(bot, digest["ts"]) if file_role(f.filename) == "csv"]) == 1


@pytest.mark.slow  # a lost answer is waited out
@pytest.mark.parametrize("status", [None, 503])
def test_a_lost_answer_on_the_buttons_upload_still_leaves_exactly_one_csv(
    bot: BotUnderTest, status: int | None
) -> None:
    digest, button = post_digest(bot)
    bot.slack.lose_answer("files.completeUploadExternal", status=status)
    url = press(bot, digest, button)
    bot.idle(timeout=60)
    assert len([f for f in thread_files(bot, digest["ts"]) if file_role(f.filename) == "csv"]) == 1
    completions = [
        c
        for c in bot.slack.calls_to("files.completeUploadExternal")
        if c.params.get("thread_ts") == digest["ts"]
        and any(str(f.get("title", "")).endswith("(CSV)") for f in c.params["files"])
    ]
    assert len(completions) == 1  # looked up by file id, never completed twice
    assert "couldn't" not in replies(bot, url)


@pytest.mark.parametrize(
    "value",
    [
        '{"k":"campaign","i":"a b","a":"2026-01-01","b":"2026-01-02"}',
        '{"k":"campaign","i":"x","a":"2026-01-05","b":"2026-01-01"}',
        '{"k":"nope","i":"x","a":"2026-01-01","b":"2026-01-02"}',
        "not json",
        '{"k":"campaign","i":"x","a":"2026-01-01","b":"2026-09-01"}',
    ],
)
def test_a_tampered_data_button_is_explained_and_never_reaches_braze(bot: BotUnderTest, value: str) -> None:
    url = press(bot, {"ts": "1764400000.000100"}, {"value": value})
    bot.idle()
    assert "out of date" in replies(bot, url)
    assert bot.braze.requests == [] and bot.slack.files == []


def test_a_press_where_slack_refuses_the_look_up_uploads_nothing_and_says_why(bot: BotUnderTest) -> None:
    digest, button = post_digest(bot)
    bot.slack.fail_next("conversations.replies", error="not_in_channel")
    before, joins = (
        len(bot.braze.kind_requests("/campaigns/data_series")),
        len(bot.slack.calls_to("conversations.join")),
    )
    url = press(bot, digest, button)
    bot.idle(timeout=60)
    assert "I'm not a member of this channel" in replies(bot, url)
    assert [f for f in thread_files(bot, digest["ts"]) if file_role(f.filename) == "csv"] == []
    assert len(bot.braze.kind_requests("/campaigns/data_series")) == before  # never fetched, never joined
    assert len(bot.slack.calls_to("conversations.join")) == joins
