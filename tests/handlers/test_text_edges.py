"""Small text rules the wider message tests pass through without pinning: how a list of choices reads,
the report commands an out-of-date button points to, and a table row that does not fit its columns."""

from __future__ import annotations

import pytest

from handlers.grammar import report_forms
from handlers.layout.blocks import table_blocks
from reports.views import Table, either


def test_choices_read_as_a_sentence() -> None:
    assert either(["send", "campaign", "Canvas"]) == "send, campaign or Canvas"
    assert either(["campaigns", "Canvases"], " and ") == "campaigns and Canvases"
    assert either(["campaign"]) == "campaign"  # one choice: just its word, no "or"
    assert either([]) == ""


def test_an_out_of_date_button_points_to_the_slash_commands() -> None:
    # actions.on_rerun answers "Run {report_forms()} instead.": the slash command, spelled as typed.
    # placeholders in capitals: Slack reads <…> as a link or mention, even in code
    assert report_forms() == (
        "`/sendstats CAMPAIGN_ID SEND_ID [days]`, `/sendstats campaign ID [days]` or `/sendstats canvas ID [days]`"
    )
    assert report_forms("@sendstats").startswith("`@sendstats CAMPAIGN_ID SEND_ID [days]`, ")


def test_a_table_row_missing_a_value_is_refused_not_posted_misaligned() -> None:
    columns = ("Sent", "Opens")
    fine = Table("By channel", columns, (("Email", ("1,000", "200")),))
    assert "1,000" in table_blocks(fine)[0]["text"]["text"]
    short = Table("By channel", columns, (("Email", ("1,000",)),))
    with pytest.raises(IndexError):  # a row short of a value is refused, never posted misaligned
        table_blocks(short)
