"""The numbers a reader sees first, exactly: a verdict's rounding at every edge (rates, counts, dollars,
millions), its words and the change under it, and the small pieces of Block Kit around them (mrkdwn spans,
fields, sections at Slack's limit, a table in two parts, a report's verdict and push text)."""

from __future__ import annotations

from handlers.layout.blocks import (
    field,
    md,
    mrkdwn,
    report_blocks,
    report_text,
    rounded,
    sections,
    shift_words,
    table_blocks,
    verdict_words,
    wrapped,
)
from handlers.layout.text import utf16_len
from reports.kinds import Kind, Target
from reports.views import Code, Emphasis, Figure, Measure, ReportView, Shift, Strong, Table, Verdict

CUT = " (cut: too long for one Slack section)"


def shown(cases: dict[tuple[float, str], str]) -> dict[tuple[float, str], str]:
    return {key: rounded(*key) for key in cases}


def test_rates_are_whole_percents_from_ten_percent_and_one_decimal_under_it() -> None:
    cases = {
        (0.97, "rate"): "97%",
        (0.5, "rate"): "50%",
        (0.1, "rate"): "10%",
        (0.09, "rate"): "9.0%",
        (0.034, "rate"): "3.4%",
        (0.0, "rate"): "0.0%",
    }
    assert shown(cases) == cases


def test_counts_stay_exact_under_a_million_and_read_in_millions_from_it() -> None:
    cases = {
        (384_840, "count"): "384,840",
        (999_999, "count"): "999,999",
        (1_000_000, "count"): "1.0M",
        (2_450_000, "count"): "2.5M",
        (12_345, "count"): "12,345",
    }
    assert shown(cases) == cases


def test_dollars_read_as_cents_under_100_whole_under_1000_then_thousands_then_millions() -> None:
    cases = {
        (18.52, "usd"): "$18.52",
        (99.99, "usd"): "$99.99",
        (100, "usd"): "$100",
        (640.4, "usd"): "$640",
        (999, "usd"): "$999",
        (1000, "usd"): "$1.0k",
        (1051, "usd"): "$1.1k",
        (2565.87, "usd"): "$2.6k",
        (9_999, "usd"): "$10.0k",
        (10_000, "usd"): "$10k",
        (50_520, "usd"): "$51k",
        (103_412.5, "usd"): "$103k",
        (1_000_000, "usd"): "$1.0M",
        (2_450_000, "usd"): "$2.5M",
    }
    assert shown(cases) == cases


def test_a_verdict_in_words() -> None:
    verdict = Verdict(
        (
            Measure(384_840, "sent"),
            Measure(0.97, "delivered", "rate"),
            Measure(0.369, "opened", "rate"),
            Measure(1716, "conversions"),
            Measure(103_412.5, "revenue", "usd", inside=True),
        ),
    )
    assert verdict_words(verdict) == "384,840 sent · 97% delivered · 37% opened · 1,716 conversions ($103k)"


def test_a_number_braze_did_not_give_is_left_out_and_the_rest_still_shown() -> None:
    verdict = Verdict((Measure(None, "sent"), Measure(3284, "opens"), Measure(None, "delivered", "rate")))
    assert verdict_words(verdict) == "3,284 opens"


def test_a_verdict_with_nothing_to_say_says_so_with_and_without_a_day() -> None:
    assert verdict_words(Verdict(())) == "nothing to report"
    assert verdict_words(Verdict((Measure(None, "sent"),), when="Mar 17")) == "Mar 17: nothing to report"
    assert verdict_words(Verdict((), status="no activity")) == "no activity"


def test_the_change_rounds_like_its_percent() -> None:
    # 0.499%: shown as 0%, so "unchanged", not "▲ 0%"
    assert shift_words(Shift("sent", 100_499, 100_000, "against Mar 16")) == (
        "Sent unchanged against Mar 16 (100,000 → 100,499)"
    )
    assert shift_words(Shift("sent", 101, 100, "against Mar 16")) == "Sent ▲ 1% against Mar 16 (100 → 101)"
    assert shift_words(Shift("opens", 99, 100, "against Mar 16")) == "Opens ▼ 1% against Mar 16 (100 → 99)"


def test_spans_as_mrkdwn() -> None:
    line = ("see ", Code("a`b"), " and ", Strong("Spring*Sale"), " or ", Emphasis("x_y*z"), " & more")
    assert mrkdwn(line) == "see `aʹb` and *Spring∗Sale* or _x＿y∗z_ &amp; more"


def test_a_field_fits_slacks_field_limit() -> None:
    # a value past the field's 2,000 units (not a section's 3,000) is left out, saying so
    assert field(Figure("Notes", "n" * 2500)) == {"type": "mrkdwn", "text": "*Notes*\n… and 1 more line"}
    assert field(Figure("Notes", "n" * 1990))["text"] == "*Notes*\n" + "n" * 1990


def test_md_keeps_to_the_limit_it_is_given() -> None:
    text = md("x" * 100, limit=60)["text"]
    assert utf16_len(text) == 60
    assert text.endswith(CUT)


def test_lines_share_a_section_up_to_exactly_the_limit() -> None:
    assert sections(["a" * 5, "b" * 4], limit=10) == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "aaaaa\nbbbb"}}
    ]
    assert [s["text"]["text"] for s in sections(["a" * 5, "b" * 5], limit=10)] == ["aaaaa", "bbbbb"]


def test_a_table_too_wide_for_a_phone_goes_on_in_a_second_code_block() -> None:
    table = Table(
        "By day",
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        (("Email", ("1,204", "1,310", "998", "1,022", "1,187", "640", "702")),),
    )
    assert [b["text"]["text"] for b in table_blocks(table)] == [
        "*By day*\n"
        "```        Mon   Tue Wed   Thu   Fri Sat\n"
        "Email 1,204 1,310 998 1,022 1,187 640```\n"
        "```      Sun\n"
        "Email 702```"
    ]


def view(verdict: Verdict | None) -> ReportView:
    return ReportView(
        Target(Kind.CAMPAIGN, "c1"),
        "Spring <Sale>",
        ("asked",),
        (),
        None,
        (),
        "f",
        ("the summary",),
        (7,),
        verdict=verdict,
    )


def test_a_report_opens_with_its_verdict_and_its_push_text_is_the_verdict() -> None:
    verdict = Verdict((Measure(390, "sent"), Measure(105, "conversions")), Shift("conversions", 105, 100, "vs Mar 16"))
    blocks = report_blocks(view(verdict))
    assert blocks[0]["type"] == "header"
    assert blocks[1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*390 sent · 105 conversions*\nConversions ▲ 5% vs Mar 16 (100 → 105)"},
    }
    assert report_text(view(verdict)) == "Spring &lt;Sale&gt;: 390 sent · 105 conversions"


def test_a_report_without_a_verdict_opens_with_what_was_asked() -> None:
    blocks = report_blocks(view(None))
    assert blocks[1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "asked"}]}
    assert report_text(view(None)) == "the summary"


# -- a long line broken between words, and a table's columns at a phone's width --------------------------

TEN = " ".join(["abcdefghij"] * 10)  # 109 characters


def test_a_line_broken_between_words_is_filled_to_exactly_110_characters() -> None:
    full = TEN + "k"  # 110
    assert wrapped(full + " x more words here") == f"{full}\nx more words here"
    assert wrapped(TEN + " x more words on the next line") == f"{TEN}\nx more words on the next line"


def test_a_line_is_never_broken_inside_bold_and_is_broken_after_it() -> None:
    start = " ".join(["word"] * 20)  # 99 characters
    assert wrapped(f"{start} *Spring Sale Weekend Promo* tail tail tail tail tail") == (
        f"{start} *Spring Sale Weekend Promo*\ntail tail tail tail tail"
    )
    nine = " ".join(["abcdefghi"] * 9)
    assert wrapped(f"*Spring Sale* {nine} abcdefghi abcdefghi abcdefghi") == (
        f"*Spring Sale* {nine}\nabcdefghi abcdefghi abcdefghi"
    )


def test_a_line_is_broken_only_at_plain_spaces() -> None:
    # a non-breaking space ("Mar 17") holds its words together; two spaces stay two
    words = " ".join(["abcdefghi"] * 10)
    assert wrapped(f"{words} ends Mar\xa017 tail  tail tail tail tail") == (
        f"{words} ends\nMar\xa017 tail  tail tail tail tail"
    )


def test_a_table_without_rows_shows_its_headings() -> None:
    assert table_blocks(Table("Sent by channel", ("sent", "conv."), ())) == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Sent by channel*\n``` sent conv.```"}}
    ]


def channel_table(label: str) -> Table:
    columns = ("sent", "deliv.", "open", "CTR", "conv.", "revenue")
    return Table("By channel", columns, ((label, ("12,204", "98.1%", "40.2%", "3.1%", "1,204", "$2,566")),))


def test_a_twelve_column_label_is_short_enough_to_stay_whole() -> None:
    assert [b["text"]["text"] for b in table_blocks(channel_table("Android push"))] == [
        "*By channel*\n"
        "```               sent deliv.  open  CTR\n"
        "Android push 12,204  98.1% 40.2% 3.1%```\n"
        "```             conv. revenue\n"
        "Android push 1,204  $2,566```"
    ]
    # one column more and it is a letter, its name whole in the legend
    assert [b["text"]["text"] for b in table_blocks(channel_table("Android push!"))] == [
        "*By channel*\n"
        "```    sent deliv.  open  CTR conv. revenue\n"
        "A 12,204  98.1% 40.2% 3.1% 1,204  $2,566```\n"
        "*A* Android push!"
    ]
