"""Server-rendered SVG charts for the patient record: vital-sign trends and growth
curves. Pure functions of plain data, returning markup safe to insert in a page
under Hygie's CSP (no script, no inline style, no external reference). See
README.md in this folder, and docs/decisions/0015-server-rendered-svg-charts.md.
"""

from .data import AgeAxis, GrowthPoint, PercentileCurve, Series
from .growth_chart import growth_chart
from .trend import trend_chart

__all__ = [
    "AgeAxis",
    "GrowthPoint",
    "PercentileCurve",
    "Series",
    "growth_chart",
    "trend_chart",
]
