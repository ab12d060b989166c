"""Block Kit of a send's daily digests, checked block by block against what Slack is sent.

Digests are built by the send kind (:meth:`reports.kinds.base.ReportKind.build_digest`) from hand-written
rows; every expected number below is worked out from those rows in the comments.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from digests.records import Delivery, Subscription
from handlers.layout import digest_blocks as layout
from handlers.layout.digest_blocks import last_outcome, subject
from handlers.layout.text import utf16_len
from reports.daily import Digest
from reports.kinds import Kind, Target
from reports.kinds.send import SEND
from reports.models import ChannelRow, DayPoint, Metrics, Series
from reports.views import long_day, short_day

FIRST = date(2024, 3, 10)  # a Sunday


def day(n: int) -> date:
    return FIRST + timedelta(days=n)


def point(n: int, **metrics: int | float) -> DayPoint:
    return DayPoint(day=day(n), rows=(ChannelRow("email", "A", None, Metrics.of(**metrics)),))


def md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def digest(*points: DayPoint, digest_date: date, send_id: str = "snd") -> Digest:
    target = Target(Kind.SEND, "cmp", send_id)
    return SEND.build_digest(Series("cmp", send_id, points), target=target, first_day=FIRST, digest_date=digest_date)


def digest_blocks(
    d: Digest, *, title: str, subscription_id: int, chart_in_thread: bool
) -> list[dict[str, Any]]:
    """The digest message as posted: the send kind's view, rendered by the layout."""
    view = SEND.digest_view(d, title=title)
    return layout.digest_blocks(view, subscription_id=subscription_id, chart_in_thread=chart_in_thread)


def digest_text(d: Digest, title: str) -> str:
    return layout.digest_text(SEND.digest_view(d, title=title))


def blocks(d: Digest, *, title: str = "Spring", chart_in_thread: bool = False, sub: int = 7) -> list[dict[str, Any]]:
    return digest_blocks(d, title=title, subscription_id=sub, chart_in_thread=chart_in_thread)


def texts(bs: list[dict[str, Any]]) -> str:
    return json.dumps(bs, ensure_ascii=False)


TWO_DAYS = (
    point(
        0, sent=1000, delivered=900, total_opens=90, body_clicks=9, conversions=10, revenue=50.0, unique_recipients=1000
    ),
    point(
        1, sent=1500, delivered=900, total_opens=45, body_clicks=9, conversions=20, revenue=25.5, unique_recipients=1500
    ),
)
IN_WINDOW = "in Braze's analytics window (send day + 14)"
FULL_REPORT = {
    "type": "button",
    "text": plain("Full report (14 days)"),
    "action_id": "sendstats_rerun_14",
    "value": '{"c":"cmp","s":"snd","d":14}',
}


def test_a_daily_digest_block_by_block() -> None:
    bs = blocks(digest(*TWO_DAYS, digest_date=day(2)), chart_in_thread=True)
    assert bs == [
        {"type": "header", "text": plain("🗞 Daily digest · Spring")},
        # the verdict first: the day in a few rounded numbers, then the one change that matters (conversions
        # doubled too, but from 10: under the base of 20 a change is measured against)
        {
            "type": "section",
            "text": md("*Mar 11: 1,500 sent · 20 conversions ($25.50)*\nSent ▲ 50% against Mar 10 (1,000 → 1,500)"),
        },
        {"type": "context", "elements": [md(f"Send `snd` · Monday, Mar 11 · day 2 of 15 {IN_WINDOW}")]},
        {
            "type": "section",
            "text": md("*Mar 11*, change against the day before"),
            "fields": [
                md("*Sent*\n1,500  ▲ 50%"),  # 1500 against 1000, across channels
                md("*Email*\n1,500 sent  ▲ 50%"),  # the one channel's own volume
                md("*Conversions*\n20  ▲ 100%"),
                md("*Revenue*\n$25.50  ▼ 49%"),  # 25.50 against 50.00
            ],
        },
        # the totals since the send, on one line
        {
            "type": "section",
            "text": md("*Since the send began* (Mar 10 – Mar 11): 2,500 sent · 30 conversions · $75.50"),
        },
        {
            "type": "context",
            "elements": [
                md(
                    "Subscription #7 · `/sendstats unsubscribe 7` stops it · "
                    "📈 chart of the series so far in the thread ↓"
                )
            ],
        },
        {
            "type": "actions",
            "block_id": "sendstats_digest_actions",
            "elements": [
                FULL_REPORT,
                {"type": "button", "text": plain("Unsubscribe"), "action_id": "sendstats_unsubscribe", "value": "7"},
            ],
        },
    ]


def test_a_finished_send_says_so_instead_of_sent_0_down_100_percent() -> None:
    # sent on Mar 10 and 11; on Mar 12 only opens and conversions came in
    d = digest(*TWO_DAYS, point(2, sent=0, total_opens=30, conversions=25, revenue=12.0), digest_date=day(3))
    assert d.sending_ended == day(1)
    bs = blocks(d)
    assert bs[1] == {
        "type": "section",
        "text": md("*Mar 12: sending finished Mar 11 · 25 conversions ($12.00)*\n"
                   "Revenue ▼ 53% against Mar 11 ($25.50 → $12.00)"),
    }
    assert bs[3]["fields"][0] == md("*Sent*\nsending finished Mar 11")
    assert "▼ 100%" not in texts(bs)  # nor "Email 0 sent ▼ 100%"
    # a day that sent nothing with nothing else either is a quiet day, not a finished send
    assert digest(*TWO_DAYS, point(2), digest_date=day(3)).sending_ended is None


def test_digest_text_names_the_send_and_the_day() -> None:
    d = digest(*TWO_DAYS, digest_date=day(2))
    assert digest_text(d, "Spring") == "Spring · send snd: 1,500 sent, 20 conversions on Mar 11"
    d = digest(*TWO_DAYS, digest_date=day(2), send_id="@channel")
    assert digest_text(d, "<!here> & co") == (
        "&lt;!here&gt; &amp; co · send @\u2060channel: 1,500 sent, 20 conversions on Mar 11"
    )


def test_a_day_listed_with_rows_but_no_numbers_says_no_activity() -> None:
    empty = DayPoint(day=day(1), rows=(ChannelRow("email", "A", None, Metrics()),))
    d = digest(point(0, sent=5), empty, digest_date=day(2))
    bs = blocks(d)
    assert bs[1] == {"type": "section", "text": md("*No activity on Mar 11.*")}
    assert digest_text(d, "Spring") == "Spring · send snd: no activity on Mar 11"
    assert "change against" not in texts(bs)


def test_no_activity_still_shows_totals_since_the_send() -> None:
    bs = blocks(digest(point(0, sent=5, conversions1=2), digest_date=day(2)))
    assert [b["type"] for b in bs] == ["header", "section", "context", "section", "context", "actions"]
    assert bs[1] == {"type": "section", "text": md("*No activity on Mar 11.*")}
    since = "*Since the send began* (Mar 10 – Mar 11): 5 sent · – conversions · –"
    assert bs[3] == {"type": "section", "text": md(since)}
    assert bs[4] == {"type": "context", "elements": [md("Subscription #7 · `/sendstats unsubscribe 7` stops it")]}


def test_no_totals_section_before_any_data() -> None:
    bs = blocks(digest(point(3, sent=5), digest_date=day(2)))
    assert [b["type"] for b in bs] == ["header", "section", "context", "context", "actions"]
    assert "Since the send began" not in texts(bs)


def test_the_final_digest_says_so_and_offers_no_unsubscribe() -> None:
    bs = blocks(digest(point(0, sent=5), point(13, sent=8), digest_date=day(14)), sub=12)
    assert bs[0] == {"type": "header", "text": plain("🏁 Final digest · Spring")}
    assert bs[2] == {
        "type": "context",
        # posted on the window's last day (Mar 24), about the day before: the 14th of the 15 days
        "elements": [md(f"Send `snd` · Saturday, Mar 23 · day 14 of 15 {IN_WINDOW}")],
    }
    assert bs[-3] == {
        "type": "section",
        "text": md(
            "*This is the last digest.* Braze keeps send analytics for 14 days after the send, and this send's "
            "window closes Mar 24.\nThe subscription has ended; `/sendstats list` keeps its history."
        ),
    }
    assert bs[-2] == {"type": "context", "elements": [md("Subscription #12 · `/sendstats unsubscribe 12` stops it")]}
    assert bs[-1] == {"type": "actions", "block_id": "sendstats_digest_actions", "elements": [FULL_REPORT]}


def test_a_daily_digest_has_no_last_digest_note() -> None:
    assert "last digest" not in texts(blocks(digest(point(0, sent=5), digest_date=day(13))))


@pytest.mark.parametrize(
    ("digest_date", "line"),
    [
        (day(1), f"day 1 of 15 {IN_WINDOW}"),
        (day(15), f"day 15 of 15 {IN_WINDOW}"),  # a backfill of the window's last day
        (day(16), None),  # past the window (send day + 14) there is no day of it
        (day(0), None),  # "yesterday" is the day before the send: day 0 is no day of the window
        (day(-3), None),
    ],
)
def test_the_day_of_the_window(digest_date: date, line: str | None) -> None:
    (context,) = blocks(digest(point(0, sent=5), digest_date=digest_date))[2]["elements"]
    parts = context["text"].split(" · ")
    assert parts[:2] == ["Send `snd`", long_day(digest_date - timedelta(days=1))]
    assert parts[2:] == ([line] if line else [])


def test_no_day_of_the_window_when_the_window_is_unknown() -> None:
    d = digest(point(0, sent=5), digest_date=day(2))
    d = replace(d, span=replace(d.span, window_end=None))
    assert blocks(d)[2]["elements"] == [md("Send `snd` · Monday, Mar 11")]


@pytest.mark.parametrize(
    ("today", "before", "shown"),
    [
        (110, 100, "110  ▲ 10%"),
        (90, 100, "90  ▼ 10%"),
        (100, 100, "100  ＝ 0%"),
        (0, 100, "sending finished Mar 10"),  # not "0 ▼ 100%": the send went out on Mar 10
        (1, 3, "1  ▼ 67%"),  # rounded, not cut
        (100, 0, "100"),  # nothing sound to compare with: no arrow
        (100, None, "100"),
    ],
)
def test_change_against_the_day_before(today: int, before: int | None, shown: str) -> None:
    days = (point(0, sent=before), point(1, sent=today)) if before is not None else (point(1, sent=today),)
    bs = blocks(digest(*days, digest_date=day(2)))
    assert bs[3]["fields"][0] == md(f"*Sent*\n{shown}")


def test_unreported_metrics_show_a_dash_and_no_change() -> None:
    bs = blocks(digest(point(0, sent=10, revenue=5.0), point(1, sent=10), digest_date=day(2)))
    assert bs[1]["text"]["text"] == "*Mar 11: 10 sent*"  # no change worth a word: 10 is under the base of 20
    assert [f["text"] for f in bs[3]["fields"]] == [
        "*Sent*\n10  ＝ 0%",
        "*Email*\n10 sent  ＝ 0%",
        "*Conversions*\n–",
        "*Revenue*\n–",
    ]


def test_the_header_is_cut_to_slacks_150_characters_and_the_send_is_escaped() -> None:
    d = digest(point(0, sent=5), digest_date=day(1), send_id="<!here>")
    bs = digest_blocks(d, title="N" * 400, subscription_id=1, chart_in_thread=False)
    assert bs[0]["text"]["text"].startswith("🗞 Daily digest · NNN") and bs[0]["text"]["text"].endswith("N…")
    assert utf16_len(bs[0]["text"]["text"]) == 150  # the emoji is two of Slack's units
    assert bs[2]["elements"][0]["text"].startswith("Send `&lt;!here&gt;` · ")


def test_day_names() -> None:
    assert long_day(date(2024, 3, 5)) == "Tuesday, Mar 5"
    assert short_day(date(2024, 3, 5)) == "Mar 5"
    assert short_day(date(2024, 12, 25)) == "Dec 25"


def delivery(status: str, detail: str | None = None) -> Delivery:
    at = datetime(2024, 3, 11, 9, 0)
    return Delivery(1, 7, day(1), status, 1, detail, None, at, at)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "detail", "shown"),
    [
        ("posted", "ignored", "last digest: posted Mar 11"),
        ("skipped", "no data", "last digest: skipped Mar 11 (no data)"),
        ("skipped", None, "last digest: skipped Mar 11"),
        ("claimed", None, "last digest: Mar 11 being posted"),
        ("chart_pending", None, "last digest: Mar 11 posted, chart on its way"),
        ("failed", "Braze 503", "last digest: Mar 11 failed, retrying (Braze 503)"),
        ("missed", "Braze 503", "last digest: Mar 11 *missed* (Braze 503)"),
        ("odd", "x", "last digest: Mar 11 odd"),
    ],
)
def test_last_outcome_in_a_few_words(status: str, detail: str | None, shown: str) -> None:
    assert last_outcome(delivery(status, detail)) == shown


def test_no_digest_yet() -> None:
    assert last_outcome(None) == "last digest: none yet"


def test_a_chart_that_fell_back_reads_as_posted() -> None:
    assert last_outcome(delivery("chart_fallback")) == "last digest: Mar 11 posted, chart on its way"


def test_no_outcome_logged_falls_back_to_the_last_digest_day() -> None:
    assert last_outcome(None, day(1)) == "last digest: Mar 11"


def test_flags_follow_the_figures_one_line_each() -> None:
    view = SEND.digest_view(digest(*TWO_DAYS, digest_date=day(2)), title="Spring")
    flagged = replace(view, flags=("Sent is far above its usual level", "Opens <1%"))
    bs = layout.digest_blocks(flagged, subscription_id=7, chart_in_thread=False)
    assert bs[4] == {"type": "section", "text": md("⚠️ Sent is far above its usual level\n⚠️ Opens &lt;1%")}
    assert bs[:4] + bs[5:] == blocks(digest(*TWO_DAYS, digest_date=day(2)))


def sub(kind: Kind = Kind.SEND) -> Subscription:
    return Subscription(
        id=3,
        team_id="T",
        channel_id="C",
        object_id="cmp",
        send_id="snd" if kind == Kind.SEND else "",
        hour=9,
        minute=0,
        timezone="UTC",
        created_by="U",
        created_at=datetime(2024, 3, 1),
        first_day=FIRST,
        ends_on=day(14),
        status="active",
        status_reason=None,
        last_digest_on=None,
        kind=kind,
    )


def test_a_subject_names_the_subscription_in_bold_before_what_it_digests() -> None:
    assert subject(sub(), "Spring *sale*") == "*Spring ∗sale∗* · send `snd` (campaign `cmp`)"
    assert subject(sub(Kind.CAMPAIGN), "Été <launch>") == "*Été &lt;launch&gt;* · campaign `cmp`"
    assert subject(sub()) == "send `snd` (campaign `cmp`)"
    assert subject(sub(), "") == "send `snd` (campaign `cmp`)"


def test_a_long_subject_name_is_cut_to_80_characters() -> None:
    assert subject(sub(), "x" * 80) == f"*{'x' * 80}* · send `snd` (campaign `cmp`)"
    assert subject(sub(), "y" * 81) == f"*{'y' * 79}…* · send `snd` (campaign `cmp`)"
