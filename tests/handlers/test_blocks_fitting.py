"""Fitting text to Slack and to a phone: shortened sections, cut headings, wrapped lines, turned tables
and the words of a verdict's numbers, checked to the character."""

from __future__ import annotations

from handlers.layout.blocks import cut_to, fit_table, measure_words, shorten, wrapped
from reports.views import Measure, Table

MARKER = " (cut: too long for one Slack section)"

# -- shorten: whole lines kept, and a last line saying how many were left out ---------------------------


def test_a_text_exactly_at_the_limit_is_kept_as_it_is() -> None:
    assert shorten("abc", 3) == "abc"
    assert shorten("one two\nthree", 13) == "one two\nthree"


def test_one_line_left_out_is_said_in_the_singular() -> None:
    kept = "alpha beta\ngamma delta"
    text = kept + "\n" + "z" * 40
    expected = kept + "\n… and 1 more line"
    # the limit is exactly what the kept lines and the note take
    assert shorten(text, len(expected)) == expected
    assert shorten(text, len(expected) - 1) == "alpha beta\n… and 2 more lines"


def test_the_most_lines_that_fit_are_kept() -> None:
    text = "alpha beta\n" + "y" * 40 + "\n" + "z" * 40
    assert shorten(text, 40) == "alpha beta\n… and 2 more lines"
    text = "\n".join(["l1", "l2", "l3", "l4", "x" * 40])
    assert shorten(text, 30) == "l1\nl2\nl3\nl4\n… and 1 more line"
    assert shorten(text, 27) == "l1\nl2\nl3\n… and 2 more lines"
    assert shorten(text, 26) == "l1\nl2\n… and 3 more lines"


def test_a_closed_code_block_is_kept_and_an_open_one_is_not() -> None:
    closed = "```\na\n```\n" + "b" * 40
    assert shorten(closed, 40) == "```\na\n```\n… and 1 more line"
    # keeping "intro", the fence and the code line would fit, but would leave the code block open
    opened = "intro\n```\ncode line\n```\n" + "c" * 40
    assert shorten(opened, 40) == "intro\n… and 4 more lines"


def test_a_single_line_too_long_is_cut_and_says_so() -> None:
    assert shorten("x" * 50, 45) == "xxxxxx…" + MARKER
    assert shorten("```" + "x" * 50, 45) == "'''xxx…" + MARKER
    assert shorten("x" * 50 + "\n" + "y" * 50, 45) == "xxxxxx…" + MARKER


# -- cut_to: a heading cut to a number of columns, "…" counted -------------------------------------------


def test_a_heading_is_cut_to_its_columns_with_an_ellipsis() -> None:
    assert cut_to("abcdef", 6) == "abcdef"
    assert cut_to("abcdef", 5) == "abcd…"
    assert cut_to("abcdef", 4) == "abc…"
    assert cut_to("abcdef", 1) == "…"


def test_wide_characters_take_two_columns_when_cut() -> None:
    assert cut_to("日本語", 6) == "日本語"
    assert cut_to("日本語", 5) == "日本…"
    assert cut_to("日本語", 4) == "日…"


# -- wrapped: prose goes on at its sentences, then between words ------------------------------------------

SENTENCES = (
    "The campaign reached most of its audience today",
    "Opens were higher than on any day last week",
    "Conversions came mostly from the email channel",
)


def test_a_long_line_of_prose_goes_on_at_its_sentences() -> None:
    text = ". ".join(SENTENCES) + "."
    assert wrapped(text) == (
        "The campaign reached most of its audience today. Opens were higher than on any day last week.\n"
        "Conversions came mostly from the email channel."
    )


def test_a_long_line_with_no_sentence_goes_on_between_words() -> None:
    text = " ".join(f"word{i:02d}" for i in range(20))
    assert wrapped(text) == (
        "word00 word01 word02 word03 word04 word05 word06 word07 word08 word09 word10 word11 word12 word13 word14\n"
        "word15 word16 word17 word18 word19"
    )


def test_a_short_line_is_kept_whole() -> None:
    text = " ".join(f"word{i:02d}" for i in range(17))  # 118 characters
    assert wrapped(text) == text


# -- measure_words: a verdict's number in words ---------------------------------------------------------


def test_one_conversion_is_singular_and_two_are_not() -> None:
    assert measure_words(Measure(1, "conversions")) == "1 conversion"
    assert measure_words(Measure(1, "entries")) == "1 entry"
    assert measure_words(Measure(2, "conversions")) == "2 conversions"
    assert measure_words(Measure(1, "sent")) == "1 sent"
    assert measure_words(Measure(1, "delivered")) == "1 delivered"


def test_money_has_its_words_unless_it_is_inside_another_number() -> None:
    assert measure_words(Measure(640.0, "revenue", "usd")) == "$640 revenue"
    assert measure_words(Measure(640.0, "revenue", "usd", inside=True)) == "$640"


# -- fit_table: a few rows of many columns are turned to fit a phone in one piece -------------------------

COLUMNS = tuple(f"c{i}" for i in range(8))


def test_two_rows_of_many_columns_are_turned() -> None:
    table = Table("T", COLUMNS, (("Email", ("1,000",) * 8), ("Push", ("22",) * 8)))
    groups, legend = fit_table(table)
    assert groups == [["       A  B", *(f"{c} 1,000 22" for c in COLUMNS)]]
    assert legend == [("A", "Email"), ("B", "Push")]


def test_four_rows_are_turned_with_their_names_told_apart() -> None:
    rows = (("Control", ("1",) * 8), ("Control", ("2",) * 8), ("x\ny", ("3",) * 8), ("Push", ("4",) * 8))
    columns = tuple(f"column {i}" for i in range(8))
    groups, legend = fit_table(Table("T", columns, rows))
    assert groups == [["         A B C D", *(f"{c} 1 2 3 4" for c in columns)]]
    assert legend == [("A", "Control"), ("B", "Control (2)"), ("C", "x y"), ("D", "Push")]


def test_one_row_and_a_table_that_fits_are_not_turned() -> None:
    one = Table("T", COLUMNS, (("Email", ("1,000",) * 8),))
    assert fit_table(one) == (
        [
            ["         c0    c1    c2    c3    c4", "Email 1,000 1,000 1,000 1,000 1,000"],
            ["         c5    c6    c7", "Email 1,000 1,000 1,000"],
        ],
        [],
    )
    narrow = Table("T", COLUMNS[:3], (("Email", ("1,000",) * 3), ("Push", ("22",) * 3)))
    lines = ["         c0    c1    c2", "Email 1,000 1,000 1,000", "Push     22    22    22"]
    assert fit_table(narrow) == ([lines], [])


def test_five_rows_are_not_turned() -> None:
    rows = tuple((f"R{i}", ("1,000",) * 8) for i in range(5))
    groups, legend = fit_table(Table("T", COLUMNS, rows))
    assert legend == []
    assert [g[0] for g in groups] == ["      c0    c1    c2    c3    c4    c5", "      c6    c7"]
    assert [line.split()[0] for line in groups[0][1:]] == ["R0", "R1", "R2", "R3", "R4"]


def test_a_turned_table_that_still_does_not_fit_keeps_its_columns() -> None:
    # turned, 40 rows of figures would fit, but two columns of 20-digit numbers would not
    big = "1" * 20
    table = Table("T", ("a", "b", "c"), (("Email", (big, big, big)), ("Push", (big, big, big))))
    groups, legend = fit_table(table)
    assert legend == []
    assert groups == [
        [f"{'a':>26}", f"Email {big}", f"Push  {big}"],
        [f"{'b':>26}", f"Email {big}", f"Push  {big}"],
        [f"{'c':>26}", f"Email {big}", f"Push  {big}"],
    ]
