"""The slow half of an on-demand report: runs on the job pool after Slack has been acknowledged.

One flow for every report kind (a send, a campaign, a Canvas: :class:`handlers.grammar.ReportRequest`).
Only I/O happens here; parsing, summing and drawing run in the render worker process.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from handlers.adapter.delivery import Attachment, DeliveryError, explain
from handlers.deps import Deps
from handlers.grammar import ReportRequest
from handlers.layout.alt_text import chart_alt_text
from handlers.layout.blocks import Block, notice_blocks, report_blocks, report_text
from handlers.layout.comparison_blocks import with_comparison
from handlers.layout.text import escape
from reports.braze import BrazeError
from reports.export import csv_filename
from reports.pipeline import Report, build_report

if TYPE_CHECKING:
    from handlers.promises import Promise

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from and how to answer its requester privately."""

    channel: str
    user_id: str
    thread_ts: str | None = None
    #: Slash commands carry one; mentions don't (their errors go into the thread instead).
    response_url: str | None = None
    #: The acked request this answers (:mod:`handlers.promises`); None for answers that are not one.
    promise: Promise | None = field(default=None, compare=False)


def answering(origin: Origin) -> bool:
    """The work for ``origin`` is about to show its requester something. False when a shutdown already
    told them to run it again: the work then stays silent (never both)."""
    if origin.promise is None or origin.promise.answer():
        return True
    log.info("not answering %s: told to run it again when the process stopped", origin.user_id)
    return False


def tell(deps: Deps, origin: Origin, text: str) -> None:
    """Tell the requester something, and only the requester: through the command's ``response_url``;
    when that has expired (30 minutes, 5 uses) or there is none (mentions), with ``chat.postEphemeral``
    in the conversation; when the bot can't post there, by DM. Never in the channel for all to see."""
    if not answering(origin):
        return
    if origin.response_url and deps.delivery.respond_privately(
        origin.response_url, text=text, blocks=notice_blocks(text)
    ):
        return
    try:
        if origin.channel and origin.user_id and deps.delivery.post_ephemeral(
            origin.channel, origin.user_id, text=text, thread_ts=origin.thread_ts
        ):
            return
        if origin.user_id and deps.delivery.direct_message(origin.user_id, text=text):
            return
    except Exception:
        log.exception("telling %s privately failed", origin.user_id)
    log.warning("could not tell %s privately: %s", origin.user_id, text[:80])


def chart_note(report: Report, in_thread: bool) -> str | None:
    if report.chart_png is None:
        return f"⚠️ {report.chart_error or 'No chart this time.'}"
    return None if in_thread else "📈 Daily chart in the thread ↓"


def build(deps: Deps, request: ReportRequest) -> Report:
    """Fetch (here) and analyse (in a worker) the report ``request`` asks for."""
    return build_report(
        deps.braze,
        deps.renderer,
        deps.names,
        target=request.target,
        days=request.days,
        until=request.until,
        now=deps.clock(),
    )


def report_later(deps: Deps, request: ReportRequest, origin: Origin) -> None:
    """Run a report of any kind, asked for in any way (command, mention, button, the modal), on the job pool
    after the ack, as a job of its requester: the pool runs only a few of one user's jobs at once
    (:class:`handlers.jobs.FairJobs`), so one user's stuck reports never hold up anyone else's."""
    deps.later(run_report, deps, request, origin, key=origin.user_id)


def run_report(deps: Deps, request: ReportRequest, origin: Origin) -> None:
    """Fetch, summarise, draw and deliver; every failure ends as a message the user can act on."""
    try:
        report = build(deps, request)
    except BrazeError as exc:
        tell(deps, origin, f"⚠️ {escape(exc.user_message)}")
        return
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("report failed (ref %s)", ref)
        tell(deps, origin, f"⚠️ Something went wrong on our side building this report (ref `{ref}`). Try again.")
        return
    deps.lanes.submit(origin.channel, deliver, deps, report, origin)


def report_message(report: Report, chart_note: str | None) -> tuple[str, list[Block]]:
    """Fallback text and blocks of a report of any kind, with its variant comparison."""
    view = report.kind.full_report_view(report.summary, report.comparisons, title=report.title)
    view = replace(view, verdict=report.kind.report_verdict(report.summary, report.halves))
    return report_text(view), with_comparison(report_blocks(view, chart_note=chart_note), view.comparison)


def attachments(report: Report, stem: str) -> tuple[Attachment, ...]:
    """What goes into the report's thread with its daily chart, in the same upload: the variants' chart
    (when variations were compared) and the daily series as CSV."""
    summary, files = report.summary, []
    if report.variants_png is not None and report.comparisons:
        rate = report.comparisons[0].rate.label
        files.append(Attachment(
            report.variants_png,
            f"sendstats-{stem}-variants-{summary.end.isoformat()}.png"[:120],
            f"{report.title} · {rate.lower()} by variation, 95% intervals",
            f"{rate} of each variation with its 95% interval, for {' '.join(report.title.split())[:150]}.",
        ))
    if report.csv is not None:
        files.append(Attachment(
            report.csv,
            csv_filename(stem, summary.start, summary.end),
            f"{report.title} · daily data {summary.start:%b %d} – {summary.end:%b %d} (CSV)",
        ))
    return tuple(files)


def deliver(deps: Deps, report: Report, origin: Origin) -> None:
    """Post a built report to ``origin`` (summary first, chart in its thread) and explain anything that
    went wrong."""
    summary = report.summary
    text, blocks = report_message(report, chart_note(report, origin.thread_ts is not None))
    name = report.kind.args(report.target).replace(" ", "-")
    filename = f"sendstats-{name}-{summary.end.isoformat()}.png"
    title = f"{report.title} · {summary.start:%b %d} – {summary.end:%b %d}"
    alt = chart_alt_text(report.kind.chart_series, report.title, summary.start, summary.end)
    if not answering(origin):
        return
    try:
        delivered = deps.delivery.deliver_report(
            origin.channel,
            text=text,
            blocks=blocks,
            png=report.chart_png,
            filename=filename[:120],
            title=title,
            thread_ts=origin.thread_ts,
            response_url=origin.response_url,
            alt_text=alt,
            attachments=attachments(report, name),
        )
    except DeliveryError as exc:
        log.warning("report for %s could not be delivered: %s", origin.channel, exc.code)
        tell(deps, origin, f"⚠️ I couldn't post the report: {explain(exc.code)}")
        return
    if delivered.chart_missing:  # the thread already says why; the summary is never posted again
        log.warning("report in %s is missing its chart: %s", origin.channel, ", ".join(delivered.problems))
    if delivered.problems and not delivered.private_fallback and origin.response_url:
        tell(deps, origin, f"⚠️ The report is posted, but: {explain(delivered.problems[0])}")
