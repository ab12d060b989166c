"""Campaign and Canvas reports, their digests, ``find`` results and the report modal, compared exactly
with what Slack is sent: every word, number, action ID and button value (issue 12's mutation score).

The series are hand-written Braze answers; each expected number is worked out in the comments.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from catalogue.records import Entry
from digests.records import OPEN_END, Subscription
from handlers.layout.blocks import (
    button_value,
    context,
    detail_blocks,
    report_actions,
    report_blocks,
    report_text,
    section,
    wrapped,
)
from handlers.layout.catalogue_blocks import (
    entry_line,
    entry_options,
    find_blocks,
    find_text,
    option,
    report_modal,
)
from handlers.layout.digest_blocks import digest_blocks, digest_text, ends_text, subject
from reports.campaigns import (
    CampaignSummary,
    ChannelSummary,
    Rate,
    VariationSummary,
    parse_campaign_series,
    summarise_campaign,
)
from reports.canvases import CanvasSummary, VariantSummary, parse_canvas_series, summarise_canvas
from reports.daily import Digest
from reports.kinds import Kind, Target
from reports.kinds import campaign as campaign_kind
from reports.kinds import canvas as canvas_kind
from reports.kinds.campaign import FOOTER, channel_section
from reports.kinds.registry import kind_of
from reports.models import Metrics, Series, metrics_of
from reports.views import conversions_line, day_text

D1 = date(2026, 3, 1)  # a Sunday


def d(n: int) -> str:
    return (D1 + timedelta(days=n)).isoformat()


def md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def btn(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": action_id, "value": value}


# -- the kinds' views, as the layout renders them -----------------------------------------------------


def campaign_blocks(summary: CampaignSummary, *, title: str, chart_note: str | None = None) -> list[dict[str, Any]]:
    return report_blocks(campaign_kind.CAMPAIGN.report_view(summary, title=title), chart_note=chart_note)


def campaign_text(summary: CampaignSummary, title: str) -> str:
    return report_text(campaign_kind.CAMPAIGN.report_view(summary, title=title))


def canvas_blocks(summary: CanvasSummary, *, title: str, chart_note: str | None = None) -> list[dict[str, Any]]:
    return report_blocks(canvas_kind.CANVAS.report_view(summary, title=title), chart_note=chart_note)


def canvas_text(summary: CanvasSummary, title: str) -> str:
    return report_text(canvas_kind.CANVAS.report_view(summary, title=title))


def channel_block(channel: ChannelSummary) -> dict[str, Any]:
    (block,) = detail_blocks(channel_section(channel))
    return block


def kind_value(kind: str, object_id: str, days: int | None = None) -> str:
    return button_value(Target(Kind(kind), object_id), days)


def kind_actions(kind: str, object_id: str) -> dict[str, Any]:
    return report_actions(Target(Kind(kind), object_id), kind_of(kind).rerun_days)


def build_kind_digest(word: str, series: Series, *, first_day: date, digest_date: date, archived: bool) -> Digest:
    kind = kind_of(word)
    target = Target(kind.kind, series.object_id)
    return kind.build_digest(series, target=target, first_day=first_day, digest_date=digest_date, archived=archived)


def kind_digest_blocks(digest: Digest, *, title: str, subscription_id: int, chart_in_thread: bool) -> list[Any]:
    view = kind_of(digest.target.kind).digest_view(digest, title=title)
    return digest_blocks(view, subscription_id=subscription_id, chart_in_thread=chart_in_thread)


def kind_digest_text(digest: Digest, title: str) -> str:
    return digest_text(kind_of(digest.target.kind).digest_view(digest, title=title))


def actions(kind: str, object_id: str) -> dict[str, Any]:
    value = '{"k":"' + kind + '","i":"' + object_id + '"'
    return {
        "type": "actions",
        "block_id": f"sendstats_{kind}_actions",
        "elements": [
            btn("7 days", f"sendstats_rerun_{kind}_7", value + ',"d":7}'),
            btn("30 days", f"sendstats_rerun_{kind}_30", value + ',"d":30}'),
            btn("90 days", f"sendstats_rerun_{kind}_90", value + ',"d":90}'),
            btn("Subscribe this channel", "sendstats_subscribe_kind", value + "}"),
        ],
    }


# -- campaign report ---------------------------------------------------------------------------------

CAMPAIGN = {
    "data": [
        {
            "time": d(0),
            "unique_recipients": 900,
            "conversions": 30,
            "conversions1": 4,
            "conversions2_by_send_time": 2,
            "revenue": 12.5,
            "messages": {
                "email": [
                    {
                        "variation_name": "Spring A",
                        "variation_api_id": "va",
                        "sent": 600,
                        "delivered": 540,
                        "unique_opens": 270,
                        "unique_clicks": 27,
                        "opens": 300,
                    },
                    {
                        "variation_name": "Spring B",
                        "variation_api_id": "vb",
                        "sent": 400,
                        "delivered": 360,
                        "unique_opens": 90,
                        "unique_clicks": 9,
                    },
                ],
                "ios_push": [{"variation_name": "Spring A", "variation_api_id": "va", "sent": 200, "direct_opens": 20}],
                "carrier_pigeon": [{"variation_api_id": "vb", "lost": 1}],
            },
        },
        {
            "time": d(1),
            "messages": {"trigger_in_app_message": [{"variation_name": "Spring A", "impressions": 50, "clicks": 5}]},
        },
    ]
}


def campaign_summary() -> CampaignSummary:
    series = parse_campaign_series(CAMPAIGN, campaign_id="cmp-1")
    return summarise_campaign(series, start=D1, end=D1 + timedelta(days=2))


def test_a_campaign_report_block_by_block() -> None:
    assert campaign_blocks(campaign_summary(), title="Spring <sale>", chart_note="📈 chart below") == [
        {"type": "header", "text": plain("📊 Spring <sale>")},
        {"type": "context", "elements": [md("Campaign `cmp-1` · Mar 1, 2026 – Mar 3, 2026 (3 days, 2 with data)")]},
        # messages sent across the channels that report sent (1,000 + 200); in-app reports impressions
        {"type": "section", "text": md("*Sent 1,200 messages*: email 1,000, push 200")},
        {
            "type": "section",
            "fields": [
                md("*Unique recipients*\n900  (sum of daily figures)"),
                md("*Conversions*\n30  (conv. 3.3%)"),  # 30 / 900
                md("*Revenue*\n$12.50"),
                md("*Channels*\n4"),
            ],
        },
        {
            "type": "context",
            "elements": [md("Conversions · event B (2nd): 4 (by send time –) · event C (3rd): – (by send time 2)")],
        },
        {"type": "divider"},
        # each channel on short lines, its rates without formulas (they are in the footer, once)
        {
            "type": "section",
            "text": md(
                "*Email*\n"
                "sent 1,000 · delivered 900 · opens 300 · unique opens 360 · unique clicks 36\n"
                "delivery rate 90.0% · unique open rate 40.0% · unique click rate 4.0% · click-to-open 10.0%"
            ),
        },
        {"type": "section", "text": md("*Push* (iOS push)\nsent 200 · direct opens 20\ndirect open rate 10.0%")},
        {"type": "section", "text": md("*In-app message*\nimpressions 50 · clicks 5\nclick rate 10.0%")},
        # a channel Braze adds later keeps its raw counters and no rates
        {"type": "section", "text": md("*Carrier pigeon*\nlost 1")},
        # a table like the others; a name too long for a phone makes every row a letter, the names below
        {
            "type": "section",
            "text": md(
                "*By variation*\n```  Email Push In-app impr.\n"
                "A   600  200           50\n"
                "B   400    –            –\n"
                "C     –    –            –```\n"
                "*A* Spring A\n*B* Spring B\n*C* Carrier pigeon variation without a name (vb)"  # an API ID, no name
            ),
        },
        {
            "type": "context",
            "elements": [
                md(
                    "Each channel shows the metrics Braze reports for it, with its own rates; only messages sent "
                    "are added across channels.\n"
                    "Unique recipients over several days are the sum of Braze's daily figures,\n"
                    "as Braze's dashboard counts them (someone reached on two days counts twice).\n"
                    "Conversion rate = conversions (primary event) ÷ that sum.\n"
                    "Rates: delivery rate = delivered ÷ sent · unique open rate = unique opens ÷ delivered\n"
                    "unique click rate = unique clicks ÷ delivered · click-to-open = unique clicks ÷ unique opens\n"
                    "direct open rate = direct opens ÷ sent · click rate = clicks ÷ impressions\n📈 chart below"
                )
            ],
        },
        actions("campaign", "cmp-1"),
    ]


def test_campaign_text_names_each_channels_sends() -> None:
    assert campaign_text(campaign_summary(), "Spring <sale>") == (
        "Spring &lt;sale&gt;: Sent 1,200 messages: email 1,000, push 200; 30 conversions"
    )
    empty = summarise_campaign(parse_campaign_series({}, campaign_id="c"), start=D1, end=D1)
    assert campaign_text(empty, "X") == "X: no sends; – conversions"


def channel(key: str, n: int) -> ChannelSummary:
    return ChannelSummary(key, key.title(), (key,), (("sent", n),), ())


def test_a_campaign_with_many_channels_and_variations_is_cut_and_says_so() -> None:
    variations = tuple(
        VariationSummary(f"V{i}", None, (), metrics_of({"conversions": i, "revenue": 1.5})) for i in range(12)
    )
    summary = CampaignSummary(
        campaign_id="c",
        start=D1,
        end=D1,
        days_with_data=1,
        channels=tuple(channel(f"ch{i:02}", i) for i in range(14)),
        variations=variations,
        totals=Metrics(),
        conversion_rate=None,
    )
    blocks = campaign_blocks(summary, title="T")
    assert blocks[1] == {
        "type": "context",
        "elements": [md("Campaign `c` · Mar 1, 2026 – Mar 1, 2026 (1 day, 1 with data)")],
    }
    assert blocks[2] == section("*Sent 91 messages*: Ch13 13, Ch12 12, Ch11 11, Ch10 10, Ch09 9, Ch08 8, Ch07 7, "
                                "Ch06 6, Ch05 5, Ch04 4, Ch03 3\nCh02 2, Ch01 1, Ch00 0")  # 0 + 1 + … + 13, phone lines
    blocks = blocks[:2] + blocks[3:]
    assert blocks[2]["fields"] == [
        md("*Unique recipients*\n–"),
        md("*Conversions*\n–  (conv. –)"),
        md("*Revenue*\n–"),
        md("*Channels*\n14"),
    ]
    assert blocks[3] == {"type": "divider"}  # no conversion events line when Braze reported none
    assert [b["text"]["text"] for b in blocks[4:16]] == [f"*Ch{i:02}*\nsent {i}" for i in range(12)]
    assert blocks[16] == {"type": "context", "elements": [md("… and 2 more")]}
    lines = blocks[17]["text"]["text"].split("\n")
    assert lines[:2] == ["*By variation*", "```   conv. A revenue"]
    assert lines[2:] == [f"V{i}       {i}   $1.50" for i in range(9)] + ["V9       9   $1.50```"]  # the first 10
    assert blocks[18] == context("… and 2 more variations")
    assert blocks[19]["elements"][0]["text"].startswith("Each channel shows the metrics Braze reports for it")
    assert len(blocks) == 21


def test_a_variation_with_volume_and_numbers() -> None:
    v = VariationSummary("A", "a1", ("Email",), metrics_of({"conversions": 2}), (("Email", metrics_of({"sent": 5})),))
    unnamed = VariationSummary("a2", "a2", ("SMS",), Metrics(), (("SMS", metrics_of({"sent": 3})),))
    variations = (v, unnamed, VariationSummary("B", None, (), Metrics()))
    summary = CampaignSummary("c", D1, D1, 1, (), variations, Metrics(), None)
    assert campaign_blocks(summary, title="T")[4]["text"]["text"] == (
        "*By variation*\n```  Email SMS conv. A\nA     5   –       2\nB     –   3       –\nC     –   –       –```\n"
        "*A* A\n*B* SMS variation without a name (a2)\n*C* B"  # Braze names no SMS variation: its ID is all
    )


def test_exactly_twelve_variants_need_no_more_line() -> None:
    many = CanvasSummary(
        "cv", D1, D1, 1, Metrics(), tuple(VariantSummary(f"v{i}", f"v{i}", Metrics()) for i in range(12))
    )
    rows = canvas_blocks(many, title="T")[4]["text"]["text"].split("\n")
    assert len(rows) == 14 and rows[-1].startswith("v11 ")


def test_exactly_twelve_channels_need_no_more_line() -> None:
    summary = CampaignSummary("c", D1, D1, 1, tuple(channel(f"ch{i:02}", i) for i in range(12)), (), Metrics(), None)
    blocks = campaign_blocks(summary, title="T")
    assert [b["type"] for b in blocks[-3:]] == ["section", "context", "actions"]
    assert "more" not in json.dumps(blocks)


def test_a_channel_with_no_counts_and_an_unknown_rate() -> None:
    empty = ChannelSummary(
        "webhook", "Web & hook", ("webhook", "web<x>"), (), (Rate("error rate", None, "errors ÷ sent"),)
    )
    assert channel_block(empty) == {
        "type": "section",
        "text": md("*Web &amp; hook* (Webhook, Web&lt;x&gt;)\nno counts reported\nerror rate –"),
    }
    money = ChannelSummary("x", "X", ("x",), (("revenue", 1234.5), ("sent_to_carrier", 1234)), ())
    assert channel_block(money)["text"]["text"] == "*X*\nrevenue $1,234.50 · sent to carrier 1,234"


def test_conversions_line_labels_events_b_to_d() -> None:
    assert conversions_line(Metrics()) is None
    assert conversions_line(metrics_of({"conversions": 5})) is None  # the primary event has its own field
    assert conversions_line(metrics_of({"conversions_by_send_time": 0})) is None  # zero: not worth a line
    assert conversions_line(metrics_of({"conversions3": 7})) == "Conversions · event D (4th): 7 (by send time –)"
    assert conversions_line(metrics_of({"conversions1_by_send_time": 1, "conversions2": 2})) == (
        "Conversions · event B (2nd): – (by send time 1) · event C (3rd): 2 (by send time –)"
    )


# -- Canvas report -----------------------------------------------------------------------------------

CANVAS = {
    "data": {
        "name": "Journey",
        "stats": [
            {
                "time": d(0),
                "total_stats": {"entries": 100, "revenue": 10.5},
                "variant_stats": {
                    "v1": {"name": "Control", "entries": 60, "conversions": 6},
                    "v2": {"name": "A very long variant name indeed", "entries": 40, "conversions": 8, "revenue": 10.5},
                },
            },
            {"time": d(1), "total_stats": {"entries": 50, "conversions": 5, "conversions_by_entry_time": 4}},
        ],
    }
}


def canvas_summary() -> CanvasSummary:
    return summarise_canvas(parse_canvas_series(CANVAS, canvas_id="cv-1"), start=D1, end=D1 + timedelta(days=1))


def test_a_canvas_report_block_by_block() -> None:
    # day 1's total lacks conversions: completed from its variants (6 + 8); day 2 adds 5
    assert canvas_blocks(canvas_summary(), title="Journey", chart_note="note") == [
        {"type": "header", "text": plain("📊 Journey")},
        {"type": "context", "elements": [md("Canvas `cv-1` · Mar 1, 2026 – Mar 2, 2026 (2 days, 2 with data)")]},
        {
            "type": "section",
            "fields": [
                md("*Entries*\n150"),
                md("*Conversions*\n19  (conv. 12.7%)"),  # 19 / 150
                md("*Conversions by entry time*\n4"),
                md("*Revenue*\n$10.50"),
            ],
        },
        {"type": "divider"},
        {
            "type": "section",
            "text": md(
                # 31 columns of name and 28 of numbers pass a phone's 40: letters, and the full names below
                "*By variant*\n```"
                "  entries conv.  rate revenue\n"
                "A      60     6 10.0%       –\n"
                "B      40     8 20.0%  $10.50```\n"
                "*A* Control\n"
                "*B* A very long variant name indeed"
            ),
        },
        {
            "type": "context",
            "elements": [
                md(
                    "Conversion rate = conversions ÷ entries. By entry time: conversions credited to the day users "
                    "entered.\nnote"
                )
            ],
        },
        actions("canvas", "cv-1"),
    ]
    assert canvas_text(canvas_summary(), "Journey") == "Journey: 150 entries, 19 conversions (12.7%)"


def test_a_canvas_without_variants_has_no_table_and_many_are_cut() -> None:
    plain_summary = CanvasSummary("cv", D1, D1, 1, Metrics.of(entries=3), ())
    assert [b["type"] for b in canvas_blocks(plain_summary, title="T")] == [
        "header",
        "context",
        "section",
        "divider",
        "context",
        "actions",
    ]
    names = ["x" * 21, "y" * 22, "a&b`", *(f"v{i}" for i in range(11))]
    one = Metrics.of(entries=1, conversions=1)
    many = CanvasSummary("cv", D1, D1, 1, Metrics(), tuple(VariantSummary(n, n, one) for n in names))
    rows = canvas_blocks(many, title="T")[4]["text"]["text"].split("\n")
    # a name too long for a phone's 40 columns makes every row a letter, with the whole names below;
    # twelve rows at most, then how many more
    assert rows[1:4] == [
        "```  entries conv.   rate revenue",
        "A       1     1 100.0%       –",
        "B       1     1 100.0%       –",
    ]
    assert rows[13] == "L       1     1 100.0%       –"
    assert rows[14] == "… and 2 more```"
    assert rows[15:18] == ["*A* " + "x" * 21, "*B* " + "y" * 22, "*C* a&amp;bʹ"]  # escaped, a backtick neutral
    assert len(rows) == 27
    short = CanvasSummary("cv", D1, D1, 1, Metrics(), (VariantSummary("a&b`", "a&b`", one),))
    # a name is escaped after it is measured, so `&` costs one column like Slack shows it
    row = canvas_blocks(short, title="T")[4]["text"]["text"].split("\n")[2]
    assert row == "a&amp;b'       1     1 100.0%       –```"
    fence = CanvasSummary("cv", D1, D1, 1, Metrics(), (VariantSummary("v", "a```b", Metrics()),))
    assert "a'''b" in canvas_blocks(fence, title="T")[4]["text"]["text"]  # a name cannot close the code block


# -- shared pieces -----------------------------------------------------------------------------------


def test_kind_pieces() -> None:
    assert day_text(date(2026, 1, 5)) == "Jan 5, 2026"
    assert kind_value("canvas", "cv-1") == '{"k":"canvas","i":"cv-1"}'
    assert kind_value("campaign", "c", 0) == '{"k":"campaign","i":"c","d":0}'
    assert kind_actions("canvas", "cv-1") == actions("canvas", "cv-1")
    empty = CanvasSummary("a<b", D1, D1 + timedelta(days=1), 0, Metrics(), ())
    assert canvas_blocks(empty, title="T")[:2] == [
        {"type": "header", "text": plain("📊 T")},
        {"type": "context", "elements": [md("Canvas `a&lt;b` · Mar 1, 2026 – Mar 2, 2026 (2 days, 0 with data)")]},
    ]
    campaign = CampaignSummary("c", D1, D1, 0, (), (), Metrics(), None)
    footer = context(wrapped(FOOTER))  # on lines a phone shows whole; no channel, so no rates to explain
    assert campaign_blocks(campaign, title="T", chart_note="")[-2] == footer
    assert campaign_blocks(campaign, title="T", chart_note=None)[-2] == footer


# -- campaign and Canvas digests ---------------------------------------------------------------------

DIGEST_CAMPAIGN = {
    "data": [
        {
            "time": d(0),
            "conversions": 10,
            "revenue": 20.0,
            "messages": {"email": [{"sent": 1000, "delivered": 900}], "trigger_in_app_message": [{"impressions": 40}]},
        },
        {
            "time": d(1),
            "conversions": 15,
            "revenue": 10.0,
            "messages": {"email": [{"sent": 1500, "delivered": 900}], "android_push": [{"sent": 30}]},
        },
    ]
}
DIGEST_CANVAS = {
    "data": {
        "stats": [
            {"time": d(0), "total_stats": {"entries": 100, "conversions": 10, "revenue": 5.0}},
            {"time": d(1), "total_stats": {"entries": 50, "conversions": 10, "revenue": 2.5}},
        ]
    }
}


def campaign_digest(digest_date: date, *, archived: bool = False) -> Any:
    series = parse_campaign_series(DIGEST_CAMPAIGN, campaign_id="cmp-1")
    return build_kind_digest("campaign", series, first_day=D1, digest_date=digest_date, archived=archived)


def canvas_digest(digest_date: date) -> Any:
    series = parse_canvas_series(DIGEST_CANVAS, canvas_id="cv-1")
    return build_kind_digest("canvas", series, first_day=D1, digest_date=digest_date, archived=False)


def digest_actions(kind: str, object_id: str, sub: int | None) -> dict[str, Any]:
    value = '{"k":"' + kind + '","i":"' + object_id + '","d":30}'
    elements = [btn("Full report (30 days)", f"sendstats_rerun_{kind}_30", value)]
    if sub is not None:
        elements.append(btn("Unsubscribe", "sendstats_unsubscribe", str(sub)))
    return {"type": "actions", "block_id": "sendstats_digest_actions", "elements": elements}


def test_a_campaign_digest_block_by_block() -> None:
    digest = campaign_digest(date(2026, 3, 3))
    assert kind_digest_blocks(digest, title="Spring", subscription_id=5, chart_in_thread=True) == [
        {"type": "header", "text": plain("🗞 Daily digest · Spring")},
        # messages sent over every channel (1,500 + 30) against 1,000; conversions moved from 10, under the base
        {
            "type": "section",
            "text": md("*Mar 2: 1,530 sent · 15 conversions ($10.00)*\nSent ▲ 53% against Mar 1 (1,000 → 1,530)"),
        },
        {"type": "context", "elements": [md("Campaign `cmp-1` · Monday, Mar 2")]},
        {
            "type": "section",
            "text": md("*Mar 2*, change against the day before"),
            "fields": [
                md("*Sent*\n1,530  ▲ 53%"),  # across channels: 1,500 + 30 against 1,000
                md("*Email*\n1,500 sent  ▲ 50%"),  # 1500 against 1000
                md("*Push*\n30 sent"),  # no push the day before: no change shown
                md("*Conversions*\n15  ▲ 50%"),
                md("*Revenue*\n$10.00  ▼ 50%"),
            ],
        },
        {
            "type": "section",
            "text": md(
                "*Last 14 days* (Feb 17 – Mar 2): Email 2,500 sent · Push 30 sent · In-app message 40 impressions\n"
                "25 conversions · $30.00"
            ),
        },
        {
            "type": "context",
            "elements": [
                md(
                    "Subscription #5 · `/sendstats unsubscribe 5` stops it · "
                    "📈 chart of the last 14 days in the thread ↓"
                )
            ],
        },
        digest_actions("campaign", "cmp-1", 5),
    ]
    assert kind_digest_text(digest, "Spring") == "Spring (campaign): Email 1,500 sent, Push 30 sent on Mar 2"


def test_an_archived_campaigns_last_digest() -> None:
    digest = campaign_digest(date(2026, 3, 5), archived=True)
    assert kind_digest_blocks(digest, title="Spring", subscription_id=5, chart_in_thread=False) == [
        {"type": "header", "text": plain("🏁 Final digest · Spring")},
        {"type": "section", "text": md("*No activity on Mar 4 (2 days in a row; the digest ends after 14).*")},
        {"type": "context", "elements": [md("Campaign `cmp-1` · Wednesday, Mar 4")]},
        {
            "type": "section",
            "text": md(
                "*Last 14 days* (Feb 19 – Mar 4): Email 2,500 sent · Push 30 sent · In-app message 40 impressions\n"
                "25 conversions · $30.00"
            ),
        },
        {
            "type": "section",
            "text": md(
                "*This is the last digest:* Braze reports the campaign archived.\nThe subscription has ended;\n"
                "`/sendstats list` keeps its history, and `/sendstats subscribe campaign cmp-1` starts it again."
            ),
        },
        {"type": "context", "elements": [md("Subscription #5 · `/sendstats unsubscribe 5` stops it")]},
        digest_actions("campaign", "cmp-1", None),
    ]
    assert kind_digest_text(digest, "Spring") == "Spring (campaign): no activity on Mar 4"


def test_one_quiet_day_has_no_streak_note() -> None:
    blocks = kind_digest_blocks(campaign_digest(date(2026, 3, 4)), title="S", subscription_id=1, chart_in_thread=False)
    assert blocks[1] == {"type": "section", "text": md("*No activity on Mar 3.*")}


def test_a_canvas_digest_block_by_block() -> None:
    digest = canvas_digest(date(2026, 3, 3))
    assert kind_digest_blocks(digest, title="J", subscription_id=6, chart_in_thread=False) == [
        {"type": "header", "text": plain("🗞 Daily digest · J")},
        {
            "type": "section",
            "text": md("*Mar 2: 50 entries · 10 conversions ($2.50)*\nEntries ▼ 50% against Mar 1 (100 → 50)"),
        },
        {"type": "context", "elements": [md("Canvas `cv-1` · Monday, Mar 2")]},
        {
            "type": "section",
            "text": md("*Mar 2*, change against the day before"),
            "fields": [
                md("*Entries*\n50  ▼ 50%"),
                md("*Conversions*\n10  ＝ 0%"),
                md("*Conversion rate*\n20.0%"),  # 10 / 50
                md("*Revenue*\n$2.50  ▼ 50%"),
            ],
        },
        # 150 entries, 20 conversions (20 / 150), $5.00 + $2.50
        {
            "type": "section",
            "text": md("*Last 14 days* (Feb 17 – Mar 2): 150 entries · 20 conversions (13.3%) · $7.50"),
        },
        {"type": "context", "elements": [md("Subscription #6 · `/sendstats unsubscribe 6` stops it")]},
        digest_actions("canvas", "cv-1", 6),
    ]
    assert kind_digest_text(digest, "J") == "J (Canvas): 50 entries, 10 conversions on Mar 2"


def test_a_canvas_nobody_entered_for_14_days_ends() -> None:
    digest = canvas_digest(date(2026, 3, 17))
    assert kind_digest_blocks(digest, title="J", subscription_id=6, chart_in_thread=False) == [
        {"type": "header", "text": plain("🏁 Final digest · J")},
        {"type": "section", "text": md("*No activity on Mar 16 (14 days in a row; the digest ends after 14).*")},
        {"type": "context", "elements": [md("Canvas `cv-1` · Monday, Mar 16")]},
        # the last 14 days (Mar 3 – Mar 16) had no data: no totals line
        {
            "type": "section",
            "text": md(
                "*This is the last digest:* nobody entered it for 14 days in a row.\nThe subscription has ended; "
                "`/sendstats list` keeps its history, and `/sendstats subscribe canvas cv-1` starts it again."
            ),
        },
        {"type": "context", "elements": [md("Subscription #6 · `/sendstats unsubscribe 6` stops it")]},
        digest_actions("canvas", "cv-1", None),
    ]
    assert kind_digest_text(digest, "J") == "J (Canvas): no activity on Mar 16"


def test_a_campaign_digest_shows_at_most_seven_channels() -> None:
    messages = {f"ch{i}": [{"sent": i + 1}] for i in range(9)}
    series = parse_campaign_series({"data": [{"time": d(0), "messages": messages}]}, campaign_id="c")
    digest = build_kind_digest("campaign", series, first_day=D1, digest_date=date(2026, 3, 2), archived=False)
    fields = kind_digest_blocks(digest, title="T", subscription_id=1, chart_in_thread=False)[3]["fields"]
    assert [f["text"] for f in fields] == [  # ten fields: Slack's limit
        "*Sent*\n45",  # 1 + 2 + … + 9, every channel counted though only seven are shown
        *(f"*Ch{i}*\n{i + 1} sent" for i in range(7)),
        "*Conversions*\n–",
        "*Revenue*\n–",
    ]
    assert kind_digest_text(digest, "T").startswith("T (campaign): Ch0 1 sent, Ch1 2 sent, ")


def subscription(kind: str, ends_on: date) -> Subscription:
    return Subscription(
        id=1,
        team_id="T",
        channel_id="C",
        object_id="cmp<1>",
        send_id="snd&1" if kind == Kind.SEND else "",
        hour=9,
        minute=0,
        timezone="UTC",
        created_by="U",
        created_at=datetime(2026, 3, 1),
        first_day=D1,
        ends_on=ends_on,
        status="active",
        status_reason=None,
        last_digest_on=None,
        kind=kind,  # type: ignore[arg-type]
    )


def test_subject_and_end_of_each_kind_of_subscription() -> None:
    assert subject(subscription("send", D1)) == "send `snd&amp;1` (campaign `cmp&lt;1&gt;`)"
    assert subject(subscription("campaign", OPEN_END)) == "campaign `cmp&lt;1&gt;`"
    assert subject(subscription("canvas", OPEN_END)) == "Canvas `cmp&lt;1&gt;`"
    assert ends_text(subscription("canvas", OPEN_END)) == "ends when archived or after 14 quiet days"
    assert ends_text(subscription("send", date(2026, 3, 15))) == "ends Mar 15"


# -- find and the report modal -----------------------------------------------------------------------

ENTRIES = [
    Entry("campaign", "c-1", "Spring <sale>", datetime(2026, 3, 3, 10, 0), False),
    Entry("canvas", "cv-1", "Été journey", None, True),
]


def test_find_results_block_by_block() -> None:
    assert find_blocks("spring & co", ENTRIES, ["note one", "note two"]) == [
        {"type": "section", "text": md("*2 best matches for “spring &amp; co”*")},
        {"type": "section", "text": md("📣 *Spring &lt;sale&gt;*\nCampaign · ID `c-1` · edited Mar 3, 2026")},
        {
            "type": "actions",
            "block_id": "sendstats_find_0",
            "elements": [
                btn("Report", "sendstats_find_report", '{"k":"campaign","i":"c-1"}'),
                btn("Subscribe this channel", "sendstats_subscribe_kind", '{"k":"campaign","i":"c-1"}'),
            ],
        },
        {"type": "section", "text": md("🧭 *Été journey*\nCanvas · ID `cv-1` · last edit unknown · _archived_")},
        {
            "type": "actions",
            "block_id": "sendstats_find_1",
            "elements": [
                btn("Report", "sendstats_find_report", '{"k":"canvas","i":"cv-1"}'),
                btn("Subscribe this channel", "sendstats_subscribe_kind", '{"k":"canvas","i":"cv-1"}'),
            ],
        },
        {"type": "context", "elements": [md("note one")]},
        {"type": "context", "elements": [md("note two")]},
    ]


def test_one_match_without_subscribe_and_no_match() -> None:
    assert find_blocks("q", ENTRIES[:1], [], subscribe=False) == [
        {"type": "section", "text": md("*1 best match for “q”*")},
        {"type": "section", "text": md(entry_line(ENTRIES[0]))},
        {
            "type": "actions",
            "block_id": "sendstats_find_0",
            "elements": [btn("Report", "sendstats_find_report", '{"k":"campaign","i":"c-1"}')],
        },
    ]
    assert find_blocks("x" * 81, [], []) == [
        {
            "type": "section",
            # a long query is cut with "…" so the reader sees it was cut
            "text": md(f"Nothing in the catalogue matches “{'x' * 79}…”: every word must appear in the name."),
        }
    ]


def test_find_text() -> None:
    assert find_text("spring", ENTRIES) == (
        "sendstats find “spring”: Campaign Spring &lt;sale&gt; (c-1); Canvas Été journey (cv-1)"
    )
    assert find_text("z" * 81, []) == f"sendstats find “{'z' * 80}”: nothing found"


def test_search_box_options() -> None:
    assert entry_options(ENTRIES, [("canvas", "typed-id")]) == [
        {"text": plain("📣 Spring <sale>"), "value": "campaign:c-1"},
        {"text": plain("🧭 Été journey (archived)"), "value": "canvas:cv-1"},
        {"text": plain("🧭 Canvas ID typed-id"), "value": "canvas:typed-id"},
    ]
    many = [Entry("campaign", f"c{i}", f"N{i}", None, False) for i in range(21)]
    assert [o["value"] for o in entry_options(many, [])] == [f"campaign:c{i}" for i in range(20)]
    # Slack counts UTF-16 units: the icon is two, so 71 x and "…" make 75
    assert option("campaign", "c", "x" * 80) == {"text": plain("📣 " + "x" * 71 + "…"), "value": "campaign:c"}
    typed = "i" * 64  # the longest ID the grammar takes stays whole
    assert entry_options([], [("campaign", typed)])[0]["text"] == plain(f"📣 ID {typed}")
    exact = "i" * 60  # "📣 Campaign ID " is 15 units: 60 more make exactly 75, still whole
    assert entry_options([], [("campaign", exact)])[0]["text"] == plain(f"📣 Campaign ID {exact}")
    assert entry_options([], [("canvas", "cv-1")])[0]["text"] == plain("🧭 Canvas ID cv-1")


def test_the_report_modal() -> None:
    assert report_modal("C1", "https://hooks/x", ["n"], initial_days=14) == {
        "type": "modal",
        "callback_id": "sendstats_report_modal",
        "title": plain("sendstats report"),
        "submit": plain("Post report"),
        "close": plain("Cancel"),
        "private_metadata": '{"c":"C1","r":"https://hooks/x"}',
        "blocks": [
            {
                "type": "input",
                "block_id": "sendstats_target",
                "label": plain("Campaign or Canvas"),
                "element": {
                    "type": "external_select",
                    "action_id": "sendstats_target",
                    "placeholder": plain("Type a few letters of the name"),
                    "min_query_length": 1,
                },
                "hint": plain("Searches every campaign and Canvas by name; you can also type an ID."),
            },
            {
                "type": "input",
                "block_id": "sendstats_send",
                "optional": True,
                "label": plain("Send ID (optional)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "sendstats_send",
                    "max_length": 64,
                    "placeholder": plain("For one API send of the campaign"),
                },
            },
            {
                "type": "input",
                "block_id": "sendstats_days",
                "label": plain("Days"),
                "element": {
                    "type": "number_input",
                    "action_id": "sendstats_days",
                    "is_decimal_allowed": False,
                    "min_value": "1",
                    "max_value": "100",
                    "initial_value": "14",
                },
            },
            {"type": "context", "elements": [md("n")]},
        ],
    }
    assert report_modal("C2", None, [], initial_days=30)["private_metadata"] == '{"c":"C2","r":""}'


def test_a_busy_campaign_day_without_volume() -> None:
    day = {"time": d(0), "messages": {"in_app_message": [{"clicks": 3}]}}  # clicks, but no impressions reported
    series = parse_campaign_series({"data": [day]}, campaign_id="c")
    digest = build_kind_digest("campaign", series, first_day=D1, digest_date=date(2026, 3, 2), archived=False)
    assert digest.has_activity
    assert kind_digest_text(digest, "T") == "T (campaign): nothing sent on Mar 1"


def test_a_digest_counts_sent_before_impressions() -> None:
    day = {
        "time": d(0),
        "messages": {"in_app_message": [{"sent": 3, "impressions": 9}], "x_push": [{"impressions": 2}]},
    }
    series = parse_campaign_series({"data": [day]}, campaign_id="c")
    digest = build_kind_digest("campaign", series, first_day=D1, digest_date=date(2026, 3, 2), archived=False)
    fields = kind_digest_blocks(digest, title="T", subscription_id=1, chart_in_thread=False)[3]["fields"]
    assert [f["text"] for f in fields[:3]] == ["*Sent*\n3", "*Push*\n2 impressions", "*In-app message*\n3 sent"]
