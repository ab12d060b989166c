"""Cutting text the way Slack measures it, at the edges the message tests pass by: each kind of character that
belongs to the one before it, zero-width joined emoji, characters just below and at the first astral code point,
cuts that leave room only for "…", and names that are empty or carry control characters."""

from __future__ import annotations

from handlers.layout.text import fit, neutral, plain_name, utf16_len

ELLIPSIS = "…"


def test_a_cut_never_leaves_a_mark_without_its_letter() -> None:
    # each is a mark with combining class 0, so only its Unicode category says it belongs to the letter before
    vowel_sign = "\u0941"  # DEVANAGARI VOWEL SIGN U (Mn)
    enclosing_circle = "\u20dd"  # COMBINING ENCLOSING CIRCLE (Me)
    word_joiner = "\u2060"  # WORD JOINER (Cf)
    variation = "\ufe0f"  # VARIATION SELECTOR-16 (Mn)
    for mark in (vowel_sign, enclosing_circle, word_joiner, variation):
        assert fit(f"ab{mark}cdef", 3) == "a…", hex(ord(mark))
        assert fit(f"abc{mark}def", 4) == "ab…", hex(ord(mark))


def test_a_cut_backs_off_past_every_mark_of_a_letter() -> None:
    assert fit("abc\u0301\u0302def", 5) == "ab…"  # c with two accents: both go with it
    assert fit("xyz\u0941\u0301abc", 5) == "xy…"


def test_a_cut_never_leaves_a_skin_tone_without_its_emoji() -> None:
    for tone in ("\U0001f3fb", "\U0001f3fd", "\U0001f3ff"):  # lightest, medium, darkest
        assert fit(f"a\U0001f44d{tone}bcd", 4) == "a…", hex(ord(tone))
        assert fit(f"a\U0001f44d{tone}bcd", 6) == f"a\U0001f44d{tone}…"


def test_a_cut_never_splits_a_zero_width_joined_emoji() -> None:
    family = "\U0001f468\u200d\U0001f469"  # man, ZWJ, woman: one picture
    assert fit(f"x{family}yyyy", 4) == "x…"  # the cut would fall before the joiner
    assert fit(f"x{family}yyyy", 5) == "x…"  # the cut would fall just after the joiner
    assert fit(f"x{family}yyyy", 7) == f"x{family}…"


def test_a_cut_of_a_leading_mark_leaves_only_the_ellipsis() -> None:
    assert fit("e\u0301xyz", 2) == ELLIPSIS  # é does not fit beside "…"
    assert fit("\u0301abc", 1) == ELLIPSIS
    assert fit("abc\u200d", 1) == ELLIPSIS


def test_room_for_only_the_ellipsis() -> None:
    assert fit("abc", 1) == ELLIPSIS
    assert fit("\U0001f44d\U0001f44d", 2) == ELLIPSIS  # an emoji is two units: it does not fit beside "…"
    assert fit("\U0001f44d\U0001f44d", 3) == "\U0001f44d…"


def test_the_last_bmp_character_is_one_unit_and_the_first_astral_one_two() -> None:
    assert utf16_len("\uffff") == 1
    assert utf16_len("\U00010000") == 2
    assert fit("\uffff" * 5, 3) == "\uffff\uffff…"
    assert fit("\U00010000" * 3, 3) == "\U00010000…"
    assert fit("\U00010000" * 3, 4) == "\U00010000…"
    assert utf16_len(fit("\U00010000" * 3, 4)) == 3


def test_a_length_is_a_whole_number_of_units() -> None:
    length = utf16_len("a\U0001f44d")
    assert length == 3
    assert isinstance(length, int)
    assert "-" * length == "---"


def test_a_cut_drops_the_space_before_the_ellipsis_but_keeps_a_leading_one() -> None:
    assert fit("ab cdef", 4) == "ab…"
    assert fit(" abcdef", 4) == " ab…"


def test_a_name_that_is_nothing_reads_blank() -> None:
    for name in ("", "   ", "\n\t", "\x07"):
        assert neutral(name) == "(blank)", repr(name)
        assert plain_name(name) == "(blank)", repr(name)


def test_control_characters_in_a_name_become_spaces() -> None:
    assert neutral("spring\x07sale\u200bnow") == "spring sale now"  # a bell and a zero-width space
    assert plain_name("spring\x00sale_2\x1b") == "spring sale_2"
    assert neutral("a\x07\x07b") == "a b"
