"""Campaign and Canvas numbers, exactly: parsing Braze's answers, per-channel summaries and rates,
chart data, digest numbers, and the catalogue's name folding. Pure functions, hand-written answers.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from catalogue.fold import fold, query_words
from reports.campaigns import (
    CampaignSummary,
    ChannelSummary,
    Rate,
    VariationSummary,
    campaign_chart_data,
    parse_campaign_series,
    summarise_campaign,
    summarise_channel,
)
from reports.canvases import (
    CanvasSummary,
    VariantSummary,
    canvas_chart_data,
    conversion_rate,
    parse_canvas_series,
    summarise_canvas,
)
from reports.channels import FAMILIES, LEVEL_METRICS, PUSH, Family, family_of
from reports.daily import QUIET_DAYS_TO_END, RECENT_DAYS, Digest
from reports.daily import recent_span as span
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of
from reports.models import ChannelRow, ChartData, DayPoint, Metrics, Series, SeriesSpec, metrics_of
from reports.parse import parse_metrics
from reports.summary import ratio

D1 = date(2026, 3, 1)


def d(n: int) -> date:
    return D1 + timedelta(days=n)

def build_kind_digest(word: str, series: Series, *, first_day: date, digest_date: date, archived: bool) -> Digest:
    """The digest the ``word`` kind builds (``campaign``, ``canvas``) of ``series``."""
    kind = kind_of(word)
    target = Target(kind.kind, series.object_id)
    return kind.build_digest(series, target=target, first_day=first_day, digest_date=digest_date, archived=archived)



def row(channel: str, variation: str = "A", api_id: str | None = None, **counts: int | float) -> ChannelRow:
    return ChannelRow(channel, variation, api_id, metrics_of(counts))


# -- families ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "key", "label"),
    [
        ("email", "email", "Email"),
        ("EMAIL", "email", "Email"),
        ("push", "push", "Push"),
        ("ios_push", "push", "Push"),
        ("Android_Push", "push", "Push"),
        ("pushover", "pushover", "Pushover"),  # only ``*_push`` and ``push`` are push
        ("sms", "sms", "SMS"),
        ("webhook", "webhook", "Webhook"),
        ("in_app_message", "in_app_message", "In-app message"),
        ("trigger_in_app_message", "in_app_message", "In-app message"),
        ("content_cards", "content_cards", "Content Cards"),
        ("content_card", "content_cards", "Content Cards"),
        ("whats_app", "whats_app", "WhatsApp"),
        ("whatsapp", "whats_app", "WhatsApp"),
        ("Carrier_pigeon", "carrier_pigeon", "Carrier pigeon"),
    ],
)
def test_family_of_each_channel_key(channel: str, key: str, label: str) -> None:
    family = family_of(channel)
    assert (family.key, family.label) == (key, label)
    if key not in FAMILIES:
        assert family.metrics == () and family.rates == ()


def test_each_familys_metrics_and_rates() -> None:
    assert {k: (f.metrics, f.rates) for k, f in FAMILIES.items()} == {
        "email": (
            (
                "sent",
                "delivered",
                "opens",
                "unique_opens",
                "clicks",
                "unique_clicks",
                "unsubscribes",
                "bounces",
                "reported_spam",
            ),
            (
                ("delivery rate", "delivered", "sent"),
                ("unique open rate", "unique_opens", "delivered"),
                ("unique click rate", "unique_clicks", "delivered"),
                ("click-to-open", "unique_clicks", "unique_opens"),
                ("unsubscribe rate", "unsubscribes", "delivered"),
                ("spam rate", "reported_spam", "delivered"),
                ("bounce rate", "bounces", "sent"),
            ),
        ),
        "push": (
            # /sends/data_series's push-shaped row adds delivered, undelivered and delivery_failed
            ("sent", "delivered", "undelivered", "delivery_failed", "direct_opens", "total_opens", "body_clicks",
             "bounces"),
            (
                ("delivery rate", "delivered", "sent"),
                ("direct open rate", "direct_opens", "sent"),
                ("total open rate", "total_opens", "sent"),
                ("bounce rate", "bounces", "sent"),
            ),
        ),
        "sms": (
            (
                "sent",
                "sent_to_carrier",
                "delivered",
                "undelivered",
                "rejected",
                "delivery_failed",
                "clicks",
                "opt_out",
                "help",
            ),
            (
                ("delivery rate", "delivered", "sent"),
                ("failure rate", "delivery_failed", "sent"),
                ("opt-out rate", "opt_out", "delivered"),
            ),
        ),
        "webhook": (("sent", "errors"), (("error rate", "errors", "sent"),)),
        "in_app_message": (
            ("impressions", "clicks", "first_button_clicks", "second_button_clicks", "enrolled"),  # control: enrolled
            (("click rate", "clicks", "impressions"),),
        ),
        "content_cards": (
            (
                "sent",
                "total_impressions",
                "unique_impressions",
                "total_clicks",
                "unique_clicks",
                "total_dismissals",
                "unique_dismissals",
            ),
            (
                ("unique click rate", "unique_clicks", "unique_impressions"),
                ("unique dismissal rate", "unique_dismissals", "unique_impressions"),
            ),
        ),
        "whats_app": (
            ("sent", "delivered", "failed", "read"),
            (("delivery rate", "delivered", "sent"), ("read rate", "read", "delivered")),
        ),
    }
    assert [f.key for f in FAMILIES.values()] == list(FAMILIES)
    assert FAMILIES["push"] is PUSH


# -- parsing campaigns -------------------------------------------------------------------------------


def test_parse_metrics_keeps_numbers_and_skips_the_rest() -> None:
    raw = {
        "opens": None,  # not reported: skipped, and the fields after it still read
        "sent": "12",
        "revenue": 1.005,
        "clicks": 2.9,  # counts are whole numbers
        "variation_name": 5,  # text fields are never counts, whatever their value
        "variation_api_id": 6,
        "": 1,
        7: 1,
        "k" * 80: 3,
        "k" * 81: 4,
        "junk": "many",
    }
    assert parse_metrics(raw).as_dict() == {"sent": 12, "revenue": 1.0, "clicks": 2, "k" * 80: 3}
    assert isinstance(parse_metrics({"clicks": 2.9}).get("clicks"), int)
    assert parse_metrics({"revenue": 2}).get("revenue") == 2
    assert parse_metrics(["sent", 1]) == Metrics()
    assert parse_metrics({"sent": 1, "x": 2}, skip=frozenset({"x"})).as_dict() == {"sent": 1}


def test_campaign_rows_are_read_defensively() -> None:
    payload = {
        "data": [
            {
                "time": "2026-03-02T00:00:00Z",
                "unique_recipients": 9,
                "conversions": "3",
                "bogus_level": 4,  # only campaign-level names are read beside ``messages``
                "messages": {
                    "sms": "junk",
                    "  email  ": [
                        "junk",
                        {"variation_name": "  Spring  ", "variation_api_id": " va ", "sent": 5},
                        {"variation_api_id": "v" * 70, "sent": 6},
                        {"variation_name": "   ", "sent": 7},
                    ],
                    "ios_push": {"variation_name": "P" * 200, "sent": 8},  # one object instead of a list
                    "   ": [{"sent": 1}],
                    "c" * 70: [{"sent": 2}],
                },
            },
            {"time": "2026-03-01", "messages": "junk"},
            {"time": "not a day", "messages": {"email": [{"sent": 1}]}},
            {"messages": {"email": [{"sent": 1}]}},
            "junk",
            {"time": "2026-03-02", "revenue": 2.5, "messages": {"webhook": [{"sent": 3}]}},
        ]
    }
    series = parse_campaign_series(payload, campaign_id="c")
    assert series.object_id == "c"
    assert [p.day for p in series.days] == [d(0), d(1)]  # sorted, unreadable days dropped
    first, second = series.days
    assert first == DayPoint(d(0), (), Metrics())
    assert not first.has_data
    assert second.rows == (
        ChannelRow("email", "Spring", "va", metrics_of({"sent": 5})),
        ChannelRow("email", "v" * 64, "v" * 64, metrics_of({"sent": 6})),
        ChannelRow("email", "(no variation)", None, metrics_of({"sent": 7})),
        ChannelRow("ios_push", "P" * 150, None, metrics_of({"sent": 8})),
        ChannelRow("c" * 60, "(no variation)", None, metrics_of({"sent": 2})),
        ChannelRow("webhook", "(no variation)", None, metrics_of({"sent": 3})),  # the repeated day, merged
    )
    assert second.level.as_dict() == {"unique_recipients": 9, "conversions": 3, "revenue": 2.5}
    for junk in (None, [], {"data": "x"}, {"data": None}, "text"):
        assert parse_campaign_series(junk, campaign_id="c") == Series("c", "", ())


def test_a_day_with_only_level_numbers_has_data() -> None:
    assert DayPoint(D1, (), metrics_of({"conversions": 0})).has_data
    assert DayPoint(D1, (row("email"),)).has_data
    assert not DayPoint(D1).has_data


def test_level_totals_prefer_the_days_own_numbers_and_fill_gaps_from_rows() -> None:
    day = DayPoint(
        D1,
        (
            row("email", "A", conversions=4, unique_recipients=10, sent=100),
            row("email", "B", conversions=1, revenue=2.5, sent=50),
        ),
        metrics_of({"conversions": 7}),
    )
    assert day.level_totals(LEVEL_METRICS).as_dict() == {"conversions": 7, "unique_recipients": 10, "revenue": 2.5}
    # Without names (a Canvas day: its total_stats), every number the rows carry fills a gap.
    assert day.level_totals().as_dict() == {"conversions": 7, "unique_recipients": 10, "revenue": 2.5, "sent": 150}


# -- summaries ---------------------------------------------------------------------------------------


def test_ratio() -> None:
    assert ratio(1, 4) == 0.25
    assert ratio(None, 4) is None
    assert ratio(1, None) is None
    assert ratio(1, 0) is None
    assert ratio(0, 4) == 0


def test_summarise_channel_orders_metrics_and_builds_only_reported_rates() -> None:
    counts = metrics_of({"zeta": 1, "sent": 10, "delivered": 8, "alpha": 2, "conversions": 3, "unique_opens": 4})
    summary = summarise_channel(FAMILIES["email"], ("email",), counts)
    assert summary == ChannelSummary(
        "email",
        "Email",
        ("email",),
        (("sent", 10), ("delivered", 8), ("unique_opens", 4), ("alpha", 2), ("zeta", 1)),
        (
            Rate("delivery rate", 0.8, "delivered ÷ sent"),
            Rate("unique open rate", 0.5, "unique opens ÷ delivered"),
        ),
    )
    assert summary.get("alpha") == 2 and summary.get("conversions") is None
    zero = summarise_channel(PUSH, ("ios_push",), metrics_of({"sent": 0, "direct_opens": 0}))
    assert zero.rates == (Rate("direct open rate", None, "direct opens ÷ sent"),)


def test_variation_headline_is_sent_or_impressions() -> None:
    v = VariationSummary(
        "A",
        None,
        (),
        Metrics(),
        (
            ("Email", metrics_of({"sent": 5, "impressions": 9})),
            ("In-app message", metrics_of({"impressions": 3})),
            ("Webhook", metrics_of({"errors": 1})),
            ("Push", metrics_of({"sent": 0})),
        ),
    )
    assert v.headline() == (("Email", "sent", 5), ("In-app message", "impressions", 3), ("Push", "sent", 0))


def series_for_summary() -> Series:
    return Series("cmp", "", (
            DayPoint(d(-1), (row("email", sent=1000),)),  # before the range
            DayPoint(
                d(0),
                (row("ios_push", "B", "vb", sent=3, conversions=1), row("email", "A", "va", sent=10)),
                metrics_of({"unique_recipients": 40, "conversions": 4}),
            ),
            DayPoint(d(1)),  # no data: not counted
            DayPoint(
                d(2),
                (
                    row("android_push", "B", "vb2", sent=5),
                    row("ios_push", "B", "vb", sent=2),
                    row("zz_new", "A", sent=1),
                    row("aa_new", "A", sent=1),
                    row("sms", "A", sent=1),
                ),
            ),
            DayPoint(d(3), (row("email", sent=1000),)),  # after the range
        ))


def test_summarise_campaign() -> None:
    s = summarise_campaign(series_for_summary(), start=d(0), end=d(2))
    assert (s.campaign_id, s.start, s.end, s.days_with_data) == ("cmp", d(0), d(2), 2)
    assert s.has_data
    assert [(c.key, c.channels, c.metrics) for c in s.channels] == [
        ("email", ("email",), (("sent", 10),)),
        ("push", ("ios_push", "android_push"), (("sent", 10),)),  # each key once, in first-seen order
        ("sms", ("sms",), (("sent", 1),)),
        ("aa_new", ("aa_new",), (("sent", 1),)),  # unknown families last, by key
        ("zz_new", ("zz_new",), (("sent", 1),)),
    ]
    assert s.channel("push") is s.channels[1] and s.channel("webhook") is None
    assert s.variations == (
        VariationSummary(
            "A",
            "va",
            ("Email", "Zz new", "Aa new", "SMS"),  # in the order its rows came
            Metrics(),
            (
                ("Email", metrics_of({"sent": 10})),
                ("Zz new", metrics_of({"sent": 1})),
                ("Aa new", metrics_of({"sent": 1})),
                ("SMS", metrics_of({"sent": 1})),
            ),
        ),
        VariationSummary(
            # B's rows carry two message variation IDs (vb, vb2): no single ID stands for it
            "B", None, ("Push",), metrics_of({"conversions": 1}),
            (("Push", metrics_of({"sent": 10, "conversions": 1})),),
        ),
    )
    assert s.totals.as_dict() == {"unique_recipients": 40, "conversions": 4}
    assert s.conversion_rate == 0.1


def test_one_variation_is_no_breakdown_and_an_empty_range_has_no_data() -> None:
    s = summarise_campaign(series_for_summary(), start=d(-1), end=d(-1))
    assert s.variations == () and s.days_with_data == 1 and s.conversion_rate is None
    empty = summarise_campaign(series_for_summary(), start=d(1), end=d(1))
    assert not empty.has_data and empty.channels == () and empty.totals == Metrics()


# -- campaign chart data -----------------------------------------------------------------------------


def test_campaign_chart_data() -> None:
    series = Series("c", "", (
            DayPoint(
                d(0),
                (
                    row("email", sent=10, unique_opens=4, unique_clicks=2),
                    row("ios_push", sent=5, direct_opens=1),
                    row("android_push", sent=5, direct_opens=2),
                ),
                metrics_of({"conversions": 3}),
            ),
            DayPoint(d(1)),
            DayPoint(
                d(2),
                (
                    row("trigger_in_app_message", impressions=7, clicks=1),
                    row("content_cards", sent=2, unique_clicks=1),
                    row("sms", sent=1, clicks=0),
                    row("webhook", sent=9),
                ),
            ),
        ))
    summary = summarise_campaign(series, start=d(0), end=d(2))
    chart = campaign_chart_data(series, summary, title="Spring")
    assert chart == ChartData(
        title="Spring",
        days=(d(0), d(1), d(2)),
        top_title="Volume",
        top=(
            SeriesSpec("Email sent", (10, None, None)),
            SeriesSpec("Push sent", (10, None, None)),
            SeriesSpec("SMS sent", (None, None, 1)),
            SeriesSpec("Webhook sent", (None, None, 9)),
            SeriesSpec("In-app message impressions", (None, None, 7)),
            SeriesSpec("Content Cards sent", (None, None, 2)),
        ),
        bottom_title="Engagement",
        bottom=(
            SeriesSpec("Email unique opens", (4, None, None)),
            SeriesSpec("Email unique clicks", (2, None, None)),
            SeriesSpec("Push direct opens", (3, None, None)),
            SeriesSpec("In-app clicks", (None, None, 1)),
            SeriesSpec("Content Card unique clicks", (None, None, 1)),
            SeriesSpec("SMS clicks", (None, None, 0)),
            SeriesSpec("Conversions", (3, None, None)),
        ),
    )


def test_campaign_chart_without_volume_or_conversions_and_capped_at_seven() -> None:
    series = Series("c", "", (DayPoint(d(0), (row("webhook", errors=2), row("email", unique_opens=1))),))
    summary = summarise_campaign(series, start=d(0), end=d(0))
    chart = campaign_chart_data(series, summary, title="T")
    assert chart.top == () and chart.bottom == (SeriesSpec("Email unique opens", (1,)),)
    many = Series("c", "", (DayPoint(d(0), tuple(row(f"x{i}", sent=i) for i in range(9))),))
    summary = summarise_campaign(many, start=d(0), end=d(0))
    top = campaign_chart_data(many, summary, title="T").top
    assert [s.label for s in top] == [f"X{i} sent" for i in range(7)]
    assert top[0] == SeriesSpec("X0 sent", (0,), bars=False)


def test_engagement_with_conversions_past_seven_is_cut() -> None:
    day = DayPoint(
        d(0),
        (
            row("email", unique_opens=1, unique_clicks=1),
            row("ios_push", direct_opens=1),
            row("in_app_message", clicks=1),
            row("content_cards", unique_clicks=1),
            row("sms", clicks=1),
        ),
        metrics_of({"conversions": 1}),
    )
    series = Series("c", "", (day,))
    bottom = campaign_chart_data(series, summarise_campaign(series, start=d(0), end=d(0)), title="T").bottom
    assert len(bottom) == 7 and bottom[-1] == SeriesSpec("Conversions", (1,))


def test_campaign_chart_conversions_from_rows_and_gaps() -> None:
    series = Series("c", "", (
            DayPoint(d(0), (row("email", "A", sent=1, conversions=2), row("email", "B", sent=1, conversions=3))),
            DayPoint(d(1), (row("email", sent=1),)),
        ))
    summary = summarise_campaign(series, start=d(0), end=d(1))
    assert campaign_chart_data(series, summary, title="T").bottom == (SeriesSpec("Conversions", (5, None)),)


# -- Canvases ----------------------------------------------------------------------------------------


def test_canvas_stats_add_and_rate() -> None:
    a = Metrics.of(entries=10, conversions=None, conversions_by_entry_time=1, revenue=0.1)
    b = Metrics.of(entries=None, conversions=2, conversions_by_entry_time=2, revenue=0.2)
    # 0.1 + 0.2 rounded to cents
    assert a + b == Metrics.of(entries=10, conversions=2, conversions_by_entry_time=3, revenue=0.3)
    assert Metrics() + Metrics() == Metrics()
    assert Metrics.of(revenue=1.234) + Metrics.of(revenue=1.0) == Metrics.of(revenue=2.23)
    assert Metrics.of(revenue=None) + Metrics.of(revenue=1) == Metrics.of(revenue=1)
    assert conversion_rate(Metrics.of(entries=4, conversions=1)) == 0.25
    assert conversion_rate(Metrics.of(entries=0, conversions=1)) is None
    assert conversion_rate(Metrics.of(entries=4)) is None
    assert conversion_rate(Metrics.of(conversions=0)) is None
    assert not Metrics() and Metrics.of(revenue=0) and Metrics.of(conversions_by_entry_time=0)


def test_parse_metrics() -> None:
    raw = {"entries": "12", "conversions": 3.7, "conversions_by_entry_time": None, "revenue": 2.345, "x": 1}
    # half to even: 2.345 → 2.35; a number Braze adds ("x") is kept
    assert parse_metrics(raw) == Metrics.of(entries=12, conversions=3, revenue=2.35, x=1)
    assert parse_metrics([1]) == Metrics()
    assert parse_metrics({"revenue": "junk"}) == Metrics()


def test_canvas_series_is_read_defensively() -> None:
    payload = {
        "data": {
            "name": "  " + "J" * 200,
            "stats": [
                "junk",  # unreadable items are skipped, never the end of the answer
                {"time": "junk", "total_stats": {"entries": 1}},
                {"time": "2026-03-02", "total_stats": {"entries": 5}},
                {
                    "time": "2026-03-01T00:00:00+00:00",
                    "total_stats": {"entries": 1},
                    "variant_stats": {
                        "v3": "junk",
                        "   ": {"entries": 9},
                        " v1 ": {"name": " Control ", "entries": 1},
                        "v2": {"entries": 2},
                        "w" * 70: {"name": "   ", "entries": 3},
                    },
                },
                {
                    "time": "2026-03-02",
                    "total_stats": {"entries": 6, "revenue": 1.5},
                    "variant_stats": {"v9": {"entries": 6}},
                },
            ],
        }
    }
    series = parse_canvas_series(payload, canvas_id="cv")
    # Each variant is a row without a channel, its variant ID as the row's ID; total_stats are the day's own.
    variants = (
        ChannelRow("", "Control", "v1", Metrics.of(entries=1)),
        ChannelRow("", "v2", "v2", Metrics.of(entries=2)),
        ChannelRow("", "w" * 64, "w" * 64, Metrics.of(entries=3)),
    )
    later = (ChannelRow("", "v9", "v9", Metrics.of(entries=6)),)
    assert series == Series(
        "cv",
        "",
        (DayPoint(d(0), variants, Metrics.of(entries=1)), DayPoint(d(1), later, Metrics.of(entries=11, revenue=1.5))),
        "J" * 150,
    )
    for junk in (None, {"data": []}, {"data": {"stats": "x"}}, {"data": {"name": 5}}, "x"):
        assert parse_canvas_series(junk, canvas_id="cv") == Series("cv", "", (), None)
    assert parse_canvas_series(
        {"data": {"stats": [{"time": "2026-03-01", "variant_stats": []}]}}, canvas_id="cv"
    ).days == (DayPoint(d(0)),)


def test_canvas_day_has_data() -> None:
    assert not DayPoint(D1).has_data
    assert DayPoint(D1, level=Metrics.of(entries=0)).has_data
    assert DayPoint(D1, rows=(ChannelRow("", "v", "v", Metrics()),)).has_data


def canvas_series() -> Series:
    return Series("cv", "", (
            DayPoint(d(-1), level=Metrics.of(entries=1000)),
            DayPoint(d(0), rows=(
                    ChannelRow("", "Beta", "v1", Metrics.of(entries=10, conversions=1, revenue=1.0)),
                    ChannelRow("", "Alpha", "v2", Metrics.of(entries=20, conversions=2)),
                ), level=Metrics.of(entries=30, revenue=None)),
            DayPoint(d(1)),
            DayPoint(d(2), rows=(
                    ChannelRow("", "Beta renamed", "v1", Metrics.of(entries=10)),
                    ChannelRow("", "Gamma", "v3", Metrics()),
                ), level=Metrics.of(entries=5, conversions=1)),
            DayPoint(d(3), level=Metrics.of(entries=1000)),
        ), "Journey")


def test_summarise_canvas() -> None:
    s = summarise_canvas(canvas_series(), start=d(0), end=d(2))
    assert s == CanvasSummary(
        canvas_id="cv",
        start=d(0),
        end=d(2),
        days_with_data=2,
        # day 0: entries 30 as reported; conversions 1 + 2 and revenue 1.0 from the variants; day 2 as reported
        totals=Metrics.of(entries=35, conversions=4, revenue=1.0),
        variants=(
            VariantSummary("v2", "Alpha", Metrics.of(entries=20, conversions=2)),  # most entries first; a tie by name
            VariantSummary("v1", "Beta", Metrics.of(entries=20, conversions=1, revenue=1.0)),  # the first name kept
            VariantSummary("v3", "Gamma", Metrics()),
        ),
        series_name="Journey",
    )
    assert s.has_data and s.conversion_rate == 4 / 35
    assert s.variants[0].conversion_rate == 0.1
    tie = summarise_canvas(canvas_series(), start=d(0), end=d(0))
    assert [v.name for v in tie.variants] == ["Alpha", "Beta"]  # 20 entries before 10
    rows = (ChannelRow("", "Aaa", "a", Metrics.of(conversions=1)), ChannelRow("", "Zzz", "z", Metrics.of(entries=1)))
    none_vs_one = Series("cv", "", (DayPoint(d(0), rows, Metrics.of(entries=1)),))
    # unknown entries sort as 0, after a variant with 1
    assert [v.name for v in summarise_canvas(none_vs_one, start=d(0), end=d(0)).variants] == ["Zzz", "Aaa"]
    empty = summarise_canvas(canvas_series(), start=d(1), end=d(1))
    assert not empty.has_data and empty.totals == Metrics() and empty.variants == ()


def test_canvas_chart_data() -> None:
    series = canvas_series()
    summary = summarise_canvas(series, start=d(0), end=d(2))
    assert canvas_chart_data(series, summary, title="J") == ChartData(
        "J",
        (d(0), d(1), d(2)),
        "Entries",
        (
            SeriesSpec("All entries", (30, None, 5), bars=True),
            SeriesSpec("Alpha", (20, None, None)),
            SeriesSpec("Beta", (10, None, 10)),
            SeriesSpec("Gamma", (None, None, None)),
        ),
        "Conversions",
        (
            SeriesSpec("All conversions", (3, None, 1), bars=True),
            SeriesSpec("Alpha", (2, None, None)),
            SeriesSpec("Beta", (1, None, None)),
            SeriesSpec("Gamma", (None, None, None)),
        ),
    )


def test_canvas_chart_shows_six_variants() -> None:
    variants = tuple(ChannelRow("", f"V{i}", f"v{i}", Metrics.of(entries=10 - i)) for i in range(8))
    series = Series("cv", "", (DayPoint(d(0), rows=variants, level=Metrics.of(entries=99)),), None)
    chart = canvas_chart_data(series, summarise_canvas(series, start=d(0), end=d(0)), title="T")
    assert [s.label for s in chart.top] == ["All entries", "V0", "V1", "V2", "V3", "V4", "V5"]
    assert len(chart.bottom) == 7


# -- campaign and Canvas digest numbers --------------------------------------------------------------


def test_span_is_fourteen_days_to_yesterday() -> None:
    assert RECENT_DAYS == 14 and QUIET_DAYS_TO_END == 14
    assert span(date(2026, 3, 15)) == (14, date(2026, 3, 14))


def test_active_days() -> None:
    assert kind_of("campaign").active(DayPoint(D1, (row("email", sent=1),)))
    assert not kind_of("campaign").active(DayPoint(D1, (row("email", sent=0, delivered=0),)))
    # conversions alone send nothing
    assert not kind_of("campaign").active(DayPoint(D1, (), metrics_of({"conversions": 5})))
    assert kind_of("campaign").active(DayPoint(D1, (row("email", sent=0), row("push", sent=0, opens=1))))
    assert kind_of("canvas").active(DayPoint(D1, level=Metrics.of(entries=1)))
    assert not kind_of("canvas").active(DayPoint(D1, level=Metrics.of(entries=0, conversions=4)))
    assert kind_of("canvas").active(DayPoint(D1, rows=(ChannelRow("", "v", "v", Metrics.of(entries=2)),)))
    assert not kind_of("canvas").active(DayPoint(D1, rows=(ChannelRow("", "v", "v", Metrics.of(entries=None)),)))


def test_a_campaign_digest_numbers() -> None:
    series = Series("cmp", "", (
            DayPoint(d(-14), (row("email", sent=1000),)),  # just outside the 14 days
            DayPoint(d(-13), (row("email", sent=100),)),
            DayPoint(d(-1), (row("email", sent=10),)),
            DayPoint(d(0), (row("email", sent=1),)),
        ))
    digest = build_kind_digest("campaign", series, first_day=d(-20), digest_date=d(1), archived=False)
    assert (digest.target, digest.digest_date, digest.day) == (Target(Kind.CAMPAIGN, "cmp"), d(1), d(0))
    assert (digest.quiet_days, digest.end_reason) == (0, None)
    assert digest.has_activity and not digest.final
    assert digest.today.channel("email").get("sent") == 1  # type: ignore[union-attr]
    assert digest.previous.channel("email").get("sent") == 10  # type: ignore[union-attr]
    assert (digest.span.start, digest.span.end) == (d(-13), d(0))
    assert digest.span.channel("email").get("sent") == 111  # type: ignore[union-attr]


def test_quiet_days_stop_at_the_first_day_and_at_fourteen() -> None:
    series = Series("cmp", "", (DayPoint(d(0), (row("email", sent=1),)),))
    # the first day of the subscription was busy, then 3 quiet days
    assert build_kind_digest("campaign", series, first_day=d(0), digest_date=d(4), archived=False).quiet_days == 3
    # quiet since the subscription began 2 days ago: 2, not more
    digest = build_kind_digest("campaign", series, first_day=d(5), digest_date=d(7), archived=False)
    assert digest.quiet_days == 2 and digest.end_reason is None
    digest = build_kind_digest("campaign", series, first_day=d(0), digest_date=d(15), archived=False)
    assert digest.quiet_days == 14 and digest.end_reason == "nothing was sent for 14 days in a row"
    digest = build_kind_digest("campaign", series, first_day=d(0), digest_date=d(14), archived=False)
    assert digest.quiet_days == 13 and not digest.final
    digest = build_kind_digest("campaign", series, first_day=d(0), digest_date=d(40), archived=False)
    assert digest.quiet_days == 14 and digest.final


def test_canvas_digest_reasons() -> None:
    series = Series("cv", "", (DayPoint(d(0), level=Metrics.of(entries=1)),), None)
    quiet = build_kind_digest("canvas", series, first_day=d(0), digest_date=d(15), archived=False)
    assert quiet.target.object_id == "cv" and quiet.end_reason == "nobody entered it for 14 days in a row"
    assert isinstance(quiet.today, CanvasSummary)
    archived = build_kind_digest("canvas", series, first_day=d(0), digest_date=d(1), archived=True)
    assert archived.end_reason == "Braze reports the Canvas archived" and archived.has_activity
    campaign = build_kind_digest("campaign", Series("c"), first_day=d(0), digest_date=d(1), archived=True)
    assert campaign.end_reason == "Braze reports the campaign archived"
    assert isinstance(campaign.today, CampaignSummary)


# -- folding names for search ------------------------------------------------------------------------


def test_fold() -> None:
    assert fold("  Ça  Marche ") == "ca marche"
    assert fold("Été PROMO") == "ete promo"
    assert fold("Ørsted Æble Œuvre Łódź đð þ ı") == "orsted aeble oeuvre lodz dd th i"
    assert fold("ﬁne Straße") == "fine strasse"  # compatibility forms and case folding
    assert fold("a\tb\nc") == "a b c"
    assert fold("") == ""


def test_query_words() -> None:
    assert query_words("Sale  spring SALE ab") == ["spring", "sale", "ab"]  # distinct, longest first
    assert query_words("bb aa cc") == ["aa", "bb", "cc"]  # same length: alphabetical
    words = query_words(" ".join(f"w{i:02}" for i in range(10)))
    assert words == [f"w{i:02}" for i in range(8)]
    assert query_words("x" * 70) == ["x" * 64]
    assert query_words("   ") == []


def test_unknown_family_has_no_rates() -> None:
    assert family_of("new_thing") == Family("new_thing", "New thing", ())
