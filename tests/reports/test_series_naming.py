"""``Series.named``: what ``/campaigns/details`` names, applied to a series (issue 16, items 2–3).

A row Braze sent with only its ``variation_api_id`` (its variation is the ID itself) takes the name the
details give that ID; a row Braze named keeps its own name; a row whose ID the details do not name keeps
the ID. The details' conversion events A–D replace the series' own, and a series keeps its own events
when the details name none. Inputs are small hand-written series; the expected rows are written out.
"""

from __future__ import annotations

from datetime import date

from reports.models import NO_LABELS, ChannelRow, DayPoint, Labels, Metrics, Series

DAY = date(2020, 6, 28)
NEXT = date(2020, 6, 29)
EMAIL_ID = "email-variation-id"
PUSH_ID = "push-variation-id"
EVENTS = ("Makes purchase", "Opens app")


def only_ids() -> Series:
    """Two days of a multichannel campaign whose rows carry only their variation IDs."""
    first = (
        ChannelRow("email", EMAIL_ID, EMAIL_ID, Metrics.of(sent=10)),
        ChannelRow("ios_push", PUSH_ID, PUSH_ID, Metrics.of(sent=4)),
    )
    second = (ChannelRow("email", EMAIL_ID, EMAIL_ID, Metrics.of(sent=3)),)
    return Series("c", "", (DayPoint(DAY, first), DayPoint(NEXT, second)), name="Summer", events=("A",))


def variations(series: Series) -> list[list[str]]:
    return [[row.variation for row in day.rows] for day in series.days]


def test_rows_sent_with_only_their_id_take_the_details_name_on_every_day() -> None:
    named = only_ids().named(Labels("Summer", ((EMAIL_ID, "Variation 1"), (PUSH_ID, "Variation 2"))))
    assert variations(named) == [["Variation 1", "Variation 2"], ["Variation 1"]]
    # everything else about each row and the series is kept
    assert named.days[0].rows[0] == ChannelRow("email", "Variation 1", EMAIL_ID, Metrics.of(sent=10))
    assert named.days[1].rows[0] == ChannelRow("email", "Variation 1", EMAIL_ID, Metrics.of(sent=3))
    assert [d.day for d in named.days] == [DAY, NEXT]
    assert (named.object_id, named.send_id, named.name) == ("c", "", "Summer")
    assert named.events == ("A",)  # the details named no events: the series keeps its own


def test_an_id_the_details_do_not_name_stays_the_variation() -> None:
    named = only_ids().named(Labels(None, ((EMAIL_ID, "Variation 1"),)))
    assert variations(named) == [["Variation 1", PUSH_ID], ["Variation 1"]]


def test_a_row_braze_named_keeps_its_name_even_when_the_details_name_its_id() -> None:
    row = ChannelRow("email", "Braze's own name", EMAIL_ID, Metrics.of(sent=1))
    named = Series("c", "", (DayPoint(DAY, (row,)),)).named(Labels(None, ((EMAIL_ID, "Details name"),)))
    assert named.days[0].rows == (row,)


def test_a_row_without_an_id_keeps_its_name() -> None:
    row = ChannelRow("sms", "Variation 3", None, Metrics.of(sent=2))
    named = Series("c", "", (DayPoint(DAY, (row,)),)).named(Labels(None, ((EMAIL_ID, "Variation 1"),)))
    assert named.days[0].rows == (row,)


def test_an_empty_variation_id_is_named_like_any_other() -> None:
    row = ChannelRow("email", "", "", Metrics.of(sent=2))
    named = Series("c", "", (DayPoint(DAY, (row,)),)).named(Labels(None, (("", "Variation 1"),)))
    assert named.days[0].rows == (ChannelRow("email", "Variation 1", "", Metrics.of(sent=2)),)


def test_a_name_for_the_empty_id_does_not_rename_other_rows() -> None:
    row = ChannelRow("email", EMAIL_ID, EMAIL_ID, Metrics.of(sent=2))
    named = Series("c", "", (DayPoint(DAY, (row,)),)).named(Labels(None, (("", "Variation 1"),)))
    assert named.days[0].rows == (row,)


def test_the_details_events_replace_the_series_events() -> None:
    named = only_ids().named(Labels(None, ((EMAIL_ID, "Variation 1"),), EVENTS))
    assert named.events == EVENTS
    assert variations(named) == [["Variation 1", PUSH_ID], ["Variation 1"]]


def test_events_alone_name_the_events_and_leave_the_rows() -> None:
    series = Series("c", "", only_ids().days)
    named = series.named(Labels("Summer", (), EVENTS))
    assert named.events == EVENTS
    assert named.days == series.days
    assert (named.object_id, named.name) == ("c", None)


def test_details_that_name_nothing_leave_the_series_as_it_is() -> None:
    series = only_ids()
    assert series.named(NO_LABELS) == series
    assert series.named(Labels("Another name")) == series
