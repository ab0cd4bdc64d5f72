"""Fewer vertices than pixels: a line of 2,000 measures drawn 640 px wide.

Above two points per column of pixels a polyline adds bytes, not information.
`thin` keeps, in each column `bucket` px wide, the lowest and the highest point
in their time order (the "min-max" decimation of time-series plotting), plus the
very first and last points. The drawn envelope is the same at that resolution:
every peak and trough survives, which matters for a blood pressure spike, where
averaging would hide it. The output has at most two points per column, whatever
the input size, so a chart's size is bounded by its width.
"""

from __future__ import annotations

from collections.abc import Sequence

Pixel = tuple[float, float]


def thin(points: Sequence[Pixel], bucket: float) -> list[Pixel]:
    """Precondition: points are in increasing x (time order)."""
    if len(points) <= 2:
        return list(points)
    kept: list[int] = [0]
    column: int | None = None
    low = high = 0
    for i, (x, y) in enumerate(points):
        here = int(x // bucket)
        if here != column:
            if column is not None:
                kept.extend(sorted({low, high}))
            column, low, high = here, i, i
            continue
        # SVG's y grows downwards: the smallest y is the highest value.
        if y < points[high][1]:
            high = i
        if y > points[low][1]:
            low = i
    kept.extend(sorted({low, high}))
    kept.append(len(points) - 1)
    result: list[Pixel] = []
    previous = -1
    for i in kept:
        if i != previous:
            result.append(points[i])
            previous = i
    return result
