"""A grouped bar chart as numbers for an inline SVG (drawn by templates/figures.html): computed here, on the
server, so the page needs no script and fetches nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 260
LEFT, BOTTOM, TOP = 40, 40, 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: int


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Group:
    x: float  # the centre of the group, where its label goes
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    groups: list[Group]
    baseline: float


def grouped_bars(rows: list[tuple[str, tuple[int, ...]]]) -> Chart:
    """One group per row (its label, and one value per series), bars side by side, on a scale from 0."""
    top = max((v for _, values in rows for v in values), default=0)
    step = _nice_step(top)
    scale_top = max(step, math.ceil(top / step) * step)
    plot_height = HEIGHT - BOTTOM - TOP
    baseline = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT) / max(1, len(rows))
    series = max((len(values) for _, values in rows), default=1)
    bar_width = slot * 0.8 / series
    bars, groups = [], []
    for index, (label, values) in enumerate(rows):
        start = LEFT + index * slot + slot * 0.1
        groups.append(Group(x=round(start + slot * 0.4, 1), label=label))
        for number, value in enumerate(values):
            height = plot_height * value / scale_top
            x = start + number * bar_width
            top_y, width = round(baseline - height, 1), round(bar_width - 1, 1)
            bars.append(Bar(round(x, 1), top_y, width, round(height, 1), value, number))
    ticks = [Tick(round(baseline - plot_height * v / scale_top, 1), v) for v in range(0, scale_top + 1, step)]
    return Chart(WIDTH, HEIGHT, bars, ticks, groups, baseline)


def _nice_step(top: int) -> int:
    """A round step for about four grid lines: 1, 2, 5, 10, 20, 50…"""
    if top <= 4:
        return 1
    magnitude = 10 ** int(math.log10(top / 4))
    for factor in (1, 2, 5, 10):
        if top / (factor * magnitude) <= 5:
            return factor * magnitude
    return 10 * magnitude
