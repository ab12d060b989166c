"""The alerts' store on SQLite and PostgreSQL: a change of verdict creates its post for exactly one of
many concurrent checkers, an ongoing breach creates nothing, and posts are claimed under a lease that
only lapses when its holder stops renewing it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from digests.alert_check import observations
from digests.store import Store
from reports.kinds import Kind, Target
from reports.models import ChannelRow, DayPoint, Metrics, Series

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def rule(store: Store, op: str = ">", threshold: float = 0.02):
    alert, _ = store.alerts.add(
        team_id="T1",
        channel_id="C1",
        target=Target(Kind.CAMPAIGN, "cmp"),
        metric="bounce_rate",
        op=op,
        threshold=threshold,
        created_by="U1",
        now=NOW,
    )
    return alert


def test_many_checkers_reading_the_same_state_create_one_breach(store: Store) -> None:
    alert = rule(store)
    with ThreadPoolExecutor(8) as pool:
        made = list(
            pool.map(
                lambda _: store.alerts.observe(alert, value=0.05, day=NOW.date(), complete=False, now=NOW), range(8)
            )
        )
    [post] = [m for m in made if m is not None]
    assert (post.event, post.episode, post.status) == ("breach", 1, "pending")
    now = store.alerts.get(alert.id)
    assert (now.state, now.episode, now.last_value) == ("breaching", 1, 0.05)
    assert store.alerts.observe(now, value=0.09, day=NOW.date(), complete=False, now=NOW) is None  # ongoing
    cleared = store.alerts.observe(now, value=0.01, day=NOW.date(), complete=False, now=NOW)
    assert cleared is not None and (cleared.event, cleared.episode) == ("clear", 1)
    again = store.alerts.observe(store.alerts.get(alert.id), value=0.03, day=NOW.date(), complete=False, now=NOW)
    assert again is not None and (again.event, again.episode) == ("breach", 2)  # a new breach, a new post


def test_no_value_changes_nothing_and_below_rules_breach_below(store: Store) -> None:
    alert = rule(store, "<", 0.95)
    assert store.alerts.observe(alert, value=None, day=NOW.date(), complete=True, now=NOW) is None
    assert store.alerts.get(alert.id).complete_through == NOW.date()
    assert store.alerts.observe(alert, value=0.97, day=NOW.date(), complete=False, now=NOW) is None
    made = store.alerts.observe(alert, value=0.90, day=NOW.date(), complete=False, now=NOW)
    assert made is not None and made.event == "breach"


def test_a_post_is_claimed_once_and_taken_over_only_after_its_lease_lapses(store: Store) -> None:
    alert = rule(store)
    post = store.alerts.observe(alert, value=0.05, day=NOW.date(), complete=False, now=NOW)
    assert post is not None
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda h: store.alert_posts.claim(post.id, h, LEASE, now=NOW), "abcd"))
    [won] = [c for c in claims if c is not None]
    assert won.holder in "abcd" and won.attempts == 1
    assert store.alert_posts.mark_sent(post.id, won.holder, now=NOW)
    assert store.alert_posts.due(LEASE, now=NOW + timedelta(seconds=30)) == []  # held
    assert store.alert_posts.claim(post.id, "late", LEASE, now=NOW + timedelta(seconds=30)) is None
    taken = store.alert_posts.claim(post.id, "next", LEASE, now=NOW + timedelta(seconds=61))
    assert taken is not None and taken.sent_at is not None and taken.attempts == 2  # look before posting
    assert not store.alert_posts.record_posted(post.id, won.holder, "1.1")  # the old holder lost it
    assert store.alert_posts.record_posted(post.id, "next", "1.2")
    assert store.alert_posts.get(post.id).message_ts == "1.2"
    assert store.alert_posts.due(LEASE, now=NOW + timedelta(days=1)) == []


def test_a_failed_post_waits_for_its_retry_time(store: Store) -> None:
    post = store.alerts.observe(rule(store), value=0.05, day=NOW.date(), complete=False, now=NOW)
    assert post is not None and store.alert_posts.claim(post.id, "a", LEASE, now=NOW)
    assert store.alert_posts.record_failure(
        post.id, "a", "slack: http_500", retry_at=NOW + timedelta(minutes=1), unknown=False, now=NOW
    )
    assert store.alert_posts.due(LEASE, now=NOW + timedelta(seconds=59)) == []
    assert [p.id for p in store.alert_posts.due(LEASE, now=NOW + timedelta(minutes=1))] == [post.id]


def test_removed_and_paused_alerts_are_not_checked(store: Store) -> None:
    first, second = rule(store), rule(store, "<", 0.9)
    assert store.alerts.pause(first.id) and not store.alerts.pause(first.id)
    assert store.alerts.remove(second.id, "C2") is None  # not from another channel
    assert store.alerts.remove(second.id, "C1") is not None
    assert store.alerts.active() == []
    assert [a.id for a in store.alerts.in_channel("C1")] == [first.id]


def sent_series(**by_day: int) -> Series:
    """``sent`` on days named by their offset from NOW's day: ``d0`` today, ``d1`` yesterday."""
    days = tuple(
        DayPoint(NOW.date() - timedelta(days=int(k[1:])), (ChannelRow("email", "A", None, Metrics.of(sent=v)),))
        for k, v in sorted(by_day.items(), reverse=True)
    )
    return Series("cmp", "", days)


def test_what_a_check_judges_today_so_far_and_the_complete_day_before(store: Store) -> None:
    fresh = replace(rule(store, "<", 0.0), metric="sent", threshold=1000.0)  # sent < 1000
    seen = observations(fresh, sent_series(d1=10, d0=50), NOW)
    # a new rule: yesterday is remembered as done, not judged; 50 sent so far is below 1000 but no verdict
    assert [(o.day, o.value, o.complete) for o in seen] == [
        (NOW.date() - timedelta(days=1), None, True),
        (NOW.date(), None, False),
    ]
    older = replace(fresh, complete_through=NOW.date() - timedelta(days=2))
    seen = observations(older, sent_series(d1=10, d0=5000), NOW)  # yesterday complete: judged; today above
    assert [(o.value, o.complete) for o in seen] == [(10.0, True), (5000.0, False)]
    above = replace(older, op=">", complete_through=NOW.date() - timedelta(days=1))
    assert [(o.value, o.complete) for o in observations(above, sent_series(d1=10, d0=50), NOW)] == [(50.0, False)]


def test_a_removed_alert_set_again_starts_afresh(store: Store) -> None:
    alert = rule(store)
    owed = store.alerts.observe(alert, value=0.05, day=NOW.date(), complete=False, now=NOW)
    assert owed is not None and store.alerts.remove(alert.id, "C1") is not None
    again = rule(store, threshold=0.03)
    assert again.id == alert.id and (again.status, again.state, again.threshold) == ("active", "ok", 0.03)
    assert store.alert_posts.of_alert(alert.id) == []  # the breach never posted is not owed any more
    made = store.alerts.observe(again, value=0.05, day=NOW.date(), complete=False, now=NOW)
    assert made is not None and (made.event, made.episode) == ("breach", 2)


def bounce_series(**by_day: tuple[int, int]) -> Series:
    """(bounces, sent) on days named by their offset from NOW's day: ``d0`` today, ``d1`` yesterday."""
    days = tuple(
        DayPoint(
            NOW.date() - timedelta(days=int(k[1:])),
            (ChannelRow("email", "A", None, Metrics.of(sent=sent, bounces=bounces)),),
        )
        for k, (bounces, sent) in sorted(by_day.items(), reverse=True)
    )
    return Series("cmp", "", days)


def test_a_rate_of_today_so_far_waits_for_a_base_of_100(store: Store) -> None:
    alert = replace(rule(store), complete_through=NOW.date() - timedelta(days=2))
    early = observations(alert, bounce_series(d1=(1, 3), d0=(1, 3)), NOW)
    assert [(o.value, o.complete) for o in early] == [(1 / 3, True), (None, False)]  # a whole day: judged
    later = observations(alert, bounce_series(d1=(1, 3), d0=(10, 100)), NOW)
    assert [(o.value, o.complete) for o in later] == [(1 / 3, True), (0.1, False)]
