"""The one interface every report kind implements, and the rules kinds share.

A kind answers, for its reports and subscriptions:

* what a command names: its word, its IDs, its days (:attr:`ReportKind.command`, :attr:`~ReportKind.ids`);
* which Braze calls read it (:meth:`~ReportKind.fetch`, :meth:`~ReportKind.lookup_name`);
* parse → summary → chart data (:meth:`~ReportKind.parse`, :meth:`~ReportKind.summarise`,
  :meth:`~ReportKind.chart`);
* what its report says (:meth:`~ReportKind.report_view`);
* its digest's numbers and content (:meth:`~ReportKind.build_digest`, :meth:`~ReportKind.digest_message`);
* the metrics alerts watch and digests flag (:attr:`~ReportKind.metrics`, :mod:`reports.kinds.metrics`);
* its subscription's window and end rule (:meth:`~ReportKind.check_subscription`, :meth:`~ReportKind.end_rule`).

:class:`OpenEndedKind` holds what campaigns and Canvases share: digests of the last 14 days, and
subscriptions with no end date that end when Braze reports the object archived or after 14 quiet days.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from reports.braze import BrazeError, BrazeNoData, no_kind_data
from reports.comparison import ArmSet, RateComparison, compare_sets, comparison_view
from reports.daily import QUIET_DAYS_TO_END, RECENT_DAYS, Digest, quiet_streak, recent_span
from reports.kinds import IdField, Kind, Target, Words
from reports.kinds.metrics import METRICS, Metric
from reports.models import NO_LABELS, ChartData, DayPoint, Labels, Series
from reports.stats import ANOMALY_WINDOW, anomaly, describe_anomaly, format_rate
from reports.verdict import HALF_DAYS, Movers, pick_shift
from reports.views import (
    Code,
    Detail,
    DigestView,
    Figure,
    Line,
    Measure,
    ReportView,
    SentHeadline,
    Strong,
    Verdict,
    fmt_count,
    long_day,
    short_day,
    span_text,
)

if TYPE_CHECKING:
    from reports.braze import BrazeClient
    from reports.listing import CampaignDetails, CanvasDetails, ListedItem

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Longest range a report may ask for (Braze's ``length`` bound; Canvas ranges are fetched in pieces).
MAX_DAYS = 100


class Names(Protocol):
    """The name cache a kind may consult (``reports.pipeline.CampaignNames``)."""

    def get(self, kind: Kind, object_id: str) -> str | None: ...

    def labels(self, kind: Kind, object_id: str) -> Labels: ...


class Workers(Protocol):
    """Where CPU-bound work runs (``reports.render_pool.ChartRenderer``: worker processes)."""

    def render(self, data: ChartData) -> bytes: ...

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...


@dataclass(frozen=True, slots=True)
class Status:
    """What Braze says about an object beside its numbers: its name, and whether it is archived."""

    name: str | None = None
    archived: bool = False
    #: What the details name beside it (variations, conversion events), when they were read.
    labels: Labels = NO_LABELS


@dataclass(frozen=True, slots=True)
class Plan:
    """A subscription a kind accepts: its first reported day, its last digest day (None: no end date)
    and the name to confirm it with."""

    first_day: date
    ends_on: date | None
    name: str | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a kind refuses a subscription, in words for the requester."""

    reason: str


class ReportKind(ABC):
    """One report kind (see the module docstring). Instances are stateless singletons."""

    kind: ClassVar[Kind]
    words: ClassVar[Words]
    #: The word after ``/sendstats`` that names the kind; None: the command starts with the IDs (a send).
    command: ClassVar[str | None]
    ids: ClassVar[tuple[IdField, ...]]
    default_days: ClassVar[int]
    #: Why the default is what it is, if it needs saying (", Braze's retention").
    default_days_why: ClassVar[str] = ""
    max_days: ClassVar[int] = MAX_DAYS
    #: Ranges offered by a report's re-run buttons.
    rerun_days: ClassVar[tuple[int, ...]]
    #: The arguments of a usage example.
    example: ClassVar[str]
    #: What its report shows, one sentence for the help.
    help: ClassVar[str]
    #: What its daily chart shows, for the sentence a screen reader speaks ("Daily <this> for <name>, <days>.").
    chart_series: ClassVar[str]
    #: The Braze permission of its list (``/campaigns/list``…); None: not listed, so not in the catalogue.
    list_permission: ClassVar[str | None] = None
    #: A send ID narrows it to one of its API sends (a campaign).
    has_sends: ClassVar[bool] = False
    #: What alerts can watch and digests flag (names in :data:`reports.kinds.metrics.METRICS`), in order.
    metrics: ClassVar[tuple[str, ...]] = tuple(METRICS)

    @property
    def watched(self) -> tuple[Metric, ...]:
        """The kind's :attr:`metrics`, as :class:`~reports.kinds.metrics.Metric` values."""
        return tuple(METRICS[name] for name in self.metrics)

    # -- what a command names -------------------------------------------------------------------------

    @property
    def has_send_id(self) -> bool:
        """Its targets carry a send ID (a send: its campaign's ID and its own)."""
        return len(self.ids) > 1

    def target(self, ids: Sequence[str]) -> Target:
        """The target a command's IDs name (``ids`` as many as :attr:`ids`)."""
        return Target(self.kind, *ids)

    def args(self, target: Target) -> str:
        """The command's arguments for ``target``: ``campaign <id>``, or a send's ``<campaign_id> <send_id>``."""
        return " ".join(word for word in (self.command, *target.ids) if word)

    def title(self, name: str | None, target: Target) -> str:
        """What a report or digest is called: the Braze name, else the kind and the ID."""
        return name or f"{self.words.title} {target.object_id}"

    def chart_title(self, title: str, target: Target) -> str:
        return title

    def short_reference(self, target: Target) -> Line:
        """``campaign `x```, ``send `y``` in sentences about the target."""
        return (f"{self.words.noun} ", Code(target.ident))

    def reference(self, target: Target) -> Line:
        """How ``list`` and App Home name the target (a send names its campaign too)."""
        return self.short_reference(target)

    # -- Braze ----------------------------------------------------------------------------------------

    @abstractmethod
    def fetch(
        self, braze: BrazeClient, target: Target, *, length: int, ending_at: datetime | None, now: datetime
    ) -> bytes | dict[str, Any]:
        """Braze's answer for ``length`` days ending at ``ending_at`` (None: now). Raises :class:`BrazeError`."""

    @abstractmethod
    def lookup_name(self, braze: BrazeClient, object_id: str) -> str | None:
        """The name Braze gives ``object_id``, or None (no permission, unreadable)."""

    def lookup_labels(self, braze: BrazeClient, object_id: str) -> Labels:
        """What Braze's details name for ``object_id`` (its name; a campaign's variations and conversion
        events too), read with the one call that gives the name. Empty when unreadable."""
        return Labels(self.lookup_name(braze, object_id))

    @property
    def name_key(self) -> Kind:
        """Whose name a report shows (a send shows its campaign's): the name cache's key."""
        return self.kind

    def name_in(self, payload: Any) -> str | None:
        """A name Braze put in the answer itself (a Canvas's), used when the lookup found none."""
        return None

    def list_pages(
        self, braze: BrazeClient, *, edited_after: datetime | None = None
    ) -> Iterator[tuple[ListedItem, ...]]:
        """Braze's list of every object of this kind, page by page (only those edited since ``edited_after``
        when it is given)."""
        raise NotImplementedError(f"Braze does not list {self.words.plural}")

    def status(self, braze: BrazeClient, names: Names, target: Target, count: Callable[[], None]) -> Status:
        """The name (and archived flag) a digest needs; ``count`` is called for every Braze call made."""
        labels = names.labels(self.kind, target.object_id)
        return Status(labels.name, labels=labels)

    def no_data(self, target: Target) -> BrazeNoData:
        return no_kind_data(self.words.noun, target.object_id)

    # -- parse → summary → chart data -----------------------------------------------------------------

    @abstractmethod
    def parse(self, payload: Any, target: Target) -> Series: ...

    def read(self, payload: Any, target: Target, labels: Labels = NO_LABELS) -> Series:
        """:meth:`parse`, then what the details name applied (variation names, conversion events)."""
        return self.parse(payload, target).named(labels)

    @abstractmethod
    def summarise(self, series: Series, *, start: date, end: date, until_given: bool = False) -> Any:
        """The kind's summary of ``start``..``end``: a frozen dataclass with ``start``, ``end``, ``days_with_data``,
        ``quiet_before`` and ``has_data`` (a report narrows it to its first day with data with ``dataclasses.replace``,
        :func:`reports.pipeline.from_first_day`)."""

    @abstractmethod
    def chart(self, series: Series, summary: Any, *, title: str) -> ChartData: ...

    def variant_sets(self, series: Series, *, start: date, end: date) -> tuple[ArmSet, ...]:
        """The variations' counts on each rate they are compared on, ``start``..``end``, the primary rate
        first (:mod:`reports.comparison`); none for a kind without variations."""
        return ()

    def compared(self, series: Series, *, start: date, end: date) -> tuple[RateComparison, ...]:
        """Every rate with two or more variations, each variation against the control."""
        return compare_sets(self.variant_sets(series, start=start, end=end))

    # -- message content ------------------------------------------------------------------------------

    @abstractmethod
    def report_view(self, summary: Any, *, title: str) -> ReportView: ...

    def full_report_view(self, summary: Any, comparisons: Sequence[RateComparison], *, title: str) -> ReportView:
        """The report with its variant comparison (the same for every kind)."""
        return replace(self.report_view(summary, title=title), comparison=comparison_view(comparisons))
    # -- the verdict (the line read first) --------------------------------------------------------------

    #: The words of the kind's volume measure and mover ("sent", "entries"): left out of a digest's verdict
    #: once sending has finished.
    volume_words: ClassVar[str] = "sent"

    @abstractmethod
    def verdict_measures(self, summary: Any, *, rates: bool) -> tuple[Measure, ...]:
        """The few numbers that say what happened (``rates``: a report's; a single day's gets counts only)."""

    @abstractmethod
    def movers(self, summary: Any) -> Movers:
        """The counts a change is looked for in, as ``(label, value, style)``, the volume first."""

    def report_verdict(self, summary: Any, halves: tuple[Any, Any] | None) -> Verdict:
        """A report's verdict; its change compares the range's last week with the week before, when it has both."""
        shift = None
        if halves is not None:
            shift = pick_shift(self.movers(halves[0]), self.movers(halves[1]),
                               f"in the last {HALF_DAYS} days against the {HALF_DAYS} before")
        return Verdict(self.verdict_measures(summary, rates=True), shift)

    def digest_verdict(self, digest: Digest) -> Verdict:
        """A digest's verdict: its day in counts against the day before; "sending finished Mar 14" in place
        of a volume of 0 (and its "▼ 100%") once a send has gone out; "no activity" on a quiet day."""
        when = short_day(digest.day)
        if not digest.has_activity:
            return Verdict((), None, when, "no activity")
        measures, movers = self.verdict_measures(digest.today, rates=False), self.movers(digest.today)
        before, status = self.movers(digest.previous), None
        if digest.sending_ended is not None:
            status = f"sending finished {short_day(digest.sending_ended)}"
            measures = tuple(m for m in measures if m.words != self.volume_words)
            movers = [m for m in movers if m[0] != self.volume_words]
        against = f"against {short_day(digest.day - timedelta(days=1))}"
        return Verdict(measures, pick_shift(movers, before, against), when, status)

    # -- digests --------------------------------------------------------------------------------------

    @abstractmethod
    def digest_range(self, first_day: date, digest_date: date) -> tuple[int, date] | None:
        """Braze ``length`` and last day to fetch for digests up to ``digest_date`` of subscriptions whose
        first reported day is ``first_day``; None when there is nothing to fetch yet."""

    @abstractmethod
    def active(self, point: DayPoint) -> bool:
        """Whether something happened that day (sent, entered…)."""

    def sending(self, point: DayPoint) -> bool:
        """Whether something went out that day (a send's opens go on after it has gone out)."""
        return self.active(point)

    @abstractmethod
    def digest_span(self, series: Series, *, first_day: date, day: date) -> Any:
        """The summary a digest totals and charts (it ends on ``day``)."""

    @abstractmethod
    def end_reason(self, span: Any, *, digest_date: date, quiet_days: int, archived: bool) -> str | None:
        """Why the digest of ``digest_date`` is the last one, or None."""

    def build_digest(
        self, series: Series, *, target: Target, first_day: date, digest_date: date, archived: bool = False
    ) -> Digest:
        """The digest of ``digest_date`` (a local calendar day) of a subscription whose first reported day
        is ``first_day``."""
        day = digest_date - timedelta(days=1)
        busy = [point.day for point in series.days if self.active(point)]
        quiet = quiet_streak(busy, day=day, first_day=first_day)
        span = self.digest_span(series, first_day=first_day, day=day)
        before = day - timedelta(days=1)
        comparisons = self.compared(series, start=span.start, end=day)  # none when the span has no data
        out = [point.day for point in series.days if point.day <= day and self.sending(point)]
        ended = max(out) if out and day in busy and day not in out else None
        return Digest(
            target=target,
            digest_date=digest_date,
            day=day,
            today=self.summarise(series, start=day, end=day),
            previous=self.summarise(series, start=before, end=before),
            span=span,
            has_activity=day in busy,
            quiet_days=quiet,
            end_reason=self.end_reason(span, digest_date=digest_date, quiet_days=quiet, archived=archived),
            flags=self.flags(series, day),
            comparisons=comparisons,
            sending_ended=ended,
        )

    def flags(self, series: Series, day: date) -> tuple[str, ...]:
        """Each of the kind's metrics whose value on ``day`` lies more than 3 median absolute deviations from
        the median of the :data:`~reports.stats.ANOMALY_WINDOW` days before it (days without a value left
        out; never on fewer than 5 of them: :func:`reports.stats.anomaly`), in words."""
        found = []
        first = day - timedelta(days=ANOMALY_WINDOW)
        for metric in self.watched:
            values = metric.daily(series)
            if (value := values.get(day)) is None:
                continue
            history = [v for d, v in sorted(values.items()) if first <= d < day]
            if (flag := anomaly(history, value)) is not None:
                found.append(describe_anomaly(metric.label, flag, format_rate if metric.is_rate else fmt_count))
        return tuple(found)

    def digest_message(self, digest: Digest, *, title: str) -> DigestView:
        """What the digest says: the kind's :meth:`digest_view` with the day's anomaly flags, one section
        comparing the variations on the first rate compared (the primary one), and the range its CSV button
        uploads (the same for every kind)."""
        return replace(
            self.digest_view(digest, title=title),
            flags=digest.flags,
            comparison=comparison_view(digest.comparisons, limit=1, elsewhere="the full report"),
            data_span=(digest.span.start, digest.day) if digest.span.has_data else None,
        )

    @abstractmethod
    def digest_view(self, digest: Digest, *, title: str) -> DigestView: ...

    # -- subscriptions --------------------------------------------------------------------------------

    @abstractmethod
    def check_subscription(
        self, braze: BrazeClient, workers: Workers, names: Names, target: Target, *, today: date, now: datetime
    ) -> Plan | Refusal:
        """Ask Braze whether ``target`` can be digested from the subscriber's ``today`` on."""

    #: What each digest compares, after "every day at 09:00 UTC" in the confirmation.
    cadence: ClassVar[str] = ""

    @abstractmethod
    def end_rule(self, ends_on: date, *, upcoming: datetime | None) -> str:
        """The confirmation's sentence about when the digests end."""

    @abstractmethod
    def ends_text(self, ends_on: date) -> str:
        """When a subscription's digests end, in a few words for ``list`` and App Home."""


def ending_at(last: date) -> datetime:
    """The end of ``last`` (UTC), as Braze's ``ending_at``."""
    return datetime.combine(last, time(23, 59, 59), UTC)


class OpenEndedKind(ReportKind):
    """A campaign or Canvas: it runs for as long as it runs. Its digests cover the last
    :data:`~reports.daily.RECENT_DAYS` days (one Braze call), and a subscription has no end date: it ends
    when Braze reports the object archived, or after :data:`~reports.daily.QUIET_DAYS_TO_END` days in a
    row with nothing sent or entered."""

    default_days: ClassVar[int] = 30
    rerun_days: ClassVar[tuple[int, ...]] = (7, 30, 90)
    #: How a quiet day reads at the end of a sentence ("nothing was sent", "nobody entered it").
    nothing: ClassVar[str]
    #: The same after "with" ("nothing sent", "nobody entering").
    nothing_with: ClassVar[str]
    cadence: ClassVar[str] = f", the day before against the one before it and the last {RECENT_DAYS} days"

    @abstractmethod
    def details(self, braze: BrazeClient, object_id: str) -> CampaignDetails | CanvasDetails:
        """Braze's details of the object (its name, whether it is archived). Raises :class:`BrazeError`."""

    def status(self, braze: BrazeClient, names: Names, target: Target, count: Callable[[], None]) -> Status:
        """A details failure is not fatal: a key without the details permission still gets digests,
        ended by quiet days only."""
        count()
        try:
            details = self.details(braze, target.object_id)
        except BrazeError as exc:
            log.info("no details for %s %s (%s); quiet days alone end its digests", self.kind, target.object_id,
                     exc.status)
            return Status()
        return Status(details.name, bool(details.archived), details.labels())

    def digest_range(self, first_day: date, digest_date: date) -> tuple[int, date]:
        return recent_span(digest_date)

    def digest_span(self, series: Series, *, first_day: date, day: date) -> Any:
        return self.summarise(series, start=day - timedelta(days=RECENT_DAYS - 1), end=day)

    def end_reason(self, span: Any, *, digest_date: date, quiet_days: int, archived: bool) -> str | None:
        if archived:
            return f"Braze reports the {self.words.noun} archived"
        if quiet_days >= QUIET_DAYS_TO_END:
            return f"{self.nothing} for {QUIET_DAYS_TO_END} days in a row"
        return None

    def check_subscription(
        self, braze: BrazeClient, workers: Workers, names: Names, target: Target, *, today: date, now: datetime
    ) -> Plan | Refusal:
        """The series must be readable (a wrong ID or a missing permission refuses); an archived object is
        refused. Nothing sent lately is fine: quiet days end it later. The first digest reports the day
        before subscribing."""
        length, last = recent_span(now.date())
        try:
            self.fetch(braze, target, length=length, ending_at=ending_at(last), now=now)
        except BrazeNoData:
            pass
        except BrazeError as exc:
            return Refusal(exc.user_message)
        first_day = today - timedelta(days=1)
        try:
            details = self.details(braze, target.object_id)
        except BrazeError as exc:
            log.info("no details for %s %s (%s): subscribing without the archived check", self.kind,
                     target.object_id, exc.status)
            return Plan(first_day, None, None)
        if details.archived:
            return Refusal(f"Braze reports this {self.words.noun} archived, so there is nothing to digest.")
        return Plan(first_day, None, details.name)

    def end_rule(self, ends_on: date, *, upcoming: datetime | None) -> str:
        return (
            f"It has no end date: it ends by itself, with a last notice, when Braze reports the {self.words.noun} "
            f"archived or after {QUIET_DAYS_TO_END} days in a row with {self.nothing_with}."
        )

    def ends_text(self, ends_on: date) -> str:
        return f"ends when archived or after {QUIET_DAYS_TO_END} quiet days"

    def object_report(
        self,
        summary: Any,
        object_id: str,
        *,
        title: str,
        figures: tuple[Figure, ...],
        details: tuple[Detail, ...],
        footer: str,
        text: str,
        figures_note: Line | None = None,
        sent: SentHeadline | None = None,
    ) -> ReportView:
        """The report every open-ended kind posts: its kind and ID and the range, then its own figures."""
        return ReportView(
            target=Target(self.kind, object_id),
            title=title,
            context=(
                f"{self.words.title} ",
                Code(object_id),
                " · " + span_text(summary.start, summary.end, summary.days_with_data, summary.quiet_before),
            ),
            figures=figures,
            figures_note=figures_note,
            details=details,
            footer=footer,
            text=(text,),
            rerun_days=self.rerun_days,
            sent=sent,
        )

    def object_digest(
        self, digest: Digest, *, title: str, figures: Sequence[Figure], totals: str, text: Line
    ) -> DigestView:
        """The digest every open-ended kind posts, around its own figures and its totals of the last days."""
        window = digest.span
        recent: Line = (
            Strong(f"Last {RECENT_DAYS} days"), f" ({short_day(window.start)} – {short_day(window.end)}): {totals}"
        )
        noun_id: Line = (f"{self.words.title} ", Code(digest.target.object_id), f" · {long_day(digest.day)}")
        if digest.has_activity:
            day: Line = (Strong(short_day(digest.day)), ", change against the day before")
        else:
            quiet = f"No activity on {short_day(digest.day)}"
            if digest.quiet_days > 1:
                quiet += f" ({digest.quiet_days} days in a row; the digest ends after {QUIET_DAYS_TO_END})"
            day = (quiet + ".",)
        last: Line | None = None
        if digest.end_reason is not None:
            last = (
                Strong("This is the last digest:"),
                f" {digest.end_reason}. The subscription has ended; ",
                Code("/sendstats list"),
                " keeps its history, and ",
                Code(f"/sendstats subscribe {self.args(digest.target)}"),
                " starts it again.",
            )
        return DigestView(
            target=digest.target,
            title=title,
            final=digest.final,
            context=noun_id,
            day=day,
            figures=tuple(figures) if digest.has_activity else (),
            totals=recent if window.has_data else None,
            last=last,
            chart_span=f"the last {RECENT_DAYS} days",
            report_days=self.default_days,
            text=text,
            verdict=self.digest_verdict(digest),
        )

    def notification(self, digest: Digest, title: str, active: str) -> Line:
        """``Name (campaign): <what happened> on Mar 17``, or no activity."""
        head = f"{title} ({self.words.noun}): "
        if not digest.has_activity:
            return (f"{head}no activity on {short_day(digest.day)}",)
        return (f"{head}{active} on {short_day(digest.day)}",)
