"""Every Slack payload a report kind produces, rebuilt from fixed data on a fixed clock.

Each scenario drives the running bot the way Slack does (signed slash commands, events, button and
modal payloads, digest rounds) against the sample Braze server, and returns what Slack received: the
acks of the commands and every message, ephemeral, response_url answer, view and chart upload the bot
sent, with the values Slack makes up itself (timestamps, file and trigger ids) replaced by stable
placeholders. Chart PNG bytes are left out (their size and pixels may change; their titles and
filenames are kept).

``tests/handlers/test_payloads_kept.py`` rebuilds every scenario and compares it with the recorded
``payloads/before/<scenario>.json``; ``PAYLOADS_WRITE=<folder> python -m pytest
tests/handlers/test_payloads_kept.py`` (re)writes them into ``payloads/<folder>/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from digests.round import close_out_days, run_round
from fakes.settings import CAMPAIGN, SEND, SIGNING_SECRET
from fakes.signing import FORM, block_action_body, block_suggestion_payload, post_signed
from fakes.slack import RESPONSE_URL
from tests.harness import BotUnderTest

#: The fixed clock: a Wednesday, noon UTC. Braze's "today" is the same day.
TODAY = date(2026, 3, 18)
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)

#: Slack calls whose payloads a person sees (the rest are joins, lookups and upload plumbing).
SHOWN = (
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "views.open",
    "views.publish",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
    RESPONSE_URL,
)
#: Values Slack (or the fake) makes up; replaced by stable placeholders.
_TS_KEYS = ("ts", "thread_ts", "message_ts")
_JSON_PARAMS = ("blocks", "metadata", "view", "files", "attachments")
_RESPONSE_URL = re.compile(r"http://127\.0\.0\.1:\d+/response/[0-9a-f]+")


class Recorder:
    """What one scenario sent to Slack, normalised."""

    def __init__(self, bot: BotUnderTest) -> None:
        self.bot = bot
        self.acks: list[Any] = []
        self._ts: dict[str, str] = {}

    def command(self, text: str, **kwargs: Any) -> None:
        response = self.bot.command(text, **kwargs)
        assert response.status_code == 200, response.text
        self.acks.append(response.json() if response.text.strip() else "")
        self.bot.idle()

    def interact(self, payload: dict[str, Any]) -> None:
        response = post_signed(f"{self.bot.url}/slack/events", block_action_body(payload), SIGNING_SECRET, FORM)
        assert response.status_code == 200, response.text
        self.acks.append(response.json() if response.text.strip() else "")
        self.bot.idle()

    def event(self, event: dict[str, Any], *, answer: str) -> None:
        """An Events API event; Bolt acks it before the listener runs, so wait for its ``answer`` call."""
        before = len(self.bot.slack.calls_to(answer))
        assert self.bot.event(event).status_code == 200
        self.bot.slack.wait_for(answer, before + 1)
        self.bot.idle()

    def result(self) -> dict[str, Any]:
        self.bot.idle()
        calls = []
        for call in self.bot.slack.calls:
            if call.method not in SHOWN:
                continue
            params = {k: _json(v) if k in _JSON_PARAMS else v for k, v in call.params.items()}
            if call.method == "files.getUploadURLExternal":
                # ``length`` is the PNG's size; ``alt_txt`` is what a screen reader says of the chart
                params = {"filename": params.get("filename"), "alt_txt": params.get("alt_txt")}
            ok = call.response.get("ok", True) if isinstance(call.response, dict) else call.status == 200
            calls.append({"method": call.method, "ok": ok, "params": self._normal(params)})
        return {"acks": self._normal(self.acks), "slack": calls}

    def _normal(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._normal(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._normal(v, key) for v in value]
        if key in _TS_KEYS and isinstance(value, str) and value:
            return self._ts.setdefault(value, f"<ts{len(self._ts) + 1}>")
        if key in ("id", "trigger_id", "response_url", "view_id", "hash", "request_id", "install") and isinstance(
            value, str
        ):
            return f"<{key}>"
        if isinstance(value, str):
            return _RESPONSE_URL.sub("<response_url>", value)
        return value


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@contextmanager
def fixed_clock(bot: BotUnderTest, now: datetime = NOW) -> Iterator[None]:
    """The bot, the digest rounds and the sample Braze server all on ``now``'s day."""
    deps, rounds, braze = bot.runtime.deps, bot.runtime.rounds, bot.braze
    saved = deps.clock, rounds.clock, braze.today
    deps.clock = rounds.clock = lambda: now
    braze.today = now.date()
    try:
        yield
    finally:
        deps.clock, rounds.clock, braze.today = saved


def digest(bot: BotUnderTest, day: date) -> None:
    """Each active subscription's digest of ``day``, one subscription at a time (so posts come in order)."""
    for sub in sorted(bot.runtime.store.subscriptions.active(), key=lambda s: s.id):
        result = run_round(bot.runtime.rounds, [sub], digest_date=day)
        assert not result.errors, result.errors
        bot.idle()


def _subscribe_in_past(rec: Recorder, text: str, days_before: int) -> None:
    with fixed_clock(rec.bot, NOW - timedelta(days=days_before)):
        rec.command(f"subscribe {text}")


def add_kinds(bot: BotUnderTest) -> None:
    """A five-channel campaign and a three-variant Canvas, as the demo shows them."""
    bot.braze.add_campaign("cmp-multi", "Multi-channel launch", days_ago=20)
    bot.braze.add_canvas("cv-flow", "Onboarding flow", days_ago=40)


# -- scenarios ---------------------------------------------------------------------------------------


def report_send(rec: Recorder) -> None:
    rec.command(f"{CAMPAIGN} {SEND}")


def report_send_until(rec: Recorder) -> None:
    rec.command(f"{CAMPAIGN} {SEND} 7 until 2026-03-16")


def report_send_reused(rec: Recorder) -> None:
    rec.bot.braze.add_send(CAMPAIGN, "send-reused", days_ago=40, resend_every=20)
    rec.command(f"{CAMPAIGN} send-reused 45")


def report_send_in_thread(rec: Recorder) -> None:
    rec.event(
        {
            "type": "app_mention",
            "user": "U1",
            "channel": "C_PUBLIC",
            "ts": "1773835200.000500",
            "thread_ts": "1773835200.000100",
            "text": f"<@UBOT> {CAMPAIGN} {SEND} 7",
        },
        answer="files.completeUploadExternal",
    )


def report_campaign(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.command("campaign cmp-multi")


def report_campaign_without_name(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.bot.braze.campaign_details_status = 403
    rec.command("campaign cmp-multi 7 until 2026-03-10")


def report_canvas(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.command("canvas cv-flow 60")


def report_canvas_in_thread(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.event(
        {
            "type": "app_mention",
            "user": "U1",
            "channel": "C_PUBLIC",
            "ts": "1773835200.000700",
            "text": "<@UBOT> canvas cv-flow 7",
        },
        answer="files.completeUploadExternal",
    )


def subscribe_send(rec: Recorder) -> None:
    rec.command(f"subscribe {CAMPAIGN} {SEND} at 08:30 Europe/Berlin")


def subscribe_campaign(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.command("subscribe campaign cmp-multi")


def subscribe_canvas(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.command("subscribe canvas cv-flow at 07:15 America/New_York")


def subscribe_refused(rec: Recorder) -> None:
    rec.bot.braze.add_campaign("cmp-old", "Old campaign", days_ago=30, archived=True)
    rec.bot.braze.add_send(CAMPAIGN, "send-old", days_ago=30)
    rec.command("subscribe campaign cmp-old")
    rec.command(f"subscribe {CAMPAIGN} send-old")


def digest_send_active(rec: Recorder) -> None:
    rec.command(f"subscribe {CAMPAIGN} {SEND}")
    digest(rec.bot, TODAY)


def digest_send_quiet(rec: Recorder) -> None:
    rec.bot.braze.add_send(CAMPAIGN, "send-quiet", days_ago=5, quiet_days=frozenset({3}))
    rec.command(f"subscribe {CAMPAIGN} send-quiet")
    digest(rec.bot, TODAY - timedelta(days=1))


def digest_send_final(rec: Recorder) -> None:
    rec.bot.braze.add_send(CAMPAIGN, "send-last", days_ago=14)
    rec.command(f"subscribe {CAMPAIGN} send-last")
    digest(rec.bot, TODAY)


def digest_campaign_active(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.command("subscribe campaign cmp-multi")
    digest(rec.bot, TODAY)


def digest_campaign_quiet(rec: Recorder) -> None:
    rec.bot.braze.add_campaign("cmp-quiet", "Quiet campaign", days_ago=20, quiet_days=frozenset({18, 19}))
    _subscribe_in_past(rec, "campaign cmp-quiet", 5)
    digest(rec.bot, TODAY)


def digest_campaign_archived(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.command("subscribe campaign cmp-multi")
    rec.bot.braze.campaigns["cmp-multi"].archived = True
    digest(rec.bot, TODAY)


def digest_canvas_active(rec: Recorder) -> None:
    add_kinds(rec.bot)
    rec.command("subscribe canvas cv-flow")
    digest(rec.bot, TODAY)


def digest_canvas_quiet(rec: Recorder) -> None:
    rec.bot.braze.add_canvas("cv-empty", "Empty flow", days_ago=30, daily_entries=0)
    _subscribe_in_past(rec, "canvas cv-empty", 2)
    digest(rec.bot, TODAY)


def digest_canvas_ends_quiet(rec: Recorder) -> None:
    rec.bot.braze.add_canvas("cv-empty", "Empty flow", days_ago=30, daily_entries=0)
    _subscribe_in_past(rec, "canvas cv-empty", 20)
    digest(rec.bot, TODAY)


def _all_three(rec: Recorder, channel: str = "C_PUBLIC") -> None:
    add_kinds(rec.bot)
    for text in (f"{CAMPAIGN} {SEND}", "campaign cmp-multi", "canvas cv-flow"):
        rec.command(f"subscribe {text}", channel_id=channel)


def paused_dms(rec: Recorder) -> None:
    rec.bot.slack.add_channel("C_GONE")
    _all_three(rec, "C_GONE")
    rec.bot.slack.channels["C_GONE"].archived = True
    for sub in rec.bot.runtime.store.subscriptions.active():  # one at a time: the DMs come in order
        run_round(rec.bot.runtime.rounds, [sub], digest_date=TODAY)
        rec.bot.idle()


def missed_dms(rec: Recorder) -> None:
    _all_three(rec)
    rounds = rec.bot.runtime.rounds
    for sub in rec.bot.runtime.store.subscriptions.active():
        rec.bot.slack.fail_next("chat.postMessage", error="internal_error")
        run_round(rounds, [sub], digest_date=TODAY)
        close_out_days(rounds, now=NOW + timedelta(days=1))
        rec.bot.idle()


def list_and_unsubscribe(rec: Recorder) -> None:
    _all_three(rec)
    digest(rec.bot, TODAY)
    rec.command("list")
    rec.command("unsubscribe 3")
    rec.command("unsubscribe campaign cmp-multi")
    rec.command(f"unsubscribe {CAMPAIGN} {SEND}")
    rec.command("list")


def app_home(rec: Recorder) -> None:
    _all_three(rec)
    digest(rec.bot, TODAY - timedelta(days=1))
    rec.event({"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home"}, answer="views.publish")


def help_text(rec: Recorder) -> None:
    rec.command("help")


def fill_catalogue(bot: BotUnderTest, *, missing: str | None = None) -> None:
    bot.braze.fill_lists(campaigns=12, canvases=6)
    add_kinds(bot)
    bot.braze.add_campaign("cmp-ete", "Été launch: Crème Brûlée", days_ago=10, archived=True)
    if missing:
        bot.braze.fail_next(403, {"message": "Insufficient permissions"}, path=missing)
    assert bot.runtime.catalogue is not None
    bot.runtime.catalogue.refresh()


def find_results(rec: Recorder) -> None:
    fill_catalogue(rec.bot)
    rec.command("find launch")
    rec.command("find flow")
    rec.command("find nothing-like-this")


def find_without_list_permission(rec: Recorder) -> None:
    fill_catalogue(rec.bot, missing="/canvas/list")
    rec.command("find launch")


def report_modal(rec: Recorder) -> None:
    fill_catalogue(rec.bot, missing="/campaigns/list")
    rec.command("", trigger_id="13345224609.738474920.8088930838d88f008e0")
    rec.bot.slack.wait_for("views.open")  # opened right after the ack, which has already come back
    view = rec.bot.slack.opened_views[-1]
    for typed in ("flow", "cmp-typed-id"):
        rec.interact(block_suggestion_payload(view, "sendstats_target", typed, block_id="sendstats_target"))


def usage_errors(rec: Recorder) -> None:
    for text in (
        "campaign",
        "canvas bad<id>",
        "canvas cv-flow 500",
        "subscribe canvas",
        "subscribe campaign cmp-multi at 25:00",
        "unsubscribe canvas",
        "unsubscribe canvas bad<id>",
    ):
        rec.command(text)


def acks(rec: Recorder) -> None:
    """The acks of every report and subscription command (their answers are other scenarios')."""
    add_kinds(rec.bot)
    for text in ("campaign cmp-multi 1", "canvas cv-flow 1 until 2026-03-01", f"{CAMPAIGN} {SEND} 1"):
        rec.command(text)


SCENARIOS: dict[str, Callable[[Recorder], None]] = {
    fn.__name__: fn
    for fn in (
        report_send,
        report_send_until,
        report_send_reused,
        report_send_in_thread,
        report_campaign,
        report_campaign_without_name,
        report_canvas,
        report_canvas_in_thread,
        subscribe_send,
        subscribe_campaign,
        subscribe_canvas,
        subscribe_refused,
        digest_send_active,
        digest_send_quiet,
        digest_send_final,
        digest_campaign_active,
        digest_campaign_quiet,
        digest_campaign_archived,
        digest_canvas_active,
        digest_canvas_quiet,
        digest_canvas_ends_quiet,
        paused_dms,
        missed_dms,
        list_and_unsubscribe,
        app_home,
        help_text,
        find_results,
        find_without_list_permission,
        report_modal,
        usage_errors,
        acks,
    )
}


def run(bot: BotUnderTest, name: str) -> dict[str, Any]:
    """Scenario ``name`` on the fixed clock; what Slack received."""
    recorder = Recorder(bot)
    with fixed_clock(bot):
        bot.braze.sends.clear()
        bot.braze.add_send(CAMPAIGN, SEND, days_ago=4)  # the harness's send, on the fixed day
        SCENARIOS[name](recorder)
        return recorder.result()
