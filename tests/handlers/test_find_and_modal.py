"""Finding campaigns and Canvases by name, and the report modal, driven over HTTP as Slack drives them.

The catalogue is filled from the sample Braze server's paged lists; every search afterwards must be
answered from the database with no Braze call at all.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.runtime import build_runtime
from fakes.braze import SampleBraze
from fakes.settings import SIGNING_SECRET
from fakes.signing import (
    FORM,
    block_action_body,
    block_actions_payload,
    block_suggestion_payload,
    post_signed,
    view_submission_payload,
)
from fakes.slack import SlackFake
from handlers.layout.catalogue_blocks import (
    DAYS_ACTION,
    DAYS_BLOCK,
    FIND_REPORT,
    SEND_ACTION,
    SEND_BLOCK,
    TARGET_ACTION,
    TARGET_BLOCK,
)
from tests.harness import BotUnderTest, make_settings, message_text


def interact(bot: BotUnderTest, payload: dict[str, Any]) -> httpx.Response:
    return post_signed(f"{bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM)


def fill(bot: BotUnderTest) -> None:
    """Several pages of each list, a campaign and a Canvas with analytics, then one catalogue refresh."""
    bot.braze.fill_lists(campaigns=230, canvases=120)
    bot.braze.add_campaign("cmp-ete", "Été Promo: Crème Brûlée", days_ago=10)
    bot.braze.add_canvas("cv-welcome", "Welcome Journey", days_ago=20)
    assert bot.runtime.catalogue is not None
    bot.runtime.catalogue.refresh()


def list_calls(bot: BotUnderTest) -> list[Any]:
    return [r for r in bot.braze.requests if r.path in ("/campaigns/list", "/canvas/list")]


def find(bot: BotUnderTest, words: str) -> dict[str, Any]:
    response = bot.command(f"find {words}")
    assert response.status_code == 200
    return response.json()


def found_ids(answer: dict[str, Any]) -> list[str]:
    return [
        json.loads(e["value"])["i"]
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == FIND_REPORT
    ]


def test_find_reads_every_page_once_and_matches_without_case_or_accents(bot: BotUnderTest) -> None:
    fill(bot)
    pages = sorted((r.path, int(r.query["page"])) for r in list_calls(bot))
    assert pages == [("/campaigns/list", p) for p in range(3)] + [("/canvas/list", p) for p in range(2)]
    bot.braze.requests.clear()

    answer = find(bot, "CREME brulee ete")
    assert found_ids(answer) == ["cmp-ete"]
    assert "Été Promo: Crème Brûlée" in message_text(answer) and "cmp-ete" in message_text(answer)
    # The last page's entries are there too, and only names holding every word match.
    assert found_ids(find(bot, "newsletter #229")) == ["listed-campaign-0229"]
    assert found_ids(find(bot, "welcome JOURNEY")) == ["cv-welcome"]
    assert len(found_ids(find(bot, "newsletter"))) == 10  # the best 10 of 230
    nothing = find(bot, "newsletter welcome")
    assert found_ids(nothing) == [] and "Nothing in the catalogue matches" in message_text(nothing)
    assert bot.braze.requests == [], "a search called Braze"


def test_modal_flow_as_slack_drives_it(bot: BotUnderTest) -> None:
    fill(bot)
    bot.braze.requests.clear()
    response = bot.command("", channel_id="C_PUBLIC", trigger_id="13345224609.738474920.8088930838d88f008e0")
    assert response.status_code == 200 and response.text == ""
    opened = bot.slack.wait_for("views.open")[0]
    assert opened.params["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = bot.slack.opened_views[-1]

    suggestion = block_suggestion_payload(view, TARGET_ACTION, "crème", block_id=TARGET_BLOCK)
    options = interact(bot, suggestion).json()["options"]
    assert options[0]["value"] == "campaign:cmp-ete" and "Crème Brûlée" in options[0]["text"]["text"]
    assert bot.braze.requests == [], "the options request called Braze"

    values = {
        TARGET_BLOCK: {TARGET_ACTION: {"type": "external_select", "selected_option": options[0]}},
        SEND_BLOCK: {SEND_ACTION: {"type": "plain_text_input", "value": None}},
        DAYS_BLOCK: {DAYS_ACTION: {"type": "number_input", "value": "14"}},
    }
    submitted = interact(bot, view_submission_payload(view, values))
    assert submitted.status_code == 200 and not submitted.text.strip("{}")  # closes the modal
    post = bot.slack.wait_for("chat.postMessage")[0]
    assert post.params["channel"] == "C_PUBLIC"
    assert "Été Promo: Crème Brûlée" in message_text(post.params)
    bot.idle()
    series = [r for r in bot.braze.requests if r.path == "/campaigns/data_series"]
    assert [r.query["length"] for r in series] == ["14"]


def test_modal_keeps_bad_values_open_with_field_errors(bot: BotUnderTest) -> None:
    fill(bot)
    bot.command("")
    view = bot.slack.wait_for("views.open") and bot.slack.opened_views[-1]
    canvas = interact(bot, block_suggestion_payload(view, TARGET_ACTION, "welcome"))
    values = {
        TARGET_BLOCK: {TARGET_ACTION: {"selected_option": canvas.json()["options"][0]}},
        SEND_BLOCK: {SEND_ACTION: {"value": "send-0001"}},
        DAYS_BLOCK: {DAYS_ACTION: {"value": "365"}},
    }
    answer = interact(bot, view_submission_payload(view, values)).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {SEND_BLOCK, DAYS_BLOCK}
    assert "pick a campaign" in answer["errors"][SEND_BLOCK]
    bot.idle()
    assert bot.slack.calls_to("chat.postMessage") == []


def test_key_without_campaign_list_permission_still_finds_canvases_and_takes_typed_ids(bot: BotUnderTest) -> None:
    bot.braze.add_canvas("cv-welcome", "Welcome Journey", days_ago=20)
    bot.braze.add_campaign("cmp-hidden", "Hidden campaign", days_ago=5)
    bot.braze.fail_next(403, {"message": "Insufficient permissions"}, path="/campaigns/list")
    assert bot.runtime.catalogue is not None
    bot.runtime.catalogue.refresh()

    answer = find(bot, "welcome")
    assert found_ids(answer) == ["cv-welcome"]
    text = message_text(answer)
    assert "`campaigns.list`" in text and "/sendstats campaign ID" in text
    assert "`canvas.list`" not in text

    bot.command("")
    view = bot.slack.wait_for("views.open") and bot.slack.opened_views[-1]
    assert "`campaigns.list`" in message_text(view)
    options = interact(bot, block_suggestion_payload(view, TARGET_ACTION, "cmp-hidden")).json()["options"]
    assert "campaign:cmp-hidden" in [o["value"] for o in options]
    values = {
        TARGET_BLOCK: {TARGET_ACTION: {"selected_option": next(o for o in options if o["value"].startswith("cam"))}},
        DAYS_BLOCK: {DAYS_ACTION: {"value": "7"}},
    }
    assert interact(bot, view_submission_payload(view, values)).status_code == 200
    assert "Hidden campaign" in message_text(bot.slack.wait_for("chat.postMessage")[0].params)


def test_find_report_button_posts_the_report_in_the_channel(bot: BotUnderTest) -> None:
    fill(bot)
    answer = find(bot, "welcome journey")
    button = next(e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"])
    payload = block_actions_payload(
        FIND_REPORT, value=button["value"], response_url=bot.slack.new_response_url(), channel_id="C_PUBLIC"
    )
    payload["container"]["is_ephemeral"] = True
    payload.pop("message")
    assert interact(bot, payload).status_code == 200
    post = bot.slack.wait_for("chat.postMessage")[0]
    assert post.params["channel"] == "C_PUBLIC" and "thread_ts" not in post.params
    assert "Welcome Journey" in message_text(post.params)


def test_find_by_mention_answers_in_the_thread(bot: BotUnderTest) -> None:
    fill(bot)
    event = {
        "type": "app_mention",
        "user": "U1",
        "channel": "C_PUBLIC",
        "ts": "1764400000.000500",
        "thread_ts": "1764400000.000100",
        "text": "<@UBOT> find welcome",
    }
    assert bot.event(event).status_code == 200
    post = bot.slack.wait_for("chat.postMessage")[0]
    assert post.params["thread_ts"] == "1764400000.000100" and "cv-welcome" in message_text(post.params)


@pytest.mark.slow  # the real scheduler
def test_the_scheduler_fills_the_catalogue_in_the_background_after_start(
    slack_fake: SlackFake, braze_server: SampleBraze, tmp_path: Path
) -> None:
    braze_server.reset()
    braze_server.add_canvas("cv-bg", "Background journey")
    runtime = build_runtime(make_settings(slack_fake, braze_server, tmp_path / "bg.db", render_processes=0))
    try:
        runtime.start(scheduler=True)
        assert runtime.scheduler is not None and runtime.scheduler.scheduler.get_job("catalogue:refresh")
        deadline = time.monotonic() + 30
        while not runtime.deps.catalogue.search("background journey"):
            assert time.monotonic() < deadline, "the catalogue was not filled after start"
            time.sleep(0.1)
    finally:
        runtime.close()
        braze_server.canvases.clear()
