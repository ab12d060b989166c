"""Block Kit for a Canvas report: entries, conversions and revenue, overall and per variant."""

from __future__ import annotations

from handlers.layout.blocks import LABEL_WIDTH, Block, _md, cell, table_labels
from handlers.layout.kind_blocks import footer_block, head_blocks, kind_actions
from handlers.layout.text import escape, fmt_count, fmt_rate, fmt_usd
from reports.canvases import CanvasSummary

MAX_VARIANTS = 12
CANVAS_FOOTER = "Conversion rate = conversions ÷ entries. By entry time: conversions credited to the day users entered."


def canvas_text(summary: CanvasSummary, title: str) -> str:
    t = summary.totals
    return escape(
        f"{title}: {fmt_count(t.get('entries'))} entries, {fmt_count(t.get('conversions'))} conversions "
        f"({fmt_rate(summary.conversion_rate)})"
    )


def _variant_table(summary: CanvasSummary) -> Block:
    """Like the send report's tables: one line per variant, names told apart, escaped before padding."""
    columns = (("entries", 10), ("conv.", 8), ("rate", 8), ("revenue", 13))
    lines = [" " * (LABEL_WIDTH + 1) + "".join(cell(name, width) for name, width in columns)]
    shown = summary.variants[:MAX_VARIANTS]
    labels = table_labels([v.name for v in shown])
    for i, v in enumerate(shown):
        s = v.stats
        lines.append(
            cell(labels[i], LABEL_WIDTH + 1, left=True)
            + cell(fmt_count(s.get("entries")), 10)
            + cell(fmt_count(s.get("conversions")), 8)
            + cell(fmt_rate(v.conversion_rate), 8)
            + cell(fmt_usd(s.get("revenue")), 13)
        )
    if len(summary.variants) > MAX_VARIANTS:
        lines.append(f"… and {len(summary.variants) - MAX_VARIANTS} more")
    body = "\n".join(lines)
    return {"type": "section", "text": _md(f"*By variant*\n```{body}```")}


def canvas_blocks(summary: CanvasSummary, *, title: str, chart_note: str | None = None) -> list[Block]:
    t = summary.totals
    blocks = head_blocks("canvas", title, summary.canvas_id, summary.start, summary.end, summary.days_with_data)
    blocks.append(
        {
            "type": "section",
            "fields": [
                _md(f"*Entries*\n{fmt_count(t.get('entries'))}"),
                _md(f"*Conversions*\n{fmt_count(t.get('conversions'))}  (conv. {fmt_rate(summary.conversion_rate)})"),
                _md(f"*Conversions by entry time*\n{fmt_count(t.get('conversions_by_entry_time'))}"),
                _md(f"*Revenue*\n{fmt_usd(t.get('revenue'))}"),
            ],
        }
    )
    blocks.append({"type": "divider"})
    if summary.variants:
        blocks.append(_variant_table(summary))
    blocks.append(footer_block(CANVAS_FOOTER, chart_note))
    blocks.append(kind_actions("canvas", summary.canvas_id))
    return blocks
