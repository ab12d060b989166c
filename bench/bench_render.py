"""Time the charts on realistic data; a script, not a test.

Run from the repository root::

    python -m bench.bench_render            # 30 renders per chart (default)
    python -m bench.bench_render -n 100 --out /tmp/charts   # also save one PNG per chart
    python -m bench.bench_render --compare main             # the daily charts of main and of now, interleaved
    python -m bench.bench_render --encodings                # the PNG encoding of one chart, per format and level

The daily chart's data mimics a real send summed over 4 channels x 3 variations: everything is sent on
day 1, engagement peaks then decays, Braze's 14-day window ends inside the longer ranges and a few days
are missing, so the benchmark exercises the gap shading, the window marker and (14 days: engagement) the
zoomed inset too. The variants chart compares 3 variations, the alert's chart 14 days of a rate.
Targets (docs/performance.md): a 14-day chart within 80 ms median, a 100-day one within 100 ms, every
PNG under 150 KiB.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # make `reports` importable

from PIL import Image

from reports.chart import palette_png, render_chart, render_metric, render_variants, variant_chart_data
from reports.models import ChartData, MetricChartData, SeriesSpec, VariantChartData
from reports.stats import Arm
from reports.stats import compare as compare_arms

SIZES = (7, 14, 100)
CHANNELS = 4
VARIATIONS = 3
WINDOW_DAYS = 14


def realistic_chart_data(n_days: int, seed: int = 7, start: date = date(2025, 3, 1)) -> ChartData:
    """One send's daily totals over ``n_days``, summed over every channel x variation."""
    rng = random.Random(seed)
    days = tuple(start + timedelta(days=i) for i in range(n_days))
    window_end = start + timedelta(days=WINDOW_DAYS)
    sent: list[int | None] = []
    delivered: list[int | None] = []
    opens: list[int | None] = []
    clicks: list[int | None] = []
    conversions: list[int | None] = []
    for i, day in enumerate(days):
        if day > window_end or (i in (5, 6) and n_days > 7):  # expired, or a Braze hiccup
            for series in (sent, delivered, opens, clicks, conversions):
                series.append(None)
            continue
        day_sent = day_delivered = day_opens = day_clicks = day_conversions = 0
        for _ in range(CHANNELS * VARIATIONS):
            audience = rng.randint(40_000, 120_000)
            if i == 0:
                day_sent += audience
                day_delivered += int(audience * rng.uniform(0.93, 0.99))
            decay = math.exp(-i / 1.6)
            day_opens += int(audience * 0.22 * decay * rng.uniform(0.8, 1.2))
            day_clicks += int(audience * 0.035 * decay * rng.uniform(0.7, 1.3))
            day_conversions += int(audience * 0.006 * math.exp(-i / 3) * rng.uniform(0.6, 1.4))
        sent.append(day_sent)
        delivered.append(day_delivered)
        opens.append(day_opens)
        clicks.append(day_clicks)
        conversions.append(day_conversions)
    return ChartData(
        title=f"Spring Sale - $10 off (send 3f9a2c, {n_days} days)",
        days=days,
        top_title="Volume",
        top=(SeriesSpec("Sent", tuple(sent), bars=True), SeriesSpec("Delivered", tuple(delivered))),
        bottom_title="Engagement",
        bottom=(
            SeriesSpec("Opens", tuple(opens)),
            SeriesSpec("Clicks", tuple(clicks)),
            SeriesSpec("Conversions", tuple(conversions)),
        ),
        window_end=window_end,
    )


def variants_data() -> VariantChartData:
    arms = [Arm("Control", 365, 9_295), Arm("Content path", 719, 9_091), Arm("Discount path", 517, 8_721)]
    return variant_chart_data(compare_arms(arms), title="Onboarding journey (3 variants)", rate_label="Conversion rate")


def metric_data(n_days: int = 14, start: date = date(2025, 3, 1)) -> MetricChartData:
    rng = random.Random(11)
    days = tuple(start + timedelta(days=i) for i in range(n_days))
    values = tuple(round(0.01 + 0.002 * i * rng.uniform(0.5, 1.5), 4) for i in range(n_days))
    return MetricChartData("Spring Sale - $10 off", days, "Bounce rate", values, 0.02, above=True)


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile: p95 of 30 samples is the 29th smallest, a real observation."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def renderer_at(rev: str) -> Callable[[ChartData], bytes]:
    """``render_chart`` as it was at git revision ``rev`` (loaded beside the current one)."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "show", f"{rev}:reports/chart.py"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="chart-")) / f"chart_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"chart_{rev}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.render_chart


def compare(rev: str, datasets: dict[int, ChartData], n: int) -> None:
    """Old and new renders alternate, so both see the same load from other processes."""
    old = renderer_at(rev)
    renderers = {f"at {rev}": old, "now": render_chart}
    for fn in renderers.values():
        fn(datasets[SIZES[0]])  # warm-up
    header = ("days", "renderer", "median ms", "p95 ms", "min ms", "cpu med ms", "PNG KiB")
    print(" | ".join(f"{h:>10}" for h in header))
    print("-+-".join("-" * 10 for _ in header))
    for days, data in datasets.items():
        samples: dict[str, tuple[list[float], list[float], int]] = {name: ([], [], 0) for name in renderers}
        for _ in range(n):
            for name, fn in renderers.items():
                w0, c0 = time.perf_counter(), time.process_time()
                png = fn(data)
                wall, cpu, _ = samples[name]
                wall.append((time.perf_counter() - w0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                samples[name] = (wall, cpu, len(png))
        for name, (wall, cpu, size) in samples.items():
            row = (
                f"{days}",
                name,
                f"{statistics.median(wall):.1f}",
                f"{percentile(wall, 95):.1f}",
                f"{min(wall):.1f}",
                f"{statistics.median(cpu):.1f}",
                f"{size / 1024:.1f}",
            )
            print(" | ".join(f"{v:>10}" for v in row))


def encodings(data: ChartData, n: int) -> None:
    """The chart's pixels encoded as an RGB PNG and as the 256-colour palette PNG the card writes
    (``reports.chart.palette_png``, quantising included), at zlib levels 1, 3 and 6: encoding time and size."""
    rgb = Image.open(io.BytesIO(render_chart(data))).convert("RGB")

    def rgb_png(level: int) -> bytes:
        buf = io.BytesIO()
        rgb.save(buf, format="PNG", compress_level=level)
        return buf.getvalue()

    header = ("PNG", "level", "median ms", "KiB")
    print(" | ".join(f"{h:>10}" for h in header))
    print("-+-".join("-" * 10 for _ in header))
    for name, encode in (("RGB", rgb_png), ("palette", partial(palette_png, rgb))):
        for level in (1, 3, 6):
            samples = []
            png = b""
            for _ in range(n):
                t0 = time.perf_counter()
                png = encode(level)
                samples.append((time.perf_counter() - t0) * 1000)
            row = (name, str(level), f"{statistics.median(samples):.1f}", f"{len(png) / 1024:.1f}")
            print(" | ".join(f"{v:>10}" for v in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="renders per chart (default 30)")
    parser.add_argument("--out", type=Path, help="directory to save one PNG per chart")
    parser.add_argument("--compare", metavar="GIT_REV", help="also time reports/chart.py as it was at GIT_REV")
    parser.add_argument("--encodings", action="store_true", help="time the PNG encodings of the 14-day chart")
    args = parser.parse_args()

    datasets = {n: realistic_chart_data(n) for n in SIZES}
    render_chart(datasets[SIZES[0]])  # warm-up: font cache, first-use imports

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"{args.n} renders per chart, 1 thread, {os.cpu_count()} CPUs, load avg {load}")
    print("wall = time.perf_counter; cpu = time.process_time (less sensitive to other processes)")
    if args.compare:
        compare(args.compare, datasets, args.n)
        return
    if args.encodings:
        encodings(datasets[14], args.n)
        return
    charts: dict[str, Callable[[], bytes]] = {f"{n}_days": partial(render_chart, data) for n, data in datasets.items()}
    charts["variants_3"] = partial(render_variants, variants_data())
    charts["alert_14_days"] = partial(render_metric, metric_data())
    header = ("chart", "median ms", "p95 ms", "min ms", "cpu med ms", "PNG KiB")
    print(" | ".join(f"{h:>14}" for h in header))
    print("-+-".join("-" * 14 for _ in header))
    for name, render in charts.items():
        render()
        wall: list[float] = []
        cpu: list[float] = []
        png = b""
        for _ in range(args.n):
            w0, c0 = time.perf_counter(), time.process_time()
            png = render()
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        row = (
            name,
            f"{statistics.median(wall):.1f}",
            f"{percentile(wall, 95):.1f}",
            f"{min(wall):.1f}",
            f"{statistics.median(cpu):.1f}",
            f"{len(png) / 1024:.1f}",
        )
        print(" | ".join(f"{v:>14}" for v in row))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name}.png").write_bytes(png)


if __name__ == "__main__":
    main()
