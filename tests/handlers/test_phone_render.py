"""The phone screenshot renderer: any message draws, at a phone's width, and what it says decides its height."""

from __future__ import annotations

import json
from pathlib import Path

from handlers.layout.phone import SCALE, WIDTH, drawable, render, runs, unslack
from tests.harness import png_size

PAYLOADS = Path(__file__).parent / "payloads" / "current"


def section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_every_recorded_message_draws_at_a_phones_width() -> None:
    drawn = 0
    for path in sorted(PAYLOADS.glob("*.json")):
        for call in json.loads(path.read_text()).get("slack", []):
            params = call.get("params", {})
            if call.get("method") in ("chat.postMessage", "chat.postEphemeral") and (
                params.get("blocks") or params.get("text")
            ):
                width, height = png_size(render(params.get("blocks"), params.get("text", "")))
                assert width == WIDTH * SCALE and height >= 100, path.stem
                drawn += 1
                break  # one message of each scenario
    assert drawn >= 20


def test_more_text_is_a_taller_picture_and_unknown_blocks_are_skipped() -> None:
    short = png_size(render([section("one line")]))[1]
    long = png_size(render([section("word " * 200)]))[1]
    assert long > short + 200  # 200 words wrap onto many lines at 390 points
    table = png_size(render([section("```" + "\n".join(["x" * 80] * 3) + "```")]))[1]
    narrow = png_size(render([section("```" + "\n".join(["x" * 30] * 3) + "```")]))[1]
    assert table > narrow  # a code line wider than the phone wraps, as it does on a phone
    assert png_size(render([{"type": "rich_text", "elements": []}, section("x")]))[0] == WIDTH * SCALE
    assert png_size(render(None, "a notice without blocks"))[1] >= 100


def test_mrkdwn_as_a_reader_sees_it() -> None:
    assert unslack("<#C123> <@U1> <https://x.example|the site> &lt;b&gt; &amp;") == "#general @someone the site <b> &"
    assert runs("*Spring* sale `id-1` _now_") == [
        ("Spring", "bold"),
        (" sale ", "regular"),
        ("id-1", "code"),
        (" ", "regular"),
        ("now", "italic"),
    ]
    assert drawable("📊 Report ▲ 5%", "regular") == " Report ▲ 5%"  # colour emoji are left out, ▲ is drawn
