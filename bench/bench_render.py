"""Time ``render_chart`` on realistic data; a script, not a test.

Run from the repository root::

    python bench/bench_render.py            # 30 renders per size (default)
    python bench/bench_render.py -n 100 --out /tmp/charts   # also save one PNG per size
    python bench/bench_render.py --compare d796636            # old and new renderer, interleaved

The data mimics a real send summed over 4 channels x 3 variations: everything is sent on day 1,
engagement peaks then decays, Braze's 14-day window ends inside the longer ranges and a few days
are missing, so the benchmark exercises the gap shading and window marker too.
"""

from __future__ import annotations

import argparse
import importlib.util
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # make `reports` importable

from reports.chart import render_chart
from reports.models import ChartData, SeriesSpec

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="renders per size (default 30)")
    parser.add_argument("--out", type=Path, help="directory to save one PNG per size")
    parser.add_argument("--compare", metavar="GIT_REV", help="also time reports/chart.py as it was at GIT_REV")
    args = parser.parse_args()

    datasets = {n: realistic_chart_data(n) for n in SIZES}
    render_chart(datasets[SIZES[0]])  # warm-up: font cache, first-use imports

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"render_chart, {args.n} renders per size, 1 thread, {os.cpu_count()} CPUs, load avg {load}")
    print("wall = time.perf_counter; cpu = time.process_time (less sensitive to other processes)")
    if args.compare:
        compare(args.compare, datasets, args.n)
        return
    header = ("days", "median ms", "p95 ms", "min ms", "cpu med ms", "PNG KiB")
    print(" | ".join(f"{h:>10}" for h in header))
    print("-+-".join("-" * 10 for _ in header))
    for n, data in datasets.items():
        wall: list[float] = []
        cpu: list[float] = []
        png = b""
        for _ in range(args.n):
            w0, c0 = time.perf_counter(), time.process_time()
            png = render_chart(data)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        row = (
            f"{n}",
            f"{statistics.median(wall):.1f}",
            f"{percentile(wall, 95):.1f}",
            f"{min(wall):.1f}",
            f"{statistics.median(cpu):.1f}",
            f"{len(png) / 1024:.1f}",
        )
        print(" | ".join(f"{v:>10}" for v in row))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"chart_{n}d.png").write_bytes(png)


if __name__ == "__main__":
    main()
