"""Campaign and Canvas parsing, summaries, charts and the Braze client's new endpoints (list paging,
Canvas pieces, details), against hand-written answers and the sample Braze server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes.braze import SampleBraze
from reports.braze import BrazeClient, BrazeError, BrazeNoData
from reports.campaigns import parse_campaign_series, summarise_campaign
from reports.canvases import conversion_rate, parse_canvas_series, summarise_canvas
from reports.channels import family_of
from reports.chart import render_chart
from reports.listing import parse_canvas_details, parse_list_page
from reports.models import ChartData, Metrics, SeriesSpec

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
KEYS = st.sampled_from(["time", "messages", "email", "ios_push", "sent", "opens", "data", "stats", "total_stats",
                        "variant_stats", "entries", "conversions", "name", "variation_name", "weird_channel"])
SHAPED = st.recursive(
    st.none() | st.integers(-5, 10**6) | st.floats() | st.text(max_size=5) | st.just("2026-03-01"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=40,
)


@pytest.mark.slow  # a battery of generated or rendered cases
@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, SHAPED))
def test_parsers_never_raise_on_any_json(payload: Any) -> None:
    campaign = parse_campaign_series(payload, campaign_id="c")
    summarise_campaign(campaign, start=date(2000, 1, 1), end=date(2100, 1, 1))
    canvas = parse_canvas_series(payload, canvas_id="v")
    summarise_canvas(canvas, start=date(2000, 1, 1), end=date(2100, 1, 1))
    parse_list_page(payload, "campaign")
    parse_canvas_details(payload, "v")


counts = st.integers(0, 10**6)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(counts, counts, counts, counts), min_size=1, max_size=5))
def test_email_and_push_are_summed_per_channel_never_together(rows: list[tuple[int, int, int, int]]) -> None:
    data = [
        {
            "time": (D1 + timedelta(days=i)).isoformat(),
            "messages": {
                "email": [{"sent": sent, "opens": opens, "unique_opens": min(opens, sent)}],
                "ios_push": [{"sent": psent, "total_opens": popens}],
            },
        }
        for i, (sent, opens, psent, popens) in enumerate(rows)
    ]
    series = parse_campaign_series({"data": data}, campaign_id="c")
    summary = summarise_campaign(series, start=D1, end=D1 + timedelta(9))
    email, push = summary.channel("email"), summary.channel("push")
    assert email is not None and push is not None
    assert email.get("opens") == sum(r[1] for r in rows) and email.get("total_opens") is None
    assert push.get("total_opens") == sum(r[3] for r in rows) and push.get("opens") is None
    assert email.get("sent") == sum(r[0] for r in rows) and push.get("sent") == sum(r[2] for r in rows)
    # email has no `delivered` here, so no rate built on it is shown
    assert [r.label for r in email.rates] == []


def test_email_rates_and_no_invented_metrics() -> None:
    payload = {"data": [{"time": "2026-03-01", "messages": {"email": [{
        "sent": 1000, "delivered": 900, "unique_opens": 300, "unique_clicks": 60, "unsubscribes": 9,
        "reported_spam": 3, "bounces": 100}]}}]}
    summary = summarise_campaign(parse_campaign_series(payload, campaign_id="c"), start=D1, end=D1)
    [email] = summary.channels
    rates = {r.label: r.value for r in email.rates}
    assert rates["unique open rate"] == pytest.approx(300 / 900)
    assert rates["click-to-open"] == pytest.approx(60 / 300)
    assert rates["unsubscribe rate"] == pytest.approx(9 / 900)
    assert rates["spam rate"] == pytest.approx(3 / 900)
    assert rates["bounce rate"] == pytest.approx(100 / 1000)
    assert email.get("opens") is None and email.get("clicks") is None  # not reported: not shown


def test_unknown_channels_are_kept_and_push_keys_grouped() -> None:
    payload = {"data": [{"time": "2026-03-01", "messages": {
        "carrier_pigeon": [{"sent": 4, "lost": 1, "variation_name": "A"}],
        "web_push": [{"sent": 5}], "kindle_push": {"sent": 6},
        "content_cards": [{"sent": 10, "unique_impressions": 8, "unique_clicks": 2}],
    }}]}
    summary = summarise_campaign(parse_campaign_series(payload, campaign_id="c"), start=D1, end=D1)
    by_key = {c.key: c for c in summary.channels}
    assert by_key["push"].get("sent") == 11 and set(by_key["push"].channels) == {"web_push", "kindle_push"}
    assert by_key["carrier_pigeon"].metrics == (("lost", 1), ("sent", 4)) and by_key["carrier_pigeon"].rates == ()
    assert {r.label: r.value for r in by_key["content_cards"].rates}["unique click rate"] == pytest.approx(0.25)
    assert family_of("trigger_in_app_message").key == "in_app_message"


def test_multivariate_conversions_come_from_rows_when_the_day_lacks_them() -> None:
    payload = {"data": [{"time": "2026-03-01", "messages": {"trigger_in_app_message": [
        {"variation_name": "A", "impressions": 100, "clicks": 10, "conversions": 4, "unique_recipients": 90},
        {"variation_name": "B", "impressions": 80, "clicks": 4, "conversions": 1, "unique_recipients": 70},
    ]}, "revenue": 12.5}]}
    summary = summarise_campaign(parse_campaign_series(payload, campaign_id="c"), start=D1, end=D1)
    assert summary.totals.get("conversions") == 5 and summary.totals.get("revenue") == 12.5
    assert summary.conversion_rate == pytest.approx(5 / 160)
    assert [(v.name, v.counts.get("conversions")) for v in summary.variations] == [("A", 4), ("B", 1)]
    [in_app] = summary.channels
    assert in_app.get("conversions") is None  # campaign-level numbers are not channel metrics


def canvas_day(day: str, variants: dict[str, dict[str, Any]], total: dict[str, Any] | None = None) -> dict:
    item: dict[str, Any] = {"time": day, "variant_stats": variants}
    if total is not None:
        item["total_stats"] = total
    return item


def test_canvas_summary_per_variant_and_conversion_rate() -> None:
    payload = {"data": {"name": "Journey", "stats": [
        canvas_day("2026-03-01", {"v1": {"name": "Control", "entries": 100, "conversions": 5},
                                  "v2": {"name": "Test", "entries": 50, "conversions": 10, "revenue": 20.5}},
                   {"entries": 150, "conversions": 15, "conversions_by_entry_time": 12, "revenue": 20.5}),
        canvas_day("2026-03-02", {"v1": {"name": "Control", "entries": 10, "conversions": 1}}),  # no total_stats
    ]}}
    series = parse_canvas_series(payload, canvas_id="cv")
    summary = summarise_canvas(series, start=D1, end=D2)
    assert series.name == "Journey"
    assert summary.totals == Metrics.of(entries=160, conversions=16, conversions_by_entry_time=12, revenue=20.5)
    assert summary.conversion_rate == pytest.approx(16 / 160)
    assert [(v.name, v.stats.get("entries"), v.conversion_rate) for v in summary.variants] == [
        ("Control", 110, pytest.approx(6 / 110)),
        ("Test", 50, pytest.approx(10 / 50)),
    ]


def test_canvas_zero_entries_has_no_rate() -> None:
    assert conversion_rate(Metrics.of(entries=0, conversions=0)) is None
    assert conversion_rate(Metrics.of(conversions=3)) is None


def test_list_page_and_details_parse_defensively() -> None:
    page = {"campaigns": [
        {"id": "a", "name": " Newsletter ", "last_edited": "2026-01-02T03:04:05", "tags": ["x", 3],
         "is_api_campaign": 1},
        {"name": "no id"}, "junk", {"id": "b"},
    ]}
    items = parse_list_page(page, "campaign")
    assert [(i.id, i.name) for i in items] == [("a", "Newsletter"), ("b", "b")]
    assert items[0].last_edited == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) and items[0].tags == ("x",)
    assert items[0].is_api_campaign is None
    details = parse_canvas_details({"name": "J", "archived": True, "variants": [{"id": "v", "name": "V"}, {}]}, "c")
    assert details.name == "J" and details.archived is True and [v.id for v in details.variants] == ["v"]


@pytest.mark.parametrize("days", [1, 14, 45])
def test_panel_chart_draws_any_kind_of_series(days: int) -> None:
    start = date(2026, 1, 1)
    day_list = tuple(start + timedelta(days=i) for i in range(days))
    values = tuple(None if i % 5 == 2 else i * 10 for i in range(days))
    empty = tuple(None for _ in range(days))
    data = ChartData("Chart “$5 off”", day_list, "Entries", (SeriesSpec("All", values, bars=True),
                          SeriesSpec("A", values)), "Conversions", (SeriesSpec("none", empty),))
    png = render_chart(data)
    assert png.startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        render_chart(ChartData("x", day_list, "a", (SeriesSpec("short", (1,) * (days + 1)),), "b", ()))


# --- client against the sample server -----------------------------------------------------------


@pytest.fixture(scope="module")
def braze() -> Iterator[SampleBraze]:
    with SampleBraze() as server:
        yield server


@pytest.fixture
def client(braze: SampleBraze) -> Iterator[BrazeClient]:
    braze.reset()
    braze.campaigns.clear()
    braze.canvases.clear()
    braze.listed.clear()
    with BrazeClient(braze.url, braze.api_key, backoff_initial=0.001, backoff_max=0.002) as c:
        yield c


def test_lists_read_every_page(braze: SampleBraze, client: BrazeClient) -> None:
    braze.fill_lists(campaigns=250, canvases=100)
    braze.add_campaign("mine", "Mine")
    campaigns = client.campaign_list()
    assert len(campaigns) == 251 and len({c.id for c in campaigns}) == 251
    assert [r.query["page"] for r in braze.kind_requests("/campaigns/list")] == ["0", "1", "2"]
    assert len(client.canvas_list()) == 100  # exactly one full page: one more (empty) page is read
    assert [r.query["page"] for r in braze.kind_requests("/canvas/list")] == ["0", "1"]


def test_campaign_list_is_incremental_with_last_edit(braze: SampleBraze, client: BrazeClient) -> None:
    braze.fill_lists(campaigns=120, canvases=0)
    braze.add_campaign("fresh", "Fresh", last_edited="2026-06-01T00:00:00+00:00")
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert [c.id for c in client.campaign_list(edited_after=since)] == ["fresh"]
    assert braze.kind_requests("/campaigns/list")[0].query["last_edit.time[gt]"] == "2026-01-01T00:00:00"


def test_list_403_names_the_list_permission(braze: SampleBraze, client: BrazeClient) -> None:
    braze.fail_next(403, {"message": "no"}, path="/canvas/list")
    with pytest.raises(BrazeError, match=r"`canvas\.list` permission"):
        client.canvas_list()


def test_hundred_day_canvas_is_eight_pieces_joined(braze: SampleBraze, client: BrazeClient) -> None:
    braze.add_canvas("cv", "Journey", days_ago=150)
    ending = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    payload = client.canvas_series_payload("cv", length=100, ending_at=ending)
    assert [len(days) for days in braze.canvas_days_served] == [14] * 7 + [2]
    days = [s["time"] for s in payload["data"]["stats"]]
    assert len(days) == 100 == len(set(days)) and days == sorted(days)
    assert days[-1] == "2026-11-01" and payload["data"]["name"] == "Journey"


def test_canvas_without_data_is_no_data(braze: SampleBraze, client: BrazeClient) -> None:
    braze.add_canvas("cv", "Journey", days_ago=-30)
    with pytest.raises(BrazeNoData, match="no data for Canvas `cv`"):
        client.canvas_series_payload("cv", length=20, ending_at=datetime.now(UTC))


def test_canvas_details_and_name(braze: SampleBraze, client: BrazeClient) -> None:
    braze.add_canvas("cv", "Journey", archived=True)
    details = client.canvas_details("cv")
    assert details.name == "Journey" and details.archived is True and len(details.variants) == 3
    assert client.canvas_name("nope") is None
    braze.fail_next(403, {"message": "no"}, path="/canvas/details")
    with pytest.raises(BrazeError, match=r"`canvas\.details` permission"):
        client.canvas_details("cv")


def test_campaign_details_typed(braze: SampleBraze, client: BrazeClient) -> None:
    braze.add_campaign("c1", "Winter", archived=True)
    details = client.campaign_details("c1")
    assert details.name == "Winter" and details.archived is True and "email" in details.channels
    assert client.campaign_name("c1") == "Winter"
    with pytest.raises(BrazeError, match="does not know campaign `nope`"):
        client.campaign_details("nope")
