"""Edge cases of the comparison's Block Kit (handlers/layout/comparison_blocks.py): Slack's 3,000 characters
a section and ~120 a line, cuts, the method note, where the comparison and the data button go."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.layout.blocks import context, section
from handlers.layout.comparison_blocks import (
    DIGEST_CSV,
    METHOD_NOTE,
    comparison_blocks,
    data_button_value,
    rate_texts,
    with_comparison,
    with_data_button,
)
from reports.kinds import Kind, Target
from reports.views import ComparisonView, RateView

HEAD = "*Conversion rate* · control: Control (a variation named Control)"
ACTIONS = {"type": "actions", "block_id": "x", "elements": [{"type": "button", "action_id": "a"}]}
SPAN = (date(2026, 3, 1), date(2026, 3, 14))


def rate(
    *sentences: str, decisive: bool = False, control: str = "Control", why: str = "a variation named Control"
) -> RateView:
    return RateView("Conversion rate", control, why, sentences, (decisive,) * len(sentences))


def words(length: int) -> str:
    """``length`` characters of nine-letter words, one space between them."""
    return ("abcdefghi " * (length // 10 + 1))[:length].strip().ljust(length, "x")


# -- the rate's texts ------------------------------------------------------------------------------------


def test_a_control_name_over_several_lines_and_spaces_reads_on_one_line() -> None:
    [head] = rate_texts(rate(control="Variant \n  B", why="the first variation"))
    assert head == "*Conversion rate* · control: Variant B (the first variation)"


def test_a_bold_line_of_116_characters_stays_whole_and_one_more_breaks() -> None:
    """116 characters, a bullet and two bold marks: Slack's ~120 a line, which a phone shows whole."""
    [text] = rate_texts(rate(words(116), decisive=True))
    assert text.split("\n") == [HEAD, f"• *{words(116)}*"]
    [text] = rate_texts(rate(words(117), decisive=True))
    lines = text.split("\n")
    assert len(lines) == 3 and lines[2].startswith("  *") and max(len(line) for line in lines) <= 120
    assert " ".join(line.strip(" •*") for line in lines[1:]) == words(117)


def test_a_sentence_past_2700_characters_is_cut_with_an_ellipsis() -> None:
    """A sentence keeps room for its bullet, indents and bold marks within a section: 2,700 characters."""
    long = words(3000)
    [text] = rate_texts(rate(long))
    head, bullet = text.split("\n", 1)
    assert head == HEAD
    assert bullet.removeprefix("• ").replace("\n  ", " ") == long[:2699] + "…"


def test_a_bullet_of_many_short_lines_is_cut_under_slacks_limit() -> None:
    """Clauses on lines of their own: each line's indent and bold marks take the bullet past 3,000
    characters, so it is cut to the longest start of at most 2,999 with its "…", in a section of its own."""
    group = f"a · b. c; d, {'w' * 114}"
    [head, bullet] = rate_texts(rate(" · ".join([group] * 25), decisive=True))
    assert head == HEAD
    assert len(bullet) == 2999 and bullet.endswith("…")
    assert bullet.startswith("• *a*\n  *b.*\n  *c;*\n  *d,*\n  *www")


def test_a_section_holds_exactly_3000_characters_and_one_more_starts_another() -> None:
    short = [words(113)] * 25  # 25 lines of 116 characters with their line breaks: 64 + 2,900
    [text] = rate_texts(rate(*short, words(33)))
    assert len(text) == 3000 and text.startswith(HEAD)
    first, second = rate_texts(rate(*short, words(34)))
    assert (len(first), second) == (2964, f"• {words(34)}")


def test_a_sentence_without_its_decisive_flag_is_refused_rather_than_left_out() -> None:
    with pytest.raises(ValueError):
        rate_texts(RateView("Conversion rate", "Control", "a variation named Control", ("B", "C"), (True,)))


def test_the_method_note_ends_with_where_the_rates_left_out_are_compared() -> None:
    [_, note] = comparison_blocks(ComparisonView((rate("B converts"),), more=2, elsewhere="the full report"))
    assert note["type"] == "context"
    assert note["elements"][0]["text"].replace("\n", " ") == f"{METHOD_NOTE} The full report compares 2 more rates."
    [_, note] = comparison_blocks(ComparisonView((rate("B converts"),)))
    assert note["elements"][0]["text"].replace("\n", " ") == METHOD_NOTE


# -- where the comparison goes ---------------------------------------------------------------------------


def test_the_comparison_goes_before_buttons_that_end_a_message_without_a_footer() -> None:
    view = ComparisonView((rate("B converts"),))
    compared = comparison_blocks(view)
    assert with_comparison([section("head"), ACTIONS], view) == [section("head"), *compared, ACTIONS]
    assert with_comparison([section("head"), context("footer")], view) == [
        section("head"),
        *compared,
        context("footer"),
    ]
    assert with_comparison([], view) == compared


# -- the data button -------------------------------------------------------------------------------------


def test_the_data_buttons_value_is_compact_json() -> None:
    value = data_button_value(Target(Kind.SEND, "cmp", "snd"), *SPAN)
    assert value == '{"c":"cmp","s":"snd","a":"2026-03-01","b":"2026-03-14"}'


def test_the_data_button_joins_the_last_buttons_even_before_a_footer() -> None:
    target = Target(Kind.CANVAS, "cv")
    out = with_data_button([section("x"), ACTIONS, context("footer")], target, SPAN)
    assert out[0] == section("x") and out[2] == context("footer")
    assert out[1]["elements"][1] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Data (CSV)", "emoji": True},
        "action_id": DIGEST_CSV,
        "value": '{"k":"canvas","i":"cv","a":"2026-03-01","b":"2026-03-14"}',
    }


def test_a_digest_without_buttons_gets_a_row_of_its_own() -> None:
    target = Target(Kind.CANVAS, "cv")
    [button] = with_data_button([ACTIONS], target, SPAN)[0]["elements"][1:]
    expected = {"type": "actions", "block_id": "sendstats_digest_data", "elements": [button]}
    assert with_data_button([section("x")], target, SPAN) == [section("x"), expected]
    assert with_data_button([], target, SPAN) == [expected]
