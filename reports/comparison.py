"""Variations compared on their rates, for every report kind: which counts make each rate, the
comparisons (:func:`reports.stats.compare`), the view a message shows and the chart's data.

A kind says which rates its variations are compared on (:meth:`reports.kinds.base.ReportKind.variant_sets`,
built with :func:`row_sets` for the kinds whose days are channel × variation rows, and :func:`variant_set`
for a Canvas's variants); everything after that is written once, here:

- the primary rate is conversions ÷ unique recipients (a Canvas: ÷ entries), first;
- then each channel's open and click rates where the channel reports them as a share of people
  (:data:`CHANNEL_RATES`: email unique opens and clicks ÷ delivered, push direct opens ÷ sent, …);
- every rate with two or more variations gets Wilson intervals, every other variation against the
  control a two-proportion z-test, Holm-corrected over that rate's comparisons (:func:`reports.stats.compare`).

Pure functions of parsed series; the results are small frozen values that cross into a worker process
and back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from reports.channels import family_of
from reports.chart import variant_chart_data
from reports.models import DayPoint, Series, VariantChartData
from reports.stats import Arm, VariantComparison, compare, describe
from reports.views import ComparisonView, RateView

#: How many rates a report shows in words (the primary rate first); a digest shows the first only.
MAX_RATES = 4
#: Each channel family's rates compared between variations: (label, successes, trials, unit of the
#: trials). Only counts of people (unique, direct) or of events against events (in-app clicks ÷
#: impressions), so each success is one of the trials; total opens, which can exceed sends, are left out.
CHANNEL_RATES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "email": (
        ("unique open rate", "unique_opens", "delivered", "delivered emails"),
        ("unique click rate", "unique_clicks", "delivered", "delivered emails"),
    ),
    "push": (("direct open rate", "direct_opens", "sent", "pushes sent"),),
    "in_app_message": (("click rate", "clicks", "impressions", "impressions"),),
    "content_cards": (("unique click rate", "unique_clicks", "unique_impressions", "unique impressions"),),
}
#: The primary rate's counts on a send's or campaign's rows (Braze's per-variation figures).
CONVERSIONS, RECIPIENTS = "conversions", "unique_recipients"
#: Braze's control group reports how many people it held back (``enrolled``), and sends nothing.
ENROLLED = "enrolled"


@dataclass(frozen=True, slots=True)
class RateSpec:
    """One rate variations are compared on: ``label`` ("Conversion rate", "Email unique open rate"),
    the ``verb`` of its sentence ("converts", "opens"), and the ``unit`` of its trials."""

    key: str
    label: str
    verb: str
    unit: str


@dataclass(frozen=True, slots=True)
class ArmSet:
    """The variations' counts on one rate, in Braze's order."""

    rate: RateSpec
    arms: tuple[Arm, ...]


@dataclass(frozen=True, slots=True)
class RateComparison:
    rate: RateSpec
    result: VariantComparison

    @property
    def decisive(self) -> bool:
        """Some variation differs from the control beyond the noise (after Holm)."""
        return any(c.confidence is not None for c in self.result.comparisons)


CONVERSION = RateSpec("conversion", "Conversion rate", "converts", "recipients")
CANVAS_CONVERSION = RateSpec("conversion", "Conversion rate", "converts", "entries")


def compare_sets(sets: Iterable[ArmSet]) -> tuple[RateComparison, ...]:
    """Every rate with two or more variations, compared (:func:`reports.stats.compare`), in order."""
    return tuple(RateComparison(s.rate, compare(s.arms)) for s in sets if len(s.arms) >= 2)


# -- the counts of each kind ---------------------------------------------------------------------------


def _within(series: Series, start: date, end: date) -> list[DayPoint]:
    return [p for p in series.days if start <= p.day <= end and p.has_data]


def _once(values: list[int | float]) -> int | float:
    """A figure of one variation on one day, read on each of its channel rows: Braze may repeat its
    campaign-level figure on every row (then it counts once), or split it by channel (then the rows add up).
    # assumption: the docs do not say which; equal values on every row are taken as a repeat."""
    return values[0] if len(set(values)) == 1 else sum(values)


def row_sets(series: Series, *, start: date, end: date) -> tuple[ArmSet, ...]:
    """A send's or campaign's variations (channel × variation rows), ``start``..``end``: the conversion
    rate first (conversions ÷ unique recipients, where each variation's rows carry both), then each
    channel family's :data:`CHANNEL_RATES`. A variation whose rows report people held back (``enrolled``)
    and nothing sent is Braze's control group."""
    order: list[str] = []
    level: dict[str, dict[str, int]] = {}  # variation → conversions / unique_recipients over the range
    held_back: dict[str, bool] = {}
    counts: dict[tuple[str, str], dict[str, int]] = {}  # (family, variation) → summed counts
    for point in _within(series, start, end):
        by_variation: dict[str, dict[str, list[int | float]]] = {}
        for row in point.rows:
            if row.variation not in level:
                order.append(row.variation)
                level[row.variation] = {}
                held_back[row.variation] = False
            seen = by_variation.setdefault(row.variation, {})
            for name in (CONVERSIONS, RECIPIENTS):
                if (value := row.metrics.get(name)) is not None:
                    seen.setdefault(name, []).append(value)
            if row.metrics.get(ENROLLED) and not (row.metrics.get("sent") or row.metrics.get("impressions")):
                held_back[row.variation] = True
            summed = counts.setdefault((family_of(row.channel).key, row.variation), {})
            for name, value in row.metrics.items:
                summed[name] = summed.get(name, 0) + int(value)
        for variation, seen in by_variation.items():
            for name, values in seen.items():
                level[variation][name] = level[variation].get(name, 0) + int(_once(values))
    sets: list[ArmSet] = []
    conversion = tuple(
        Arm(v, level[v][CONVERSIONS], level[v][RECIPIENTS], held_back[v])
        for v in order
        if CONVERSIONS in level[v] and RECIPIENTS in level[v]
    )
    sets.append(ArmSet(CONVERSION, conversion))
    families = list(dict.fromkeys(family for family, _ in counts))
    for family in families:
        label = family_of(family).label
        for rate, successes, trials, unit in CHANNEL_RATES.get(family, ()):
            arms = tuple(
                Arm(v, found[successes], found[trials])
                for v in order
                if (found := counts.get((family, v))) is not None and successes in found and trials in found
            )
            named = f"{label} {rate}"
            verb = f"has {_article(named)} {named.lower()} of"  # "has a content cards unique click rate of"
            spec = RateSpec(f"{family}:{successes}", named, verb, unit)
            sets.append(ArmSet(spec, arms))
    return tuple(s for s in sets if len(s.arms) >= 2)


def _article(words: str) -> str:
    return "an" if words[:1].lower() in "aeio" else "a"  # pragma: no mutate


def variant_set(series: Series, *, start: date, end: date) -> tuple[ArmSet, ...]:
    """A Canvas's variants on conversions ÷ entries, ``start``..``end``, in Braze's order."""
    order: dict[str, str] = {}
    totals: dict[str, dict[str, int]] = {}
    for point in _within(series, start, end):
        for row in point.rows:
            key = row.variation_api_id or row.variation
            order.setdefault(key, row.variation)
            summed = totals.setdefault(key, {})
            for name in ("entries", CONVERSIONS):
                if (value := row.metrics.get(name)) is not None:
                    summed[name] = summed.get(name, 0) + int(value)
    arms = tuple(
        Arm(name, totals[key][CONVERSIONS], totals[key]["entries"])
        for key, name in order.items()
        if CONVERSIONS in totals[key] and "entries" in totals[key]
    )
    return (ArmSet(CANVAS_CONVERSION, arms),) if len(arms) >= 2 else ()


# -- words and chart -----------------------------------------------------------------------------------


def rate_view(comparison: RateComparison) -> RateView:
    result = comparison.result
    control = result.arms[result.control_index].arm
    why = (
        "a variation named Control"
        if control.name.strip().casefold() == "control"
        else ("Braze's control group" if control.control_group else "the first variation")
    )
    return RateView(
        label=comparison.rate.label,
        control=control.name,
        control_why=why,
        sentences=tuple(describe(c, verb=comparison.rate.verb, unit=comparison.rate.unit) for c in result.comparisons),
        decisive=tuple(c.confidence is not None for c in result.comparisons),
    )


def comparison_view(
    comparisons: Sequence[RateComparison], *, limit: int = MAX_RATES, elsewhere: str | None = None
) -> ComparisonView | None:
    """What a message says about the comparisons: the first ``limit`` rates (the primary rate first),
    each with its control and one sentence per other variation; None when nothing was compared."""
    if not comparisons:
        return None
    return ComparisonView(
        rates=tuple(rate_view(c) for c in comparisons[:limit]),
        more=max(0, len(comparisons) - limit),
        elsewhere=elsewhere,
    )


def chart_data(comparisons: Sequence[RateComparison], *, title: str) -> VariantChartData | None:
    """The error-bar chart of the primary rate (the first compared), or None when nothing was compared."""
    if not comparisons:
        return None
    first = comparisons[0]  # the chart's subtitle names the rate
    return variant_chart_data(first.result, title=title, rate_label=first.rate.label)
