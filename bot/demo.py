"""``python -m bot demo``: the real report pipeline with no accounts at all.

Starts the sample Braze server on 127.0.0.1, fetches a multi-channel, multi-variation send through the
real Braze client, summarises it, draws the chart in the real render worker, writes the PNG here and
prints the Slack message as a person would read it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from fakes.braze import SampleBraze
from handlers.flows.reporting import chart_note
from handlers.layout.blocks import blocks_to_text, report_blocks
from reports.braze import BrazeClient
from reports.pipeline import CampaignNames, build_report
from reports.render_pool import ChartRenderer

DEMO_CAMPAIGN = "demo-campaign-7f3a"
DEMO_SEND = "spring-launch-01"


def run(out_dir: Path | None = None, days: int = 14) -> Path:
    """Run the demo; returns the PNG's path (written to ``out_dir``, default the current folder)."""
    out_dir = out_dir or Path.cwd()
    renderer = ChartRenderer(processes=1)
    with SampleBraze() as braze_server:
        braze_server.add_send(DEMO_CAMPAIGN, DEMO_SEND, days_ago=5)
        print(f"Sample Braze server on {braze_server.url} (real HTTP, real Braze wire format)")
        print("Starting the chart worker process…")
        renderer.start()
        started = time.perf_counter()
        with BrazeClient(braze_server.url, braze_server.api_key) as braze:
            report = build_report(
                braze,
                renderer,
                CampaignNames(braze),
                campaign_id=DEMO_CAMPAIGN,
                send_id=DEMO_SEND,
                days=days,
                until=None,
                today=datetime.now(UTC).date(),
            )
        elapsed = time.perf_counter() - started
    renderer.close()
    path = out_dir / f"sendstats-demo-{DEMO_SEND}.png"
    if report.chart_png:
        path.write_bytes(report.chart_png)
    blocks = report_blocks(report.summary, campaign_name=report.campaign_name, chart_note=chart_note(report, False))
    print()
    print(blocks_to_text(blocks))
    print()
    print(f"Report built in {elapsed * 1000:.0f} ms. Chart written to {path}")
    print("In Slack this message is posted to the channel and the chart is uploaded into its thread.")
    return path


def main() -> int:
    run()
    return 0
