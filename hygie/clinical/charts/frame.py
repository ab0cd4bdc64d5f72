"""What both charts are drawn in: the plot box, scales, axes, legend, point marks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString

from .svg import (
    ALERT,
    BAND,
    GRID,
    GUIDE,
    MUTED,
    SMALL,
    Attr,
    el,
    group,
    marker,
    text_width,
)
from .ticks import Tick

# A swatch draws a legend key centred on (x, y), at most SWATCH px wide.
Swatch = Callable[[float, float], str]
SWATCH = 26.0
MARK_RADIUS = 4.0
RING_RADIUS = 7.5


@dataclass(frozen=True)
class Box:
    """The plot area, in pixels of the viewBox."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Scale:
    """Linear map from the data interval [low, high] to pixels [start, end]
    (end < start for a value axis: SVG's y grows downwards)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.end) / 2
        return self.start + (value - self.low) * (self.end - self.start) / (self.high - self.low)


def tick_label_width(ticks: Sequence[Tick]) -> float:
    return max((text_width(t.label, SMALL) for t in ticks if t.label), default=0.0)


def value_axis(box: Box, ticks: Sequence[Tick], y: Scale, unit: str) -> SafeString:
    """Horizontal grid lines with their values on the left, and the unit above."""
    parts: list[str] = []
    for tick in ticks:
        at = y(tick.at)
        parts.append(
            el(
                "line",
                {"x1": box.left, "y1": at, "x2": box.right, "y2": at, "stroke": GRID},
            )
        )
        if tick.label:
            parts.append(
                el(
                    "text",
                    {
                        "x": box.left - 8,
                        "y": at + 4,
                        "text-anchor": "end",
                        "font-size": SMALL,
                        "fill": MUTED,
                    },
                    text=tick.label,
                )
            )
    if unit:
        parts.append(
            el(
                "text",
                {
                    "class": "chart-unit",
                    "x": 8,
                    "y": box.top - 12,
                    "font-size": SMALL,
                    "fill": MUTED,
                },
                text=unit,
            )
        )
    return group(*parts, class_="chart-axis chart-axis-y")


def horizontal_axis(box: Box, ticks: Sequence[Tick], x: Scale, chart_width: float) -> SafeString:
    """Vertical grid lines at the ticks, labels under the base line; a label
    near an edge is pushed inwards rather than cut."""
    parts: list[str] = []
    for tick in ticks:
        at = x(tick.at)
        parts.append(
            el(
                "line",
                {"x1": at, "y1": box.top, "x2": at, "y2": box.bottom + 4, "stroke": GRID},
            )
        )
        if tick.label:
            half = text_width(tick.label, SMALL) / 2
            centre = min(max(at, half + 2), chart_width - half - 2)
            parts.append(
                el(
                    "text",
                    {
                        "x": centre,
                        "y": box.bottom + 18,
                        "text-anchor": "middle",
                        "font-size": SMALL,
                        "fill": MUTED,
                    },
                    text=tick.label,
                )
            )
    parts.append(
        el(
            "line",
            {"x1": box.left, "y1": box.bottom, "x2": box.right, "y2": box.bottom, "stroke": GUIDE},
        )
    )
    return group(*parts, class_="chart-axis chart-axis-x")


def legend(
    items: Sequence[tuple[str, Swatch]], left: float, top: float, right: float
) -> tuple[SafeString, float]:
    """Keys laid out in rows from (left, top), wrapping before `right`. Returns
    the markup and the y below the last row."""
    if not items:
        return SafeString(""), top
    row_height = 18.0
    x, y = left, top + row_height / 2
    parts: list[str] = []
    for label, swatch in items:
        wide = SWATCH + 6 + text_width(label) + 14
        if x > left and x + wide - 14 > right:
            x, y = left, y + row_height
        parts.append(swatch(x + SWATCH / 2, y))
        parts.append(el("text", {"x": x + SWATCH + 6, "y": y + 4}, text=label))
        x += wide
    return group(*parts, class_="chart-legend"), y + row_height / 2


def line_swatch(colour: str, dash: str | None, shape: str | None, width: float = 2) -> Swatch:
    def draw(x: float, y: float) -> str:
        line = el(
            "line",
            {
                "x1": x - SWATCH / 2,
                "y1": y,
                "x2": x + SWATCH / 2,
                "y2": y,
                "stroke": colour,
                "stroke-width": width,
                "stroke-dasharray": dash,
            },
        )
        if shape is None:
            return line
        return line + marker(shape, x, y, MARK_RADIUS, {"fill": colour, "stroke": "#fff"})

    return draw


def band_swatch(*, edged: bool) -> Swatch:
    """A shaded area; edged: with the dashed limits of a trend's reference band."""

    def draw(x: float, y: float) -> str:
        edge: dict[str, Attr] = {"stroke": GUIDE, "stroke-width": 0.75, "stroke-dasharray": "3 2"}
        return el(
            "rect",
            {
                "x": x - SWATCH / 2,
                "y": y - 6,
                "width": SWATCH,
                "height": 12,
                "fill": BAND,
                **(edge if edged else {}),
            },
        )

    return draw


def ring_swatch(x: float, y: float) -> str:
    return marker("circle", x, y, MARK_RADIUS, {"fill": MUTED, "stroke": "#fff"}) + ring(x, y)


def ring(x: float, y: float) -> SafeString:
    """The out-of-range mark: vermillion, and a shape of its own, so that it does
    not rest on colour alone."""
    return el(
        "circle",
        {
            "class": "chart-alert",
            "cx": x,
            "cy": y,
            "r": RING_RADIUS,
            "fill": "none",
            "stroke": ALERT,
            "stroke-width": 2,
        },
    )


def point(
    shape: str, colour: str, x: float, y: float, tooltip: str, *, flagged: bool
) -> SafeString:
    """One measure: its mark, the ring when flagged, and a <title> that browsers
    show on hover (« 12/03/2025 : 72,5 kg »)."""
    attrs: dict[str, Attr] = {"fill": colour, "stroke": "#fff", "stroke-width": 1}
    parts = [el("title", text=tooltip), marker(shape, x, y, MARK_RADIUS, attrs)]
    if flagged:
        parts.append(ring(x, y))
    return group(*parts, class_="chart-point")


def message(box: Box, text: str) -> SafeString:
    """A sentence in the middle of the plot, on white so lines do not cross it."""
    width = text_width(text) + 24
    cx, cy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    return group(
        el(
            "rect",
            {
                "x": cx - width / 2,
                "y": cy - 14,
                "width": width,
                "height": 26,
                "rx": 4,
                "fill": "#fff",
                "stroke": GRID,
            },
        ),
        el("text", {"x": cx, "y": cy + 4, "text-anchor": "middle", "fill": MUTED}, text=text),
        class_="chart-message",
    )
