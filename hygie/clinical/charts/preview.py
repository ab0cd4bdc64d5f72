"""Example charts from synthetic data, to look at after changing the charts.

    .venv/bin/python -m hygie.clinical.charts.preview [OUT_DIR] [--png]

writes OUT_DIR/charts.html (default: test-artifacts/charts/, git-ignored), one page
with every example under a Content-Security-Policy stricter than Hygie's. With
--png, the system Chromium (Playwright, never `playwright install`) opens it and
saves one PNG per chart, and the command fails on any CSP violation. All data is
made up; the reference curves are computed from a few WHO 2006/2007 LMS values
(boys), enough to look like the real thing, not to be used as reference.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils.html import escape
from django.utils.safestring import SafeString

from .data import AgeAxis, GrowthPoint, PercentileCurve, Series
from .french import DAYS_PER_MONTH, DAYS_PER_YEAR
from .growth_chart import growth_chart
from .trend import trend_chart

# Everything inline is refused, styles and scripts alike: a chart that renders
# here renders under Hygie's policy (script-src 'self'; style-src 'self').
PAGE_CSP = "default-src 'none'; img-src data:"
CHROMIUM = os.environ.get("HYGIE_CHROMIUM", "/usr/bin/chromium")
START = date(2023, 1, 9)
PARIS = ZoneInfo("Europe/Paris")

# (month, L, M, S): WHO 2006 weight-for-age, boys.
WEIGHT_LMS = [
    (0, 0.3487, 3.3464, 0.14602),
    (1, 0.2303, 4.4525, 0.13413),
    (2, 0.1969, 5.5714, 0.12382),
    (3, 0.174, 6.369, 0.11732),
    (4, 0.1551, 7.0069, 0.11313),
    (5, 0.1396, 7.5077, 0.11081),
    (6, 0.1256, 7.9389, 0.10957),
    (7, 0.1134, 8.2963, 0.10902),
    (8, 0.1019, 8.62, 0.10882),
    (9, 0.0917, 8.9019, 0.10881),
    (10, 0.0821, 9.1618, 0.1089),
    (11, 0.0729, 9.4136, 0.10906),
    (12, 0.0645, 9.646, 0.10925),
    (14, 0.0487, 10.0944, 0.10976),
    (16, 0.0343, 10.5228, 0.11041),
    (18, 0.021, 10.9393, 0.1112),
    (20, 0.0087, 11.3478, 0.11212),
    (22, -0.0029, 11.7528, 0.11315),
    (24, -0.0136, 12.1482, 0.11425),
]
# (year, L, M, S): WHO 2006 and 2007 BMI-for-age, boys.
BMI_LMS = [
    (2, -0.6473, 15.7356, 0.07771),
    (3, -0.31, 15.5986, 0.07931),
    (4, -0.3622, 15.3326, 0.08238),
    (5, -0.6889, 15.1917, 0.08699),
    (6, -0.9921, 15.3062, 0.08682),
    (7, -1.246, 15.4832, 0.09068),
    (8, -1.4629, 15.7368, 0.09526),
    (9, -1.6318, 16.049, 0.10038),
    (10, -1.7407, 16.4433, 0.10566),
    (11, -1.7862, 16.9392, 0.1107),
    (12, -1.7751, 17.5334, 0.11522),
    (13, -1.7168, 18.233, 0.11898),
    (14, -1.6211, 19.005, 0.12191),
    (15, -1.4961, 19.7744, 0.12412),
    (16, -1.3529, 20.4951, 0.12579),
    (17, -1.1962, 21.1423, 0.12715),
    (18, -1.026, 21.7077, 0.12836),
]
PERCENTILES = {"P3": -1.8808, "P15": -1.0364, "P50": 0.0, "P85": 1.0364, "P97": 1.8808}


def _rng(seed: int) -> random.Random:
    # Made-up measures, reproducible from one run to the next: not a secret.
    return random.Random(seed)  # noqa: S311


def _lms_value(lms: Sequence[tuple[float, float, float, float]], at: float, z: float) -> float:
    """The value at z-score z, L, M and S interpolated linearly between knots."""
    for (a, l0, m0, s0), (b, l1, m1, s1) in itertools.pairwise(lms):
        if a <= at <= b:
            t = (at - a) / (b - a)
            lam, mu, sigma = l0 + t * (l1 - l0), m0 + t * (m1 - m0), s0 + t * (s1 - s0)
            if abs(lam) < 1e-6:
                return mu * math.exp(sigma * z)
            return mu * (1 + lam * sigma * z) ** (1 / lam)
    raise ValueError("age outside the table")


def _curves(
    lms: Sequence[tuple[float, float, float, float]], days_per_unit: float
) -> list[PercentileCurve]:
    first, last = lms[0][0], lms[-1][0]
    steps = 120
    ages = [first + (last - first) * i / steps for i in range(steps + 1)]
    return [
        PercentileCurve(label, [(a * days_per_unit, round(_lms_value(lms, a, z), 3)) for a in ages])
        for label, z in PERCENTILES.items()
    ]


def _percentile(z: float) -> str:
    return f"P{round(50 * (1 + math.erf(z / math.sqrt(2))))}"


def _weight_year() -> SafeString:
    rng = _rng(1)
    points = [
        (
            START + timedelta(days=30 * i + rng.randint(-5, 5)),
            round(78 - i * 0.35 + rng.gauss(0, 0.4), 1),
        )
        for i in range(18)
    ]
    return trend_chart("Poids", "kg", [Series("Poids", points)])


def _bmi_band() -> SafeString:
    rng = _rng(2)
    points = [
        (START + timedelta(days=45 * i), round(26.8 - i * 0.12 + rng.gauss(0, 0.3), 1))
        for i in range(24)
    ]
    flags = [v > 25 for _d, v in points]
    return trend_chart("IMC", "kg/m²", [Series("IMC", points, flags)], reference_band=(18.5, 25))


def _blood_pressure(width: int = 720) -> SafeString:
    rng = _rng(3)
    moments = [START + timedelta(days=21 * i + rng.randint(0, 6)) for i in range(30)]
    systolic = [
        (d, 128 + round(rng.gauss(0, 8) + 10 * math.sin(i / 4))) for i, d in enumerate(moments)
    ]
    diastolic = [
        (d, 80 + round(rng.gauss(0, 5) + 5 * math.sin(i / 4))) for i, d in enumerate(moments)
    ]
    return trend_chart(
        "Pression artérielle",
        "mmHg",
        [
            Series("Systolique", systolic, [v >= 140 for _d, v in systolic]),
            Series("Diastolique", diastolic, [v >= 90 for _d, v in diastolic]),
        ],
        width=width,
    )


def _blood_pressure_narrow() -> SafeString:
    """As drawn for a phone or a side column: the legend wraps, ticks thin out."""
    return _blood_pressure(width=360)


def _home_monitoring() -> SafeString:
    """2,000 self-measurements, morning and evening over almost three years."""
    rng = _rng(4)
    moments = [
        datetime(2022, 3, 1, 7 + 12 * (i % 2), 30, tzinfo=PARIS) + timedelta(days=i // 2)
        for i in range(2000)
    ]
    systolic = [
        (m, 132 + round(rng.gauss(0, 7) + 6 * math.sin(i / 90))) for i, m in enumerate(moments)
    ]
    diastolic = [
        (m, 82 + round(rng.gauss(0, 4) + 3 * math.sin(i / 90))) for i, m in enumerate(moments)
    ]
    return trend_chart(
        "Automesure tensionnelle (2 000 mesures)",
        "mmHg",
        [
            Series("Systolique", systolic, [v >= 150 for _m, v in systolic]),
            Series("Diastolique", diastolic, [v >= 95 for _m, v in diastolic]),
        ],
    )


def _twenty_years_with_gap() -> SafeString:
    rng = _rng(5)
    years = [*range(2005, 2012), *range(2017, 2026)]
    points = [
        (
            date(y, rng.randint(1, 12), rng.randint(1, 28)),
            round(64 + (y - 2005) * 0.9 + rng.gauss(0, 1.2), 1),
        )
        for y in years
    ]
    return trend_chart("Poids sur vingt ans", "kg", [Series("Poids", points, max_gap_days=3 * 365)])


def _few_days() -> SafeString:
    points = [
        (datetime(2025, 3, 10, 8, tzinfo=PARIS) + timedelta(hours=12 * i), 3.21 + 0.015 * i)
        for i in range(8)
    ]
    return trend_chart("Poids du nouveau-né", "kg", [Series("Poids", points)])


def _single() -> SafeString:
    return trend_chart("Poids", "kg", [Series("Poids", [(date(2025, 3, 12), 72.5)])])


def _flat() -> SafeString:
    points = [(START + timedelta(days=60 * i), 172) for i in range(6)]
    return trend_chart("Taille", "cm", [Series("Taille", points)])


def _empty() -> SafeString:
    return trend_chart("Glycémie à jeun", "g/L", [Series("Glycémie", [])])


def _infant_weight() -> SafeString:
    rng = _rng(6)
    z = 0.4
    child = []
    for month in (0, 1, 2, 3, 4, 6, 9, 12, 16, 18, 21):
        z += rng.gauss(0.18, 0.15)
        days = month * DAYS_PER_MONTH + (3 if month else 0)
        value = _lms_value(WEIGHT_LMS, days / DAYS_PER_MONTH, z)
        child.append(GrowthPoint(days, round(value, 2), _percentile(z), flagged=z > 1.88))
    return growth_chart(
        "Poids selon l'âge, garçon, 0 à 2 ans",
        "kg",
        AgeAxis.MONTHS,
        _curves(WEIGHT_LMS, DAYS_PER_MONTH),
        child,
    )


def _child_bmi() -> SafeString:
    rng = _rng(7)
    child = []
    z = -0.2
    for year in (2, 3, 4, 5, 6, 8, 9, 11, 12.5, 14):
        z += rng.gauss(0.15, 0.12)
        value = _lms_value(BMI_LMS, year, z)
        child.append(GrowthPoint(year * DAYS_PER_YEAR, round(value, 1), _percentile(z)))
    return growth_chart(
        "IMC selon l'âge, garçon, 2 à 18 ans",
        "kg/m²",
        AgeAxis.YEARS,
        _curves(BMI_LMS, DAYS_PER_YEAR),
        child,
    )


def _head_circumference() -> SafeString:
    """A 0-6 years chart over a reference that stops at 5 years, as WHO's does.
    The curves are a made-up formula, shaped like the real ones."""

    def median(months: float) -> float:
        return 34.5 + 12.5 * (1 - math.exp(-months / 6.5)) + 0.06 * months

    ages = [m * 0.5 for m in range(121)]  # every half month to 60 months
    curves = [
        PercentileCurve(
            label, [(a * DAYS_PER_MONTH, round(median(a) * (1 + 0.033 * z), 2)) for a in ages]
        )
        for label, z in PERCENTILES.items()
    ]
    child = [
        GrowthPoint(months * DAYS_PER_MONTH, round(median(months) * 1.012, 1), percentile)
        for months, percentile in ((1, "P64"), (4, "P65"), (9, "P66"), (24, "P65"), (48, "P66"))
    ]
    child.append(GrowthPoint(66 * DAYS_PER_MONTH, 52.0))
    return growth_chart(
        "Périmètre crânien selon l'âge, garçon, 0 à 6 ans",
        "cm",
        AgeAxis.YEARS,
        curves,
        child,
        no_reference=[(60 * DAYS_PER_MONTH, 72 * DAYS_PER_MONTH)],
    )


def _curves_only() -> SafeString:
    return growth_chart(
        "Poids selon l'âge, garçon, 0 à 2 ans",
        "kg",
        AgeAxis.MONTHS,
        _curves(WEIGHT_LMS, DAYS_PER_MONTH),
        [],
    )


EXAMPLES: dict[str, Callable[[], SafeString]] = {
    "weight-year": _weight_year,
    "bmi-band": _bmi_band,
    "blood-pressure": _blood_pressure,
    "blood-pressure-narrow": _blood_pressure_narrow,
    "home-monitoring-2000": _home_monitoring,
    "weight-20-years-gap": _twenty_years_with_gap,
    "newborn-few-days": _few_days,
    "single-point": _single,
    "flat": _flat,
    "empty": _empty,
    "growth-infant-weight": _infant_weight,
    "growth-child-bmi": _child_bmi,
    "growth-head-no-reference": _head_circumference,
    "growth-curves-only": _curves_only,
}


def page() -> str:
    figures = "\n".join(
        f'<figure id="{name}">\n{make()}\n<figcaption>{escape(name)}</figcaption>\n</figure>'
        for name, make in EXAMPLES.items()
    )
    return (
        '<!doctype html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">\n'
        "<title>Graphiques Hygie : exemples</title>\n</head>\n<body>\n"
        f"{figures}\n</body>\n</html>\n"
    )


def render(html: Path, out: Path, names: Iterable[str]) -> tuple[list[Path], list[str]]:
    """Opens the page in the system Chromium and saves the SVG of each figure
    `name` as out/name.png. Returns the PNGs and the CSP violations the browser
    reported (a chart needing inline style or script would show there)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM}: run scripts/ensure-chromium.sh")
    console: list[str] = []
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        tab = browser.new_page(viewport={"width": 760, "height": 800}, device_scale_factor=1.5)
        tab.on("console", lambda m: console.append(m.text))
        tab.goto(html.as_uri())
        for name in names:
            path = out / f"{name}.png"
            tab.locator(f"#{name} svg").screenshot(path=str(path))
            shots.append(path)
        browser.close()
    return shots, [m for m in console if "Content Security Policy" in m]


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    args = [a for a in argv if not a.startswith("--")]
    out = Path(args[0] if args else "test-artifacts/charts")
    out.mkdir(parents=True, exist_ok=True)
    html = out / "charts.html"
    html.write_text(page(), encoding="utf-8")
    print(html)
    if "--png" in argv:
        shots, refused = render(html.resolve(), out, EXAMPLES)
        for path in shots:
            print(path)
        if refused:
            raise SystemExit("CSP violations:\n" + "\n".join(refused))


if __name__ == "__main__":
    main(sys.argv[1:])
