"""Lines of report text built from Braze's names (``reports.views``): the conversion events beyond the
headline's count, named from ``/campaigns/details`` when known; a Braze name set on one line; a list
of words read as a sentence. Expected text is written out by hand."""

from __future__ import annotations

from reports.models import Metrics
from reports.views import SentHeadline, conversions_line, either, one_line

EVENTS = ("Makes purchase", "Opens app", "Clicks email", "Upgrades app")


def test_the_primary_event_by_send_time_takes_its_name() -> None:
    totals = Metrics.of(conversions=45, conversions_by_send_time=41)
    assert conversions_line(totals, EVENTS) == "Conversions · Makes purchase (A) by send time 41"
    assert conversions_line(totals) == "Conversions · primary (A) by send time 41"


def test_a_named_primary_event_without_its_twin_shows_its_count() -> None:
    assert conversions_line(Metrics.of(conversions=1234), EVENTS) == "Conversions · Makes purchase (A) 1,234"
    assert conversions_line(Metrics.of(conversions=0), EVENTS[:1]) == "Conversions · Makes purchase (A) 0"
    # unnamed, the headline's count says it all
    assert conversions_line(Metrics.of(conversions=1234)) is None
    assert conversions_line(Metrics.of(), EVENTS) is None


def test_events_b_to_d_take_their_names_and_keep_their_letters() -> None:
    totals = Metrics.of(conversions1=19, conversions1_by_send_time=17, conversions3=2, conversions3_by_send_time=1)
    assert conversions_line(totals, EVENTS) == (
        "Conversions · Opens app (B): 19 (by send time 17) · Upgrades app (D): 2 (by send time 1)"
    )


def test_an_event_the_details_do_not_name_keeps_its_letter() -> None:
    totals = Metrics.of(conversions1=19, conversions1_by_send_time=17, conversions2=7, conversions2_by_send_time=6)
    assert conversions_line(totals, EVENTS[:2]) == (
        "Conversions · Opens app (B): 19 (by send time 17) · event C (3rd): 7 (by send time 6)"
    )
    assert conversions_line(totals, EVENTS[:1]) == (
        "Conversions · event B (2nd): 19 (by send time 17) · event C (3rd): 7 (by send time 6)"
    )


def test_control_characters_in_a_name_become_single_spaces() -> None:
    assert one_line("Summer\x00sale\u200bweek") == "Summer sale week"
    assert one_line("  Spring \n\n\tlaunch\x07 ") == "Spring launch"
    assert one_line("Café — 10% off") == "Café — 10% off"


def test_words_read_as_a_list() -> None:
    assert either(["send", "campaign", "Canvas"]) == "send, campaign or Canvas"
    assert either(["send", "campaign"], " and ") == "send and campaign"
    assert either(["send"]) == "send"
    assert either([]) == ""


def test_the_sent_headline_counts_one_message_in_the_singular() -> None:
    assert SentHeadline(1, (("email", 1),)).text == "Sent 1 message: email 1"
    assert SentHeadline(2, (("email", 1), ("push", 1))).text == "Sent 2 messages: email 1, push 1"
