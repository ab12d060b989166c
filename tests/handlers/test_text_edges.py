"""Small text rules the wider message tests pass through without pinning: how a list of choices reads,
the report commands an out-of-date button points to, and a table row that does not fit its columns."""

from __future__ import annotations

import pytest

from handlers.grammar import report_forms
from handlers.layout.blocks import table_block
from reports.views import Table, either


def test_choices_read_as_a_sentence() -> None:
    assert either(["send", "campaign", "Canvas"]) == "send, campaign or Canvas"
    assert either(["campaigns", "Canvases"], " and ") == "campaigns and Canvases"
    assert either(["campaign"]) == "campaign"  # one choice: just its word, no "or"
    assert either([]) == ""


def test_an_out_of_date_button_points_to_the_slash_commands() -> None:
    # actions.on_rerun answers "Run {report_forms()} instead.": the slash command, spelled as typed.
    assert report_forms() == (
        "`/sendstats <campaign_id> <send_id> [days]`, `/sendstats campaign <id> [days]` or "
        "`/sendstats canvas <id> [days]`"
    )
    assert report_forms("@sendstats").startswith("`@sendstats <campaign_id> <send_id> [days]`, ")


def test_a_table_row_missing_a_value_is_refused_not_posted_misaligned() -> None:
    columns = (("Sent", 8), ("Opens", 8))
    fine = Table("By channel", columns, (("Email", ("1,000", "200")),))
    assert "1,000" in table_block(fine)["text"]["text"]
    short = Table("By channel", columns, (("Email", ("1,000",)),))
    with pytest.raises(ValueError, match="zip"):
        table_block(short)
