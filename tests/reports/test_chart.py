"""Tests for reports.chart.render_chart: valid, big enough, opaque PNGs for every shape of data,
safe under threads and processes, no pyplot, no leaked figures.

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
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib import get_data_path
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from PIL import Image

from reports import chart
from reports.chart import FONT_FAMILY, render_chart
from reports.models import ChartData, SeriesSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2025, 3, 1)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG spec requires to come first."""
    assert png[:8] == PNG_SIGNATURE
    length, chunk_type = struct.unpack(">I4s", png[8:16])
    assert chunk_type == b"IHDR" and length == 13
    return struct.unpack(">II", png[16:24])


def assert_valid_png(png: bytes) -> None:
    assert isinstance(png, bytes)
    assert png.startswith(PNG_SIGNATURE)
    width, height = png_size(png)
    assert width >= 800 and height >= 400
    assert png.endswith(b"IEND\xaeB`\x82")  # complete file, not a truncated buffer


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


def test_size_is_the_documented_1000x520() -> None:
    assert png_size(draw(CASES["two_weeks"])) == (1000, 520)


@pytest.mark.parametrize("name", ["two_weeks", "all_none"])
def test_background_is_opaque_and_light(name: str) -> None:
    """Transparent PNGs put dark text on Slack's dark theme; every pixel must be opaque."""
    image = Image.open(io.BytesIO(draw(CASES[name])))
    image.load()
    assert image.mode in {"RGB", "RGBA"}
    if image.mode == "RGBA":
        assert image.getchannel("A").getextrema() == (255, 255)
    r, g, b = image.convert("RGB").getpixel((2, 2))
    assert min(r, g, b) >= 240  # the card itself is light, so the dark text on it is readable


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


def test_a_reused_card_draws_exactly_what_a_fresh_one_draws() -> None:
    """The card is kept between renders: nothing of the chart before may show in the next one."""
    fresh = {name: in_fresh_thread(data) for name, data in CASES.items()}
    for _ in range(2):
        for name, data in reversed(CASES.items()):
            assert draw(data) == fresh[name], f"{name} differs after other charts on the same card"


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


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chart_data())
def test_any_chart_data_renders_a_png(data: SendChart) -> None:
    png = render_chart(data.data())
    assert_valid_png(png)
    Image.open(io.BytesIO(png)).verify()
