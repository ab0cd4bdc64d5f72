"""The few SVG pieces both charts are made of, and the one place markup is built.

`el()` is the chokepoint: it escapes every attribute value and every text, and
escapes any child that is not already markup it built itself. Callers never
format markup with f-strings, so a patient's or a caller's text cannot become
markup, whatever it contains.

Styling goes through SVG presentation attributes (fill, stroke, stroke-dasharray),
never `style="…"` nor a `<style>` element: Hygie's CSP (`style-src 'self'`, see
hygie.web.middleware) blocks inline style, but presentation attributes are plain
attributes and stay allowed. The main elements also carry a `chart-*` class, so
a stylesheet served by Hygie could restyle them (a CSS rule wins over a
presentation attribute), but a chart never depends on one: it looks the same
inline in a page, alone in a file, or printed to PDF.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import TypeAlias

from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Colours, chosen to stay apart for colour-blind readers and on a grey printout:
# - series come from Okabe & Ito's palette (designed for the three common colour
#   vision deficiencies): blue #0072B2, reddish purple #CC79A7, bluish green
#   #009E73. Simulated for protanopia/deuteranopia (Machado 2009, full severity)
#   the blue and the purple stay 23/43 ΔE76 apart, and they differ in lightness
#   (L* 46 / 61) for print. Each has at least 3:1 contrast on white (WCAG 1.4.11
#   for graphics: 5.2, 3.1, 3.4).
# - out-of-range points are vermillion #D55E00, the palette's "red": at least
#   70 ΔE76 from the blue and the purple under protan and deutan simulation
#   (36 from the purple under tritan). Colour is never the only cue: such a
#   point gets a ring, a legend entry, and « hors normes » in its tooltip.
# - the second and third series are dashed/dotted with square/triangle marks,
#   so a black-and-white printout still tells them apart.
SERIES_STYLES: tuple[tuple[str, str | None, str], ...] = (
    ("#0072B2", None, "circle"),
    ("#CC79A7", "7 4", "square"),
    ("#009E73", "2 3", "triangle"),
)
ALERT = "#D55E00"
INK = "#1d2733"  # hygie.css --ink
MUTED = "#5b6776"  # hygie.css --muted: 5.9:1 on white, fine for small text
GRID = "#e3e8ee"
GUIDE = "#6b6b6b"
BAND = "#e9eef4"
NO_REFERENCE = "#f3f3f3"
HATCH = "#c9cfd6"

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
FONT_SIZE = 12
SMALL = 11
TITLE_SIZE = 14

Attr: TypeAlias = str | int | float | None


def coord(value: float) -> str:
    """A coordinate with at most two decimals: short output, no exponent."""
    if not math.isfinite(value):
        # Inputs are filtered before they are scaled; reaching here is a bug.
        raise ValueError("non-finite coordinate")
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def el(
    tag: str, attrs: dict[str, Attr] | None = None, *children: str, text: str = ""
) -> SafeString:
    """<tag attrs>text children</tag>, escaped. Tag and attribute names are
    literals of this package, never input. A None attribute is left out."""
    parts = [tag]
    for name, value in (attrs or {}).items():
        if value is None:
            continue
        shown = coord(value) if isinstance(value, float) else str(value)
        parts.append(f'{name}="{escape(shown)}"')
    inner = escape(text) + "".join(conditional_escape(child) for child in children)
    # The one mark_safe of the package: every piece above went through escape().
    return mark_safe(f"<{' '.join(parts)}>{inner}</{tag}>")  # noqa: S308


def group(*children: str, **attrs: Attr) -> SafeString:
    """<g> with keyword attributes: class_ → class, stroke_width → stroke-width."""
    return el("g", {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}, *children)


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A generous guess at the rendered width (no font metrics on the server):
    0,6 em a character covers digits and lowercase of the usual sans fonts."""
    return len(text) * size * 0.6


def spread(wanted: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions as close as possible to `wanted` but at least `gap` apart
    and within [low, high]: labels at the right edge of curves that nearly meet
    (P3 and P15 of head circumference) would otherwise print over each other."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [min(max(wanted[i], low), high) for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - high if placed else 0.0
    if overflow > 0:
        placed = [p - overflow for p in placed]
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    result = [0.0] * len(wanted)
    for rank, i in enumerate(order):
        result[i] = placed[rank]
    return result


def marker(
    shape: str, x: float, y: float, r: float, attrs: dict[str, Attr], *kids: str
) -> SafeString:
    """A point mark of a series' shape, centred on (x, y)."""
    if shape == "square":
        side = r * 1.8
        geometry: dict[str, Attr] = {"x": x - side / 2, "y": y - side / 2}
        return el("rect", {**geometry, "width": side, "height": side, **attrs}, *kids)
    if shape == "triangle":
        h = r * 2.2
        pts = f"{coord(x)},{coord(y - h * 0.6)} {coord(x - h / 2)},{coord(y + h * 0.4)} "
        pts += f"{coord(x + h / 2)},{coord(y + h * 0.4)}"
        return el("polygon", {"points": pts, **attrs}, *kids)
    return el("circle", {"cx": x, "cy": y, "r": r, **attrs}, *kids)


def polyline(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{coord(x)},{coord(y)}" for x, y in points)


def chart_id(*parts: object) -> str:
    """An id derived from the content: the same chart gives the same SVG (stable
    tests and caching) and two different charts on one page do not clash."""
    digest = hashlib.blake2s(repr(parts).encode(), digest_size=5).hexdigest()
    return f"chart-{digest}"


def svg_root(
    kind: str, width: int, height: int, title: str, desc: str, *children: str
) -> SafeString:
    """The <svg> element: an image for assistive technology, named by its title
    and described by a text summary of the data (the marks inside are not read
    out under role="img"). width="100%" with a viewBox makes it follow the width
    of its container and keep its proportions."""
    ident = chart_id(kind, title, desc, *children)
    return el(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": f"hygie-chart hygie-chart-{kind}",
            "role": "img",
            "aria-labelledby": f"{ident}-t {ident}-d",
            "viewBox": f"0 0 {width} {height}",
            "width": "100%",
            "preserveAspectRatio": "xMidYMid meet",
            "font-family": FONT,
            "font-size": FONT_SIZE,
            "fill": INK,
        },
        el("title", {"id": f"{ident}-t"}, text=title),
        el("desc", {"id": f"{ident}-d"}, text=desc),
        el("rect", {"class": "chart-bg", "width": width, "height": height, "fill": "#fff"}),
        *children,
    )


def heading(title: str, x: float, y: float) -> SafeString:
    return el(
        "text",
        {"class": "chart-heading", "x": x, "y": y, "font-size": TITLE_SIZE, "font-weight": "600"},
        text=title,
    )


def empty_chart(kind: str, title: str, width: int) -> SafeString:
    """No measure: a short frame that says so, rather than empty axes that look
    like a chart that failed to load."""
    height = 90
    message = _("Aucune mesure")
    return svg_root(
        kind,
        width,
        height,
        title,
        _("%(title)s\u00a0: aucune mesure.") % {"title": title},
        heading(title, 8, 22),
        el(
            "rect",
            {
                "class": "chart-empty-frame",
                "x": 8,
                "y": 34,
                "width": width - 16,
                "height": height - 42,
                "fill": "none",
                "stroke": GRID,
                "rx": 6,
            },
        ),
        el(
            "text",
            {
                "class": "chart-empty",
                "x": width / 2,
                "y": 34 + (height - 42) / 2 + 5,
                "text-anchor": "middle",
                "fill": MUTED,
            },
            text=message,
        ),
    )
