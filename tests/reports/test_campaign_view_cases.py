"""What a campaign's report and digest say in the cases the block-by-block tests leave open: the rate
formulas when channels read a rate differently, an unnamed variation sent on two channels, exactly as
many variations as are shown, a channel that sent nothing on the digest's day, the conversion events by
name (a campaign's and a send's), and which campaign's details are asked for."""

from __future__ import annotations

from datetime import date
from typing import Any

from reports.campaigns import ChannelSummary, Rate, summarise_campaign
from reports.kinds import Kind, Target
from reports.kinds.campaign import CAMPAIGN, MAX_VARIATIONS, channel_details, formulas
from reports.kinds.send import SEND
from reports.models import ChannelRow, DayPoint, Labels, Series, metrics_of
from reports.views import Figure, Note, Table

DAY = date(2026, 3, 2)


def row(channel: str, variation: str = "A", api_id: str | None = None, **counts: int | float) -> ChannelRow:
    return ChannelRow(channel, variation, api_id, metrics_of(counts))


def test_a_rate_read_differently_by_two_channels_names_each_channel_with_its_formula() -> None:
    rows = (
        row("email", sent=10, delivered=9, unique_clicks=3),
        row("content_cards", sent=5, unique_impressions=4, unique_clicks=1),
    )
    summary = summarise_campaign(Series("cmp", "", (DayPoint(DAY, rows),)), start=DAY, end=DAY)
    assert formulas(summary.channels) == (
        "Rates: delivery rate = delivered ÷ sent · unique click rate = unique clicks ÷ delivered (Email), "
        "unique clicks ÷ unique impressions (Content Cards)"
    )


def test_channels_reading_a_rate_the_same_way_are_named_together() -> None:
    def channel(label: str, formula: str) -> ChannelSummary:
        return ChannelSummary(label.lower(), label, (label.lower(),), (), (Rate("read rate", 0.5, formula),))

    channels = (
        channel("Chat", "read ÷ delivered"),
        channel("Fax", "read ÷ sent"),
        channel("Telex", "read ÷ delivered"),
    )
    assert formulas(channels) == "Rates: read rate = read ÷ delivered (Chat, Telex), read ÷ sent (Fax)"


def test_an_unnamed_variation_sent_on_two_channels_names_both_and_its_id() -> None:
    rows = (row("email", "v9", "v9", sent=5), row("sms", "v9", "v9", sent=3), row("email", "Named", "n1", sent=4))
    summary = summarise_campaign(Series("cmp", "", (DayPoint(DAY, rows),)), start=DAY, end=DAY)
    assert channel_details(summary)[-1] == Table(
        "By variation",
        ("Email", "SMS"),
        (("Named", ("4", "–")), ("Email and SMS variation without a name (v9)", ("5", "3"))),
    )


def test_exactly_as_many_variations_as_are_shown_has_no_more_note() -> None:
    rows = tuple(row("email", f"V{i}", sent=10 + i) for i in range(MAX_VARIATIONS))
    summary = summarise_campaign(Series("cmp", "", (DayPoint(DAY, rows),)), start=DAY, end=DAY)
    table = channel_details(summary)[-1]
    assert isinstance(table, Table) and [name for name, _ in table.rows] == [f"V{i}" for i in range(10)]
    more = (*rows, row("email", "V10", sent=1))
    summary = summarise_campaign(Series("cmp", "", (DayPoint(DAY, more),)), start=DAY, end=DAY)
    assert channel_details(summary)[-1] == Note(("… and 1 more variations",))


def test_a_digest_shows_a_channel_that_sent_nothing_that_day_with_its_fall() -> None:
    before = DayPoint(
        date(2026, 3, 1),
        (row("email", sent=100), row("ios_push", sent=50)),
        metrics_of({"conversions": 40, "revenue": 100.0}),
    )
    today = DayPoint(
        DAY, (row("email", sent=0), row("ios_push", sent=80)), metrics_of({"conversions": 44, "revenue": 110.0})
    )
    series = Series("cmp", "", (before, today))
    digest = CAMPAIGN.build_digest(
        series, target=Target(Kind.CAMPAIGN, "cmp"), first_day=before.day, digest_date=date(2026, 3, 3)
    )
    assert CAMPAIGN.digest_view(digest, title="Spring").figures == (
        Figure("Sent", "80  ▼ 47%"),
        Figure("Email", "0 sent  ▼ 100%"),
        Figure("Push", "80 sent  ▲ 60%"),
        Figure("Conversions", "44  ▲ 10%"),
        Figure("Revenue", "$110.00  ▲ 10%"),
    )


EVENTS = Labels("Spring", (), ("Purchase", "Sign-up"))
CONVERSIONS = metrics_of({"conversions": 12, "conversions1": 3, "unique_recipients": 100})


def test_a_campaign_report_names_its_conversion_events() -> None:
    series = Series("cmp", "", (DayPoint(DAY, (row("email", sent=5),), CONVERSIONS),)).named(EVENTS)
    summary = CAMPAIGN.summarise(series, start=DAY, end=DAY)
    assert summary.events == ("Purchase", "Sign-up")
    view = CAMPAIGN.report_view(summary, title="Spring")
    assert view.figures_note == ("Conversions · Purchase (A) 12 · Sign-up (B): 3 (by send time –)",)


def test_a_send_report_names_its_conversion_events() -> None:
    series = Series("cmp", "snd", (DayPoint(DAY, (row("email", sent=5),), CONVERSIONS),)).named(EVENTS)
    summary = SEND.summarise(series, start=DAY, end=DAY)
    assert summary.events == ("Purchase", "Sign-up")
    view = SEND.report_view(summary, title="Spring")
    assert view.figures_note == ("Conversions · Purchase (A) 12 · Sign-up (B): 3 (by send time –)",)


class Braze:
    """A Braze client stand-in that records what it is asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def campaign_labels(self, campaign_id: str) -> Labels:
        self.asked.append(("campaign_labels", campaign_id))
        return EVENTS


def test_a_campaigns_labels_are_asked_for_that_campaign() -> None:
    braze: Any = Braze()
    assert CAMPAIGN.lookup_labels(braze, "cmp-7") == EVENTS
    assert braze.asked == [("campaign_labels", "cmp-7")]
