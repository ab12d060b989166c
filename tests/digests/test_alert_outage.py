"""The database cut right after an alert's Slack post landed, before its ts was written: the post is not
lost and not repeated. The check's store reaches PostgreSQL through :class:`fakes.tcp_proxy.TcpProxy`,
which drops the connections and refuses new ones the moment Slack has the message."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import make_url

from bot import db
from digests.alert_check import AlertContext, AlertSender, check_alerts
from digests.alert_store import Alert, AlertPost
from digests.lease import LeaseKeeper
from digests.store import Store, make_engine
from fakes.tcp_proxy import TcpProxy
from reports.kinds import Kind, Target
from tests.harness import BotUnderTest, drop_schema

#: PostgreSQL behind a proxy that cuts it: with the other database fault tests, left out of the quick run.
pytestmark = pytest.mark.slow
CMP = "cmp-alert-outage"


class CutAfterPosting:
    """The shipped sender; the database goes away as soon as Slack has the breach."""

    def __init__(self, sender: AlertSender, proxy: TcpProxy) -> None:
        self.sender, self.proxy = sender, proxy

    def post(self, alert: Alert, post: AlertPost, *, title: str, thread_ts: str | None) -> str:
        ts = self.sender.post(alert, post, title=title, thread_ts=thread_ts)
        if self.proxy.mode == "pass":
            self.proxy.set_mode("refuse")
            self.proxy.drop()
        return ts

    def __getattr__(self, name: str):  # find, attach_chart, tell_paused: as shipped
        return getattr(self.sender, name)


@pytest.fixture
def proxied(pg_url: str) -> Iterator[tuple[TcpProxy, Store, Store]]:
    direct = Store(make_engine(pg_url))
    db.upgrade(direct.engine)
    url = make_url(pg_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = Store(make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)))
        yield proxy, through, direct
        through.dispose()
    drop_schema(direct.engine)
    direct.dispose()


def test_a_database_cut_after_the_post_landed_neither_loses_nor_repeats_it(
    bot: BotUnderTest, proxied: tuple[TcpProxy, Store, Store]
) -> None:
    proxy, through, direct = proxied
    campaign = bot.braze.add_campaign(CMP, "Winter sale", days_ago=3)
    campaign.email_bounce_share = 0.4
    alert, _ = direct.alerts.add(
        team_id="T1",
        channel_id="C_PUBLIC",
        target=Target(Kind.CAMPAIGN, CMP),
        metric="bounce_rate",
        op=">",
        threshold=0.05,
        created_by="U1",
        now=datetime.now(UTC),
    )
    shipped = bot.runtime.alerts
    assert shipped is not None
    ctx = AlertContext(
        braze=bot.runtime.deps.braze,
        renderer=shipped.renderer,
        names=shipped.names,
        store=through,
        sender=CutAfterPosting(shipped.sender, proxy),
        lease=LeaseKeeper(through.alert_posts, lease_seconds=1.0),
    )
    first = check_alerts(ctx)
    assert first.failed == 1 and first.posted == 0  # the post landed, but nothing could be written
    assert len(bot.slack.messages_in("C_PUBLIC")) == 1
    [post] = direct.alert_posts.of_alert(alert.id)
    assert post.status == "claimed" and post.sent_at is not None and post.message_ts is None
    proxy.set_mode("pass")  # the database is back
    time.sleep(1.5)  # the dead attempt's lease lapses
    second = check_alerts(ctx)
    assert second.posted == 1
    messages = [m for m in bot.slack.messages_in("C_PUBLIC") if not m.get("files")]
    assert len(messages) == 1  # found by its metadata, not posted again
    assert direct.alert_posts.of_alert(alert.id)[0].message_ts == messages[0]["ts"]
    ctx.keeper.close()
