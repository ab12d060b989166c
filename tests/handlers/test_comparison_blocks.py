"""The comparison's Block Kit (handlers/layout/comparison_blocks.py): where it goes in a message, what it
escapes, the digest's data button."""

from __future__ import annotations

import json
from datetime import date

from handlers.layout.blocks import context, section
from handlers.layout.comparison_blocks import (
    DIGEST_CSV,
    comparison_blocks,
    data_button_value,
    with_comparison,
    with_data_button,
)
from reports.kinds import Kind, Target
from reports.views import ComparisonView, RateView

RATE = RateView(
    label="Conversion rate",
    control="Control",
    control_why="a variation named Control",
    sentences=(
        "B <b> converts 4.1% (3.8–4.4) against 3.2% (3.0–3.5) for Control: +28%, 99% confidence.",
        "No winner yet: C converts 3.3% …",
    ),
    decisive=(True, False),
)
ACTIONS = {"type": "actions", "block_id": "x", "elements": [{"type": "button", "action_id": "a"}]}


def test_the_comparison_goes_after_the_details_and_before_the_footer_and_buttons() -> None:
    blocks = [section("head"), section("details"), context("footer"), ACTIONS]
    out = with_comparison(blocks, ComparisonView((RATE,)))
    assert [b.get("text", {}).get("text", "")[:7] for b in out[:2]] == ["head", "details"]
    assert out[2]["text"]["text"].startswith("*Conversion rate* · control: Control (a variation named Control)")
    assert out[3]["type"] == "context" and "Holm" in out[3]["elements"][0]["text"]
    assert out[-2:] == [context("footer"), ACTIONS]
    assert with_comparison(blocks, None) is blocks


def test_decided_results_are_bold_names_are_escaped_and_rates_left_out_are_counted() -> None:
    [rate, note] = comparison_blocks(ComparisonView((RATE,), more=2, elsewhere="the full report"))
    lines = rate["text"]["text"].split("\n")
    assert (
        lines[1] == "• *B &lt;b&gt; converts 4.1% (3.8–4.4) against 3.2% (3.0–3.5) for Control: +28%, 99% confidence.*"
    )
    assert lines[2] == "• No winner yet: C converts 3.3% …"
    assert note["elements"][0]["text"].endswith("The full report compares 2 more rates.")
    [_, alone] = comparison_blocks(ComparisonView((RATE,), more=1))
    assert alone["elements"][0]["text"].endswith(" 1 more rate not shown.")


def test_the_data_button_joins_the_digests_buttons_and_names_the_target_and_range() -> None:
    target = Target(Kind.SEND, "cmp", "snd")
    out = with_data_button([section("x"), ACTIONS], target, (date(2026, 3, 1), date(2026, 3, 14)))
    [button] = [e for e in out[-1]["elements"] if e["action_id"] == DIGEST_CSV]
    assert json.loads(button["value"]) == {"c": "cmp", "s": "snd", "a": "2026-03-01", "b": "2026-03-14"}
    assert len(out) == 2 and ACTIONS["elements"] == [{"type": "button", "action_id": "a"}]  # not changed in place
    assert with_data_button([ACTIONS], target, None) == [ACTIONS]
    value = json.loads(data_button_value(Target(Kind.CANVAS, "cv"), date(2026, 3, 1), date(2026, 3, 1)))
    assert value == {"k": "canvas", "i": "cv", "a": "2026-03-01", "b": "2026-03-01"}


def test_many_long_sentences_continue_in_another_section_and_none_is_cut() -> None:
    long = RateView(
        label="Conversion rate",
        control="C" * 150,
        control_why="the first variation",
        sentences=tuple(
            f"{'V' * 150} {i} converts 4.1% (3.8–4.4) against 3.2% (3.0–3.5) for {'C' * 150}." for i in range(12)
        ),
        decisive=(False,) * 12,
    )
    sections = comparison_blocks(ComparisonView((long,)))[:-1]
    texts = [b["text"]["text"] for b in sections]
    assert len(texts) > 1 and all(len(t) <= 3000 for t in texts)
    # each bullet whole, on lines a phone shows whole (the continued ones indented under it)
    bullets = [b for t in texts for b in t.replace("\n  ", " ").split("\n") if b.startswith("• ")]
    assert bullets == [f"• {s}" for s in long.sentences]
