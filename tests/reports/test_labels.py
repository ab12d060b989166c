"""What ``/campaigns/details`` names, applied to a series that only identifies it (issue 16, items 2–3):
variation names from ``messages`` (message variation ID → ``name``) for rows Braze sends with only a
``variation_api_id``, and conversion events A–D named from ``conversion_behaviors``. Inputs are Braze's
documented examples (fakes/braze_examples); expected labels are written out by hand from those files."""

from __future__ import annotations

from datetime import date

from fakes.braze_examples import load
from reports.campaigns import parse_campaign_series, summarise_campaign
from reports.listing import parse_campaign_details
from reports.models import NO_LABELS, ChannelRow, DayPoint, Labels, Metrics, Series
from reports.views import conversions_line

DAY = date(2020, 6, 28)
EMAIL_ID = "5a1f0c9e-0c2d-4b8e-9f3a-10000000a004"
SMS_ID = "5a1f0c9e-0c2d-4b8e-9f3a-10000000a005"


def labels() -> Labels:
    return parse_campaign_details(load("campaign_details.json"), "c").labels()


def test_details_labels_name_the_documented_variations_and_events() -> None:
    found = labels()
    assert found.name == "Summer launch — every channel"
    names = dict(found.variations)
    assert names[EMAIL_ID] == "Variation 1" and SMS_ID not in names  # Braze documents no SMS name
    assert found.events == (
        "Makes specific purchase: Feline Body Armor",
        "Performs custom event: Used Feline Body Armor",
        "Clicks email",
        "Upgrades app",
    )


def test_rows_with_only_an_api_id_take_the_details_name_and_unnamed_ones_keep_their_id() -> None:
    series = parse_campaign_series(load("campaigns_data_series.json"), campaign_id="c").named(labels())
    by_id = {row.variation_api_id: row.variation for row in series.days[0].rows}
    # push (2), email and Content Cards messages are named "Variation 1" in the details example
    assert [by_id[f"5a1f0c9e-0c2d-4b8e-9f3a-1000000{n}"] for n in ("0a001", "0a002", "0a004", "0a007")] == [
        "Variation 1"
    ] * 4
    assert by_id[SMS_ID] == SMS_ID  # no name documented: the ID stays, shown as the variation
    summary = summarise_campaign(series, start=DAY, end=DAY)
    assert summary.events[1] == "Performs custom event: Used Feline Body Armor"
    assert {v.name for v in summary.variations} == {
        "Variation 1",
        SMS_ID,
        "5a1f0c9e-0c2d-4b8e-9f3a-10000000a003",
        "5a1f0c9e-0c2d-4b8e-9f3a-10000000a006",
    }


def test_a_name_braze_sent_in_the_row_is_kept() -> None:
    row = ChannelRow("email", "Braze's own name", EMAIL_ID, Metrics.of(sent=1))
    series = Series("c", "", (DayPoint(DAY, (row,)),)).named(Labels(None, ((EMAIL_ID, "Details name"),)))
    assert series.days[0].rows[0].variation == "Braze's own name"
    assert Series("c").named(NO_LABELS) == Series("c")


def test_conversion_events_are_named_when_the_details_name_them_and_lettered_otherwise() -> None:
    totals = Metrics.of(
        conversions=45,
        conversions_by_send_time=41,
        conversions1=19,
        conversions1_by_send_time=17,
        conversions2=7,
        conversions2_by_send_time=6,
    )
    assert conversions_line(totals, labels().events) == (
        "Conversions · Makes specific purchase: Feline Body Armor (A) by send time 41 · "
        "Performs custom event: Used Feline Body Armor (B): 19 (by send time 17) · "
        "Clicks email (C): 7 (by send time 6)"
    )
    assert conversions_line(totals) == (
        "Conversions · primary (A) by send time 41 · event B (2nd): 19 (by send time 17) · "
        "event C (3rd): 7 (by send time 6)"
    )
    # Only two events named: the third keeps its letter.
    assert conversions_line(totals, ("Makes purchase: subscription", "Clicks email")).endswith(
        "Clicks email (B): 19 (by send time 17) · event C (3rd): 7 (by send time 6)"
    )
