"""``python -m bot demo``: the real report pipeline with no accounts at all.

Starts the sample Braze server on 127.0.0.1, fetches a multi-channel, multi-variation send, a
five-channel campaign and a three-variant Canvas through the real Braze client, summarises them, draws
the charts in the real render worker, writes the PNGs here and prints the Slack messages as a person
would read them.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from fakes.braze import SampleBraze
from handlers.flows.reporting import chart_note, report_message
from handlers.layout.blocks import blocks_to_text
from reports.braze import BrazeClient
from reports.kinds import Kind, Target
from reports.pipeline import CampaignNames, Report, build_report
from reports.render_pool import ChartRenderer

DEMO_CAMPAIGN = "demo-campaign-7f3a"
DEMO_SEND = "spring-launch-01"
DEMO_MULTICHANNEL = "demo-multichannel-campaign"
DEMO_CANVAS = "demo-onboarding-canvas"


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
                target=Target(Kind.SEND, DEMO_CAMPAIGN, DEMO_SEND),
                days=days,
                until=None,
                now=datetime.now(UTC),
            )
            elapsed = time.perf_counter() - started
            braze_server.add_campaign(DEMO_MULTICHANNEL, "Winter newsletter — all channels", days_ago=9)
            braze_server.add_canvas(DEMO_CANVAS, "Onboarding journey (3 variants)", days_ago=45)
            others = [
                build_report(
                    braze,
                    renderer,
                    CampaignNames(braze),
                    target=target,
                    days=30,
                    until=None,
                    now=datetime.now(UTC),
                )
                for target in (Target(Kind.CAMPAIGN, DEMO_MULTICHANNEL), Target(Kind.CANVAS, DEMO_CANVAS))
            ]
    renderer.close()
    path = out_dir / f"sendstats-demo-{DEMO_SEND}.png"
    if report.chart_png:
        path.write_bytes(report.chart_png)
    _text, blocks = report_message(report, chart_note(report, False))
    print()
    print(blocks_to_text(blocks))
    print()
    print(f"Report built in {elapsed * 1000:.0f} ms. Chart written to {path}")
    print("In Slack this message is posted to the channel and the chart is uploaded into its thread.")
    for other in others:
        show_kind(other, out_dir)
    return path


def show_kind(report: Report, out_dir: Path) -> None:
    """Print a campaign or Canvas report as Slack shows it and write its chart."""
    chart = out_dir / f"sendstats-demo-{report.target.kind}.png"
    if report.chart_png:
        chart.write_bytes(report.chart_png)
    _text, blocks = report_message(report, chart_note(report, False))
    print()
    print(blocks_to_text(blocks))
    print(f"Chart written to {chart}")


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    run()
    return 0
