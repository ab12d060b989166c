"""Golden tests, one per Braze endpoint: Braze's documented example answer (``fakes/braze_examples``) goes
in, and the figures and labels a Braze user sees come out. Every expected number is worked by hand from the
example file in a comment beside it, never by the code under test (issue 16, "Proof")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fakes.braze_examples import load
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of
from reports.listing import parse_campaign_details, parse_canvas_details, parse_list_page
from reports.models import NO_LABELS, Labels
from reports.views import Emphasis, Line, ReportView, Section, Strong, Table


def text(line: Line) -> str:
    return "".join(span if isinstance(span, str) else span.text for span in line if not isinstance(span, Emphasis))


def report(kind: Kind, payload: dict[str, Any], day: date, labels: Labels = NO_LABELS) -> ReportView:
    """The report a user is posted for ``day``: parse, name, summarise and view, as the pipeline does."""
    k = kind_of(kind)
    target = Target(kind, "id-1", "send-1" if kind is Kind.SEND else "")
    summary = k.summarise(k.read(payload, target, labels), start=day, end=day)
    return k.report_view(summary, title="T")


def figures(view: ReportView) -> dict[str, str]:
    return {f.label: f.value for f in view.figures}


def sections(view: ReportView) -> dict[str, list[str]]:
    """Each section's text by its first line's bold label: its counts, then its rates (each formula is in
    the footer, once), each on one line however the layout wraps them for a phone."""
    out = {}
    for detail in view.details:
        if isinstance(detail, Section):
            first = detail.lines[0]
            items = [item for line in detail.lines[1:] for item in text(line).split(" · ")]
            counts = [i for i in items if "%" not in i and i != "rate –" and not i.endswith(" rate –")]
            rates = [i for i in items if i not in counts]
            out[next(s.text for s in first if isinstance(s, Strong))] = [
                line for line in (" · ".join(counts), " · ".join(rates)) if line
            ]
    return out


def table(view: ReportView, title: str) -> dict[str, tuple[str, ...]]:
    """A table's rows by name, the headings under ``""``."""
    (found,) = [d for d in view.details if isinstance(d, Table) and d.title == title]
    return {"": found.columns, **dict(found.rows)}


def details_labels() -> Labels:
    return parse_campaign_details(load("campaign_details.json"), "c").labels()


# -- GET /sends/data_series ------------------------------------------------------------------------------


def test_sends_data_series_golden() -> None:
    view = report(Kind.SEND, load("sends_data_series.json"), date(2014, 12, 10))
    assert view.sent is not None and text(view.sent.line) == "Sent 1,000 messages: push 1,000"  # the one ios_push row
    assert figures(view) == {
        "Unique recipients": "990",  # the day's unique_recipients (one day: people)
        "Conversions": "20  (conv. 2.0%)",  # 20 / 990 = 2.02%
        "Revenue": "$125.50",
        "Channels": "1",
    }
    assert view.figures_note is not None and text(view.figures_note) == (
        "Conversions · primary (A) by send time 18 · event B (2nd): 8 (by send time 7) · "
        "event C (3rd): 3 (by send time 3) · event D (4th): 1 (by send time 1)"
    )
    assert sections(view)["Push"] == [
        "sent 1,000 · delivered 960 · undelivered 25 · delivery failed 15 · direct opens 48 · total opens 72 · "
        "body clicks 30 · bounces 15",
        # 960 / 1000, 48 / 1000, 72 / 1000, 15 / 1000
        "delivery rate 96.0% · direct open rate 4.8% · "
        "total open rate 7.2% · bounce rate 1.5%",
    ]


def test_sends_day_figures_win_over_rows_that_repeat_the_campaign_level_value() -> None:
    payload = load("sends_data_series.json")
    day = payload["data"][0]
    android = {**day["messages"]["ios_push"][0], "sent": 500}  # a second row repeating 990, 20 and $125.50
    day["messages"]["android_push"] = [android]
    view = report(Kind.SEND, payload, date(2014, 12, 10))
    f = figures(view)
    # Braze's own day figures: 990 people, not 990 + 990; 20 conversions, not 40; $125.50, not $251.00
    assert (f["Unique recipients"], f["Conversions"], f["Revenue"]) == ("990", "20  (conv. 2.0%)", "$125.50")
    assert text(view.sent.line) == "Sent 1,500 messages: push 1,500"  # type: ignore[union-attr]  # 1000 + 500


# -- GET /campaigns/data_series (multichannel) and /campaigns/details --------------------------------------


def test_campaigns_data_series_multichannel_golden() -> None:
    view = report(Kind.CAMPAIGN, load("campaigns_data_series.json"), date(2020, 6, 28), details_labels())
    # email 1500; push 800 + 650; Content Cards 900; SMS 400; WhatsApp 300; webhook 120: 4,670 in all
    assert text(view.sent.line) == (  # type: ignore[union-attr]
        "Sent 4,670 messages: email 1,500, push 1,450, Content Cards 900, SMS 400, WhatsApp 300, webhook 120"
    )
    assert figures(view) == {
        "Unique recipients": "2,950",
        "Conversions": "45  (conv. 1.5%)",  # 45 / 2950 = 1.53%
        "Revenue": "$1,312.40",
        "Channels": "6",
    }
    assert text(view.figures_note) == (  # type: ignore[arg-type]  # events named from conversion_behaviors
        "Conversions · Makes specific purchase: Feline Body Armor (A) by send time 41 · "
        "Performs custom event: Used Feline Body Armor (B): 19 (by send time 17) · "
        "Clicks email (C): 7 (by send time 6) · Upgrades app (D): 2 (by send time 2)"
    )
    got = sections(view)
    assert got["Email"] == [
        "sent 1,500 · delivered 1,470 · opens 690 · unique opens 480 · clicks 130 · unique clicks 96 · "
        "unsubscribes 4 · bounces 30 · reported spam 1",
        # 1470/1500 · 480/1470 = 32.65% · 96/1470 = 6.53% · 96/480 · 4/1470 = 0.27% · 1/1470 = 0.07% · 30/1500
        "delivery rate 98.0% · unique open rate 32.7% · "
        "unique click rate 6.5% · click-to-open 20.0% · "
        "unsubscribe rate 0.3% · spam rate 0.1% · "
        "bounce rate 2.0%",
    ]
    assert got["Push"] == [
        "sent 1,450 · direct opens 66 · total opens 103 · body clicks 35 · bounces 21",  # iOS + Android
        # 66/1450 = 4.55% · 103/1450 = 7.10% · 21/1450 = 1.45%: push's own opens, never email's 690
        "direct open rate 4.6% · total open rate 7.1% · "
        "bounce rate 1.4%",
    ]
    assert got["SMS"] == [
        "sent 400 · sent to carrier 396 · delivered 380 · rejected 6 · delivery failed 10 · clicks 35 · opt out 3 · "
        "help 1",
        # 380/400 · 10/400 · 3/380 = 0.79%
        "delivery rate 95.0% · failure rate 2.5% · "
        "opt-out rate 0.8%",
    ]
    assert got["Webhook"] == ["sent 120 · errors 3", "error rate 2.5%"]  # 3/120
    assert got["Content Cards"] == [
        "sent 900 · total impressions 1,400 · unique impressions 820 · total clicks 75 · unique clicks 60 · "
        "total dismissals 40 · unique dismissals 35",
        # 60/820 = 7.32% · 35/820 = 4.27%
        "unique click rate 7.3% · "
        "unique dismissal rate 4.3%",
    ]
    assert got["WhatsApp"] == [
        "sent 300 · delivered 290 · failed 10 · read 210",
        "delivery rate 96.7% · read rate 72.4%",  # 290/300 · 210/290
    ]
    # variation names from /campaigns/details → messages: push, email and Content Cards are "Variation 1";
    # Braze names no webhook, SMS or WhatsApp message, so those say so beside their IDs
    assert table(view, "By variation") == {
        "": ("Email", "Push", "SMS", "Webhook", "Cards", "WhatsApp"),
        "Webhook variation without a name (5a1f0c9e-0c2d-4b8e-9f3a-10000000a003)": ("–", "–", "–", "120", "–", "–"),
        "SMS variation without a name (5a1f0c9e-0c2d-4b8e-9f3a-10000000a005)": ("–", "–", "400", "–", "–", "–"),
        "WhatsApp variation without a name (5a1f0c9e-0c2d-4b8e-9f3a-10000000a006)": ("–", "–", "–", "–", "–", "300"),
        "Variation 1": ("1,500", "1,450", "–", "–", "900", "–"),
    }
    assert "delivery rate = delivered ÷ sent" in view.footer  # each formula once, in the footer
    assert "Makes" not in view.footer and "daily figures" in view.footer


def test_campaigns_data_series_without_details_keeps_ids_and_letters() -> None:
    view = report(Kind.CAMPAIGN, load("campaigns_data_series.json"), date(2020, 6, 28))
    assert text(view.figures_note).startswith("Conversions · primary (A) by send time 41 · event B (2nd): 19")  # type: ignore[arg-type]
    rows = table(view, "By variation")
    assert len(rows) == 1 + 7  # seven message variation IDs, none named: each says so, with its ID
    assert all("variation without a name (" in name for name in rows if name)


# -- GET /campaigns/data_series (multivariate, in-app) ---------------------------------------------------


def test_campaigns_data_series_multivariate_golden() -> None:
    view = report(Kind.CAMPAIGN, load("campaigns_data_series_multivariate.json"), date(2020, 6, 28))
    assert view.sent is None  # in-app messages report impressions, not sent
    assert figures(view) == {
        "Unique recipients": "2,400",
        "Conversions": "31  (conv. 1.3%)",  # 31 / 2400 = 1.29%
        "Revenue": "$402.75",
        "Channels": "1",
    }
    assert sections(view)["In-app message"] == [
        # 1200 + 1150 · 96 + 70 · 60 + 41 · 18 + 15 · the control's 250
        "impressions 2,350 · clicks 166 · first button clicks 101 · second button clicks 33 · enrolled 250",
        "click rate 7.1%",  # 166 / 2350 = 7.06%
    ]
    # each variation's own figures, conversion events by the letters the conversions line names
    assert table(view, "By variation") == {
        "": ("In-app impr.", "recipients", "conv. A", "A by send", "conv. B", "B by send", "conv. C", "C by send",
             "conv. D", "D by send", "revenue"),
        "Control": ("–", "240", "3", "3", "1", "1", "0", "0", "0", "0", "$32.00"),  # no impressions
        "Variant 1": ("1,200", "1,100", "18", "17", "6", "6", "2", "2", "1", "1", "$240.50"),
        "Variant 2": ("1,150", "1,060", "10", "9", "4", "3", "1", "1", "0", "0", "$130.25"),
    }


# -- GET /canvas/data_series -----------------------------------------------------------------------------


def test_canvas_data_series_golden() -> None:
    view = report(Kind.CANVAS, load("canvas_data_series.json"), date(2023, 1, 10))
    assert figures(view) == {
        "Entries": "1,500",
        "Conversions": "24  (conv. 1.6%)",  # 24 / 1500
        "Conversions by entry time": "21",
        "Revenue": "$318.00",
    }
    [table] = [d for d in view.details if isinstance(d, Table)]
    assert table.rows == (("Variant 1", ("1,500", "24", "1.6%", "$318.00")),)
    assert kind_of(Kind.CANVAS).name_in(load("canvas_data_series.json")) == "Multi-Channel Engagement"


# -- GET /campaigns/details, /canvas/details, /campaigns/list, /canvas/list ------------------------------


def test_campaign_details_golden() -> None:
    d = parse_campaign_details(load("campaign_details.json"), "c")
    assert (d.name, d.archived, d.draft) == ("Summer launch — every channel", False, False)
    assert d.first_sent == datetime(2020, 6, 22, 15, tzinfo=UTC)
    assert len(d.messages) == 9 and sum(m.control for m in d.messages) == 1
    assert details_labels().events[0] == "Makes specific purchase: Feline Body Armor"


def test_canvas_details_golden() -> None:
    d = parse_canvas_details(load("canvas_details.json"), "cv")
    assert (d.name, d.archived, d.enabled, d.draft) == ("Multi-Channel Engagement", False, True, False)
    assert [(v.id, v.name) for v in d.variants] == [("variant_1_id", "Variant 1")]
    assert d.first_entry == datetime(2023, 1, 1, 12, tzinfo=UTC)
    assert d.channels == ("email", "push", "sms", "in_app_message")


def test_campaigns_list_golden() -> None:
    items = parse_list_page(load("campaigns_list.json"), Kind.CAMPAIGN)
    assert [(i.id, i.name, i.is_api_campaign, i.tags) for i in items] == [
        ("3bbc4555-8fa0-4c9b-a5c0-4505edf3e064", "Summer launch — every channel", False, ("launch", "summer")),
        ("8d2e3f41-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "Order shipped (API)", True, ()),
    ]
    assert items[0].last_edited == datetime(2020, 6, 29, 4, 59, 59, tzinfo=UTC)  # 23:59:59 at -05:00


def test_canvas_list_golden() -> None:
    [item] = parse_list_page(load("canvas_list.json"), Kind.CANVAS)
    assert (item.id, item.name, item.tags) == (
        "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "Multi-Channel Engagement",
        ("engagement", "multi-channel"),
    )
    assert item.last_edited == datetime(2023, 1, 10, 12, tzinfo=UTC) and item.is_api_campaign is None


def test_the_sent_headline_reads_as_a_sentence() -> None:
    from reports.views import SentHeadline

    assert SentHeadline(1, (("email", 1),)).text == "Sent 1 message: email 1"
    line = SentHeadline(744_429, (("email", 512_000), ("push", 201_000), ("SMS", 31_429))).line
    assert line == (Strong("Sent 744,429 messages"), ": email 512,000, push 201,000, SMS 31,429")  # the issue's
