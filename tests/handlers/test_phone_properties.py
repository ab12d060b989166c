"""Every message builder, fed names Slack and phones find hard, keeps the rules of issue 18.

Names are made by hypothesis from emoji (joined, flagged, toned), combining marks, CJK, Slack's markdown
characters and ``<…>`` tokens, up to and past the limits where Slack cuts. For every message built
from them:

* every plain text (header, button, option) is within Slack's limit by Slack's UTF-16 measure, and one
  that was cut ends with "…";
* every mrkdwn text is within its limit, and a text the layout had to shorten says so;
* no ``<`` reaches mrkdwn unescaped unless it is a mention or link the bot means (``<#C…>``, ``<@U…>``);
* every line of a monospace table is at most 40 columns, and every row name is in the message (whole,
  in the table or its legend) unless the message says how many more rows there were;
* a name inside formatting cannot end the formatting: outside code, every line has its ``*`` in pairs.

The usage strings, the help and App Home are checked for raw ``<placeholders>``, and the recorded payloads
of every message kind (``payloads/current/``) for line lengths and table widths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.records import Entry
from digests.records import OPEN_END, Subscription
from handlers import grammar
from handlers.flows.subscriptions import describe
from handlers.grammar import help_text, short_help
from handlers.layout.blocks import (
    FIELD_LIMIT,
    HEADER_LIMIT,
    LABEL_LIMIT,
    SECTION_LIMIT,
    TABLE_WIDTH,
    display_width,
    notice_blocks,
    one_line,
    report_blocks,
    shorten,
)
from handlers.layout.catalogue_blocks import entry_options, find_blocks, report_modal
from handlers.layout.comparison_blocks import comparison_blocks
from handlers.layout.digest_blocks import digest_blocks, paused_text
from handlers.layout.text import ELLIPSIS, escape, fit, neutral, plain_name, utf16_len
from handlers.listeners.home import home_view
from reports.campaigns import CampaignSummary, ChannelSummary, Rate, VariationSummary
from reports.canvases import CanvasSummary, VariantSummary
from reports.kinds import Kind, Target
from reports.kinds.registry import kind_of
from reports.models import ChannelRow, DayPoint, Metrics, Series
from reports.summary import Summary
from reports.views import ComparisonView, RateView

D1 = date(2026, 3, 1)
HARD = [
    "😀",
    "👩\u200d👩\u200d👧",
    "🇫🇷",
    "👍🏽",
    "e\u0301",
    "\u0e01\u0e31",
    "日本",
    "Ｗ",
    "*",
    "_",
    "~",
    "`",
    "```",
    "<!here>",
    "<@U123>",
    "<https://evil.example|click>",
    "&amp;",
    "@channel",
    ">",
    "\n",
    " ",
    "A",
    "variation",
]
#: Names: hard pieces, plain text, and long runs that pass the limits (a header is 150 units, a label 75).
NAMES = st.one_of(
    st.lists(st.sampled_from(HARD), min_size=1, max_size=40).map("".join),
    st.text(min_size=1, max_size=60),
    st.tuples(st.sampled_from(HARD), st.integers(140, 400)).map(lambda t: t[0] * t[1]),
)
PROPERTY = settings(max_examples=60, deadline=None)
#: Mentions and links the bot writes itself: channels and users it names.
MEANT = re.compile(r"<(#C[A-Z0-9_]+|@U[A-Z0-9_]+)>")
PAYLOADS = Path(__file__).parent / "payloads" / "current"


# -- walking a message -----------------------------------------------------------------------------------


def texts(doc: Any, limit: int = SECTION_LIMIT) -> Iterator[tuple[str, str, int]]:
    """(type, text, limit) of every text object in a block list or view."""
    if isinstance(doc, list):
        for item in doc:
            yield from texts(item, limit)
    elif isinstance(doc, dict):
        kind = doc.get("type")
        if kind in ("plain_text", "mrkdwn") and isinstance(doc.get("text"), str):
            yield kind, doc["text"], limit
            return
        for key, value in doc.items():
            if key == "fields":
                yield from texts(value, FIELD_LIMIT)
            elif key in ("text", "label", "placeholder", "hint", "title", "submit", "close"):
                own = HEADER_LIMIT if kind in ("header", "input", "modal") or key != "text" else limit
                own = LABEL_LIMIT if kind == "button" else own
                yield from texts(value, own)
            elif key == "options":
                yield from texts(value, LABEL_LIMIT)
            elif key not in ("value", "action_id", "block_id", "private_metadata", "callback_id"):
                yield from texts(value, limit)


def tables(text: str) -> list[list[str]]:
    """The monospace tables of a mrkdwn text, as Slack shows their lines (entities as one character)."""
    parts = text.split("```")[1::2]
    return [
        [line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for line in p.split("\n")] for p in parts
    ]


def outside_code(text: str) -> str:
    text = "".join(text.split("```")[0::2])
    return re.sub(r"`[^`\n]*`", "", text)


def check_message(blocks: list[dict[str, Any]], names: list[str]) -> None:
    """The rules of the module docstring, for one message built with ``names``."""
    whole = "\n".join(text for _, text, _ in texts(blocks))
    for kind, text, limit in texts(blocks):
        assert utf16_len(text) <= limit, (kind, limit, text[:80])
        if kind == "plain_text":
            continue
        assert "<" not in MEANT.sub("", text), text[:200]
        for table in tables(text):
            assert max(display_width(line) for line in table) <= TABLE_WIDTH, table
        for line in outside_code(text).split("\n"):
            assert line.count("*") % 2 == 0, line
    for name in names:
        shown = escape(neutral(one_line(name)))  # in bold: whole, up to NAME_LIMIT
        legend = escape(plain_name(name))  # in a legend
        in_table = escape(one_line(name).replace("`", "'"))
        assert any(form in whole for form in (shown, legend, in_table, f"{ELLIPSIS} and ")), name
        assert "(cut:" not in whole  # no section had to be cut: lines were split into sections instead


# -- the views -------------------------------------------------------------------------------------------


def send_summary(names: list[str]) -> Summary:
    """A send reads like a campaign: its channels and variations (named by ``names``) and Braze's totals."""
    campaign = campaign_summary(names)
    totals = Metrics.of(
        sent=384_840, conversions=1716, revenue=103_412.5, unique_recipients=380_000, conversions1=0, conversions2=4
    )
    return Summary(
        "cmp",
        "snd",
        D1,
        D1 + timedelta(days=13),
        14,
        totals,
        campaign.channels,
        campaign.variations,
        0.0045,
        first_day=D1,
        window_end=D1 + timedelta(days=14),
    )


def campaign_summary(names: list[str]) -> CampaignSummary:
    # channel labels are Braze's keys in words, never that long: the names stand in for them anyway
    channels = tuple(
        ChannelSummary(
            f"k{i}",
            n,
            ("ios_push", "android_push", f"line_message_{i}"),
            (("sent", 10**i), ("delivered", i)),
            (Rate("delivery rate", 0.5, "delivered ÷ sent"),),
        )
        for i, n in enumerate(names)
    )
    variations = tuple(
        VariationSummary(
            n,
            f"id{i}",
            (),
            Metrics.of(conversions=i, revenue=2.5 * i),
            tuple((c.label, Metrics.of(sent=i * 1000)) for c in channels[:3]),
        )
        for i, n in enumerate(names)
    )
    return CampaignSummary(
        "cmp",
        D1,
        D1 + timedelta(days=29),
        30,
        channels,
        variations,
        Metrics.of(unique_recipients=900, conversions=30, revenue=12.5),
        0.03,
    )


def canvas_summary(names: list[str]) -> CanvasSummary:
    variants = tuple(
        VariantSummary(f"v{i}", n, Metrics.of(entries=100 * i, conversions=i, revenue=1.5 * i))
        for i, n in enumerate(names)
    )
    return CanvasSummary("cv", D1, D1 + timedelta(days=29), 30, Metrics.of(entries=5000, conversions=40), variants)


def digest_series(kind: Kind, object_id: str) -> Series:
    def point(n: int, sent: int) -> DayPoint:
        metrics = Metrics.of(sent=sent, delivered=sent, total_opens=sent // 3, conversions=sent // 50)
        return DayPoint(day=D1 + timedelta(days=n), rows=(ChannelRow("email", "A", None, metrics),))

    return Series(object_id, "snd" if kind == Kind.SEND else "", tuple(point(n, 1000 - 300 * n) for n in range(4)))


def subscription(kind: Kind, sub_id: int) -> Subscription:
    return Subscription(
        sub_id,
        "T",
        "C1",
        "cmp<1>",
        "snd" if kind == Kind.SEND else "",
        9,
        0,
        "UTC",
        "U1",
        datetime(2026, 3, 1),
        D1,
        OPEN_END,
        "paused",
        "a *reason* <here>",
        None,
        kind,
    )


# -- properties ------------------------------------------------------------------------------------------


@PROPERTY
@given(title=NAMES, names=st.lists(NAMES, min_size=1, max_size=15))
def test_reports_of_every_kind(title: str, names: list[str]) -> None:
    for kind, summary in (
        (Kind.SEND, send_summary(names)),
        (Kind.CAMPAIGN, campaign_summary(names)),
        (Kind.CANVAS, canvas_summary(names)),
    ):
        k = kind_of(kind)
        view = k.report_view(summary, title=title)
        from dataclasses import replace

        view = replace(view, verdict=k.report_verdict(summary, (summary, summary)))
        blocks = report_blocks(view, chart_note="📈 Daily chart in the thread ↓")
        check_message(blocks, names[:10])
        assert blocks[1]["type"] == "section" and blocks[1]["text"]["text"].startswith("*")  # the verdict first


@PROPERTY
@given(title=NAMES, day=st.integers(1, 6))
def test_digests_of_every_kind(title: str, day: int) -> None:
    for kind in (Kind.SEND, Kind.CAMPAIGN, Kind.CANVAS):
        k = kind_of(kind)
        target = Target(kind, "cmp<1>", "snd" if kind == Kind.SEND else "")
        digest = k.build_digest(
            digest_series(kind, "cmp<1>"), target=target, first_day=D1, digest_date=D1 + timedelta(days=day)
        )
        blocks = digest_blocks(k.digest_view(digest, title=title), subscription_id=3, chart_in_thread=True)
        check_message(blocks, [])
        assert utf16_len(blocks[0]["text"]["text"]) <= HEADER_LIMIT


@PROPERTY
@given(
    query=NAMES,
    names=st.lists(NAMES, min_size=0, max_size=10),
    typed=st.text("abc-_0123456789", min_size=1, max_size=64),
)
def test_find_results_options_and_the_modal(query: str, names: list[str], typed: str) -> None:
    entries = [Entry("campaign" if i % 2 else "canvas", f"id-{i}", n, None, bool(i % 3)) for i, n in enumerate(names)]
    check_message(find_blocks(query, entries, ["a note"]), names)
    options = entry_options(entries, [(Kind.CAMPAIGN, typed)])
    check_message([{"type": "static_select", "options": options}], [])
    assert typed in options[-1]["text"]["text"]  # a typed ID stays whole
    check_message(report_modal("C1", None, ["n"], initial_days=14)["blocks"], [])


@PROPERTY
@given(names=st.lists(NAMES, min_size=1, max_size=5))
def test_list_app_home_and_dms(names: list[str]) -> None:
    subs = [subscription(kind, i + 1) for i, kind in enumerate([Kind.SEND, Kind.CAMPAIGN, Kind.CANVAS] * 2)]
    by_id = {s.id: n for s, n in zip(subs, names, strict=False)}
    check_message(home_view(subs, datetime(2026, 3, 5, 12), {}, by_id)["blocks"], [])
    for sub in subs:
        check_message(notice_blocks(describe(sub, None, by_id.get(sub.id))), [])
        check_message(notice_blocks(paused_text(sub, "I was removed.")), [])


@PROPERTY
@given(names=st.lists(NAMES, min_size=1, max_size=4), decisive=st.lists(st.booleans(), min_size=4, max_size=4))
def test_variant_comparisons(names: list[str], decisive: list[bool]) -> None:
    sentences = tuple(
        f"{n} converts 4.1% (3.8–4.4) against 3.2% (3.0–3.5) for {names[0]}: +28%, 99% confidence." for n in names
    )
    rate = RateView("Conversion rate", names[0], "a variation named Control", sentences, tuple(decisive[: len(names)]))
    check_message(comparison_blocks(ComparisonView((rate,), more=1, elsewhere="the full report")), [])


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(st.sampled_from([*HARD, "x" * 200, "```", "line"]), max_size=80).map("".join),
    limit=st.integers(100, 3000),
)  # Slack's text limits are 150 to 3000
def test_a_shortened_text_always_says_so_and_fits(text: str, limit: int) -> None:
    out = shorten(text, limit)
    assert utf16_len(out) <= limit
    assert out == text or "more line" in out or "(cut:" in out
    cut = fit(text, limit)
    assert utf16_len(cut) <= limit and (cut == text or cut.endswith(ELLIPSIS))


# -- placeholders and the recorded payloads ---------------------------------------------------------------

RAW_PLACEHOLDER = re.compile(r"<[a-z][a-z_ ]*>")


def test_usage_help_and_app_home_have_no_raw_placeholders() -> None:
    spelled = [text for name, text in vars(grammar).items() if name.endswith(("_USAGE", "_EXAMPLE"))]
    home = json.dumps(home_view([], datetime(2026, 3, 5, 12))["blocks"])
    for text in [*spelled, help_text(), short_help(), grammar.report_forms(), home]:
        assert not RAW_PLACEHOLDER.search(text), RAW_PLACEHOLDER.search(text)
    for name, text, _ in recorded_texts():
        assert RAW_PLACEHOLDER.search(text) is None, (name, text)


REPORT_HEADERS = ("📊", "🗞", "🏁")


def recorded_texts() -> Iterator[tuple[str, str, bool]]:
    """(scenario, text, in a report or digest) of every text Slack was sent in the recorded payloads."""
    for path in sorted(PAYLOADS.glob("*.json")):

        def walk(node: Any, report: bool, stem: str = path.stem) -> Iterator[tuple[str, str, bool]]:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "blocks":
                        blocks = json.loads(value) if isinstance(value, str) else value
                        head = blocks[0].get("text", {}).get("text", "") if blocks else ""
                        # App Home opens with "📊 sendstats" too; it is the help, not a report
                        yield from walk(blocks, head.startswith(REPORT_HEADERS) and head != "📊 sendstats")
                    elif key == "text" and isinstance(value, str):
                        yield stem, value, report
                    else:
                        yield from walk(value, report)
            elif isinstance(node, list):
                for item in node:
                    yield from walk(item, report)

        yield from walk(json.loads(path.read_text()), False)


def test_every_recorded_report_and_digest_fits_a_phone() -> None:
    """Over every message kind as recorded: no table line past 40 columns anywhere, and in reports and
    digests no line past 120 characters and the verdict first."""
    lines = 0
    for name, text, report in recorded_texts():
        for table in tables(text):
            assert max(display_width(line) for line in table) <= TABLE_WIDTH, (name, table)
        if report:
            for line in outside_code(text).split("\n"):
                assert len(line) <= 120, (name, line)
                lines += 1
    assert lines > 300
    for path in PAYLOADS.glob("*.json"):
        for call in json.loads(path.read_text()).get("slack", []):
            blocks = call.get("params", {}).get("blocks")
            blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
            head = blocks[0].get("text", {}).get("text", "") if blocks else ""
            if head.startswith(REPORT_HEADERS) and head != "📊 sendstats":
                assert blocks[1]["type"] == "section", (path.stem, blocks[1])  # the verdict (or quiet day) first
                assert blocks[1]["text"]["text"].startswith("*"), (path.stem, blocks[1])
