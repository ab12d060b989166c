"""Tests for reports.chart: valid, big enough, opaque PNGs for every shape of data, safe under threads and
processes, no pyplot, no leaked figures; legible in a phone's preview and in both Slack themes, measured
on rendered pixels; the spike rule's zoomed inset; the variants chart and an alert's chart.

Most cases draw a send's chart (sent and delivered over opens, clicks and conversions, with Braze's
analytics window), the chart with the most parts; campaign and Canvas panels are drawn by the same
function (tests/reports/test_kinds.py)."""

from __future__ import annotations

import gc
import io
import multiprocessing
import struct
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib import get_data_path
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.text import Text
from PIL import Image

from reports import chart
from reports.chart import (
    DPI,
    FONT_FAMILY,
    HEIGHT_PX,
    PREVIEW_WIDTH_PX,
    WIDTH_PX,
    preview_text_px,
    render_chart,
    render_metric,
    render_variants,
    variant_chart_data,
    zoom_days,
)
from reports.models import ChartData, MetricChartData, SeriesSpec, VariantChartData, VariantRow
from reports.stats import Arm, compare

REPO_ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2025, 3, 1)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG spec requires to come first."""
    assert png[:8] == PNG_SIGNATURE
    length, chunk_type = struct.unpack(">I4s", png[8:16])
    assert chunk_type == b"IHDR" and length == 13
    return struct.unpack(">II", png[16:24])


def assert_valid_png(png: bytes, min_height: int = 400) -> None:
    assert isinstance(png, bytes)
    assert png.startswith(PNG_SIGNATURE)
    width, height = png_size(png)
    assert width >= 800 and height >= min_height
    assert png.endswith(b"IEND\xaeB`\x82")  # complete file, not a truncated buffer
    Image.open(io.BytesIO(png)).verify()


Values = tuple[int | None, ...]


@dataclass(frozen=True)
class SendChart:
    """A send's five daily series, drawn as the send report draws them (:func:`reports.summary.chart_data`)."""

    title: str
    days: tuple[date, ...]
    sent: Values
    delivered: Values
    opens: Values
    clicks: Values
    conversions: Values
    window_end: date | None = None

    def data(self) -> ChartData:
        return ChartData(
            self.title,
            self.days,
            "Volume",
            (SeriesSpec("Sent", self.sent, bars=True), SeriesSpec("Delivered", self.delivered)),
            "Engagement",
            tuple(SeriesSpec(k.capitalize(), getattr(self, k)) for k in ("opens", "clicks", "conversions")),
            self.window_end,
        )


def draw(send: SendChart) -> bytes:
    return render_chart(send.data())


def make_data(
    n: int,
    *,
    values: list[int | None] | None = None,
    window_end: date | None = None,
    title: str = "Spring Sale",
) -> SendChart:
    """A send on day 1 with decaying engagement; ``values`` overrides every series."""
    days = tuple(START + timedelta(days=i) for i in range(n))

    def series(scale: int) -> tuple[int | None, ...]:
        if values is not None:
            return tuple(values)
        return tuple(scale // (i + 1) for i in range(n))

    return SendChart(
        title=title,
        days=days,
        sent=tuple([1_200_000] + [0] * (n - 1)) if values is None else tuple(values),
        delivered=tuple([1_150_000] + [0] * (n - 1)) if values is None else tuple(values),
        opens=series(240_000),
        clicks=series(35_000),
        conversions=series(4_000),
        window_end=window_end,
    )


def with_gaps(data: SendChart, missing: set[int]) -> SendChart:
    def punch(values: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(None if i in missing else v for i, v in enumerate(values))

    return replace(
        data,
        sent=punch(data.sent),
        delivered=punch(data.delivered),
        opens=punch(data.opens),
        clicks=punch(data.clicks),
        conversions=punch(data.conversions),
    )


CASES = {
    "one_day": make_data(1),
    "one_day_window_same_day": make_data(1, window_end=START),
    "one_week": make_data(7),
    "two_weeks": make_data(14, window_end=START + timedelta(days=14)),
    "hundred_days": make_data(100, window_end=START + timedelta(days=14)),
    "all_none": make_data(10, values=[None] * 10),
    "all_none_one_day": make_data(1, values=[None]),
    "all_zero": make_data(10, values=[0] * 10),
    "mixed_none": with_gaps(make_data(14), {0, 3, 4, 13}),
    "window_inside": make_data(30, window_end=START + timedelta(days=9)),
    "window_just_after": make_data(14, window_end=START + timedelta(days=14)),
    "window_before_range": make_data(5, values=[None] * 5, window_end=START - timedelta(days=20)),
    "window_far_after": make_data(14, window_end=START + timedelta(days=60)),
    "only_engagement_missing": replace(make_data(5), opens=(None,) * 5, clicks=(None,) * 5, conversions=(None,) * 5),
    "crosses_year": replace(make_data(40), days=tuple(date(2024, 12, 10) + timedelta(days=i) for i in range(40))),
    "huge_values": make_data(20, values=[10**9] * 20),
    "awkward_title": make_data(7, title="🎉 $5 off \\frac{a}{b} $$ \x00\ttab\nnewline " + "very long name " * 20),
}


@pytest.mark.parametrize("data", CASES.values(), ids=CASES.keys())
def test_renders_valid_png_of_at_least_800x400(data: SendChart) -> None:
    assert_valid_png(draw(data))


def test_size_is_the_documented_1600x900_at_200_dpi() -> None:
    """2× density: 1600 x 900 px, and the PNG says 200 dpi."""
    png = draw(CASES["two_weeks"])
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX) == (1600, 900)
    dpi = Image.open(io.BytesIO(png)).info["dpi"]
    assert [round(d) for d in dpi] == [DPI, DPI] == [200, 200]


@pytest.mark.parametrize("name", ["two_weeks", "all_none"])
def test_background_is_opaque_and_white(name: str) -> None:
    """The card decision (see test_no_single_text_colour_reads_on_both_slack_backgrounds): every pixel
    opaque, the card white."""
    image = Image.open(io.BytesIO(draw(CASES[name])))
    image.load()
    assert "transparency" not in image.info
    assert image.convert("RGBA").getchannel("A").getextrema() == (255, 255)
    assert image.convert("RGB").getpixel((2, 2)) == (255, 255, 255)


def test_missing_days_are_not_drawn_as_zero() -> None:
    base = make_data(14)
    gaps = with_gaps(base, {5, 6})
    zeros = replace(
        base,
        **{
            name: tuple(0 if i in {5, 6} else v for i, v in enumerate(getattr(base, name)))
            for name in ("sent", "delivered", "opens", "clicks", "conversions")
        },
    )
    assert draw(gaps) != draw(zeros)


def test_window_end_changes_the_picture() -> None:
    data = make_data(30)
    assert draw(replace(data, window_end=START + timedelta(days=9))) != draw(data)


def test_render_is_deterministic() -> None:
    data = CASES["mixed_none"]
    assert draw(data) == draw(data)


def test_empty_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        render_chart(ChartData("t", (), "Volume", (), "Engagement", ()))


def test_misaligned_series_is_rejected() -> None:
    with pytest.raises(ValueError, match="Clicks"):
        draw(replace(make_data(5), clicks=(1, 2)))


@pytest.mark.slow  # a battery of generated or rendered cases
def test_concurrent_renders_from_threads_match_serial_renders() -> None:
    """Any shared state corrupted by concurrency would show up as different bytes."""
    names = ("one_day", "two_weeks", "hundred_days", "mixed_none", "all_none", "window_inside")
    expected = {name: draw(CASES[name]) for name in names}
    jobs = list(names) * 3
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda name: draw(CASES[name]), jobs))
    assert len(results) == len(jobs)
    for name, png in zip(jobs, results, strict=True):
        assert_valid_png(png)
        assert png == expected[name], f"{name} rendered differently under concurrency"


def in_fresh_thread(data: SendChart) -> bytes:
    """A render on a new thread, so on a newly built card with an empty glyph cache."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(draw, data).result()


@pytest.mark.slow  # a battery of generated or rendered cases
def test_a_reused_card_draws_exactly_what_a_fresh_one_draws() -> None:
    """The card is kept between renders: nothing of the chart before may show in the next one, whichever
    chart it was (a daily chart with or without a zoom, an alert's, a variants chart of another height)."""
    renders: dict[str, Callable[[], bytes]] = {name: partial(draw, data) for name, data in CASES.items()}
    renders |= {
        "spike": partial(render_chart, spike_chart()),
        "metric": partial(render_metric, metric_data()),
        "variants_3": partial(render_variants, variants_data()),
        "variants_2": partial(render_variants, variants_data(2)),
    }
    fresh = {name: in_fresh_thread_of(render) for name, render in renders.items()}
    for _ in range(2):
        for name, render in reversed(renders.items()):
            assert render() == fresh[name], f"{name} differs after other charts on the same card"


def in_fresh_thread_of(render: Callable[[], bytes]) -> bytes:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(render).result()


@pytest.mark.slow  # a battery of generated or rendered cases
def test_cached_glyphs_are_exactly_what_freetype_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("two_weeks", "hundred_days", "awkward_title", "crosses_year")
    cached = {name: in_fresh_thread(CASES[name]) for name in names}
    monkeypatch.setattr(chart._GlyphCachingRenderer, "draw_text", RendererAgg.draw_text)
    for name in names:
        assert in_fresh_thread(CASES[name]) == cached[name], name


@pytest.mark.slow
def test_renders_in_a_process_pool() -> None:
    """ChartData and render_chart must pickle; spawn is the strictest start method."""
    inputs = [CASES["two_weeks"].data(), CASES["mixed_none"].data()]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        results = list(pool.map(render_chart, inputs, timeout=120))
    assert results == [render_chart(d) for d in inputs]


def test_no_figures_leak() -> None:
    def live_figures() -> int:
        gc.collect()
        return sum(isinstance(o, Figure) for o in gc.get_objects())

    draw(CASES["one_week"])
    before = live_figures()
    for _ in range(3):
        draw(CASES["two_weeks"])
    assert live_figures() == before


@pytest.mark.slow
def test_pyplot_is_never_imported() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from reports.chart import render_chart\n"
        "from reports.models import ChartData, SeriesSpec\n"
        "one = (SeriesSpec('Sent', (5,), bars=True), SeriesSpec('Opens', (3,)))\n"
        "png = render_chart(ChartData('t', (date(2025, 3, 1),), 'Volume', one, 'Engagement', one, date(2025, 3, 1)))\n"
        "assert png.startswith(b'\\x89PNG'), 'not a PNG'\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_font_is_matplotlibs_bundled_dejavu() -> None:
    path = Path(findfont(FontProperties(family=FONT_FAMILY), fallback_to_default=False))
    assert path.is_relative_to(Path(get_data_path()))


# --- Property-based ---------------------------------------------------------------------------

count = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9))


@st.composite
def chart_data(draw: st.DrawFn) -> SendChart:
    n = draw(st.integers(min_value=1, max_value=100))
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
    series = [tuple(draw(st.lists(count, min_size=n, max_size=n))) for _ in range(5)]
    offset = draw(st.one_of(st.none(), st.integers(min_value=-30, max_value=130)))
    return SendChart(
        title=draw(st.text(max_size=120)),
        days=tuple(start + timedelta(days=i) for i in range(n)),
        sent=series[0],
        delivered=series[1],
        opens=series[2],
        clicks=series[3],
        conversions=series[4],
        window_end=None if offset is None else start + timedelta(days=offset),
    )


@pytest.mark.slow  # a battery of generated or rendered cases
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chart_data())
def test_any_chart_data_renders_a_png(data: SendChart) -> None:
    png = render_chart(data.data())
    assert_valid_png(png)
    Image.open(io.BytesIO(png)).verify()


# --- Charts with a spike, an alert's chart, a variants chart ---------------------------------------


def spike_chart(n: int = 10) -> ChartData:
    """A campaign's send day and its tail: day 1 is 20x the days after it (the demo campaign's shape)."""
    days = tuple(START + timedelta(days=i) for i in range(n))

    def tail(first: int, level: int) -> tuple[int | None, ...]:
        return (first, *(level - 40 * i for i in range(n - 1)))

    return ChartData(
        "Winter newsletter",
        days,
        "Volume",
        (SeriesSpec("Email sent", tail(36_000, 2_000)), SeriesSpec("Push sent", tail(69_000, 4_000))),
        "Engagement",
        (SeriesSpec("Email unique opens", tail(11_400, 600)), SeriesSpec("Conversions", tail(1_100, 90))),
    )


def metric_data(values: tuple[float | None, ...] = (0.011, 0.012, None, 0.013, 0.019, 0.026, 0.031, 0.018),
                threshold: float = 0.02, above: bool = True) -> MetricChartData:
    days = tuple(START + timedelta(days=i) for i in range(len(values)))
    return MetricChartData("Winter newsletter", days, "Bounce rate", values, threshold, above=above)


def variants_data(arms: int = 3) -> VariantChartData:
    counts = [Arm("Control", 365, 9_295), Arm("Content path", 719, 9_091), Arm("Discount path", 517, 8_721)]
    return variant_chart_data(compare(counts[:arms]), title="Onboarding journey", rate_label="Conversion rate")


def pixels(png: bytes, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """The PNG as Slack shows it on a message background: composited over ``background``, as RGB."""
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    behind = Image.new("RGBA", image.size, (*background, 255))
    return np.asarray(Image.alpha_composite(behind, image).convert("RGB")).astype(np.int64)


def packed(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def unpack(colour: int) -> tuple[int, int, int]:
    return colour >> 16, (colour >> 8) & 0xFF, colour & 0xFF


def hex_colour(colour: str) -> int:
    return int(colour.lstrip("#"), 16)


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2.2 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


SLACK_LIGHT = (0xFF, 0xFF, 0xFF)
SLACK_DARK = (0x1A, 0x1D, 0x21)
THEMES = {"light": SLACK_LIGHT, "dark": SLACK_DARK}


def text_contrast(region: np.ndarray) -> tuple[float, int]:
    """The contrast of a text-only region's ink against its background, read from its pixels: the
    background is its most common colour, the ink the most common colour at least 2:1 from it (the
    glyphs' solid cores; anti-aliased edges spread over many lighter shades). Also the ink's count."""
    values, counts = np.unique(packed(region).reshape(-1), return_counts=True)
    background = unpack(int(values[counts.argmax()]))
    inks = [(int(n), int(v)) for v, n in zip(values, counts, strict=True) if contrast(unpack(int(v)), background) >= 2]
    assert inks, "no text in the region"
    count, ink = max(inks)
    return contrast(unpack(ink), background), count


def spread(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` grown by ``radius`` pixels in every direction (a square)."""
    grown = mask.copy()
    for axis in (0, 1):
        out = grown.copy()
        for shift in range(1, radius + 1):
            out |= np.roll(grown, shift, axis=axis) | np.roll(grown, -shift, axis=axis)
        grown = out
    return grown


def line_contrast(rgb: np.ndarray, colour: str) -> tuple[float, int]:
    """How a line (or bar) of ``colour`` stands out from what surrounds it in the rendered pixels: its
    pixels, then the most common colour in a ring 4 to 8 px around them (past its anti-aliased edge).
    Returns the contrast and how many pixels the colour has."""
    mask = packed(rgb) == hex_colour(colour)
    ring = spread(mask, 8) & ~spread(mask, 4)
    values, counts = np.unique(packed(rgb)[ring], return_counts=True)
    surround = unpack(int(values[counts.argmax()]))
    return contrast(unpack(hex_colour(colour)), surround), int(mask.sum())


def card_axes_box(ax: object, height: int) -> tuple[int, int, int, int]:
    """An axes' (left, top, right, bottom) in image pixels (rows from the top)."""
    box = ax.get_window_extent()  # type: ignore[attr-defined]
    return round(box.x0), round(height - box.y1), round(box.x1), round(height - box.y0)


# --- Phone: 2x density, text legible in a 480-px preview -------------------------------------------


def test_the_text_size_formula() -> None:
    """size x dpi / 72 x 480 / width: 12 pt at 200 dpi on 1600 px is 10 px in a 480-px preview."""
    assert preview_text_px(12, 1600) == pytest.approx(10.0)
    assert preview_text_px(9, 1000) == pytest.approx(9 * 200 / 72 * 0.48)
    assert PREVIEW_WIDTH_PX == 480


def drawn_texts(render: Callable[[], bytes]) -> list[Text]:
    """Every non-empty text the card drew in ``render`` (tick labels, headings, legends, insets)."""
    png = render()
    card = chart._card()
    assert png_size(png) == (card.fig.bbox.width, card.fig.bbox.height)
    found = []
    for text in card.fig.findobj(Text):
        axes = text.axes
        if text.get_text().strip() and text.get_visible() and (axes is None or axes.get_visible()):
            found.append(text)
    return found


@pytest.mark.parametrize(
    "render",
    [
        partial(draw, CASES["two_weeks"]),
        partial(draw, CASES["hundred_days"]),
        partial(draw, CASES["all_none"]),
        partial(render_chart, spike_chart()),
        partial(render_metric, metric_data()),
        partial(render_variants, variants_data()),
    ],
    ids=["two_weeks", "hundred_days", "all_none", "spike", "metric", "variants"],
)
def test_every_text_is_10_px_or_more_in_a_480_px_preview(render: Callable[[], bytes]) -> None:
    texts = drawn_texts(render)
    assert len(texts) >= 8
    width = chart._card().fig.bbox.width
    too_small = {t.get_text(): preview_text_px(t.get_fontsize(), width) for t in texts
                 if preview_text_px(t.get_fontsize(), width) < 10.0}
    assert not too_small, too_small


def test_tick_labels_measure_10_px_in_the_preview() -> None:
    """The same from the rendered text: a digit's drawn height, scaled to the preview, is a digit's
    height at a 10-px em or more (DejaVu's digits are 0.73 em)."""
    texts = drawn_texts(partial(draw, CASES["two_weeks"]))
    renderer = chart._card().canvas.get_renderer()
    digits = [t for t in texts if t.get_text().strip().isdigit()]
    assert digits
    for text in digits:
        height = text.get_window_extent(renderer).height * PREVIEW_WIDTH_PX / WIDTH_PX
        assert height >= 10.0, text.get_text()


@pytest.mark.parametrize("render", [partial(draw, CASES["two_weeks"]), partial(draw, CASES["hundred_days"]),
                                    partial(render_chart, spike_chart(100))], ids=["14", "100", "spike_100"])
def test_png_stays_under_150_kib(render: Callable[[], bytes]) -> None:
    assert len(render()) < 150 * 1024


def test_a_busy_100_day_campaign_stays_under_150_kib() -> None:
    """The most a chart draws: 7 + 7 noisy series over 100 days."""
    rng = np.random.default_rng(3)
    days = tuple(START + timedelta(days=i) for i in range(100))

    def noisy(scale: int) -> tuple[int | None, ...]:
        return tuple(int(v) for v in rng.integers(scale // 2, scale, 100))

    top = tuple(SeriesSpec(f"Channel {i} sent", noisy(40_000 + 5_000 * i)) for i in range(7))
    bottom = tuple(SeriesSpec(f"Channel {i} clicks", noisy(4_000 + 500 * i)) for i in range(7))
    assert len(render_chart(ChartData("Busy", days, "Volume", top, "Engagement", bottom))) < 150 * 1024


# --- Both Slack themes: contrast measured on rendered pixels ---------------------------------------


def test_no_single_text_colour_reads_on_both_slack_backgrounds() -> None:
    """Why the card is opaque: on a transparent PNG the text sits on Slack's own background, and no
    colour reaches 4.5:1 on both #FFFFFF and #1A1D21 (contrast depends on luminance only, so the greys
    cover every case; the best is about 4.1:1)."""
    best = max(min(contrast((v, v, v), SLACK_LIGHT), contrast((v, v, v), SLACK_DARK)) for v in range(256))
    assert 4.0 < best < 4.5


@pytest.mark.parametrize("theme", THEMES)
def test_text_contrast_is_4_5_to_1_on_both_themes(theme: str) -> None:
    """Title, y labels and date labels of a daily chart, and the muted subtitle of a variants chart, each
    read from the PNG composited on the theme's message background."""
    png = draw(CASES["two_weeks"])
    rgb = pixels(png, THEMES[theme])
    left, top, right, bottom = card_axes_box(chart._card().bottom, HEIGHT_PX)
    regions = {
        "title": rgb[chart.TOP_PX : chart.TOP_PX + chart.TITLE_ROW_PX, :],
        "y labels": rgb[top:bottom, : left - 12],
        "date labels": rgb[bottom + 12 :, left:right],
    }
    variants_png = render_variants(variants_data())
    regions["subtitle"] = pixels(variants_png, THEMES[theme])[
        chart.TOP_PX + chart.TITLE_ROW_PX : chart.TOP_PX + chart.TITLE_ROW_PX + chart.ROW_PX, :
    ]
    for name, region in regions.items():
        ratio, ink = text_contrast(region)
        assert ink >= 100, name
        assert ratio >= 4.5, f"{name}: {ratio:.2f}:1 on the {theme} theme"


def all_lines_chart() -> ChartData:
    """Bars and six lines (every line colour), with Braze's window inside the range."""
    days = tuple(START + timedelta(days=i) for i in range(14))
    lines = tuple(SeriesSpec(f"Line {k}", tuple(1_000 + 300 * k + 40 * ((i * (k + 3)) % 7) for i in range(14)))
                  for k in range(6))
    bars = (SeriesSpec("Sent", tuple(5_000 + 100 * i for i in range(14)), bars=True),)
    return ChartData("Every colour", days, "Volume", bars, "Engagement", lines, START + timedelta(days=9))


@pytest.mark.parametrize("theme", THEMES)
def test_every_line_and_bar_stands_out_3_to_1_on_both_themes(theme: str) -> None:
    """WCAG's non-text contrast for every data colour, each measured against what surrounds it in the
    rendered chart: the lines, bars and window line of a daily chart, an alert's threshold and breach
    marks, a variants chart's error bars."""
    found = {}
    daily = pixels(render_chart(all_lines_chart()), THEMES[theme])
    for colour in (*chart.LINE_COLOURS, chart.BAR_COLOUR, chart.WINDOW_LINE):
        found[colour] = line_contrast(daily, colour)
    alert = pixels(render_metric(metric_data()), THEMES[theme])
    found["threshold"] = line_contrast(alert, chart.THRESHOLD_COLOUR)
    variants = pixels(render_variants(variants_data()), THEMES[theme])
    found["variant"] = line_contrast(variants, chart.VARIANT_COLOUR)
    found["control"] = line_contrast(variants, chart.CONTROL_COLOUR)
    for name, (ratio, count) in found.items():
        assert count >= 150, f"{name} is hardly drawn ({count} px)"
        assert ratio >= 3.0, f"{name}: {ratio:.2f}:1 on the {theme} theme"


def test_both_themes_show_the_same_card() -> None:
    png = render_chart(spike_chart())
    assert np.array_equal(pixels(png, SLACK_LIGHT), pixels(png, SLACK_DARK))


# --- The spike rule and its zoomed inset -----------------------------------------------------------


def test_zoom_days_finds_the_days_a_send_day_flattens() -> None:
    assert zoom_days([(70_000, 4_000, 3_600, 3_200, 2_900, 2_500)]) == (1, 5)
    # the largest day of any series counts; days without data may sit inside the zoomed days
    assert zoom_days([(30_000, 900, None, 800, 700, 650), (69_000, 4_000, None, 3_000, 2_000, 1_500)]) == (1, 5)


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ((10_000, 9_000, 8_000, 7_000, 6_000), "no spike"),
        ((10_000, 2_100, 2_100, 2_100, 2_100), "5x the median is not more than 5x"),
        ((10_000, 0, 0, 0, 0), "nothing but zeros after it"),
        ((10_000, 100, 100), "too few days"),
        ((10_000, 100, 100, None, None, None, None, None, None, None, None, None, None, None), "too few with data"),
        ((None, None, None, None), "no data"),
        ((0, 0, 0, 0, 0), "all zero"),
    ],
)
def test_zoom_days_leaves_other_panels_alone(values: tuple[int | None, ...], why: str) -> None:
    assert zoom_days([values]) is None, why


def test_zoom_days_takes_the_longest_flattened_run() -> None:
    """A second send mid-range: the longer of the quiet runs is zoomed."""
    values = (50_000, 500, 400, 300, 40_000, 600, 500, 450, 400, 350)
    assert zoom_days([values]) == (5, 9)


def test_the_inset_redraws_the_zoomed_days_above_them_on_their_own_scale() -> None:
    data = spike_chart()
    render_chart(data)
    card = chart._card()
    for panel, zoom, specs in ((card.top, card.zooms[0], data.top), (card.bottom, card.zooms[1], data.bottom)):
        assert zoom.get_visible()
        box, inset = panel.get_window_extent(), zoom.get_window_extent()
        # over the same days: its left and right edges are the panel's x of days 2 - 0.5 and 10 + 0.5
        x_of = panel.transData.transform
        first = float(date2num(data.days[1])) - 0.5
        last = float(date2num(data.days[-1])) + 0.5
        assert inset.x0 == pytest.approx(x_of((first, 0))[0], abs=1)
        assert inset.x1 == pytest.approx(x_of((last, 0))[0], abs=1)
        # above the panel's drawing of those days, inside the panel
        tail_top = max(max(v for v in s.values[1:] if v is not None) for s in specs)
        assert inset.y0 > x_of((first, tail_top))[1] and inset.y1 <= box.y1
        # its own scale: the tail fills most of it
        assert zoom.get_ylim()[1] == pytest.approx(tail_top * chart.Y_HEADROOM)


def test_no_inset_without_a_spike() -> None:
    render_chart(CASES["one_week"].data())
    assert not any(z.get_visible() for z in chart._card().zooms)
    render_chart(make_data(14, values=list(range(100, 114))).data())
    assert not any(z.get_visible() for z in chart._card().zooms)


def test_the_zoom_changes_the_picture_only_where_a_spike_is() -> None:
    spiky = spike_chart()
    flat = replace(spiky, top=tuple(replace(s, values=(s.values[1], *s.values[1:])) for s in spiky.top))
    assert render_chart(spiky) != render_chart(flat)
    assert not chart._card().zooms[0].get_visible() and chart._card().zooms[1].get_visible()


# --- An alert's chart ------------------------------------------------------------------------------


def test_metric_chart_is_1600x720_and_rejects_bad_input() -> None:
    assert png_size(render_metric(metric_data())) == (1600, 720)
    with pytest.raises(ValueError, match="empty"):
        render_metric(MetricChartData("t", (), "Bounce rate", (), 0.02))
    with pytest.raises(ValueError, match="values"):
        render_metric(replace(metric_data(), values=(0.1,)))


def test_metric_chart_marks_the_days_that_breach() -> None:
    """Breaching days get a mark of the threshold's colour: more of that colour than the threshold line
    and its legend alone draw."""
    quiet = (0.010, 0.011, 0.012, 0.011, 0.010, 0.012, 0.011, 0.010)
    calm = line_contrast(pixels(render_metric(metric_data(quiet))), chart.THRESHOLD_COLOUR)[1]
    breaching = line_contrast(pixels(render_metric(metric_data())), chart.THRESHOLD_COLOUR)[1]
    below = line_contrast(pixels(render_metric(metric_data(quiet, threshold=0.0105, above=False))),
                          chart.THRESHOLD_COLOUR)[1]
    assert breaching > calm + 500 and below > calm + 500


@pytest.mark.parametrize("values", [(None,) * 5, (0.0,) * 5, (1.0, 0.0, 0.5, None, 1.0)])
def test_metric_chart_draws_any_values(values: tuple[float | None, ...]) -> None:
    assert_valid_png(render_metric(metric_data(values)))


def test_metric_chart_never_zooms() -> None:
    """A spike in the metric is what the alert is about; an inset would hide the threshold."""
    spike = (0.30, 0.010, 0.012, 0.011, 0.010, 0.012, 0.011, 0.013)
    assert zoom_days([spike]) is not None
    render_metric(metric_data(spike))
    assert not any(z.get_visible() for z in chart._card().zooms)


# --- The variants chart ----------------------------------------------------------------------------


def test_variant_chart_data_follows_the_comparison() -> None:
    data = variants_data()
    assert [r.name for r in data.rows] == ["Control", "Content path", "Discount path"]
    assert [r.control for r in data.rows] == [True, False, False]
    content = data.rows[1]
    assert content.rate == pytest.approx(719 / 9_091)
    assert content.low is not None and content.high is not None
    assert content.low < content.rate < content.high
    assert content.note == "+101%, 99% confidence" and content.decisive
    # a control that is not called "Control" is named as such
    named = variant_chart_data(compare([Arm("A", 10, 1_000), Arm("B", 12, 1_000)]), title="t", rate_label="Open rate")
    assert [(r.control, r.note, r.decisive) for r in named.rows] == [(True, "control", False),
                                                                     (False, "no winner yet", False)]


def test_variants_chart_grows_a_row_per_variation() -> None:
    heights = [png_size(render_variants(variants_data(n)))[1] for n in (2, 3)]
    assert heights[1] - heights[0] == chart.VARIANT_ROW_PX
    assert png_size(render_variants(variants_data()))[0] == 1600
    with pytest.raises(ValueError, match="empty"):
        render_variants(VariantChartData("t", "Conversion rate", ()))


def test_error_bars_span_each_interval() -> None:
    """Each row's bar of its colour covers its interval and stops at it (caps included)."""
    data = variants_data()
    rgb = pixels(render_variants(data))
    ax = chart._card().single
    height = rgb.shape[0]
    for i, row in enumerate(data.rows):
        assert row.low is not None and row.high is not None
        colour = hex_colour(chart.CONTROL_COLOUR if row.control else chart.VARIANT_COLOUR)
        (x_low, y), (x_high, _) = ax.transData.transform([(row.low, i + 0.12), (row.high, i + 0.12)])
        line = packed(rgb[round(height - y)]) == colour
        drawn = np.flatnonzero(line)
        assert drawn.min() == pytest.approx(x_low, abs=6) and drawn.max() == pytest.approx(x_high, abs=6)


def test_variants_chart_draws_an_arm_without_a_rate() -> None:
    data = VariantChartData("t", "Conversion rate", (VariantRow("Control", 0.03, 0.02, 0.04, control=True),
                                                     VariantRow("New", None, None, None, note="no data")))
    assert_valid_png(render_variants(data))
    assert_valid_png(render_variants(replace(data, rows=(VariantRow("Only", None, None, None),))), min_height=300)


# --- The palette PNG --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "render",
    [
        partial(draw, CASES["hundred_days"]),
        partial(render_chart, all_lines_chart()),
        partial(render_metric, metric_data()),
        partial(render_variants, variants_data()),
    ],
    ids=["hundred_days", "all_lines", "metric", "variants"],
)
def test_the_palette_png_keeps_every_colour_of_the_card_exact(render: Callable[[], bytes]) -> None:
    """The PNG is a 256-colour palette image: each pixel the card drew in one of its own colours comes out
    exactly so, and anti-aliased edges move little (compared with the canvas before encoding)."""
    png = render()
    drawn = np.asarray(chart._card().canvas.buffer_rgba())[:, :, :3].astype(np.int64)
    encoded = pixels(png)
    own = np.isin(packed(drawn), [hex_colour(c) for c in chart._EXACT_COLOURS])
    assert own.mean() > 0.8
    assert np.array_equal(encoded[own], drawn[own])
    moved = np.abs(encoded - drawn).max(axis=2)
    assert moved.max() <= 64 and (moved > 8).mean() < 0.005  # rare blends (a line over the axis) move most


def test_a_name_keeps_its_style_across_panels_but_never_shares_one_within_a_panel() -> None:
    """A Canvas variant's entries and conversions look alike; two variants both called "Variant" do not."""
    def spec(label: str) -> SeriesSpec:
        return SeriesSpec(label, (1,))

    styles = chart._SeriesStyles()
    top = styles.panel([SeriesSpec("All", (1,), bars=True), spec("Control"), spec("Variant"), spec("Variant")])
    bottom = styles.panel([spec("Control"), spec("Variant"), spec("New")])
    looks = [(s.colour, s.marker) for s in top[1:]]
    assert len(set(looks)) == 3
    assert [(s.colour, s.marker) for s in bottom[:2]] == looks[:2]
    assert (bottom[2].colour, bottom[2].marker) not in looks


def test_variants_chart_draws_awkward_names_and_notes() -> None:
    awkward = "🎉 $5 off \\frac{a}{b} $$ \x00\ttab\nnewline " + "very long name " * 20
    rows = (VariantRow(awkward, 0.03, 0.02, 0.04, control=True, note=awkward),
            VariantRow("B", 0.5, 0.0, 1.0, note="x" * 300, decisive=True))
    assert_valid_png(render_variants(VariantChartData(awkward, awkward, rows)), min_height=300)
