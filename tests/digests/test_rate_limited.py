"""A digest that meets Braze's used-up hourly budget waits for its reset: retried then, and never given up
as missed meanwhile (over real HTTP: the sample Braze answers 429 with ``X-RateLimit-Reset``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from digests.round import close_out_days, resume_past_days, run_round
from fakes.braze import SERIES_PATH
from tests.harness import BotUnderTest, make_subscription


def test_a_rate_limited_digest_is_retried_at_the_reset_even_after_its_day_ended(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=3))
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    reset = int(time.time()) + 40 * 60
    bot.braze.fail_next(429, {"message": "Rate Limited"}, headers={"X-RateLimit-Reset": str(reset)}, path=SERIES_PATH)
    rounds, store = bot.runtime.rounds, bot.runtime.store

    first = run_round(rounds, [sub], digest_date=yesterday)
    assert first.failed == 1 and len(bot.braze.series_requests()) == 1  # not waited for, not retried at once
    [delivery] = store.deliveries.of_subscription(sub.id)
    assert delivery.status == "failed" and delivery.retry_at == datetime.fromtimestamp(reset, UTC)
    assert (delivery.detail or "").startswith("braze (rate limited): Braze's hourly API budget")

    assert close_out_days(rounds) == 0  # its day has ended, but it waits for the reset
    assert resume_past_days(rounds).posted == 0  # and is not tried before it
    assert len(bot.braze.series_requests()) == 1
    assert store.deliveries.of_subscription(sub.id)[0].status == "failed"

    after = datetime.fromtimestamp(reset + 5, UTC)
    assert resume_past_days(rounds, now=after).posted == 1
    assert [d.status for d in store.deliveries.of_subscription(sub.id)] == ["posted"]
    posts = [c for c in bot.slack.calls_to("chat.postMessage") if c.response.get("ok")]
    posts = [c for c in posts if not c.params.get("thread_ts")]  # not the chart's reply
    assert [c.params["channel"] for c in posts] == ["C_PUBLIC"]  # the digest, and no "missed" DM


def test_a_rate_limited_digest_more_than_a_day_late_is_missed_after_all(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=5))
    day = datetime.now(UTC).date() - timedelta(days=3)
    reset = int(time.time()) + 40 * 60
    bot.braze.fail_next(429, {"message": "Rate Limited"}, headers={"X-RateLimit-Reset": str(reset)}, path=SERIES_PATH)
    rounds = bot.runtime.rounds
    assert run_round(rounds, [sub], digest_date=day).failed == 1
    assert close_out_days(rounds) == 1
    assert bot.runtime.store.deliveries.of_subscription(sub.id)[0].status == "missed"


def test_another_braze_failure_of_an_ended_day_is_still_missed(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=3))
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    bot.braze.fail_next(503, {"message": "down"}, times=4, path=SERIES_PATH)
    rounds = bot.runtime.rounds
    assert run_round(rounds, [sub], digest_date=yesterday).failed == 1
    assert resume_past_days(rounds, now=datetime.now(UTC) + timedelta(hours=1)).posted == 0  # not revived
    assert close_out_days(rounds) == 1


def test_a_digest_rate_limited_just_before_midnight_waits_for_a_reset_after_it(bot: BotUnderTest) -> None:
    """Its last hour: the failure at 23:50 is within the day after the digest's day, the reset at 00:30 is
    not; it is still retried at the reset (and not missed in between), whatever the machine's clock says."""
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=3))
    day = datetime.now(UTC).date() - timedelta(days=1)
    failing = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).replace(hour=23, minute=50)
    reset = failing + timedelta(minutes=40)
    bot.braze.fail_next(
        429, {"message": "Rate Limited"}, headers={"X-RateLimit-Reset": str(int(reset.timestamp()))}, path=SERIES_PATH
    )
    rounds, store = bot.runtime.rounds, bot.runtime.store
    assert run_round(rounds, [sub], now=failing, digest_date=day).failed == 1
    [delivery] = store.deliveries.of_subscription(sub.id)
    assert delivery.retry_at == reset

    after_midnight = failing + timedelta(minutes=20)  # day + 2, before the reset
    assert close_out_days(rounds, now=after_midnight) == 0
    assert resume_past_days(rounds, now=after_midnight).posted == 0
    assert resume_past_days(rounds, now=reset + timedelta(seconds=5)).posted == 1
    assert [d.status for d in store.deliveries.of_subscription(sub.id)] == ["posted"]


def test_a_second_rate_limit_at_a_reset_after_the_day_is_missed(bot: BotUnderTest) -> None:
    sub = make_subscription(bot, "C_PUBLIC", created=datetime.now(UTC) - timedelta(days=3))
    day = datetime.now(UTC).date() - timedelta(days=1)
    failing = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).replace(hour=23, minute=50)
    reset = failing + timedelta(minutes=40)
    headers = {"X-RateLimit-Reset": str(int(reset.timestamp()))}
    bot.braze.fail_next(429, {"message": "Rate Limited"}, headers=headers, times=2, path=SERIES_PATH)
    rounds, store = bot.runtime.rounds, bot.runtime.store
    assert run_round(rounds, [sub], now=failing, digest_date=day).failed == 1
    assert resume_past_days(rounds, now=reset + timedelta(seconds=5)).failed == 1  # limited again at 00:30
    assert close_out_days(rounds, now=reset + timedelta(minutes=1)) == 1
    assert [d.status for d in store.deliveries.of_subscription(sub.id)] == ["missed"]
