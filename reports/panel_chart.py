"""Two-panel daily charts whose series depend on the report kind (campaign channels, Canvas variants).

Same look, layout and honesty rules as :mod:`reports.chart` (Figure + Agg, never pyplot; no-data days
are shaded gaps, never zeros; colour-blind-safe colours, each line with its own marker), reusing its
helpers. Only which series are drawn, and their labels, come from the data.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from reports.chart import (
    BACKGROUND,
    BAR_WIDTH,
    DPI,
    FIG_SIZE_IN,
    TEXT,
    TITLE_SIZE,
    _as_array,
    _clean_title,
    _day_numbers,
    _fit_title,
    _font,
    _format_x,
    _layout,
    _legend,
    _no_data_message,
    _Panel,
    _scale_y,
    _series_label,
    _shade,
    _style_axes,
)
from reports.models import ChartData, PanelChartData, SeriesSpec

__all__ = ["render_panel_chart"]

#: Okabe-Ito, in an order where neighbours contrast; bars take a light blue of their own.
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#000000", "#56B4E9")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
BAR_COLOUR = "#A6CEE3"


def _validate(data: PanelChartData) -> None:
    if not data.days:
        raise ValueError("PanelChartData.days is empty; there is no range to draw")
    for spec in (*data.top, *data.bottom):
        if len(spec.values) != len(data.days):
            raise ValueError(f"series {spec.label!r} has {len(spec.values)} values for {len(data.days)} days")


def _draw(panel: _Panel, specs: Sequence[SeriesSpec], x: np.ndarray, marker_size: float) -> None:
    line = 0
    for spec in specs:
        values = _as_array(spec.values)
        if spec.bars:
            known = ~np.isnan(values)
            half = BAR_WIDTH / 2
            bars = [
                ((xi - half, 0.0), (xi - half, v), (xi + half, v), (xi + half, 0.0))
                for xi, v in zip(x[known], values[known], strict=True)
            ]
            panel.ax.add_collection(
                PolyCollection(bars, facecolors=BAR_COLOUR, linewidths=0, zorder=2), autolim=False
            )
            panel.handles.append(Patch(facecolor=BAR_COLOUR, label=_series_label(spec.label, values)))
            continue
        colour, marker = LINE_COLOURS[line % len(LINE_COLOURS)], MARKERS[line % len(MARKERS)]
        line += 1
        style = {"color": colour, "linewidth": 1.8, "marker": marker, "markeredgecolor": BACKGROUND}
        panel.ax.plot(x, values, markersize=marker_size, markeredgewidth=0.6, zorder=3, **style)
        panel.handles.append(Line2D([], [], markersize=5, label=_series_label(spec.label[:40], values), **style))


def render_panel_chart(data: PanelChartData) -> bytes:
    """Draw ``data`` as a two-panel PNG and return its bytes (safe in threads and worker processes)."""
    _validate(data)
    x = _day_numbers(data.days)
    fig = Figure(figsize=FIG_SIZE_IN, dpi=DPI, facecolor=BACKGROUND)
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    top_ax, bottom_ax = fig.subplots(2, 1)
    panels = (
        _Panel(top_ax, data.top_title, {s.label: s.values for s in data.top}),
        _Panel(bottom_ax, data.bottom_title, {s.label: s.values for s in data.bottom}),
    )
    marker_size = 5.0 if len(x) <= 31 else 3.0
    no_window = np.zeros(len(x), dtype=bool)
    for panel, specs in zip(panels, (data.top, data.bottom), strict=True):
        _draw(panel, specs, x, marker_size)
        _style_axes(panel.ax, panel.name)
        series = list(panel.series.values())
        missing = np.all([np.isnan(v) for v in series], axis=0) if series else np.ones(len(x), dtype=bool)
        panel.handles += _shade(panel.ax, x, missing & ~no_window, no_window)
        if missing.all():
            _empty(panel, data.days[0])
        else:
            _scale_y(panel.ax, panel.series)
        _legend(panel.ax, panel.handles)
    _format_x(top_ax, bottom_ax, x, data.days, None)
    fig.suptitle(
        _fit_title(_clean_title(data.title), renderer),
        y=1 - 10 / fig.bbox.height,
        va="top",
        fontproperties=_font(TITLE_SIZE, "bold"),
        color=TEXT,
        parse_math=False,
    )
    _layout(fig, panels, renderer)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor=BACKGROUND, transparent=False, pil_kwargs={"compress_level": 3})
    return buf.getvalue()


def _empty(panel: _Panel, first_day: date) -> None:
    """The same explicit "No data in this range" as the send chart (no window line here)."""
    _no_data_message(panel.ax, ChartData("", (first_day,), (None,), (None,), (None,), (None,), (None,)))
