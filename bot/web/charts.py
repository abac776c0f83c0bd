"""Charts as inline SVG, drawn on the server from numbers (no script, nothing fetched).

Labels are escaped like any other text; the markup around them is built here, so it is the
one place the page marks as safe.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from bot.dashboard import Chart

WIDTH, HEIGHT = 500, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 48
PALETTE = ("#1a7f37", "#cf222e", "#9a6700", "#0969da", "#8250df", "#59636e")
SERIES_COLORS = {"done": "#1a7f37", "failed": "#cf222e", "queued": "#9a6700", "processing": "#0969da"}


def _color(label: str, index: int) -> str:
    return SERIES_COLORS.get(label, PALETTE[index % len(PALETTE)])


def _ticks(top: float) -> list[float]:
    if top <= 0:
        return [0.0]
    step = 1.0
    while top / step > 5:
        step *= 2 if str(int(step))[0] in ("1", "5") else 2.5
    values, value = [], 0.0
    while value <= top + 1e-9:
        values.append(value)
        value += step
    return values


def svg(chart: Chart) -> Markup:
    """One chart: stacked bars, or lines, with a y axis, first/middle/last x labels and a legend."""
    labels = [x for x, _ in chart.series[0].points] if chart.series else []
    n = len(labels)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if chart.kind == "bars":
        totals = [sum(s.points[i][1] for s in chart.series) for i in range(n)]
    else:
        totals = [max((s.points[i][1] for s in chart.series), default=0) for i in range(n)]
    top = max(totals, default=0) or 1
    ticks = _ticks(top)
    top = max(top, ticks[-1])
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(chart.title)}</title>"]

    def y(value: float) -> float:
        return TOP + plot_h - (value / top) * plot_h

    for tick in ticks:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     'stroke="#d1d9e0" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    if n:
        slot = plot_w / n
        if chart.kind == "bars":
            base = [0.0] * n
            for index, series in enumerate(chart.series):
                color = _color(series.label, index)
                for i, (_, value) in enumerate(series.points):
                    if value <= 0:
                        continue
                    x = LEFT + i * slot + slot * 0.1
                    parts.append(f'<rect x="{x:.1f}" y="{y(base[i] + value):.1f}" width="{max(slot * 0.8, 1):.1f}" '
                                 f'height="{y(base[i]) - y(base[i] + value):.1f}" fill="{color}">'
                                 f"<title>{escape(series.label)} {escape(labels[i])}: {value:g}</title></rect>")
                    base[i] += value
        else:
            for index, series in enumerate(chart.series):
                color = _color(series.label, index)
                points = " ".join(f"{LEFT + i * slot + slot / 2:.1f},{y(v):.1f}" for i, (_, v) in enumerate(series.points))
                parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
                last_x, last_v = LEFT + (n - 1) * slot + slot / 2, series.points[-1][1]
                parts.append(f'<circle cx="{last_x:.1f}" cy="{y(last_v):.1f}" r="3" fill="{color}">'
                             f"<title>{escape(series.label)} {escape(labels[-1])}: {last_v:g}</title></circle>")
        for i in sorted({0, n // 2, n - 1}):
            anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
            x = LEFT + i * slot + (0 if i == 0 else slot if i == n - 1 else slot / 2)
            parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="{anchor}">{escape(labels[i])}</text>')
    x = LEFT
    for index, series in enumerate(chart.series):
        color = _color(series.label, index)
        parts.append(f'<rect x="{x}" y="{HEIGHT - 16}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 7}">{escape(series.label)}</text>')
        x += 24 + 7 * len(series.label)
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#59636e" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
