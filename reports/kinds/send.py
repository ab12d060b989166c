"""A send: one API send of a campaign (``/sends/data_series``), kept by Braze for the send day plus 14
days. Its report reads one campaign ID and one send ID; its digests run while Braze keeps the data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from reports.braze import BrazeError, BrazeNoData, decode_json, no_data
from reports.campaigns import sent_headline
from reports.comparison import ArmSet, row_sets
from reports.kinds import IdField, Kind, Target, Words
from reports.kinds.base import Names, Plan, Refusal, ReportKind, Workers
from reports.kinds.campaign import (
    CAMPAIGN,
    FOOTER,
    channel_details,
    digest_figures,
    formulas,
    headline,
    movers,
    verdict_measures,
)
from reports.models import EMPTY, ChartData, DayPoint, Labels, Series
from reports.parse import parse_series
from reports.summary import (
    RETENTION_DAYS,
    Summary,
    chart_data,
    day_totals,
    summarise,
    window_end_from,
)
from reports.views import (
    Code,
    DigestView,
    Line,
    Measure,
    ReportView,
    Strong,
    conversions_line,
    day_text,
    fmt_count,
    fmt_usd,
    long_day,
    note,
    short_day,
    span_text,
)

if TYPE_CHECKING:
    from reports.braze import BrazeClient
    from reports.daily import Digest

#: Days in one analytics window: the send day plus RETENTION_DAYS.
WINDOW_DAYS = RETENTION_DAYS + 1
#: How far back ``subscribe`` looks (Braze's maximum), to see every window of a reused send ID.
HISTORY_DAYS = 100
NO_DATA = (
    f"no data in the last {RETENTION_DAYS} days: wrong IDs, or the send's analytics window has closed. "
    "Nothing was stored."
)


def fetch_span(first_day: date, digest_date: date) -> tuple[int, date]:
    """Braze ``length`` and last day to ask for: everything from the send's first day to yesterday."""
    last = digest_date - timedelta(days=1)
    length = (last - first_day).days + 1
    return max(1, min(100, length)), last


def day_in_window(day: date, window_end: date | None) -> int | None:
    """Which day of the analytics window ending ``window_end`` ``day`` is (1 = the send day; the window is
    the send day plus 14 days, so 15 days), or None outside it."""
    if window_end is None:
        return None
    number = (day - (window_end - timedelta(days=RETENTION_DAYS))).days + 1
    return number if 1 <= number <= WINDOW_DAYS else None


def data_days(raw: bytes, target: Target) -> list[date]:
    """The days with data in a ``/sends/data_series`` answer, oldest first (``subscribe`` needs only these).
    Module-level so it runs in a worker process: a large answer is decoded and parsed there."""
    series = SEND.parse(decode_json(raw), target)
    return [point.day for point in series.days if point.has_data]


class SendKind(ReportKind):
    kind = Kind.SEND
    words = Words("send", "Send", "sends", "📨")
    command: ClassVar[str | None] = None
    ids = (IdField("CAMPAIGN_ID", "campaign ID"), IdField("SEND_ID", "send ID"))
    default_days = RETENTION_DAYS
    default_days_why = ", Braze's retention"
    rerun_days = (7, RETENTION_DAYS, 30)
    example = "9ef1c2d0-campaign spring-launch 7"
    help = "A report for one send: totals, rates, breakdowns by channel and variation, and a daily chart."
    # Each channel's volume above, its own engagement and conversions below (the campaign's chart).
    chart_series = CAMPAIGN.chart_series

    def title(self, name: str | None, target: Target) -> str:
        """A send is called by its campaign's name (or ID)."""
        return CAMPAIGN.title(name, target)

    def chart_title(self, title: str, target: Target) -> str:
        return f"{title} · send {target.send_id}"

    def reference(self, target: Target) -> Line:
        return ("send ", Code(target.send_id), " (campaign ", Code(target.object_id), ")")

    # -- Braze --------------------------------------------------------------------------------------------

    def fetch(
        self, braze: BrazeClient, target: Target, *, length: int, ending_at: datetime | None, now: datetime
    ) -> bytes:
        """The answer's bytes: even the JSON decoding of a large answer runs in a worker process."""
        return braze.data_series_raw(target.object_id, target.send_id, length=length, ending_at=ending_at)

    @property
    def name_key(self) -> Kind:
        return Kind.CAMPAIGN

    def lookup_name(self, braze: BrazeClient, object_id: str) -> str | None:
        return CAMPAIGN.lookup_name(braze, object_id)

    def lookup_labels(self, braze: BrazeClient, object_id: str) -> Labels:
        return CAMPAIGN.lookup_labels(braze, object_id)

    def no_data(self, target: Target) -> BrazeNoData:
        return no_data(target.object_id, target.send_id)

    # -- numbers ------------------------------------------------------------------------------------------

    def parse(self, payload: Any, target: Target) -> Series:
        return parse_series(payload, campaign_id=target.object_id, send_id=target.send_id)

    def summarise(self, series: Series, *, start: date, end: date, until_given: bool = False) -> Summary:
        return summarise(series, start=start, end=end, until_given=until_given)

    def variant_sets(self, series: Series, *, start: date, end: date) -> tuple[ArmSet, ...]:
        return row_sets(series, start=start, end=end)

    def chart(self, series: Series, summary: Summary, *, title: str) -> ChartData:
        return chart_data(series, summary, title=title)

    # -- report -------------------------------------------------------------------------------------------

    def report_view(self, summary: Summary, *, title: str) -> ReportView:
        """Header, range, headline numbers, breakdowns by channel and by variation, formulas."""
        context: list[Any] = ["Send ", Code(summary.send_id), " · campaign ", Code(summary.campaign_id)]
        context.append(" · " + span_text(summary.start, summary.end, summary.days_with_data, summary.quiet_before))
        if summary.repeated:
            latest = f" (the latest until {day_text(summary.window_end)})" if summary.window_end else ""
            context.append(
                " · this send ID was used for several sends; Braze keeps each send's analytics for the send day plus "
                f"{RETENTION_DAYS} days{latest}"
            )
        elif summary.window_end is not None:
            context.append(f" · Braze keeps this send's analytics until {day_text(summary.window_end)}")
        m = summary.totals
        sent = sent_headline(summary.channels)
        return ReportView(
            target=Target(self.kind, summary.campaign_id, summary.send_id),
            title=title,
            context=tuple(context),
            figures=headline(summary),
            figures_note=note(conversions_line(m, summary.events)),
            details=channel_details(summary),
            footer="\n".join(p for p in (FOOTER, formulas(summary.channels)) if p),
            text=(
                f"{title} · send {summary.send_id}: {sent.text if sent else 'no sends'}; "
                f"{fmt_count(m.get('conversions'))} conversions",
            ),
            rerun_days=self.rerun_days,
            sent=sent,
        )

    def verdict_measures(self, summary: Summary, *, rates: bool) -> tuple[Measure, ...]:
        return verdict_measures(summary)

    def movers(self, summary: Summary) -> tuple[tuple[str, float | None, str], ...]:
        return movers(summary)

    # -- digests ------------------------------------------------------------------------------------------

    def digest_range(self, first_day: date, digest_date: date) -> tuple[int, date] | None:
        length, last = fetch_span(first_day, digest_date)
        return None if last < first_day else (length, last)

    def active(self, point: DayPoint) -> bool:
        return point.has_data and day_totals(point) != EMPTY

    def sending(self, point: DayPoint) -> bool:
        return point.has_data and bool(day_totals(point).get("sent"))

    def digest_span(self, series: Series, *, first_day: date, day: date) -> Summary:
        """Everything since the send's first day. The subscription recorded that day, so the window is
        known even if the range isn't; data past that window means the send ID was reused, and the window
        moves with the data."""
        data = [point.day for point in series.days if point.has_data]
        ends = window_end_from(d for d in (first_day, *data) if d >= first_day)
        return replace(
            summarise(series, start=min(first_day, day), end=day), first_day=first_day, window_end=ends
        )

    def end_reason(self, span: Summary, *, digest_date: date, quiet_days: int, archived: bool) -> str | None:
        """The last digest is the one of the day Braze's analytics window closes."""
        if span.window_end is not None and digest_date >= span.window_end:
            return f"Braze's analytics window closed on {span.window_end}"
        return None

    def digest_view(self, digest: Digest, *, title: str) -> DigestView:
        """Yesterday, its change against the day before, totals since the send."""
        cumulative: Summary = digest.span
        window_end = cumulative.window_end
        context: list[Any] = ["Send ", Code(digest.target.send_id), f" · {long_day(digest.day)}"]
        if (number := day_in_window(digest.day, window_end)) is not None:
            context.append(
                f" · day {number} of {WINDOW_DAYS} in Braze's analytics window (send day + {RETENTION_DAYS})"
            )
        m = digest.today.totals
        head = f"{title} · send {digest.target.send_id}"
        if digest.has_activity:
            day: Line = (Strong(short_day(digest.day)), ", change against the day before")
            figures = tuple(digest_figures(digest.today, digest.previous, finished=digest.sending_ended))
            text = f"{head}: {fmt_count(m.get('sent'))} sent, {fmt_count(m.get('conversions'))} conversions"
        else:
            day, figures = (f"No activity on {short_day(digest.day)}.",), ()
            text = f"{head}: no activity"
        last: Line | None = None
        if digest.final and window_end is not None:
            last = (
                Strong("This is the last digest."),
                f" Braze keeps send analytics for {RETENTION_DAYS} days after the send, and this send's window "
                f"closes {short_day(window_end)}. The subscription has ended; ",
                Code("/sendstats list"),
                " keeps its history.",
            )
        sent, c = sent_headline(cumulative.channels), cumulative.totals
        parts = (
            f"{fmt_count(sent.total)} sent" if sent else "",
            f"{fmt_count(c.get('conversions'))} conversions",
            fmt_usd(c.get("revenue")),
        )
        since = (
            Strong("Since the send began"),
            f" ({short_day(cumulative.start)} – {short_day(cumulative.end)}): " + " · ".join(p for p in parts if p),
        )
        return DigestView(
            target=digest.target,
            title=title,
            final=digest.final,
            context=tuple(context),
            day=day,
            figures=figures,
            totals=since if cumulative.has_data else None,
            last=last,
            chart_span="the series so far",
            report_days=self.default_days,
            text=(f"{text} on {short_day(digest.day)}",),
            verdict=self.digest_verdict(digest),
        )

    # -- subscriptions ------------------------------------------------------------------------------------

    def check_subscription(
        self, braze: BrazeClient, workers: Workers, names: Names, target: Target, *, today: date, now: datetime
    ) -> Plan | Refusal:
        """Braze must have data for the send (100 days back, so a send ID reused for several sends shows its
        later windows too, decoded and parsed in a worker process); the digests run from the current
        window's first day (the latest send's, with a reused ID) to the day it closes."""
        try:
            raw = braze.data_series_raw(target.object_id, target.send_id, length=HISTORY_DAYS)
            days = workers.run(data_days, raw, target)
        except BrazeNoData:
            return Refusal(NO_DATA)
        except BrazeError as exc:
            return Refusal(exc.user_message)
        ends_on = window_end_from(days)
        if ends_on is None or ends_on < today:  # None: no day with data
            return Refusal(NO_DATA)
        first_day = min(day for day in days if day >= ends_on - timedelta(days=RETENTION_DAYS))
        return Plan(first_day, ends_on, names.get(self.kind, target.object_id))

    def end_rule(self, ends_on: date, *, upcoming: datetime | None) -> str:
        rule = (
            f"Last digest: {long_day(ends_on)}, when Braze's {RETENTION_DAYS}-day analytics window for this send "
            "closes; the subscription ends by itself then."
        )
        if upcoming is None:
            rule += " (The window closes before the next digest time, so no digest will be posted.)"
        return rule

    def ends_text(self, ends_on: date) -> str:
        return f"ends {short_day(ends_on)}"


SEND = SendKind()
