"""Render a report's daily analytics as a PNG for Slack: one chart module for every report kind.

A chart is two panels over the same days (:class:`reports.models.ChartData`); each kind chooses the
series (a send: sent and delivered over opens, clicks and conversions; a campaign: each channel's
volume over its engagement; a Canvas: entries over conversions, per variant). :func:`render_chart` is
the whole public API.

Why it is built this way:

* Only the object-oriented API (``Figure`` + ``FigureCanvasAgg``), never ``matplotlib.pyplot``.
  pyplot keeps a process-wide registry of open figures and a "current figure"; in a long-running
  bot that leaks memory and is unsafe when renders run on several threads or in a process pool.
  A bare ``Figure`` is an ordinary object that the garbage collector frees.
* No global ``rcParams`` are touched (``rc_context`` is process-wide, so not thread-safe); every
  style and the font are passed to the artists directly. The font is matplotlib's bundled
  DejaVu Sans, so the output does not depend on the fonts of the host.
* An opaque white card with dark text and Okabe-Ito (colour-blind safe) colours stays readable
  in Slack's light and dark themes; a transparent PNG would put dark text on a dark background.
* Honest: a day Braze did not report is a gap (shaded, with "No data" in the legend), never a
  zero, and the end of Braze's analytics window (sends only) is marked, because after it numbers
  stop changing (or disappear) for reasons that have nothing to do with the send.
* Every series has its own colour and marker across the whole chart (bars one colour of their
  own), so no two lines of one chart look alike.
* Fast: the layout is computed once from measured text instead of ``layout="constrained"``,
  which re-measures every tick label several times and more than doubled the render time.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.collections import PolyCollection
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import RenderMode
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator, NullLocator
from PIL import Image

from reports.models import ChartData, SeriesSpec

__all__ = ["render_chart"]

# --- Look -------------------------------------------------------------------------------------

FONT_FAMILY = "DejaVu Sans"
#: 10 x 5.2 in at 100 dpi = 1000 x 520 px: wide enough for 100 daily bars, small enough to be fast.
FIG_SIZE_IN = (10.0, 5.2)
DPI = 100

BACKGROUND = "#FFFFFF"
TEXT = "#1F2328"
MUTED = "#57606A"
GRID = "#E3E6EA"
SPINE = "#8C959F"

# Okabe-Ito palette; every line also gets its own marker so colour is never the only cue. Lines take
# the colours in this order (neighbours contrast), bars the sky blue no line uses.
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
BAR_COLOUR = "#56B4E9"
#: Longest series label in a legend (campaign variation and Canvas variant names can be long).
LABEL_CHARS = 40

NO_DATA_FILL = "#E1E4E8"
AFTER_WINDOW_FILL = "#F6F8FA"
AFTER_WINDOW_HATCH = "#B8BFC6"
WINDOW_LINE = "#444C56"
WINDOW_DASHES = (0, (5, 3))

TITLE_SIZE = 13.0
PANEL_TITLE_SIZE = 10.5
TICK_SIZE = 9.0
LEGEND_SIZE = 9.0

#: Fixed vertical layout in pixels (the fonts are fixed, so these do not depend on the data).
TOP_PX = 62  # title + "Volume" heading
GAP_PX = 34  # "Engagement" heading between the panels
BOTTOM_PX = 44  # two-line date labels
EDGE_PX = 12  # breathing room at the left and right edges
MIN_LEFT_PX = 48  # keeps the panels off the edge when there are no y labels (all-None chart)
YLABEL_PAD_PX = 10  # tick mark + pad between the axis and its labels
LEGEND_GAP_PX = 12  # between a panel and its legend

#: How many days after the last plotted day ``window_end`` may fall and still get its line
#: (the axis is stretched by that much to show it).
JUST_AFTER_DAYS = 1
#: Up to this many days every day gets a tick; beyond it matplotlib picks a sparse set.
DAILY_TICKS_UP_TO = 16
BAR_WIDTH = 0.7  # days
#: PNG zlib level (bench/bench_render.py measures time and size per level).
PNG_ZLIB_LEVEL = 3

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Handle = Patch | Line2D


def _font(size: float, weight: str = "normal") -> FontProperties:
    return FontProperties(family=FONT_FAMILY, size=size, weight=weight)


def _supported_codepoints() -> frozenset[int]:
    """Characters the bundled font can draw, so titles never render as tofu boxes or warn."""
    return frozenset(get_font(findfont(_font(10))).get_charmap())


_DRAWABLE = _supported_codepoints()


# --- Public API -------------------------------------------------------------------------------


def render_chart(data: ChartData) -> bytes:
    """Draw ``data`` as a two-panel PNG and return its bytes.

    Safe to call concurrently from threads or a process pool: each thread draws on its own card
    (built on first use, then reused) and nothing is registered globally. Raises ``ValueError`` if
    ``days`` is empty or a series is not aligned with it (a caller bug, better loud than a misleading
    chart).
    """
    _validate(data)
    x = _day_numbers(data.days)

    card = _card()
    fig, renderer = card.fig, card.renderer
    panels = (
        _Panel(card.top, data.top_title, data.top),
        _Panel(card.bottom, data.bottom_title, data.bottom),
    )
    after_window = _after_window_mask(data.days, data.window_end)
    window_x = _window_line_x(data.days, data.window_end)
    marker_size = 5.0 if len(x) <= 31 else 3.0

    lines = 0
    for panel in panels:
        panel.ax.set_title(panel.name, loc="left", fontproperties=_font(PANEL_TITLE_SIZE, "bold"), color=TEXT, pad=6)
        lines = _draw(panel, x, marker_size, lines)
        series = panel.series
        missing = np.all([np.isnan(v) for v in series], axis=0) if series else np.ones(len(x), dtype=bool)
        panel.handles += _shade(panel.ax, x, missing & ~after_window, after_window)
        if window_x is not None:
            panel.ax.axvline(window_x, color=WINDOW_LINE, linestyle=WINDOW_DASHES, linewidth=1.4, zorder=4)
        if missing.all():
            _no_data_message(panel.ax, data)
        else:
            _scale_y(panel.ax, panel.series)
    if window_x is not None and data.window_end is not None:
        panels[0].handles.append(
            Line2D(
                [],
                [],
                color=WINDOW_LINE,
                linestyle=WINDOW_DASHES,
                linewidth=1.4,
                label=f"Braze window ends {_short_date(data.window_end)}",
            )
        )
    for panel in panels:
        _legend(panel.ax, panel.handles)
    _format_x(card.top, card.bottom, x, data.days, window_x)

    title = _fit_title(_clean_title(data.title), renderer)
    fig.suptitle(
        title,
        y=1 - 10 / fig.bbox.height,
        va="top",
        fontproperties=_font(TITLE_SIZE, "bold"),
        color=TEXT,
        parse_math=False,  # campaign names contain "$5 off"; never treat them as TeX
    )
    _layout(fig, panels, renderer)

    return card.png()


# --- Text drawn from cached glyphs -----------------------------------------------------------


class _GlyphCachingRenderer(RendererAgg):
    """Agg, but each glyph is rasterised once per (font, size, sub-pixel position) and then reused.

    Every chart repeats the same tick numbers, month names, panel titles and legend entries at the
    same places, and FreeType re-rasterised each glyph and re-shaped each string on every draw. A
    glyph's bitmap only depends on its sub-pixel offset (1/64 px), so the cache returns exactly what
    FreeType would draw: the PNG is byte-identical (tests/test_chart.py). Rotated, math or
    non-antialiased text takes Agg's own path.
    """

    def __init__(self, width: float, height: float, dpi: float) -> None:
        super().__init__(width, height, dpi)
        self._layouts: dict[tuple[str, FontProperties], list[tuple[Any, float, int, float, float]]] = {}
        self._glyphs: dict[tuple[str, float, int, int, int], tuple[np.ndarray, int, int]] = {}

    def draw_text(
        self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float, ismath: Any = False, mtext: Any = None
    ) -> None:
        if ismath or angle or not gc.get_antialiased() or len(self._glyphs) > 20_000:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        key = (s, prop)
        items = self._layouts.get(key)
        if items is None:
            font = self._prepare_font(prop)
            size = prop.get_size_in_points()
            laid_out = font._layout(s, flags=get_hinting_flag())
            items = self._layouts[key] = [(i.ft_object, size, i.glyph_index, i.x, i.y) for i in laid_out]
        height = self.height
        for font, size, glyph_index, dx, dy in items:
            tx, ty = round(0x40 * (x + dx)), round(0x40 * (height - y + dy))
            glyph_key = (font.fname, size, glyph_index, tx & 0x3F, ty & 0x3F)
            cached = self._glyphs.get(glyph_key)
            if cached is None:
                font.set_size(size, self.dpi)
                font._set_transform(np.array([[0x10000, 0], [0, 0x10000]]), [tx & 0x3F, ty & 0x3F])
                bitmap = font._render_glyph(glyph_index, get_hinting_flag(), RenderMode.NORMAL)
                cached = self._glyphs[glyph_key] = (np.array(bitmap.buffer), bitmap.left, bitmap.top)
            buffer, left, top = cached
            self._renderer.draw_text_image(
                buffer, left + (tx >> 6), int(height) - (top + (ty >> 6)) + buffer.shape[0], 0, gc
            )


class _CardCanvas(FigureCanvasAgg):
    """``FigureCanvasAgg`` drawing with :class:`_GlyphCachingRenderer` (kept while the size is)."""

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = _GlyphCachingRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer


# --- The card, built once per thread ---------------------------------------------------------


class _Card:
    """A styled figure with its two panels, kept between renders so each render only adds its data.

    Building the figure (two ``Axes``, their spines, grid and tick objects) was about a third of a
    render; it is the same for every chart of every kind, so it is built once per thread and only
    the data artists (lines, bars, spans, texts, legends) and the panel titles change.
    """

    def __init__(self) -> None:
        self.fig = Figure(figsize=FIG_SIZE_IN, dpi=DPI, facecolor=BACKGROUND)
        self.canvas = _CardCanvas(self.fig)
        self.renderer = self.canvas.get_renderer()  # also measures text for the layout
        # Not sharex: shared axes re-measure each other's ticks on every draw. Both get the same
        # x limits instead, and only the bottom one carries date ticks.
        self.top, self.bottom = self.fig.subplots(2, 1)
        _style_axes(self.top)
        _style_axes(self.bottom)
        params = self.fig.subplotpars
        self._fresh_layout = {k: getattr(params, k) for k in ("left", "right", "top", "bottom", "hspace")}

    def clear(self) -> None:
        """Remove the previous chart's data artists; the styled axes stay."""
        for ax in (self.top, self.bottom):
            for artist in (*ax.lines, *ax.collections, *ax.patches, *ax.texts):
                artist.remove()
            if ax.get_legend() is not None:
                ax.get_legend().remove()
        # Text is measured where the panels stand (pixel snapping), so start from where a new card's stand.
        self.fig.subplots_adjust(**self._fresh_layout)

    def png(self) -> bytes:
        """Draw and encode. The card is opaque, so the PNG is RGB (no alpha channel): 9 ms and 47 KiB
        for a 14-day chart against 12 ms and 53 KiB as RGBA. zlib levels 1-3 cost the same here and
        level 6 adds 4 ms for 12% less (measured, README "Chart render time")."""
        self.canvas.draw()
        rgba = np.asarray(self.canvas.buffer_rgba())
        image = Image.fromarray(np.ascontiguousarray(rgba[:, :, :3]), "RGB")
        buf = io.BytesIO()
        image.save(buf, format="PNG", compress_level=PNG_ZLIB_LEVEL, dpi=(DPI, DPI))
        return buf.getvalue()


_LOCAL = threading.local()


def _card() -> _Card:
    """This thread's card, cleared for a new chart (worker processes render on one thread)."""
    card: _Card | None = getattr(_LOCAL, "card", None)
    if card is None:
        card = _LOCAL.card = _Card()
    else:
        card.clear()
    return card


# --- Data preparation -------------------------------------------------------------------------


@dataclass
class _Panel:
    """One axes plus the series drawn in it (None already turned into NaN) and legend handles."""

    ax: Axes
    name: str
    specs: Sequence[SeriesSpec]
    series: list[np.ndarray] = field(init=False)
    handles: list[Handle] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.series = [_as_array(spec.values) for spec in self.specs]


def _validate(data: ChartData) -> None:
    if not data.days:
        raise ValueError("ChartData.days is empty; there is no range to draw")
    for spec in (*data.top, *data.bottom):
        if len(spec.values) != len(data.days):
            raise ValueError(f"series {spec.label!r} has {len(spec.values)} values for {len(data.days)} days")


def _day_numbers(days: Sequence[date]) -> np.ndarray:
    """Matplotlib date numbers (one unit = one day), respecting the configured epoch."""
    first = float(date2num(days[0]))
    return np.array([first + (d - days[0]).days for d in days], dtype=float)


def _as_array(values: Sequence[int | None]) -> np.ndarray:
    """None becomes NaN so lines break there instead of dropping to zero."""
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _after_window_mask(days: Sequence[date], window_end: date | None) -> np.ndarray:
    if window_end is None:
        return np.zeros(len(days), dtype=bool)
    return np.array([d > window_end for d in days], dtype=bool)


def _window_line_x(days: Sequence[date], window_end: date | None) -> float | None:
    """x of the end of ``window_end`` (the window includes that day), or None if off-chart."""
    if window_end is None:
        return None
    offset = (window_end - days[0]).days
    span = (days[-1] - days[0]).days
    if offset < -1 or offset > span + JUST_AFTER_DAYS:
        return None
    return float(date2num(days[0])) + offset + 0.5


def _clean_title(title: str) -> str:
    """One line of glyphs the font has (emoji would be tofu boxes and log warnings)."""
    kept = []
    for ch in title:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch)[0] != "C" and ord(ch) in _DRAWABLE:
            kept.append(ch)
    return " ".join("".join(kept).split()) or "Send analytics"


def _short_date(d: date) -> str:
    """ "Mar 14" without strftime, so the label does not depend on the process locale."""
    return f"{_MONTHS[d.month - 1]} {d.day}"


# --- Drawing ----------------------------------------------------------------------------------


def _series_label(name: str, values: np.ndarray) -> str:
    return f"{name} (no data)" if np.all(np.isnan(values)) else name


def _draw(panel: _Panel, x: np.ndarray, marker_size: float, lines: int) -> int:
    """Bars (one collection, not a Rectangle per day) and lines, each line with the next colour and
    marker of the chart; returns how many lines the chart has drawn so far."""
    for spec, values in zip(panel.specs, panel.series, strict=True):
        if spec.bars:
            known = ~np.isnan(values)
            half = BAR_WIDTH / 2
            bars = [
                ((xi - half, 0.0), (xi - half, v), (xi + half, v), (xi + half, 0.0))
                for xi, v in zip(x[known], values[known], strict=True)
            ]
            panel.ax.add_collection(PolyCollection(bars, facecolors=BAR_COLOUR, linewidths=0, zorder=2), autolim=False)
            panel.handles.append(Patch(facecolor=BAR_COLOUR, label=_series_label(spec.label[:LABEL_CHARS], values)))
            continue
        colour, marker = LINE_COLOURS[lines % len(LINE_COLOURS)], MARKERS[lines % len(MARKERS)]
        lines += 1
        style = {"color": colour, "linewidth": 1.8, "marker": marker, "markeredgecolor": BACKGROUND}
        panel.ax.plot(x, values, markersize=marker_size, markeredgewidth=0.6, zorder=3, **style)
        panel.handles.append(
            Line2D([], [], markersize=5, label=_series_label(spec.label[:LABEL_CHARS], values), **style)
        )
    return lines


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous True runs as (first, last) indices; one span per run keeps the artist count low."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(mask) - 1))
    return runs


def _shade(ax: Axes, x: np.ndarray, missing: np.ndarray, after_window: np.ndarray) -> list[Handle]:
    """Shade no-data days grey and post-window days hatched; return legend entries for them."""
    handles: list[Handle] = []
    if missing.any():
        for a, b in _runs(missing):
            ax.axvspan(x[a] - 0.5, x[b] + 0.5, facecolor=NO_DATA_FILL, linewidth=0, zorder=0)
        handles.append(Patch(facecolor=NO_DATA_FILL, label="No data"))
    if after_window.any():
        for a, b in _runs(after_window):
            ax.axvspan(
                x[a] - 0.5,
                x[b] + 0.5,
                facecolor=AFTER_WINDOW_FILL,
                edgecolor=AFTER_WINDOW_HATCH,
                hatch="///",
                linewidth=0,
                zorder=0,
            )
        handles.append(
            Patch(
                facecolor=AFTER_WINDOW_FILL,
                edgecolor=AFTER_WINDOW_HATCH,
                hatch="///",
                label="After Braze window",
            )
        )
    return handles


def _no_data_message(ax: Axes, data: ChartData) -> None:
    """An explicit message and no y ticks: an empty axis with a 0 would read as "zero"."""
    message = "No data in this range"
    if data.window_end is not None and data.window_end < data.days[0]:
        message += f"\n(Braze window ended {_short_date(data.window_end)})"
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        multialignment="center",
        fontproperties=_font(12, "bold"),
        color=MUTED,
        zorder=5,
        parse_math=False,
        bbox={"boxstyle": "round,pad=0.4", "facecolor": BACKGROUND, "edgecolor": GRID},
    )
    ax.set_ylim(0, 1)
    _freeze_ticks(ax.yaxis, [], [])  # no ticks, and no labels left over from the card's last chart


def _freeze_ticks(axis: Axis, ticks: Sequence[float], labels: Sequence[str], offset: str = "") -> None:
    """Pin computed ticks and labels: matplotlib re-runs a locator and formatter many times per
    draw (layout, label placement, drawing), which for date locators is a large share of a render.
    """
    axis.set_major_locator(FixedLocator(list(ticks)))
    formatter = FixedFormatter(list(labels))
    formatter.set_offset_string(offset)
    axis.set_major_formatter(formatter)


def _scale_y(ax: Axes, series: Sequence[np.ndarray]) -> None:
    """Start at zero (counts), leave headroom, integer ticks with thousands separators."""
    present = [v for v in series if not np.all(np.isnan(v))]
    top = max(float(np.nanmax(v)) for v in present)
    bottom = min(0.0, min(float(np.nanmin(v)) for v in present))
    top = max(top * 1.12, 1.0)
    ax.set_ylim(bottom, top)
    locator = MaxNLocator(nbins=4, integer=True, min_n_ticks=2)
    ticks = [t for t in locator.tick_values(bottom, top) if bottom <= t <= top]
    _freeze_ticks(ax.yaxis, ticks, [f"{round(t):,}" for t in ticks])


def _style_axes(ax: Axes) -> None:
    ax.set_facecolor(BACKGROUND)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(SPINE)
    ax.tick_params(colors=SPINE, labelcolor=TEXT, labelsize=TICK_SIZE, labelfontfamily=FONT_FAMILY)
    # There are no axis labels; pinning their (empty) position skips matplotlib's per-draw
    # placement pass, which measures every tick label of the axis and its siblings.
    ax.xaxis.set_label_coords(0.5, 0.0)
    ax.yaxis.set_label_coords(0.0, 0.5)


def _legend(ax: Axes, handles: list[Handle]) -> None:
    """Outside the plot on the right, so it can never cover data."""
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        prop=_font(LEGEND_SIZE),
        borderaxespad=0.0,
        borderpad=0.0,
        handlelength=2.0,
        handletextpad=0.6,
    )
    legend.set_bbox_to_anchor((1.0, 1.0), transform=ax.transAxes)
    for text in legend.get_texts():
        text.set_color(TEXT)


def _daily_label(first_x: float, first_day: date) -> Callable[[float, int | None], str]:
    """Day numbers, with the month (and year, on the first tick) underneath where it starts."""

    def label(value: float, pos: int | None = None) -> str:
        day = first_day + timedelta(days=round(value - first_x))
        if pos == 0 or pos is None:
            return f"{day.day}\n{_MONTHS[day.month - 1]} {day.year}"
        if day.day == 1:
            return f"{day.day}\n{_MONTHS[day.month - 1]}"
        return str(day.day)

    return label


def _offset_format(first_day: date, last_day: date) -> str:
    """The concise formatter's corner label: month and year if the range stays in one month."""
    if first_day.year != last_day.year:
        return f"{first_day.year}\u2013{last_day.year}"  # a literal, strftime passes it through
    if first_day.month != last_day.month:
        return "%Y"
    return "%b %Y"


def _format_x(top: Axes, bottom: Axes, x: np.ndarray, days: Sequence[date], window_x: float | None) -> None:
    """Same x limits on both panels; date ticks only under the bottom one.

    Every day is ticked on short ranges; long ones get matplotlib's date locator and the
    concise formatter (labels computed once, then frozen).
    """
    left, right = x[0] - 0.5, x[-1] + 0.5
    if len(x) == 1:
        left, right = x[0] - 1.5, x[0] + 1.5  # one bar should not fill the whole panel
    if window_x is not None:
        left, right = min(left, window_x - 0.5), max(right, window_x + 0.5)
    for ax in (top, bottom):
        ax.set_xlim(left - 0.15, right + 0.15)
    top.xaxis.set_major_locator(NullLocator())

    if len(x) <= DAILY_TICKS_UP_TO:
        label = _daily_label(float(x[0]), days[0])
        _freeze_ticks(bottom.xaxis, x, [label(t, i) for i, t in enumerate(x)])
        return
    locator = AutoDateLocator(minticks=5, maxticks=12)
    locator.set_axis(bottom.xaxis)
    lo, hi = bottom.get_xlim()
    ticks = [t for t in locator() if lo <= t <= hi]
    offset = _offset_format(days[0], days[-1])
    formatter = ConciseDateFormatter(
        locator, offset_formats=["", offset, offset, "%b %d %Y", "%b %d %Y", "%b %d %Y %H:%M"]
    )
    labels = formatter.format_ticks(ticks)
    _freeze_ticks(bottom.xaxis, ticks, labels, formatter.get_offset())
    offset_text = bottom.xaxis.get_offset_text()
    offset_text.set_fontproperties(_font(TICK_SIZE))
    offset_text.set_color(MUTED)


# --- Layout -----------------------------------------------------------------------------------


def _text_width(renderer: RendererAgg, text: str, prop: FontProperties) -> float:
    """Pixel width of ``text`` (widest line) as Agg will draw it."""
    return max(
        (renderer.get_text_width_height_descent(line, prop, ismath=False)[0] for line in text.split("\n")),
        default=0.0,
    )


def _fit_title(title: str, renderer: RendererAgg) -> str:
    """Trim long campaign names with an ellipsis instead of letting them run off the card."""
    prop = _font(TITLE_SIZE, "bold")
    limit = FIG_SIZE_IN[0] * DPI - 2 * EDGE_PX
    if _text_width(renderer, title, prop) <= limit:
        return title
    while len(title) > 1 and _text_width(renderer, title + "\u2026", prop) > limit:
        title = title[: max(1, int(len(title) * 0.9))].rstrip()
    return title + "\u2026"


def _y_label_width(ax: Axes, renderer: RendererAgg) -> float:
    """Widest y tick label the axis will show (the labels were frozen by ``_scale_y``)."""
    formatter = ax.yaxis.get_major_formatter()
    labels = formatter.seq if isinstance(formatter, FixedFormatter) else []
    prop = _font(TICK_SIZE)
    return max((_text_width(renderer, text, prop) for text in labels), default=0.0)


def _legend_width(ax: Axes, renderer: RendererAgg) -> float:
    legend = ax.get_legend()
    return 0.0 if legend is None else legend.get_window_extent(renderer).width


def _layout(fig: Figure, panels: Sequence[_Panel], renderer: RendererAgg) -> None:
    """Place both panels once, sized to the measured tick labels and legends.

    One measurement pass is far cheaper than ``layout="constrained"`` (which redoes it on every
    draw) and both panels share left/right edges, so their x axes stay aligned.
    """
    width, height = fig.bbox.width, fig.bbox.height
    left = max(MIN_LEFT_PX, EDGE_PX + YLABEL_PAD_PX + max(_y_label_width(p.ax, renderer) for p in panels))
    right = EDGE_PX + LEGEND_GAP_PX + max(_legend_width(p.ax, renderer) for p in panels)
    panel_height = (height - TOP_PX - BOTTOM_PX - GAP_PX) / 2
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - TOP_PX / height,
        bottom=BOTTOM_PX / height,
        hspace=GAP_PX / panel_height,
    )
    for panel in panels:
        legend = panel.ax.get_legend()
        if legend is not None:  # anchor just right of the axes, LEGEND_GAP_PX away
            legend.set_bbox_to_anchor((1.0 + LEGEND_GAP_PX / (width - left - right), 1.0), transform=panel.ax.transAxes)
