"""``python -m bot demo``: the real report pipeline with no accounts at all.

Starts the sample Braze server on 127.0.0.1, fetches a multi-channel, multi-variation send, a
five-channel campaign and a three-variant Canvas through the real Braze client, summarises them, draws
the charts in the real render worker, writes the PNGs here and prints the Slack messages as a person
would read them, then the daily digest of each. Last, an alert's breach post and chart (a campaign's
bounce rate over 2%).

``--screenshots DIR`` also posts the reports and digests to the Slack fake (a real HTTP server, through
slack_sdk) and draws what the fake received as a phone shows it (:mod:`handlers.layout.phone`), one PNG
per message in ``DIR``: the docs' and README's pictures are made this way.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from digests.alert_check import ALERT_DAYS, chart_data
from digests.alert_store import Alert, AlertPost
from fakes.braze import SampleBraze
from fakes.slack import DEFAULT_TOKEN, SlackFake
from handlers.flows.reporting import chart_note, report_message
from handlers.layout.alert_blocks import breach_blocks
from handlers.layout.blocks import Block, blocks_to_text
from handlers.layout.comparison_blocks import with_comparison, with_data_button
from handlers.layout.digest_blocks import digest_blocks, digest_text
from handlers.layout.phone import render
from reports.braze import BrazeClient, decode_json
from reports.chart import render_metric
from reports.kinds import Kind, Target
from reports.kinds.base import ending_at
from reports.kinds.metrics import METRICS
from reports.kinds.registry import kind_of
from reports.models import Series
from reports.pipeline import CampaignNames, Report, build_report
from reports.render_pool import ChartRenderer

DEMO_CAMPAIGN = "demo-campaign-7f3a"
DEMO_SEND = "spring-launch-01"
DEMO_MULTICHANNEL = "demo-multichannel-campaign"
DEMO_CANVAS = "demo-onboarding-canvas"
DEMO_ALERT_CAMPAIGN = "demo-resend-campaign"
#: What the screenshots are called, in the order the messages are posted.
SCREENS = (
    "report-send", "report-campaign", "report-canvas", "digest-send", "digest-campaign", "digest-canvas", "alert-breach"
)


def run(out_dir: Path | None = None, days: int = 14, screenshots: Path | None = None) -> Path:
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
            alert_png, alert_blocks = demo_alert(braze, braze_server, renderer)
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
            targets = (report.target, *(other.target for other in others))
            now = datetime.now(UTC)
            digests = [digest_message(braze, CampaignNames(braze), t, now, n) for n, t in enumerate(targets, 1)]
    renderer.close()
    path = out_dir / f"sendstats-demo-{DEMO_SEND}.png"
    if report.chart_png:
        path.write_bytes(report.chart_png)
    text, blocks = report_message(report, chart_note(report, False))
    messages: list[tuple[str, list[Block]]] = [(text, blocks)]
    print()
    print(blocks_to_text(blocks))
    print()
    print(f"Report built in {elapsed * 1000:.0f} ms. Chart written to {path}")
    for written in write_thread_files(report, out_dir, DEMO_SEND):
        print(f"Also written: {written}")
    print("In Slack this message is posted to the channel, and the chart, the variants chart and the CSV are")
    print("uploaded together into its thread.")
    for other in others:
        messages.append(show_kind(other, out_dir))
    for text, blocks in digests:
        print()
        print(blocks_to_text(blocks))
        messages.append((text, blocks))
    alert_path = out_dir / "sendstats-demo-alert.png"
    alert_path.write_bytes(alert_png)
    alert_text = blocks_to_text(alert_blocks)
    messages.append((alert_text.splitlines()[0], alert_blocks))
    print()
    print(alert_text)
    print(f"Alert chart written to {alert_path} (in Slack: in the alert's thread)")
    if screenshots is not None:
        for shot in screenshot(messages, screenshots):
            print(f"Screenshot written to {shot}")
    return path


def digest_message(braze: BrazeClient, names: CampaignNames, target: Target, now: datetime, sub: int) -> Any:
    """Today's digest of ``target`` as a subscription made when it began would post it, through the same kind
    methods a digest round calls (fetch, parse, build, view, layout)."""
    kind = kind_of(target.kind)
    today = now.date()
    first_day = today - timedelta(days=5) if kind.has_send_id else today - timedelta(days=14)
    span = kind.digest_range(first_day, today)
    assert span is not None
    length, last = span
    raw = kind.fetch(braze, target, length=length, ending_at=ending_at(last), now=now)
    series = kind.parse(decode_json(raw) if isinstance(raw, bytes) else raw, target)
    digest = kind.build_digest(series, target=target, first_day=first_day, digest_date=today)
    view = kind.digest_message(digest, title=kind.title(names.get(kind.name_key, target.object_id), target))
    blocks = digest_blocks(view, subscription_id=sub, chart_in_thread=True)  # as the digest sender builds them
    return digest_text(view), with_data_button(with_comparison(blocks, view.comparison), view.target, view.data_span)


def screenshot(messages: list[tuple[str, list[Block]]], folder: Path) -> list[Path]:
    """Post each message to the Slack fake and draw what it received, as a phone shows it."""
    folder.mkdir(parents=True, exist_ok=True)
    with SlackFake() as slack:
        client = WebClient(token=DEFAULT_TOKEN, base_url=slack.base_url)
        for text, blocks in messages:
            client.chat_postMessage(channel="C_PUBLIC", text=text, blocks=blocks)
        posted = [call.params for call in slack.calls_to("chat.postMessage")]
    paths = []
    for name, params in zip(SCREENS, posted, strict=True):
        path = folder / f"{name}.png"
        path.write_bytes(render(params.get("blocks"), params.get("text", "")))
        paths.append(path)
    return paths


def demo_alert(braze: BrazeClient, server: SampleBraze, renderer: ChartRenderer) -> tuple[bytes, list[Block]]:
    """The breach post of ``alert campaign … bounce_rate > 2%`` on a campaign whose email bounces jumped
    today, through the alert check's own reading, chart and message (no Slack, no database)."""
    campaign = server.add_campaign(DEMO_ALERT_CAMPAIGN, "Winter newsletter — re-send", days_ago=9)
    campaign.email_bounce_share = 0.12
    target = Target(Kind.CAMPAIGN, DEMO_ALERT_CAMPAIGN)
    now = datetime.now(UTC)
    kind = kind_of(target.kind)
    series = _read(braze, target, now)
    values = METRICS["bounce_rate"].daily(series)
    # The days before today as the campaign was (about 1% bouncing); today with 12% of its email bouncing.
    campaign.email_bounce_share = None
    calm = _read(braze, target, now)
    today = now.date()
    mixed = Series(
        calm.object_id,
        calm.send_id,
        tuple(p for p in calm.days if p.day != today) + tuple(p for p in series.days if p.day == today),
    )
    alert = Alert(
        id=1,
        team_id="T",
        channel_id="C",
        kind=Kind.CAMPAIGN,
        object_id=DEMO_ALERT_CAMPAIGN,
        send_id="",
        metric="bounce_rate",
        op=">",
        threshold=0.02,
        created_by="U",
        created_at=now,
        status="active",
        state="breaching",
        episode=1,
    )
    post = AlertPost(
        id=1,
        alert_id=1,
        episode=1,
        event="breach",
        status="posted",
        value=values[today],
        day=today,
        partial=True,
        attempts=1,
        detail=None,
        message_ts=None,
        file_id=None,
        created_at=now,
        updated_at=now,
    )
    title = kind.title(campaign.name, target)
    png = renderer.run(render_metric, chart_data(alert, mixed, title=title, today=today))
    return png, breach_blocks(alert, post, title)


def write_thread_files(report: Report, out_dir: Path, stem: str) -> list[Path]:
    """The variants chart and the CSV a report uploads beside its chart, written to ``out_dir``."""
    written = []
    for suffix, content in (("-variants.png", report.variants_png), (".csv", report.csv)):
        if content:
            path = out_dir / f"sendstats-demo-{stem}{suffix}"
            path.write_bytes(content)
            written.append(path)
    return written


def show_kind(report: Report, out_dir: Path) -> tuple[str, list[Block]]:
    """Print a campaign or Canvas report as Slack shows it and write its chart; returns the message."""
    chart = out_dir / f"sendstats-demo-{report.target.kind}.png"
    if report.chart_png:
        chart.write_bytes(report.chart_png)
    text, blocks = report_message(report, chart_note(report, False))
    print()
    print(blocks_to_text(blocks))
    print(f"Chart written to {chart}")
    for written in write_thread_files(report, out_dir, str(report.target.kind)):
        print(f"Also written: {written}")
    return text, blocks


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    run(screenshots=getattr(args, "screenshots", None))
    return 0


def _read(braze: BrazeClient, target: Target, now: datetime) -> Series:
    kind = kind_of(target.kind)
    raw = kind.fetch(braze, target, length=ALERT_DAYS, ending_at=None, now=now)
    return kind.parse(decode_json(raw) if isinstance(raw, bytes) else raw, target)
