"""Daily digests: subscription commands over signed HTTP, digest rounds against the fakes, the scheduler."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.runtime import digest_slack_client
from bot.scheduler import MISFIRE_GRACE_SECONDS, DigestScheduler
from digests import posting
from digests.round import close_out_days, resume_past_days, run_round
from digests.schedule import first_digest_date
from fakes.braze import SERIES_PATH as SERIES
from fakes.braze import series_payload
from handlers.adapter.delivery import SlackDelivery
from handlers.flows.digest_posting import SlackDigestSender
from tests.harness import CAMPAIGN, SEND, BotUnderTest, make_subscription, message_text


def subscribe(bot: BotUnderTest, text: str, channel: str = "C_PUBLIC", user: str = "U1") -> str:
    """Run ``/sendstats subscribe …`` and return what the bot said (channel post or private reply)."""
    url = bot.slack.new_response_url()
    ack = bot.command(f"subscribe {text}", channel_id=channel, user_id=user, response_url=url).json()["text"]
    assert "Checking send" in ack
    bot.idle()
    posts = [c for c in bot.slack.calls_to("chat.postMessage") if c.response.get("ok")]
    private = [message_text(r) for r in bot.slack.responses.get(url, [])]
    return "\n".join([message_text(c.params) for c in posts] + private)


def day_sent(bot: BotUnderTest, day: date, campaign: str = CAMPAIGN, send: str = SEND) -> int:
    """``sent`` on ``day`` straight from the raw Braze JSON (independent of the code under test)."""
    payload = series_payload(bot.braze.sends[(campaign, send)], length=1, ending=day)
    return sum(row["sent"] for d in payload["data"] for rows in d["messages"].values() for row in rows)


def digest_posts(bot: BotUnderTest) -> list:
    """The posts that landed outside any thread: digests (and DMs), not their chart replies."""
    return [c for c in bot.slack.calls_to("chat.postMessage") if c.response.get("ok") and not c.params.get("thread_ts")]


def subs(bot: BotUnderTest):
    return bot.runtime.store.subscriptions.active()


def test_subscribe_confirms_time_zone_first_and_last_digest(bot: BotUnderTest) -> None:
    bot.slack.set_user_tz("U1", "America/New_York")
    said = subscribe(bot, f"{CAMPAIGN} {SEND}")
    [sub] = subs(bot)
    first_day = bot.braze.sends[(CAMPAIGN, SEND)].first_day
    assert sub.channel_id == "C_PUBLIC" and sub.timezone == "America/New_York" and (sub.hour, sub.minute) == (9, 0)
    assert sub.first_day == first_day and sub.ends_on == first_day + timedelta(days=14)
    assert "09:00 America/New_York" in said
    assert f"{sub.ends_on:%A}, {sub.ends_on:%b} {sub.ends_on.day}" in said
    expected_first = first_digest_date(sub)
    assert f"First digest: {expected_first:%A}, {expected_first:%b} {expected_first.day}" in said
    assert bot.slack.calls_to("users.info")[0].params["user"] == "U1"


def test_subscribe_with_explicit_time_and_zone(bot: BotUnderTest) -> None:
    said = subscribe(bot, f"{CAMPAIGN} {SEND} at 07:45 Europe/Berlin")
    [sub] = subs(bot)
    assert (sub.hour, sub.minute, sub.timezone) == (7, 45, "Europe/Berlin")
    assert "07:45 Europe/Berlin" in said
    assert bot.slack.calls_to("users.info") == []


def test_subscribe_without_slack_zone_falls_back_to_digest_timezone(bot: BotUnderTest) -> None:
    bot.slack.fail_next("users.info", error="user_not_found")
    subscribe(bot, f"{CAMPAIGN} {SEND}")
    assert subs(bot)[0].timezone == bot.runtime.deps.default_timezone == "UTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{CAMPAIGN} {SEND} at 25:00", "not a time of day"),
        (f"{CAMPAIGN} {SEND} at 9", "not a time of day"),
        (f"{CAMPAIGN} {SEND} Mars/Olympus", "not a time zone"),
        (f"{CAMPAIGN}", "needs a campaign ID and a send ID"),
    ],
)
def test_bad_subscribe_gets_usage_and_stores_nothing(bot: BotUnderTest, text: str, expected: str) -> None:
    reply = bot.command(f"subscribe {text}").json()["text"]
    assert expected in reply and "subscribe CAMPAIGN_ID SEND_ID" in reply
    bot.idle()
    assert subs(bot) == [] and bot.braze.requests == []


def test_subscribe_to_send_without_data_is_refused_and_nothing_stored(bot: BotUnderTest) -> None:
    said = subscribe(bot, f"{CAMPAIGN} unknown-send")
    assert "no data in the last 14 days: wrong IDs, or the send's analytics window has closed" in said
    assert subs(bot) == []
    assert [c for c in bot.slack.calls_to("chat.postMessage") if c.params.get("channel") == "C_PUBLIC"] == []


def test_subscribing_twice_updates_instead_of_duplicating(bot: BotUnderTest) -> None:
    subscribe(bot, f"{CAMPAIGN} {SEND} at 08:00 UTC")
    bot.slack.reset()
    said = subscribe(bot, f"{CAMPAIGN} {SEND} at 10:30 UTC")
    [sub] = subs(bot)
    assert (sub.hour, sub.minute) == (10, 30) and "updated" in said
    listing = bot.command("list").json()["text"]
    assert listing.count(f"#{sub.id}") == 1 and "10:30 UTC" in listing


def test_subscribe_in_private_channel_without_bot_stores_nothing_usable(bot: BotUnderTest) -> None:
    said = subscribe(bot, f"{CAMPAIGN} {SEND}", channel="G_PRIVATE")
    assert "/invite @sendstats" in said
    assert subs(bot) == []


def test_unsubscribe_by_ids_and_by_number_and_list(bot: BotUnderTest) -> None:
    bot.braze.add_send(CAMPAIGN, "send-0002", days_ago=2)
    subscribe(bot, f"{CAMPAIGN} {SEND}")
    subscribe(bot, f"{CAMPAIGN} send-0002")
    first, second = sorted(subs(bot), key=lambda s: s.id)
    listing = bot.command("list").json()["text"]
    assert f"#{first.id}" in listing and f"#{second.id}" in listing and "ends" in listing
    assert "Unsubscribed" in bot.command(f"unsubscribe {CAMPAIGN} {SEND}").json()["text"]
    assert "Unsubscribed" in bot.command(f"unsubscribe {second.id}").json()["text"]
    assert subs(bot) == []
    assert "No such subscription" in bot.command(f"unsubscribe {second.id}").json()["text"]
    # another channel cannot cancel this channel's subscription by number
    subscribe(bot, f"{CAMPAIGN} {SEND}")
    [again] = subs(bot)
    assert "No such subscription" in bot.command(f"unsubscribe {again.id}", channel_id="C_NOTMEMBER").json()["text"]
    assert bot.command("list", channel_id="C_NOTMEMBER").json()["text"].startswith("This channel has no digests")


def test_digest_round_posts_yesterday_once_with_chart_and_fetches_each_send_once(bot: BotUnderTest) -> None:
    for channel in ("C_PUBLIC", "C_TEAM2", "C_TEAM3"):
        if channel not in bot.slack.channels:
            bot.slack.add_channel(channel)
        make_subscription(bot, channel)
    today = datetime.now(UTC).date()
    result = run_round(bot.runtime.rounds, subs(bot), digest_date=today)
    assert (result.posted, result.failed, result.braze_calls) == (3, 0, 1)
    [request] = bot.braze.series_requests()
    first_day = bot.braze.sends[(CAMPAIGN, SEND)].first_day
    assert request.query["length"] == str((today - first_day).days)
    assert request.query["ending_at"] == f"{today - timedelta(days=1)}T23:59:59+00:00"

    yesterday = today - timedelta(days=1)
    landed = [c for c in bot.slack.calls_to("chat.postMessage") if c.response["ok"]]
    posts = [c for c in landed if not c.params.get("thread_ts")]
    assert sorted(c.params["channel"] for c in posts) == ["C_PUBLIC", "C_TEAM2", "C_TEAM3"]
    for post in posts:
        text = message_text(post.params)
        assert "Daily digest" in text and f"*Sent*\n{day_sent(bot, yesterday):,}" in text
        assert "Since the send began" in text
    # one chart, uploaded once without a channel, shown in each digest's thread by its file id
    [chart] = bot.slack.files
    assert chart.channel is None and result.chart_uploads == 1 and result.chart_fallbacks == 0
    replies = [c for c in landed if c.params.get("thread_ts")]
    assert {(c.params["channel"], c.params["thread_ts"]) for c in replies} == {
        (c.params["channel"], c.response["ts"]) for c in posts
    }
    assert [b["slack_file"] for c in replies for b in c.params["blocks"]] == [{"id": chart.file_id}] * 3
    assert {d.file_id for s in subs(bot) for d in bot.runtime.store.deliveries.of_subscription(s.id)} == {
        chart.file_id
    }

    again = run_round(bot.runtime.rounds, subs(bot), digest_date=today)
    assert (again.posted, again.already_done, again.braze_calls) == (0, 3, 0)
    assert len(bot.slack.calls_to("chat.postMessage")) == len(landed)
    assert len(bot.slack.files) == 1
    assert all(s.last_digest_on == today for s in subs(bot))


def test_change_against_day_before_is_shown(bot: BotUnderTest) -> None:
    make_subscription(bot, "C_PUBLIC")
    first_day = bot.braze.sends[(CAMPAIGN, SEND)].first_day
    digest_day = first_day + timedelta(days=3)  # reports day 2, compared with day 1
    run_round(bot.runtime.rounds, subs(bot), digest_date=digest_day)
    text = message_text(bot.slack.calls_to("chat.postMessage")[0].params)
    before, latest = day_sent(bot, first_day + timedelta(days=1)), day_sent(bot, first_day + timedelta(days=2))
    pct = abs(latest - before) / before * 100
    arrow = "▲" if latest > before else "▼"
    assert f"*Sent*\n{latest:,}  {arrow} {pct:.0f}%" in text


def test_quiet_day_is_a_short_digest_without_chart(bot: BotUnderTest) -> None:
    send = bot.braze.add_send(CAMPAIGN, "quiet-send", days_ago=6, quiet_days=frozenset({2}))
    make_subscription(bot, "C_PUBLIC", send="quiet-send")
    result = run_round(bot.runtime.rounds, subs(bot), digest_date=send.first_day + timedelta(days=3))
    assert result.quiet == 1
    text = message_text(bot.slack.calls_to("chat.postMessage")[0].params)
    assert "No activity on" in text
    assert bot.slack.files == []


def test_last_day_posts_final_digest_and_ends_subscription(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=10))
    result = run_round(bot.runtime.rounds, subs(bot), digest_date=sub.ends_on)
    assert (result.posted, result.ended) == (1, 1)
    text = message_text(bot.slack.calls_to("chat.postMessage")[0].params)
    assert "Final digest" in text and "last digest" in text and "14 days" in text
    assert subs(bot) == []
    ended = bot.runtime.store.subscriptions.get(sub.id)
    assert ended is not None and ended.status == "ended"
    later = run_round(
        bot.runtime.rounds,
        bot.runtime.store.subscriptions.in_channel("C_PUBLIC", include_inactive=True),
        digest_date=sub.ends_on + timedelta(days=1),
    )
    assert later.posted == 0 and len(digest_posts(bot)) == 1


def test_braze_outage_is_recorded_retried_and_never_spams(bot: BotUnderTest) -> None:
    make_subscription(bot, "C_PUBLIC")
    today = datetime.now(UTC).date()
    bot.braze.fail_next(503, {"message": "down"}, times=4, path=SERIES)  # every retry of the round's one call
    first = run_round(bot.runtime.rounds, subs(bot), digest_date=today)
    assert (first.failed, first.posted) == (1, 0)
    assert bot.slack.calls_to("chat.postMessage") == []
    [delivery] = bot.runtime.store.deliveries.of_subscription(subs(bot)[0].id)
    assert delivery.status == "failed" and "braze" in (delivery.detail or "")
    second = run_round(bot.runtime.rounds, subs(bot), digest_date=today)
    assert second.posted == 1
    [delivery] = bot.runtime.store.deliveries.of_subscription(subs(bot)[0].id)
    assert (delivery.status, delivery.attempts) == ("posted", 2)


def test_lost_channel_pauses_subscription_dms_subscriber_and_round_goes_on(bot: BotUnderTest) -> None:
    broken = make_subscription(bot, "C_ARCHIVED")
    healthy = make_subscription(bot, "C_PUBLIC")
    result = run_round(bot.runtime.rounds, subs(bot), digest_date=datetime.now(UTC).date())
    assert (result.posted, result.paused) == (1, 1)
    assert bot.runtime.store.subscriptions.get(broken.id).status == "paused"
    assert bot.runtime.store.subscriptions.get(healthy.id).status == "active"
    dms = [c for c in bot.slack.calls_to("chat.postMessage") if c.params["channel"] == "U1"]
    assert len(dms) == 1 and "paused" in dms[0].params["text"] and "/invite @sendstats" in dms[0].params["text"]


def test_live_round_waits_for_local_time_and_skips_creation_day(bot: BotUnderTest) -> None:
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # after 09:00 UTC: first digest is the next day
    bot.braze.add_send(CAMPAIGN, SEND, days_ago=(bot.braze.current_day() - date(2026, 3, 1)).days)
    sub = make_subscription(bot, "C_PUBLIC", created=created)
    assert first_digest_date(sub) == date(2026, 3, 3)
    deps = bot.runtime.rounds
    assert run_round(deps, subs(bot), now=datetime(2026, 3, 2, 23, 0, tzinfo=UTC)).not_due == 1
    assert run_round(deps, subs(bot), now=datetime(2026, 3, 3, 8, 59, tzinfo=UTC)).not_due == 1
    late = run_round(deps, subs(bot), now=datetime(2026, 3, 3, 9, 20, tzinfo=UTC))  # restarted at 09:20
    assert late.posted == 1
    assert run_round(deps, subs(bot), now=datetime(2026, 3, 3, 9, 40, tzinfo=UTC)).already_done == 1


@pytest.mark.slow
def test_real_scheduler_posts_each_digest_once(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC")
    sub = bot.runtime.store.subscriptions.upsert(
        team_id="T1", channel_id="C_PUBLIC", kind="send", object_id=CAMPAIGN, send_id=SEND, hour=0, minute=0,
        timezone="UTC", created_by="U1", first_day=sub.first_day, ends_on=sub.ends_on,
    )[0]
    scheduler = DigestScheduler(bot.runtime.rounds, sweep_minutes=60, trigger_for=lambda slot: CronTrigger(second="*"))
    scheduler.start()
    try:
        [slot_job] = [j for j in scheduler.scheduler.get_jobs() if j.id != "digest:sweep"]
        assert slot_job.misfire_grace_time == MISFIRE_GRACE_SECONDS and slot_job.coalesce is True
        bot.slack.wait_for("files.completeUploadExternal", timeout=20)
        time.sleep(3)  # the cron trigger keeps firing every second; the claim must hold
        assert [j.id for j in scheduler.scheduler.get_jobs() if j.id != "digest:sweep"] == ["digest:UTC:00:00"]
    finally:
        scheduler.shutdown()
    posts = digest_posts(bot)
    assert len(posts) == 1
    assert [d.status for d in bot.runtime.store.deliveries.of_subscription(sub.id)] == ["posted"]


def test_scheduler_syncs_slots_live(bot: BotUnderTest) -> None:
    scheduler = DigestScheduler(bot.runtime.rounds)
    scheduler.sync()
    assert scheduler.scheduler.get_jobs() == []
    sub = make_subscription(bot, "C_PUBLIC")
    scheduler.sync()
    [job] = scheduler.scheduler.get_jobs()
    assert job.id == "digest:UTC:09:00"
    bot.runtime.store.subscriptions.cancel(sub.id)
    scheduler.sync()
    assert scheduler.scheduler.get_jobs() == []


@pytest.mark.slow  # the database retry's backoff in real time
def test_flaky_database_after_posting_never_causes_a_second_post(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_subscription(bot, "C_PUBLIC")
    store = bot.runtime.store
    real_step, failures = store.deliveries.record_message, [2]

    def flaky_step(*args, **kwargs):
        if failures[0]:
            failures[0] -= 1
            raise ConnectionError("database went away")
        return real_step(*args, **kwargs)

    monkeypatch.setattr(store.deliveries, "record_message", flaky_step)
    today = datetime.now(UTC).date()
    assert run_round(bot.runtime.rounds, subs(bot), digest_date=today).posted == 1
    [delivery] = store.deliveries.of_subscription(subs(bot)[0].id)
    assert delivery.status == "posted"
    assert run_round(bot.runtime.rounds, subs(bot), digest_date=today).posted == 0
    assert len(digest_posts(bot)) == 1


def test_revoked_token_fails_the_digest_without_pausing_the_subscription(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC")
    bot.slack.fail_next("chat.postMessage", error="invalid_auth")
    result = run_round(bot.runtime.rounds, subs(bot), digest_date=datetime.now(UTC).date())
    assert (result.failed, result.paused) == (1, 0)
    assert bot.runtime.store.subscriptions.get(sub.id).status == "active"
    [delivery] = bot.runtime.store.deliveries.of_subscription(sub.id)
    assert delivery.status == "failed" and delivery.detail == "slack: invalid_auth"


def test_a_day_still_failing_when_it_ends_is_missed_told_once_listed_and_backfillable(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=3))
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    rounds = bot.runtime.rounds
    bot.slack.fail_next("chat.postMessage", error="internal_error")
    failed = run_round(rounds, subs(bot), digest_date=yesterday)
    assert failed.failed == 1 and failed.reasons == {"slack: internal_error": 1}
    assert close_out_days(rounds) == 1
    assert close_out_days(rounds) == 0  # told once, however many sweeps (or processes) look
    dms = [c for c in bot.slack.calls_to("chat.postMessage") if c.params["channel"] == "U1" and c.response["ok"]]
    assert (
        len(dms) == 1 and "could not be posted" in dms[0].params["text"] and "internal_error" in dms[0].params["text"]
    )
    assert f"--date {yesterday.isoformat()}" in dms[0].params["text"]
    listing = bot.command("list", channel_id="C_PUBLIC").json()["text"]
    assert f"#{sub.id}" in listing and "*missed*" in listing and "internal_error" in listing
    live = run_round(rounds, subs(bot), now=datetime.now(UTC).replace(hour=8))  # a sweep never revives it
    assert live.posted == 0
    backfill = run_round(rounds, subs(bot), digest_date=yesterday)  # a person asking does
    assert backfill.posted == 1
    assert "posted" in bot.command("list", channel_id="C_PUBLIC").json()["text"]


def test_a_failed_digest_waits_for_its_backoff_in_live_rounds(bot: BotUnderTest) -> None:
    make_subscription(bot, "C_PUBLIC")
    rounds = bot.runtime.rounds
    at = datetime.now(UTC).replace(hour=10, minute=0)
    bot.slack.fail_next("chat.postMessage", error="internal_error")
    assert run_round(rounds, subs(bot), now=at).failed == 1
    assert run_round(rounds, subs(bot), now=at + timedelta(seconds=30)).waiting == 1  # backoff: 1 minute
    assert run_round(rounds, subs(bot), now=at + timedelta(minutes=2)).posted == 1
    assert len(digest_posts(bot)) == 1


def test_a_dead_holders_half_done_digest_of_an_earlier_day_gets_its_chart_not_a_second_message(
    bot: BotUnderTest,
) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=3))
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    store = bot.runtime.store
    held = store.deliveries.claim(sub.id, yesterday, holder="dead", now=datetime.now(UTC) - timedelta(minutes=5))
    assert held is not None
    assert store.deliveries.record_message(held.id, "dead", "1700000000.000100", chart_follows=True)
    result = resume_past_days(bot.runtime.rounds)
    assert result.posted == 1
    [reply] = bot.slack.calls_to("chat.postMessage")  # the chart's reply, not a second message
    [share] = bot.slack.files
    assert (reply.params["channel"], reply.params["thread_ts"]) == ("C_PUBLIC", "1700000000.000100")
    assert reply.params["blocks"][0]["slack_file"] == {"id": share.file_id} and share.channel is None
    done = store.deliveries.get(sub.id, yesterday)
    assert done is not None and (done.status, done.file_id) == ("posted", share.file_id)
    assert resume_past_days(bot.runtime.rounds).posted == 0


def test_a_chart_whose_last_upload_answer_was_lost_is_found_and_recorded(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last upload try takes effect but its answer never comes: the chart is found in the thread and
    recorded at once, not left ``chart_pending`` until the lease lapses (and never uploaded twice)."""
    sub = make_subscription(bot, "C_PUBLIC")
    monkeypatch.setattr(posting, "CHART_TRIES", 1)  # the first try is the last: no backoff to wait out
    impatient = bot.runtime.settings.model_copy(update={"slack_timeout_seconds": 1.0})
    sender = SlackDigestSender(SlackDelivery(digest_slack_client(impatient, bot.runtime.slack)))
    rounds = replace(bot.runtime.rounds, sender=sender, shared_charts=False)  # the upload into the thread
    bot.slack.answer_late("files.completeUploadExternal", 5)
    today = datetime.now(UTC).date()
    try:
        assert run_round(rounds, [sub], digest_date=today).posted == 1
    finally:
        bot.slack.release_late()
    [chart] = bot.slack.files
    done = bot.runtime.store.deliveries.get(sub.id, today)
    assert done is not None and (done.status, done.file_id, done.detail) == ("posted", chart.file_id, None)
    thread = bot.slack.messages_in("C_PUBLIC", thread_ts=done.message_ts)
    assert [m for m in thread if "could not be attached" in m.get("text", "")] == []  # no note of a missing chart
