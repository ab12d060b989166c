"""Render a report's numbers as PNGs for Slack: one chart module for every report kind.

Three charts, drawn on one card:

* :func:`render_chart`: a report's or digest's daily chart, two panels over the same days
  (:class:`reports.models.ChartData`); each kind chooses the series (a send: sent and delivered over
  opens, clicks and conversions; a campaign: each channel's volume over its engagement; a Canvas:
  entries over conversions, per variant).
* :func:`render_variants`: the variations of a report compared on one rate, each a point with its 95%
  Wilson interval as error bars and the control marked (:class:`reports.models.VariantChartData`,
  built from :func:`reports.stats.compare` by :func:`variant_chart_data`).
* :func:`render_metric`: one metric day by day against a threshold line, for an alert
  (:class:`reports.models.MetricChartData`).

Why it is built this way:

* Only the object-oriented API (``Figure`` + ``FigureCanvasAgg``), never ``matplotlib.pyplot``.
  pyplot keeps a process-wide registry of open figures and a "current figure"; in a long-running
  bot that leaks memory and is unsafe when renders run on several threads or in a process pool.
* No global ``rcParams`` are touched (``rc_context`` is process-wide, so not thread-safe); every
  style and the font are passed to the artists directly. The font is matplotlib's bundled
  DejaVu Sans, so the output does not depend on the fonts of the host.
* Read on a phone: 1600 px wide at 200 dpi (2× density, so Slack's preview stays sharp), and every
  text at least 12 pt, which is 10 px once the preview is shrunk to 480 px wide
  (:func:`preview_text_px`). Legends sit above their panel, in rows, so the plot keeps the width.
* Read in both Slack themes: an opaque white card. No single text colour reaches WCAG's 4.5:1 on both
  Slack's light (#FFFFFF) and dark (#1A1D21) message backgrounds (the best reaches about 4.1:1), so a
  transparent PNG cannot read well in both; on the card, text is at least 6:1 and every data colour at
  least 3:1 (tests/reports/test_chart.py measures them in rendered pixels, on both backgrounds).
* Honest: a day Braze did not report is a gap (shaded, with "No data" in the legend), never a
  zero, and the end of Braze's analytics window (sends only) is marked, because after it numbers
  stop changing (or disappear) for reasons that have nothing to do with the send.
* A send-day spike does not flatten the days after it: when a panel's largest day is more than
  :data:`SPIKE_RATIO` times the median of its other days, the days after it are drawn again in a
  zoomed inset (:func:`zoom_days`), above the same days, on their own scale.
* Every series has its own colour and marker across the whole chart (bars one colour of their
  own), so no two lines of one chart look alike, and colour is never the only cue.
* Fast: the card (figure, axes, styles) is built once per thread and only the data is redrawn; the
  layout is computed once from measured text; glyphs are rasterised once; the PNG is a 256-colour
  palette image (a third of the bytes of an RGB one to compress, half its size).
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.collections import PolyCollection
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import RenderMode
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator, NullLocator
from matplotlib.transforms import IdentityTransform
from PIL import Image

from reports.models import ChartData, MetricChartData, SeriesSpec, VariantChartData, VariantRow
from reports.stats import Interval, VariantComparison, Verdict, format_confidence, format_lift, format_rate

__all__ = [
    "DPI",
    "FONT_FAMILY",
    "HEIGHT_PX",
    "PREVIEW_WIDTH_PX",
    "SPIKE_RATIO",
    "WIDTH_PX",
    "palette_png",
    "preview_text_px",
    "render_chart",
    "render_metric",
    "render_variants",
    "variant_chart_data",
    "zoom_days",
]

# --- Look -------------------------------------------------------------------------------------

FONT_FAMILY = "DejaVu Sans"
#: 2× density: 1600 x 900 px at 200 dpi is the 8 x 4.5 in of a 800 x 450 chart at 100 dpi.
DPI = 200
WIDTH_PX = 1600
HEIGHT_PX = 900
#: An alert's chart has one panel.
METRIC_HEIGHT_PX = 720
#: How wide Slack's preview may shrink the picture (a phone), and the smallest text size there.
PREVIEW_WIDTH_PX = 480
MIN_PREVIEW_TEXT_PX = 10.0

TITLE_SIZE = 15.0
PANEL_TITLE_SIZE = 13.0
#: Tick labels, legends, notes: 12 pt at 200 dpi, 1600 px wide, is 10 px in a 480-px preview.
TEXT_SIZE = 12.0
NO_DATA_SIZE = 14.0

BACKGROUND = "#FFFFFF"
TEXT = "#1F2328"
MUTED = "#57606A"
GRID = "#E5E8EC"
SPINE = "#8C959F"

# Okabe-Ito's colour-blind-safe hues, the two lightest (orange, sky blue) darkened to 3:1 on white (WCAG's
# non-text contrast). Lines take the colours in this order (neighbours contrast), bars a grey no line uses.
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#C0699A", "#B07300", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
BAR_COLOUR = "#848D97"
LINE_WIDTH = 2.0  # points
#: Longest series label in a legend (campaign variation and Canvas variant names can be long).
LABEL_CHARS = 40

NO_DATA_FILL = "#E1E4E8"
AFTER_WINDOW_FILL = "#F6F8FA"
AFTER_WINDOW_HATCH = "#B8BFC6"
WINDOW_LINE = "#444C56"
WINDOW_DASHES = (0, (5, 3))
THRESHOLD_COLOUR = "#D55E00"
BREACH_FILL = "#FBEAE0"
VARIANT_COLOUR = "#0072B2"
CONTROL_COLOUR = "#1F2328"

#: Every colour the card draws with: the PNG's palette keeps them exact.
_EXACT_COLOURS = (
    BACKGROUND, TEXT, MUTED, GRID, SPINE, *LINE_COLOURS, BAR_COLOUR, NO_DATA_FILL, AFTER_WINDOW_FILL,
    AFTER_WINDOW_HATCH, WINDOW_LINE, THRESHOLD_COLOUR, BREACH_FILL, VARIANT_COLOUR, CONTROL_COLOUR,
)

#: Fixed layout in pixels (the fonts are fixed, so these do not depend on the data).
EDGE_PX = 28  # left and right margins
TOP_PX = 20  # above the title
TITLE_ROW_PX = 62
ROW_PX = 46  # one row of a panel's heading and legend
HEADER_GAP_PX = 24  # between a heading and its panel (the top y label reaches above the panel)
PANEL_GAP_PX = 26  # between a panel and the next heading
BOTTOM_PX = 96  # two-line date labels
MIN_LEFT_PX = 96  # keeps the panels off the edge when there are no y labels (all-None chart)
YLABEL_PAD_PX = 14  # tick mark + pad between the axis and its labels
KEY_HANDLE_PX = 56  # a legend entry's line or swatch
KEY_TEXT_GAP_PX = 12
KEY_GAP_PX = 40  # between legend entries

#: How many days after the last plotted day ``window_end`` may fall and still get its line
#: (the axis is stretched by that much to show it).
JUST_AFTER_DAYS = 1
#: Up to this many days every day gets a tick; beyond it matplotlib picks a sparse set.
DAILY_TICKS_UP_TO = 16
BAR_WIDTH = 0.7  # days

#: The spike rule: a panel whose largest day is more than SPIKE_RATIO times the median of its other
#: days (a send day, say) has at least half of them drawn below a fifth of its height, a line along
#: zero. Those days get a zoomed inset: the longest run of days at or below largest ÷ SPIKE_RATIO
#: with at least MIN_ZOOM_DAYS days of data, if it spans at least MIN_ZOOM_SHARE of the range.
SPIKE_RATIO = 5.0
MIN_ZOOM_DAYS = 3
MIN_ZOOM_SHARE = 0.25
#: The inset's place in its panel (fractions of the panel's height): above the zoomed days, which
#: the main scale draws below 1 ÷ (SPIKE_RATIO × Y_HEADROOM) ≈ 18% of the height.
ZOOM_BOTTOM = 0.3
ZOOM_TOP = 0.98
Y_HEADROOM = 1.12

#: The variants chart: one row per variation.
VARIANT_ROW_PX = 104
VARIANT_TOP_PX = TOP_PX + TITLE_ROW_PX + ROW_PX + 10
VARIANT_BOTTOM_PX = 74

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def preview_text_px(size_pt: float, width_px: int = WIDTH_PX) -> float:
    """The height in pixels of ``size_pt`` text (its em) once Slack shrinks a ``width_px``-wide chart
    to :data:`PREVIEW_WIDTH_PX`: size × dpi ÷ 72 × 480 ÷ width."""
    return size_pt * DPI / 72 * PREVIEW_WIDTH_PX / width_px


def _font(size: float, weight: str = "normal") -> FontProperties:
    return FontProperties(family=FONT_FAMILY, size=size, weight=weight)


def _supported_codepoints() -> frozenset[int]:
    """Characters the bundled font can draw, so titles never render as tofu boxes or warn."""
    return frozenset(get_font(findfont(_font(10))).get_charmap())


_DRAWABLE = _supported_codepoints()


# --- Public API -------------------------------------------------------------------------------


def render_chart(data: ChartData) -> bytes:
    """Draw ``data`` as a two-panel daily chart and return the PNG's bytes.

    Safe to call concurrently from threads or a process pool: each thread draws on its own card
    (built on first use, then reused) and nothing is registered globally. Raises ``ValueError`` if
    ``days`` is empty or a series is not aligned with it (a caller bug, better loud than a misleading
    chart).
    """
    if not data.days:
        raise ValueError("ChartData.days is empty; there is no range to draw")
    for spec in (*data.top, *data.bottom):
        if len(spec.values) != len(data.days):
            raise ValueError(f"series {spec.label!r} has {len(spec.values)} values for {len(data.days)} days")
    card = _card()
    renderer = card.start(HEIGHT_PX, (card.top, card.bottom, card.zooms[0], card.zooms[1]))
    styles = _SeriesStyles()
    panels = [
        _Panel(card.top, card.zooms[0], data.top_title, styles.panel(data.top)),
        _Panel(card.bottom, card.zooms[1], data.bottom_title, styles.panel(data.bottom)),
    ]
    return _render_days(card, renderer, data.title, data.days, panels, data.window_end)


def render_metric(data: MetricChartData) -> bytes:
    """Draw one metric day by day with its threshold line (an alert's chart) and return the PNG's bytes.

    Days that breach the threshold are marked; the side of the line that breaches is tinted. Raises
    ``ValueError`` for no days or values not aligned with them.
    """
    if not data.days:
        raise ValueError("MetricChartData.days is empty; there is no range to draw")
    if len(data.values) != len(data.days):
        raise ValueError(f"{len(data.values)} values for {len(data.days)} days")
    card = _card()
    renderer = card.start(METRIC_HEIGHT_PX, (card.top, card.zooms[0]))
    values = _as_array(data.values)
    breach = values > data.threshold if data.above else values < data.threshold
    line = _Series("", values, bars=False, colour=LINE_COLOURS[0], marker="o")  # the heading names it
    op = ">" if data.above else "<"
    marks = _Series(
        "Breach", np.where(breach, values, np.nan), bars=False, colour=THRESHOLD_COLOUR, marker="o", line=False,
        size=1.7,
    )
    threshold = _format_value(data.threshold, data.percent, [data.threshold])
    panel = _Panel(card.top, card.zooms[0], _label(data.label), [line, marks], percent=data.percent,
                   threshold=(data.threshold, data.above, f"Alert when {op} {threshold}"))
    return _render_days(card, renderer, data.title, data.days, [panel], None)


def variant_chart_data(
    comparison: VariantComparison, *, title: str, rate_label: str, confidence: float = 0.95
) -> VariantChartData:
    """The chart of a :func:`reports.stats.compare`: every arm in its order with its rate and interval,
    the control marked, and each other arm's verdict in a few words ("+28%, 99% confidence", "no winner
    yet"). ``confidence`` is the intervals' level (``compare``'s 1 − alpha)."""
    verdicts = iter(comparison.comparisons)
    rows: list[VariantRow] = []
    for i, arm in enumerate(comparison.arms):
        low, high = (arm.interval.low, arm.interval.high) if arm.interval is not None else (None, None)
        if i == comparison.control_index:
            said = arm.arm.name.strip().casefold() == "control"
            rows.append(VariantRow(arm.arm.name, arm.rate, low, high, control=True, note="" if said else "control"))
            continue
        compared = next(verdicts)
        note = _verdict_words(compared.verdict, compared.lift, compared.confidence)
        rows.append(VariantRow(arm.arm.name, arm.rate, low, high, note=note, decisive=compared.confidence is not None))
    return VariantChartData(title, rate_label, tuple(rows), confidence)


def render_variants(data: VariantChartData) -> bytes:
    """Draw the variations as horizontal rows, each a point at its rate with its interval as error bars,
    the control's rate as a dashed line through every row; return the PNG's bytes. The height grows
    with the rows (1600 x 212 px plus 104 px a row). Raises ``ValueError`` with no rows."""
    if not data.rows:
        raise ValueError("VariantChartData.rows is empty; there is nothing to compare")
    height = VARIANT_TOP_PX + VARIANT_ROW_PX * len(data.rows) + VARIANT_BOTTOM_PX
    card = _card()
    renderer = card.start(height, (card.single,))
    return _render_variants(card, renderer, data, height)


def zoom_days(series: Sequence[Sequence[float | None]]) -> tuple[int, int] | None:
    """The first and last index of the days a panel's zoomed inset redraws, or None (the spike rule,
    :data:`SPIKE_RATIO`). ``series`` are the panel's series over the same days (None: no data)."""
    return _zoom_run([_as_array(values) for values in series])


# --- Text drawn from cached glyphs -----------------------------------------------------------


class _GlyphCachingRenderer(RendererAgg):
    """Agg, but each glyph is rasterised once per (font, size, sub-pixel position) and then reused.

    Every chart repeats the same tick numbers, month names, panel titles and legend entries at the
    same places, and FreeType re-rasterised each glyph and re-shaped each string on every draw. A
    glyph's bitmap only depends on its sub-pixel offset (1/64 px), so the cache returns exactly what
    FreeType would draw: the PNG is byte-identical (tests/reports/test_chart.py). Rotated, math or
    non-antialiased text takes Agg's own path. The caches belong to the thread, so a renderer of
    another size (the variants chart) shares them.
    """

    def __init__(
        self,
        width: float,
        height: float,
        dpi: float,
        layouts: dict[tuple[str, FontProperties], list[tuple[Any, float, int, float, float]]],
        glyphs: dict[tuple[str, float, int, int, int], tuple[np.ndarray, int, int]],
    ) -> None:
        super().__init__(width, height, dpi)
        self._layouts = layouts
        self._glyphs = glyphs

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
    """``FigureCanvasAgg`` drawing with :class:`_GlyphCachingRenderer`: the daily chart's renderer is
    kept, one of another size (an alert's or a variants chart) is kept until the next size."""

    def __init__(self, figure: Figure) -> None:
        super().__init__(figure)
        self._renderers: dict[tuple[int, int, float], RendererAgg] = {}
        self._layouts: dict[tuple[str, FontProperties], list[tuple[Any, float, int, float, float]]] = {}
        self._glyphs: dict[tuple[str, float, int, int, int], tuple[np.ndarray, int, int]] = {}

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        renderer = self._renderers.get(key)
        if renderer is None:
            for old in [k for k in self._renderers if k[1] != HEIGHT_PX]:
                del self._renderers[old]
            renderer = self._renderers[key] = _GlyphCachingRenderer(w, h, self.figure.dpi, self._layouts,
                                                                    self._glyphs)
        self.renderer = renderer
        return renderer


# --- The card, built once per thread ---------------------------------------------------------


class _Card:
    """A styled figure with its axes, kept between renders so each render only adds its data.

    Building the figure (the axes, their spines, grid and tick objects) was about a third of a render;
    it is the same for every chart, so it is built once per thread: two panels and their zoomed insets
    (daily charts; an alert's chart uses the first), and one axes for the variants chart. A render
    shows the axes it uses and hides the others.
    """

    def __init__(self) -> None:
        self.fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=BACKGROUND)
        self.canvas = _CardCanvas(self.fig)
        # Not sharex: shared axes re-measure each other's ticks on every draw. Both panels get the same
        # x limits instead, and only the lower one carries date ticks.
        self.top = self.fig.add_axes((0.1, 0.55, 0.8, 0.4))
        self.bottom = self.fig.add_axes((0.1, 0.05, 0.8, 0.4))
        self.zooms = (self.fig.add_axes((0.5, 0.7, 0.4, 0.2)), self.fig.add_axes((0.5, 0.2, 0.4, 0.2)))
        self.single = self.fig.add_axes((0.2, 0.2, 0.6, 0.6))
        for ax in (self.top, self.bottom):
            _style_axes(ax)
        for ax in self.zooms:
            _style_zoom(ax)
        _style_variants(self.single)
        self.axes = (self.top, self.bottom, *self.zooms, self.single)
        #: Figure-level artists of the last chart (title, headings, legends, row labels).
        self.extras: list[Artist] = []

    def start(self, height_px: int, shown: Sequence[Axes]) -> RendererAgg:
        """Clear the previous chart's data artists, size the figure and show only ``shown``; return the
        renderer that measures text for the layout."""
        for ax in self.axes:
            for artist in (*ax.lines, *ax.collections, *ax.patches, *ax.texts):
                artist.remove()
            ax.set_visible(ax in shown)
        for artist in self.extras:
            artist.remove()
        self.extras.clear()
        for ax in self.zooms:  # a zoom is shown only where a panel needs it (_draw_zoom)
            ax.set_visible(False)
        if self.fig.get_figheight() * DPI != height_px:
            self.fig.set_size_inches(WIDTH_PX / DPI, height_px / DPI)
        return self.canvas.get_renderer()

    def text(self, x: float, y: float, text: str, prop: FontProperties, **kwargs: Any) -> Any:
        """Text at pixel ``(x, y)`` (from the bottom left), removed with the chart."""
        artist = self.fig.text(x, y, text, fontproperties=prop, transform=IdentityTransform(), parse_math=False,
                               **kwargs)
        self.extras.append(artist)
        return artist

    def add(self, artist: Artist) -> None:
        """A figure-level artist in pixels, removed with the chart."""
        artist.set_transform(IdentityTransform())
        self.fig.add_artist(artist)
        self.extras.append(artist)

    def png(self) -> bytes:
        """Draw, and encode as a palette PNG (:func:`palette_png`)."""
        self.canvas.draw()
        w, h = self.canvas.get_width_height(physical=True)
        return palette_png(Image.frombytes("RGB", (int(w), int(h)), self.canvas.buffer_rgba(), "raw", "RGBX"))


#: PNG zlib level of the palette image (``python -m bench.bench_render --encodings`` measures each level).
PNG_ZLIB_LEVEL = 3


def palette_png(rgb: Image.Image, level: int = PNG_ZLIB_LEVEL) -> bytes:
    """A chart's pixels as a 256-colour palette PNG.

    The card has no transparency, and a chart is a few flat colours plus their anti-aliased edges, so a
    palette loses nothing visible. The palette holds every colour the card draws with, exactly, and the
    colours an octree finds in the picture at half size (a quarter of the pixels, so 4x faster to
    search); each pixel takes a near entry, so anti-aliased edge pixels move a little (on the test
    charts under 0.5% of the pixels by more than 8 levels of 255, none by more than 64). A palette image
    has a third of the bytes of an RGB one to compress: faster to encode, and half the size
    (docs/performance.md).
    """
    found = rgb.reduce(2).quantize(256 - len(_EXACT), method=Image.Quantize.FASTOCTREE,
                                   dither=Image.Dither.NONE).getpalette() or []
    palette = Image.new("P", (1, 1))
    palette.putpalette(_palette(found))
    image = rgb.quantize(palette=palette, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=level, dpi=(DPI, DPI))
    return buf.getvalue()


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


#: The colours the card draws with, first in every PNG's palette, so they stay exact.
_EXACT = np.array([_rgb(colour) for colour in dict.fromkeys(_EXACT_COLOURS)], dtype=int)
#: Pillow maps a pixel to the palette entry nearest the corner of its 4 x 4 x 4-level cell, not to the
#: entry nearest the pixel: a found colour this close to one of ours could take its pixels.
_NEAR = 6


def _palette(found: list[int]) -> list[int]:
    """256 entries: the card's colours, then the ``found`` ones not within :data:`_NEAR` levels of them."""
    colours = np.array(found, dtype=int).reshape(-1, 3)
    far = np.abs(colours[:, None, :] - _EXACT[None, :, :]).max(axis=2).min(axis=1) > _NEAR
    entries = np.vstack([_EXACT, colours[far]])[:256].reshape(-1).tolist()
    return entries + [0] * (256 * 3 - len(entries))


_LOCAL = threading.local()


def _card() -> _Card:
    """This thread's card (worker processes render on one thread)."""
    card: _Card | None = getattr(_LOCAL, "card", None)
    if card is None:
        card = _LOCAL.card = _Card()
    return card


# --- Series, legend entries and panels --------------------------------------------------------


KeyKind = Literal["line", "marker", "bar", "fill", "hatch", "dash", "threshold", "frame"]


@dataclass(frozen=True)
class _Key:
    """One legend entry: how its handle is drawn and its words."""

    label: str
    kind: KeyKind
    colour: str = TEXT
    marker: str | None = None


@dataclass
class _Series:
    """One series as drawn: its values (None already NaN), bars or a line with a marker."""

    label: str
    values: np.ndarray
    bars: bool
    colour: str
    marker: str | None = None
    line: bool = True  # False: markers only
    size: float = 1.0  # marker size, relative

    @property
    def key(self) -> _Key:
        if self.bars:
            return _Key(_series_label(self.label, self.values), "bar", self.colour)
        kind: KeyKind = "line" if self.line else "marker"
        return _Key(_series_label(self.label, self.values), kind, self.colour, self.marker)


class _SeriesStyles:
    """Gives each line of a chart the next colour and marker, and bars their own colour. A line named
    like one in an earlier panel (a Canvas variant's entries, then its conversions) keeps that line's
    style; two lines of one panel never share one, whatever their names."""

    def __init__(self) -> None:
        self._by_label: dict[str, int] = {}
        self._lines = 0

    def panel(self, specs: Sequence[SeriesSpec]) -> list[_Series]:
        used: set[int] = set()
        drawn = []
        for spec in specs:
            values, label = _as_array(spec.values), _label(spec.label)
            if spec.bars:
                drawn.append(_Series(label, values, bars=True, colour=BAR_COLOUR))
                continue
            i = self._by_label.get(label)
            if i is None or i in used:
                i, self._lines = self._lines, self._lines + 1
                self._by_label.setdefault(label, i)
            used.add(i)
            drawn.append(_Series(label, values, bars=False, colour=LINE_COLOURS[i % len(LINE_COLOURS)],
                                 marker=MARKERS[i % len(MARKERS)]))
        return drawn


@dataclass
class _Panel:
    """One axes of a daily chart, its zoom inset, its heading and series, and what the layout found."""

    ax: Axes
    zoom_ax: Axes
    title: str
    series: list[_Series]
    percent: bool = False
    #: An alert's threshold: (value, breach above it, legend words).
    threshold: tuple[float, bool, str] | None = None
    keys: list[_Key] = field(default_factory=list)
    zoom: tuple[int, int] | None = None


def _as_array(values: Sequence[float | None]) -> np.ndarray:
    """None becomes NaN so lines break there instead of dropping to zero."""
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _label(text: str) -> str:
    """A series or variation name as one line of drawable glyphs, at most :data:`LABEL_CHARS` long."""
    cleaned = _clean(text)
    return cleaned if len(cleaned) <= LABEL_CHARS else cleaned[: LABEL_CHARS - 1].rstrip() + "\u2026"


def _series_label(name: str, values: np.ndarray) -> str:
    return f"{name} (no data)" if np.all(np.isnan(values)) else name


def _clean(text: str) -> str:
    """One line of glyphs the font has (emoji would be tofu boxes and log warnings)."""
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch)[0] != "C" and ord(ch) in _DRAWABLE:
            kept.append(ch)
    return " ".join("".join(kept).split())


def _day_numbers(days: Sequence[date]) -> np.ndarray:
    """Matplotlib date numbers (one unit = one day), respecting the configured epoch."""
    first = float(date2num(days[0]))
    return np.array([first + (d - days[0]).days for d in days], dtype=float)


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


def _short_date(d: date) -> str:
    """ "Mar 14" without strftime, so the label does not depend on the process locale."""
    return f"{_MONTHS[d.month - 1]} {d.day}"


def _day_span(first: date, last: date) -> str:
    """ "Mar 2 – 9", "Mar 28 – Apr 3"."""
    if first == last:
        return _short_date(first)
    if first.month == last.month and first.year == last.year:
        return f"{_short_date(first)} \u2013 {last.day}"
    return f"{_short_date(first)} \u2013 {_short_date(last)}"


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


def _peaks(series: Sequence[np.ndarray]) -> np.ndarray:
    """Each day's largest value over ``series`` (NaN when none has data that day)."""
    if not series:
        return np.zeros(0)
    stacked = np.vstack(series)
    known = ~np.isnan(stacked)
    return np.where(known.any(axis=0), np.where(known, stacked, -np.inf).max(axis=0), np.nan)


def _zoom_run(series: Sequence[np.ndarray]) -> tuple[int, int] | None:
    """The spike rule (:data:`SPIKE_RATIO`): the days to zoom, or None."""
    peaks = _peaks(series)
    known = ~np.isnan(peaks)
    if known.sum() < MIN_ZOOM_DAYS + 1:
        return None
    top_index = int(np.nanargmax(peaks))
    top = float(peaks[top_index])
    others = np.delete(peaks, top_index)
    if top <= 0 or not top > SPIKE_RATIO * float(np.median(others[~np.isnan(others)])):
        return None
    low = ~known | (peaks <= top / SPIKE_RATIO)
    best: tuple[int, int] | None = None
    best_days = 0
    for a, b in _runs(low):
        inside = np.flatnonzero(known[a : b + 1])
        if len(inside) < MIN_ZOOM_DAYS:
            continue
        a, b = a + int(inside[0]), a + int(inside[-1])  # a run starts and ends on days with data
        if not np.nanmax(peaks[a : b + 1]) > 0:
            continue  # nothing but zeros: nothing to see closer
        if len(inside) > best_days:
            best, best_days = (a, b), len(inside)
    if best is None or (best[1] - best[0] + 1) < MIN_ZOOM_SHARE * len(peaks):
        return None
    return best


# --- Daily charts -----------------------------------------------------------------------------


def _render_days(
    card: _Card,
    renderer: RendererAgg,
    title: str,
    days: Sequence[date],
    panels: list[_Panel],
    window_end: date | None,
) -> bytes:
    """Draw ``panels`` over ``days`` (the last one carries the dates), lay them out and encode."""
    x = _day_numbers(days)
    after_window = _after_window_mask(days, window_end)
    window_x = _window_line_x(days, window_end)
    marker_size = 5.5 if len(x) <= 31 else 3.5
    for panel in panels:
        _draw_series(panel.ax, panel.series, x, marker_size)
        panel.keys = [s.key for s in panel.series if s.label]
        if panel.threshold is not None:
            _draw_threshold(panel, x)
        missing = _peaks([s.values for s in panel.series])
        missing = np.isnan(missing) if len(missing) else np.ones(len(x), dtype=bool)
        panel.keys += _shade(panel.ax, x, missing & ~after_window, after_window)
        if window_x is not None:
            panel.ax.axvline(window_x, color=WINDOW_LINE, linestyle=WINDOW_DASHES, linewidth=1.6, zorder=4)
        if missing.all():
            _no_data_message(panel.ax, days, window_end)
            continue
        _scale_y(panel.ax, [s.values for s in panel.series], panel.percent,
                 extra=panel.threshold[0] if panel.threshold else None)
        if panel.threshold is None:  # an alert's chart is about its threshold, which the inset would not show
            panel.zoom = _zoom_run([s.values for s in panel.series])
        if panel.zoom is not None:
            first, last = panel.zoom
            panel.keys.append(_Key(f"{_day_span(days[first], days[last])} zoomed", "frame", BACKGROUND))
    if window_x is not None and window_end is not None:
        panels[0].keys.append(_Key(f"Braze window ends {_short_date(window_end)}", "dash", WINDOW_LINE))
    xlim = _format_x([p.ax for p in panels], x, days, window_x)
    _layout_days(card, renderer, panels, _clean(title) or "Analytics")
    for panel in panels:
        if panel.zoom is not None:
            _draw_zoom(panel, x, xlim, marker_size, after_window, window_x)
    return card.png()


def _draw_series(ax: Axes, series: Sequence[_Series], x: np.ndarray, marker_size: float) -> None:
    """Bars (one collection, not a Rectangle per day) and lines with markers."""
    for s in series:
        if s.bars:
            known = ~np.isnan(s.values)
            half = BAR_WIDTH / 2
            bars = [
                ((xi - half, 0.0), (xi - half, v), (xi + half, v), (xi + half, 0.0))
                for xi, v in zip(x[known], s.values[known], strict=True)
            ]
            ax.add_collection(PolyCollection(bars, facecolors=s.colour, linewidths=0, zorder=2), autolim=False)
            continue
        ax.plot(
            x, s.values, color=s.colour, linewidth=LINE_WIDTH if s.line else 0, marker=s.marker,
            markersize=marker_size * s.size, markeredgecolor=BACKGROUND, markeredgewidth=0.8, zorder=3,
        )


def _draw_threshold(panel: _Panel, x: np.ndarray) -> None:
    """The alert's threshold line, and a tint on the side of it that breaches."""
    assert panel.threshold is not None
    value, above, label = panel.threshold
    ax = panel.ax
    ax.axhline(value, color=THRESHOLD_COLOUR, linestyle=WINDOW_DASHES, linewidth=1.8, zorder=4)
    limit = 1e18 if above else -1e18
    ax.fill_between((x[0] - 10, x[-1] + 10), value, limit, color=BREACH_FILL, linewidth=0, zorder=0)
    panel.keys.insert(0, _Key(label, "threshold", THRESHOLD_COLOUR))


def _shade(ax: Axes, x: np.ndarray, missing: np.ndarray, after_window: np.ndarray) -> list[_Key]:
    """Shade no-data days grey and post-window days hatched; return legend entries for them."""
    keys: list[_Key] = []
    if missing.any():
        for a, b in _runs(missing):
            ax.axvspan(x[a] - 0.5, x[b] + 0.5, facecolor=NO_DATA_FILL, linewidth=0, zorder=0)
        keys.append(_Key("No data", "fill", NO_DATA_FILL))
    if after_window.any():
        for a, b in _runs(after_window):
            ax.axvspan(x[a] - 0.5, x[b] + 0.5, facecolor=AFTER_WINDOW_FILL, edgecolor=AFTER_WINDOW_HATCH,
                       hatch="///", linewidth=0, zorder=0)
        keys.append(_Key("After Braze window", "hatch", AFTER_WINDOW_FILL))
    return keys


def _no_data_message(ax: Axes, days: Sequence[date], window_end: date | None) -> None:
    """An explicit message and no y ticks: an empty axis with a 0 would read as "zero"."""
    message = "No data in this range"
    if window_end is not None and window_end < days[0]:
        message += f"\n(Braze window ended {_short_date(window_end)})"
    ax.text(
        0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", multialignment="center",
        fontproperties=_font(NO_DATA_SIZE, "bold"), color=MUTED, zorder=5, parse_math=False,
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


def _format_value(value: float, percent: bool, ticks: Sequence[float]) -> str:
    """A tick's label: "2.5%" for rates, "120,000" for counts, "1.2M" from a million up; with as few
    decimals as tell ``ticks`` (and ``value``) apart."""
    if percent:
        scale, suffix = 100.0, "%"
    elif max((abs(t) for t in (*ticks, value)), default=0.0) >= 1_000_000:
        scale, suffix = 1e-6, "M"
    else:
        return f"{round(value):,}"
    shown = [t * scale for t in (*ticks, value)]
    decimals = next((d for d in range(3) if all(abs(v * 10**d - round(v * 10**d)) < 1e-6 for v in shown)), 3)
    if value == 0:
        return "0" if suffix == "M" else "0%"
    return f"{value * scale:,.{decimals}f}{suffix}"


def _scale_y(ax: Axes, series: Sequence[np.ndarray], percent: bool, extra: float | None = None,
             nbins: int = 4) -> list[float]:
    """Start at zero, leave headroom, integer ticks for counts; returns the ticks."""
    present = [v for v in series if not np.all(np.isnan(v))]
    top = max([float(np.nanmax(v)) for v in present] + ([extra] if extra is not None else []))
    bottom = min([0.0] + [float(np.nanmin(v)) for v in present])
    top = max(top * Y_HEADROOM, 0.01 if percent else 1.0)
    ax.set_ylim(bottom, top)
    locator = MaxNLocator(nbins=nbins, integer=not percent, min_n_ticks=2)
    ticks = [float(t) for t in locator.tick_values(bottom, top) if bottom <= t <= top]
    _freeze_ticks(ax.yaxis, ticks, [_format_value(t, percent, ticks) for t in ticks])
    return ticks


def _style_axes(ax: Axes) -> None:
    ax.set_facecolor(BACKGROUND)
    ax.grid(axis="y", color=GRID, linewidth=1.0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(SPINE)
        ax.spines[side].set_linewidth(1.0)
    ax.tick_params(colors=SPINE, labelcolor=TEXT, labelsize=TEXT_SIZE, labelfontfamily=FONT_FAMILY, width=1.0,
                   length=5)
    # There are no axis labels; pinning their (empty) position skips matplotlib's per-draw
    # placement pass, which measures every tick label of the axis and its siblings.
    ax.xaxis.set_label_coords(0.5, 0.0)
    ax.yaxis.set_label_coords(0.0, 0.5)


def _style_zoom(ax: Axes) -> None:
    """The inset: a framed, opaque box with grid lines and no tick labels (its own are drawn inside)."""
    ax.set_facecolor(BACKGROUND)
    ax.set_zorder(2)
    ax.grid(axis="y", color=GRID, linewidth=1.0)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_color(SPINE)
        spine.set_linewidth(1.2)
    ax.tick_params(length=0, labelleft=False, labelbottom=False)
    ax.xaxis.set_major_locator(NullLocator())
    ax.xaxis.set_label_coords(0.5, 0.0)
    ax.yaxis.set_label_coords(0.0, 0.5)


def _daily_label(first_x: float, first_day: date) -> Callable[[float, int | None], str]:
    """Day numbers, with the month (and year, on the first tick) underneath where it starts. Every label
    has two lines (the second may be empty): matplotlib lays out a two-line label's first line lower
    than a one-line label, so the day numbers would not line up."""

    def label(value: float, pos: int | None = None) -> str:
        day = first_day + timedelta(days=round(value - first_x))
        if pos == 0 or pos is None:
            return f"{day.day}\n{_MONTHS[day.month - 1]} {day.year}"
        if day.day == 1:
            return f"{day.day}\n{_MONTHS[day.month - 1]}"
        return f"{day.day}\n"

    return label


def _offset_format(first_day: date, last_day: date) -> str:
    """The concise formatter's corner label: month and year if the range stays in one month."""
    if first_day.year != last_day.year:
        return f"{first_day.year}\u2013{last_day.year}"  # a literal, strftime passes it through
    if first_day.month != last_day.month:
        return "%Y"
    return "%b %Y"


def _format_x(axes: Sequence[Axes], x: np.ndarray, days: Sequence[date], window_x: float | None) -> tuple[float, float]:
    """Same x limits on every panel; date ticks only under the last one. Returns the limits.

    Every day is ticked on short ranges; long ones get matplotlib's date locator and the
    concise formatter (labels computed once, then frozen).
    """
    left, right = x[0] - 0.5, x[-1] + 0.5
    if len(x) == 1:
        left, right = x[0] - 1.5, x[0] + 1.5  # one bar should not fill the whole panel
    if window_x is not None:
        left, right = min(left, window_x - 0.5), max(right, window_x + 0.5)
    lo, hi = left - 0.15, right + 0.15
    for ax in axes:
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(NullLocator())
    bottom = axes[-1]
    if len(x) <= DAILY_TICKS_UP_TO:
        label = _daily_label(float(x[0]), days[0])
        _freeze_ticks(bottom.xaxis, x, [label(t, i) for i, t in enumerate(x)])
    else:
        locator = AutoDateLocator(minticks=4, maxticks=9)
        locator.set_axis(bottom.xaxis)
        ticks = [t for t in locator() if lo <= t <= hi]
        offset = _offset_format(days[0], days[-1])
        formatter = ConciseDateFormatter(
            locator, offset_formats=["", offset, offset, "%b %d %Y", "%b %d %Y", "%b %d %Y %H:%M"]
        )
        labels = formatter.format_ticks(ticks)
        _freeze_ticks(bottom.xaxis, ticks, labels, formatter.get_offset())
        offset_text = bottom.xaxis.get_offset_text()
        offset_text.set_fontproperties(_font(TEXT_SIZE))
        offset_text.set_color(MUTED)
    return lo, hi


# --- Headings and legends ---------------------------------------------------------------------


def _text_width(renderer: RendererAgg, text: str, prop: FontProperties) -> float:
    """Pixel width of ``text`` (widest line) as Agg will draw it."""
    return max(
        (renderer.get_text_width_height_descent(line, prop, ismath=False)[0] for line in text.split("\n")),
        default=0.0,
    )


def _fit(text: str, renderer: RendererAgg, prop: FontProperties, limit: float) -> str:
    """Trim long names with an ellipsis instead of letting them run off the card."""
    if _text_width(renderer, text, prop) <= limit:
        return text
    while len(text) > 1 and _text_width(renderer, text + "\u2026", prop) > limit:
        text = text[: max(1, int(len(text) * 0.9))].rstrip()
    return text + "\u2026"


def _flow(
    renderer: RendererAgg, heading: str, keys: Sequence[_Key], width: float
) -> list[list[tuple[str | _Key, float]]]:
    """A panel's heading, then its legend entries, laid out left to right in rows no wider than
    ``width``: rows of (item, x offset)."""
    heading_prop, key_prop = _font(PANEL_TITLE_SIZE, "bold"), _font(TEXT_SIZE)
    heading = _fit(heading, renderer, heading_prop, width)
    rows: list[list[tuple[str | _Key, float]]] = [[(heading, 0.0)]]
    cursor = _text_width(renderer, heading, heading_prop) + KEY_GAP_PX
    for key in keys:
        size = KEY_HANDLE_PX + KEY_TEXT_GAP_PX + _text_width(renderer, key.label, key_prop)
        if cursor + size > width and rows[-1]:
            rows.append([])
            cursor = 0.0
        rows[-1].append((key, cursor))
        cursor += size + KEY_GAP_PX
    return rows


def _place_heading(card: _Card, rows: list[list[tuple[str | _Key, float]]], left: float, top: float) -> None:
    """Draw a laid-out heading and legend, its first row centred ROW_PX / 2 below ``top``."""
    heading_prop, key_prop = _font(PANEL_TITLE_SIZE, "bold"), _font(TEXT_SIZE)
    for r, row in enumerate(rows):
        y = top - ROW_PX * (r + 0.5)
        for item, offset in row:
            x = left + offset
            if isinstance(item, str):
                card.text(x, y, item, heading_prop, color=TEXT, va="center_baseline", ha="left")
                continue
            _draw_key(card, item, x, y)
            card.text(x + KEY_HANDLE_PX + KEY_TEXT_GAP_PX, y, item.label, key_prop, color=TEXT,
                      va="center_baseline", ha="left")


def _draw_key(card: _Card, key: _Key, x: float, y: float) -> None:
    """A legend handle in a KEY_HANDLE_PX-wide box centred on ``y``."""
    mid = x + KEY_HANDLE_PX / 2
    if key.kind in ("bar", "fill", "hatch"):
        side = 28.0
        hatch = {"hatch": "///", "edgecolor": AFTER_WINDOW_HATCH} if key.kind == "hatch" else {"edgecolor": "none"}
        card.add(Rectangle((mid - side / 2, y - side / 2), side, side, facecolor=key.colour, linewidth=0, **hatch))
        return
    if key.kind == "frame":  # the zoomed inset
        card.add(Rectangle((x + 4, y - 15), KEY_HANDLE_PX - 8, 30, facecolor=BACKGROUND, edgecolor=SPINE,
                           linewidth=1.2))
        return
    if key.kind in ("dash", "threshold"):
        width = 1.6 if key.kind == "dash" else 1.8
        card.add(Line2D([x, x + KEY_HANDLE_PX], [y, y], color=key.colour, linewidth=width, linestyle=WINDOW_DASHES))
        return
    line = key.kind == "line"
    card.add(Line2D([x, mid, x + KEY_HANDLE_PX], [y, y, y], color=key.colour, linewidth=LINE_WIDTH if line else 0,
                    marker=key.marker, markevery=[1], markersize=5.5 if line else 7.5, markeredgecolor=BACKGROUND,
                    markeredgewidth=0.8))


def _title(card: _Card, renderer: RendererAgg, title: str, height: float) -> None:
    prop = _font(TITLE_SIZE, "bold")
    title = _fit(title, renderer, prop, WIDTH_PX - 2 * EDGE_PX)
    card.text(EDGE_PX, height - TOP_PX - TITLE_ROW_PX / 2, title, prop, color=TEXT, va="center_baseline")


def _y_label_width(ax: Axes, renderer: RendererAgg) -> float:
    """Widest y tick label the axis will show (the labels were frozen by ``_scale_y``)."""
    formatter = ax.yaxis.get_major_formatter()
    labels = formatter.seq if isinstance(formatter, FixedFormatter) else []
    prop = _font(TEXT_SIZE)
    return max((_text_width(renderer, text, prop) for text in labels), default=0.0)


def _layout_days(card: _Card, renderer: RendererAgg, panels: Sequence[_Panel], title: str) -> None:
    """Place the title, each panel's heading and legend (as many rows as it takes) and the panels, once,
    sized to the measured text. Every panel shares the left and right edges, so the x axes align."""
    width, height = WIDTH_PX, card.fig.bbox.height
    left = max(MIN_LEFT_PX, EDGE_PX + YLABEL_PAD_PX + max(_y_label_width(p.ax, renderer) for p in panels))
    right = WIDTH_PX - EDGE_PX
    headings = [_flow(renderer, p.title, p.keys, WIDTH_PX - 2 * EDGE_PX) for p in panels]
    fixed = TOP_PX + TITLE_ROW_PX + BOTTOM_PX + (len(panels) - 1) * PANEL_GAP_PX
    fixed += sum(len(rows) * ROW_PX + HEADER_GAP_PX for rows in headings)
    panel_height = (height - fixed) / len(panels)
    _title(card, renderer, title, height)
    y = height - TOP_PX - TITLE_ROW_PX
    for panel, rows in zip(panels, headings, strict=True):
        _place_heading(card, rows, EDGE_PX, y)
        y -= len(rows) * ROW_PX + HEADER_GAP_PX
        panel.ax.set_position((left / width, (y - panel_height) / height, (right - left) / width,
                               panel_height / height))
        y -= panel_height + PANEL_GAP_PX


# --- The zoomed inset --------------------------------------------------------------------------


def _draw_zoom(
    panel: _Panel,
    x: np.ndarray,
    xlim: tuple[float, float],
    marker_size: float,
    after_window: np.ndarray,
    window_x: float | None,
) -> None:
    """Redraw the zoomed days (``panel.zoom``) in the inset above them, on their own scale: same x as
    the panel, so each day sits over itself (the legend names the days). Its y labels sit inside it at
    the right, where a decaying tail leaves room, on the card's colour so a line never crosses them."""
    assert panel.zoom is not None
    a, b = panel.zoom
    ax, main = panel.zoom_ax, panel.ax.get_position()
    lo, hi = xlim
    x0, x1 = x[a] - 0.5, x[b] + 0.5
    fx0 = main.x0 + (x0 - lo) / (hi - lo) * main.width
    fx1 = main.x0 + (x1 - lo) / (hi - lo) * main.width
    ax.set_position((fx0, main.y0 + ZOOM_BOTTOM * main.height, fx1 - fx0, (ZOOM_TOP - ZOOM_BOTTOM) * main.height))
    ax.set_visible(True)
    ax.set_xlim(x0, x1)
    part = slice(a, b + 1)
    shown = [_Series(s.label, s.values[part], s.bars, s.colour, s.marker, s.line, s.size) for s in panel.series]
    _draw_series(ax, shown, x[part], marker_size)
    missing = np.isnan(_peaks([s.values for s in shown]))
    _shade(ax, x[part], missing & ~after_window[part], after_window[part])
    if window_x is not None and x0 <= window_x <= x1:
        ax.axvline(window_x, color=WINDOW_LINE, linestyle=WINDOW_DASHES, linewidth=1.6, zorder=4)
    top = max(float(np.nanmax(s.values)) for s in shown if not np.all(np.isnan(s.values)))
    ax.set_ylim(0, top * Y_HEADROOM)
    locator = MaxNLocator(nbins=3, integer=not panel.percent, min_n_ticks=2)
    ticks = [float(t) for t in locator.tick_values(0, top) if 0 < t <= top]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    prop = _font(TEXT_SIZE)
    inset_px = (fx1 - fx0) * WIDTH_PX
    for tick in ticks:
        label = _format_value(tick, panel.percent, [0.0, *ticks])
        ax.text(1 - 10 / inset_px, tick, label, transform=ax.get_yaxis_transform(), ha="right",
                va="center_baseline", fontproperties=prop, color=MUTED, zorder=5, parse_math=False,
                bbox={"boxstyle": "square,pad=0.15", "facecolor": BACKGROUND, "linewidth": 0})


# --- The variants chart ------------------------------------------------------------------------


def _verdict_words(verdict: Verdict, lift: float | None, confidence: float | None) -> str:
    if confidence is not None:
        shown = "" if lift is None else f"{format_lift(lift)}, "
        return f"{shown}{format_confidence(confidence)} confidence"
    return {
        Verdict.NOT_SIGNIFICANT: "no winner yet",
        Verdict.TOO_FEW: "too few to tell",
        Verdict.NO_DATA: "no data",
    }.get(verdict, "")


def _style_variants(ax: Axes) -> None:
    ax.set_facecolor(BACKGROUND)
    ax.grid(axis="x", color=GRID, linewidth=1.0)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(SPINE)
    ax.tick_params(colors=SPINE, labelcolor=TEXT, labelsize=TEXT_SIZE, labelfontfamily=FONT_FAMILY, width=1.0,
                   length=5, left=False, labelleft=False)
    ax.yaxis.set_major_locator(NullLocator())
    ax.xaxis.set_label_coords(0.5, 0.0)
    ax.yaxis.set_label_coords(0.0, 0.5)


def _render_variants(card: _Card, renderer: RendererAgg, data: VariantChartData, height: int) -> bytes:
    ax = card.single
    rows = data.rows
    name_prop, note_prop, bold_note = _font(PANEL_TITLE_SIZE, "bold"), _font(TEXT_SIZE), _font(TEXT_SIZE, "bold")
    names = [_fit(_label(r.name) or "(unnamed)", renderer, name_prop, WIDTH_PX * 0.3) for r in rows]
    notes = [_fit(_label(r.note), renderer, bold_note if r.decisive else note_prop, WIDTH_PX * 0.3) for r in rows]
    column = max(
        max(_text_width(renderer, n, name_prop) for n in names),
        max(_text_width(renderer, n, bold_note if r.decisive else note_prop) for n, r in zip(notes, rows, strict=True)),
    )
    left = EDGE_PX + column + 36
    right = WIDTH_PX - EDGE_PX - 20
    plot_top = height - VARIANT_TOP_PX
    plot_height = VARIANT_ROW_PX * len(rows)
    ax.set_position((left / WIDTH_PX, (plot_top - plot_height) / height, (right - left) / WIDTH_PX,
                     plot_height / height))

    _title(card, renderer, _clean(data.title) or "Variants", height)
    level = f"{data.confidence:.0%}"
    control = next((r for r in rows if r.control), None)
    subtitle = f"{_clean(data.rate_label)} by variation, with {level} intervals"
    if control is not None and control.rate is not None:
        subtitle += " · dashed line: the control"
    card.text(EDGE_PX, height - TOP_PX - TITLE_ROW_PX - ROW_PX / 2, subtitle, note_prop, color=MUTED,
              va="center_baseline")

    known = [r for r in rows if r.rate is not None]
    lows = [r.low if r.low is not None else r.rate for r in known]
    highs = [r.high if r.high is not None else r.rate for r in known]
    lo, hi = (min(lows), max(highs)) if known else (0.0, 0.01)  # type: ignore[type-var]
    span = max(hi - lo, 0.002)
    lo, hi = max(0.0, lo - 0.12 * span), min(1.0, hi + 0.12 * span)
    ax.set_xlim(lo, hi)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    locator = MaxNLocator(nbins=5, min_n_ticks=3)
    ticks = [float(t) for t in locator.tick_values(lo, hi) if lo <= t <= hi]
    _freeze_ticks(ax.xaxis, ticks, [_format_value(t, True, ticks) for t in ticks])

    if control is not None and control.rate is not None:
        ax.axvline(control.rate, color=MUTED, linestyle=WINDOW_DASHES, linewidth=1.4, zorder=1)
    value_prop = _font(TEXT_SIZE)
    for i, (row, name, note) in enumerate(zip(rows, names, notes, strict=True)):
        y_px = plot_top - VARIANT_ROW_PX * (i + 0.5)
        card.text(EDGE_PX, y_px + 18, name, name_prop, color=TEXT, va="center_baseline")
        card.text(EDGE_PX, y_px - 20, note, bold_note if row.decisive else note_prop,
                  color=TEXT if row.decisive else MUTED, va="center_baseline")
        if row.rate is None:
            ax.text(lo + 0.01 * (hi - lo), i, "no rate: no recipients yet", ha="left", va="center",
                    fontproperties=value_prop, color=MUTED, parse_math=False)
            continue
        colour = CONTROL_COLOUR if row.control else VARIANT_COLOUR
        low = row.low if row.low is not None else row.rate
        high = row.high if row.high is not None else row.rate
        ax.plot((low, high), (i + 0.12, i + 0.12), color=colour, linewidth=2.6, solid_capstyle="butt", zorder=3)
        for end in (low, high):
            ax.plot((end, end), (i + 0.12 - 0.16, i + 0.12 + 0.16), color=colour, linewidth=2.6, zorder=3)
        ax.plot((row.rate,), (i + 0.12,), color=colour, marker="D" if row.control else "o", markersize=8.5,
                markeredgecolor=BACKGROUND, markeredgewidth=1.0, linestyle="none", zorder=4)
        interval = Interval(row.low, row.high) if row.low is not None and row.high is not None else None
        anchor = min(max(row.rate, lo + 0.15 * (hi - lo)), hi - 0.15 * (hi - lo))
        ax.text(anchor, i - 0.2, format_rate(row.rate, interval), ha="center", va="center_baseline",
                fontproperties=value_prop, color=TEXT, zorder=5, parse_math=False,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": BACKGROUND, "linewidth": 0})
    return card.png()
