"""One alert check at scale: 200 alerts on 20 campaigns (10 channels); a script, not a test.

Run from the repository root::

    python -m bench.bench_alerts                      # 200 alerts, 20 campaigns
    python -m bench.bench_alerts --campaigns 50 --per 20

The real bot (``bench.common.running_bot``: ``build_runtime``, SQLite, one render process) against the fakes
in this process, with 50 ms injected per Braze request. Three checks of ``digests.alert_check.check_alerts``,
the function the hourly job and ``python -m bot alerts`` run: all normal (nothing to post), every alert
breaching (one post and one chart each), and the same breaches again (nothing to post).
"""

from __future__ import annotations

import argparse
import time

from bench.common import machine_note, running_bot, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--per", type=int, default=10, help="alerts per campaign (one per channel)")
    parser.add_argument("--braze-latency", type=float, default=0.05)
    args = parser.parse_args()

    from datetime import UTC, datetime

    from digests.alert_check import check_alerts
    from reports.kinds import Kind, Target

    with running_bot(channels=args.per, braze_latency=args.braze_latency) as bench:
        store, alerts = bench.runtime.store, bench.runtime.alerts
        assert alerts is not None
        campaigns = [
            bench.braze.add_campaign(f"cmp-bench-{i}", f"Campaign {i}", days_ago=5) for i in range(args.campaigns)
        ]
        for campaign in campaigns:
            for channel in bench.channels:
                store.alerts.add(
                    team_id="T1",
                    channel_id=channel,
                    target=Target(Kind.CAMPAIGN, campaign.campaign_id),
                    metric="bounce_rate",
                    op=">",
                    threshold=0.05,
                    created_by="U1",
                    now=datetime.now(UTC),
                )
        rows = []
        for label, share in (("all normal", None), ("all start breaching", 0.4), ("still breaching", 0.4)):
            for campaign in campaigns:
                campaign.email_bounce_share = share
            started = time.perf_counter()
            result = check_alerts(alerts)
            elapsed = time.perf_counter() - started
            rows.append([label, result.rules, result.braze_calls, result.posted, f"{elapsed:.2f}"])
        print(table(["check", "alerts", "Braze calls", "posts", "seconds"], rows))
        print(machine_note())


if __name__ == "__main__":
    main()
