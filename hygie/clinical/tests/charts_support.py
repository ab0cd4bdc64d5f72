"""Reading the charts back, for the chart tests (this module holds no test).

The SVG is parsed as XML, never searched with regular expressions: a test that
passes on the text could pass on markup a browser would read differently.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

NS = "{http://www.w3.org/2000/svg}"

# Everything the charts may contain. Anything else (script, style, image, a,
# use, foreignObject, a style or on* attribute, an href) fails the tests.
ALLOWED_ELEMENTS = {
    "svg",
    "title",
    "desc",
    "g",
    "rect",
    "line",
    "polyline",
    "polygon",
    "circle",
    "text",
}
ALLOWED_ATTRIBUTES = {
    "xmlns",
    "class",
    "role",
    "aria-labelledby",
    "id",
    "viewBox",
    "width",
    "height",
    "preserveAspectRatio",
    "font-family",
    "font-size",
    "font-weight",
    "text-anchor",
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-linejoin",
    "stroke-linecap",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "points",
}


def parse(svg: str) -> ET.Element:
    # Our own output, parsed to check it: no untrusted XML here.
    return ET.fromstring(svg)  # noqa: S314


def tag(element: ET.Element) -> str:
    return element.tag.removeprefix(NS)


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def find_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in classes(e)]


def texts(root: ET.Element) -> list[str]:
    """The visible text, in document order."""
    return [e.text or "" for e in root.iter(f"{NS}text")]


def tooltip(element: ET.Element) -> str:
    title = element.find(f"{NS}title")
    return (title.text or "") if title is not None else ""


def french_number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\u2212", "-").replace(",", "."))


@dataclass(frozen=True)
class Mark:
    """A measure as drawn: its tooltip, its centre, its shape, its ring."""

    tooltip: str
    x: float
    y: float
    shape: str
    ringed: bool


def marks(root: ET.Element) -> list[Mark]:
    found = []
    for g in find_class(root, "chart-point"):
        shape = next(e for e in g if tag(e) != "title")
        kind = tag(shape)
        if kind == "circle":
            x, y = float(shape.get("cx", "")), float(shape.get("cy", ""))
        elif kind == "rect":
            x = float(shape.get("x", "")) + float(shape.get("width", "")) / 2
            y = float(shape.get("y", "")) + float(shape.get("height", "")) / 2
        else:
            corners = [tuple(map(float, p.split(","))) for p in shape.get("points", "").split()]
            x = sum(c[0] for c in corners) / len(corners)
            y = sum(c[1] for c in corners) / len(corners)
        ringed = any("chart-alert" in classes(e) for e in g)
        found.append(Mark(tooltip(g), x, y, kind, ringed))
    return found


def axis_values(root: ET.Element) -> list[float]:
    """The numbers written on the value axis, top to bottom as drawn."""
    (axis,) = find_class(root, "chart-axis-y")
    labelled = [e for e in axis if tag(e) == "text" and "chart-unit" not in classes(e)]
    return [french_number(e.text or "") for e in labelled]


def axis_labels(root: ET.Element, axis: str = "chart-axis-x") -> list[str]:
    (found,) = find_class(root, axis)
    return [e.text or "" for e in found if tag(e) == "text"]


def polylines(root: ET.Element, name: str) -> list[list[tuple[float, float]]]:
    lines = []
    for g in find_class(root, name):
        for line in g.iter(f"{NS}polyline"):
            pairs = [p.split(",") for p in line.get("points", "").split()]
            lines.append([(float(a), float(b)) for a, b in pairs])
    return lines


def violations(svg: str) -> list[str]:
    """What the allowlist refuses in a chart: elements, attributes, references,
    and text where there should be none."""
    found = []
    for element in parse(svg).iter():
        if tag(element) not in ALLOWED_ELEMENTS or not element.tag.startswith(NS):
            found.append(f"element {element.tag}")
        # Text outside <text>, <title> and <desc> is markup that was escaped
        # where it should have been built (a str concatenated to a SafeString).
        if tag(element) not in ("text", "title", "desc") and (element.text or "").strip():
            found.append(f"stray text {element.text!r} in {tag(element)}")
        if (element.tail or "").strip():
            found.append(f"stray text {element.tail!r} after {tag(element)}")
        for name, value in element.attrib.items():
            if name not in ALLOWED_ATTRIBUTES:
                found.append(f"attribute {name} on {tag(element)}")
            if "url(" in value or ("//" in value and name != "xmlns"):
                found.append(f"reference {value!r} in {name}")
    return found
