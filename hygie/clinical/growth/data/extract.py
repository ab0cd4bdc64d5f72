"""Regenerate the WHO growth CSV files of this folder from their published origin.

Usage (the two archives are PyPI release files; see SOURCE.md for how to get them):

    python hygie/clinical/growth/data/extract.py \\
        --rcpch-wheel rcpchgrowth-4.6.5-py3-none-any.whl \\
        --pygrowup-sdist pygrowup-0.8.2.tar.gz \\
        [--who-anthro DIR] [--check]

Nothing here is typed by hand: the LMS rows are copied from rcpchgrowth's WHO JSON
tables, the published SD lines from pygrowup's WHO tables. Before writing anything the
script cross-checks the two packages where they overlap (and, with --who-anthro, both
against the WHO's own R packages), and stops on the first disagreement, so a corrupted
or different archive cannot silently change the reference a doctor reads.

--check writes nothing and exits 1 if the committed files differ from what the
archives give (for a reviewer, or CI if the archives are ever cached there).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RCPCH_WHEEL_SHA256 = "9fb73405e2f7a17759809ca500f2f757bf90fbfc54b202801484e83ebd9c94ca"
PYGROWUP_SDIST_SHA256 = "0fd5cd197ff7aed190fed8c18c612bc1300784878e34ac5121f528cd038c3fc7"

DAYS_PER_MONTH = 30.4375  # WHO: 365.25 / 12, the month of every WHO table
LAST_LYING_DAY = 730  # WHO 2006: length (lying) to day 730, height (standing) from 731
# The 2006 standards are used to 60 months (1826.25 days, WHO Anthro's own limit); the
# WHO anthro package ships its daily tables to day 1826 and so do we. rcpchgrowth goes
# on to day 1856, but its row after 1826 is not on a whole day (5.0021 years) and, for
# girls' height, repeats the boys' values: one more reason to stop where WHO stops.
LAST_2006_DAY = 1826

SEXES = ("male", "female")
RCPCH_MEASURES = {
    "weight_for_age": "weight",
    "length_height_for_age": "height",
    "bmi_for_age": "bmi",
    "head_circumference_for_age": "ofc",
}
# Where WHO 2006 splits an indicator between lying and standing children.
WITH_POSITION = {"length_height_for_age", "bmi_for_age"}
WHO2007_INDICATORS = ("weight_for_age", "height_for_age", "bmi_for_age")
WHO2007_RCPCH = {"weight_for_age": "weight", "height_for_age": "height", "bmi_for_age": "bmi"}

# pygrowup file prefix -> our indicator name; the CDC files (*.cdc.json) and the
# weight-for-length tables are left out on purpose.
PYGROWUP_PREFIX = {
    "wfa": "weight_for_age",
    "lhfa": "length_height_for_age",
    "bmifa": "bmi_for_age",
    "hcfa": "head_circumference_for_age",
}
PYGROWUP_FILES = (
    "wfa_{sex}_0_13",
    "lhfa_{sex}_0_13",
    "bmifa_{sex}_0_13",
    "hcfa_{sex}_0_13",
    "wfa_{sex}_0_5",
    "lhfa_{sex}_0_2",
    "lhfa_{sex}_2_5",
    "bmifa_{sex}_0_2",
    "bmifa_{sex}_2_5",
    "hcfa_{sex}_0_5",
)
SD_COLUMNS = ("SD3neg", "SD2neg", "SD1neg", "SD0", "SD1", "SD2", "SD3")

# The monthly WHO rows sit between two daily rows (month m = m x 30.4375 days); linear
# interpolation over one day differs from the WHO value only in the last printed digit.
# The loosest case is BMI at exactly 24 months, where WHO printed the value of day 730
# (lying) or 731 (standing) rather than of day 730.5: 5e-5 of M, under 0.001 SD.
MONTHLY_TOLERANCE = {"l": 2e-3, "m_relative": 1e-4, "s": 2e-5}


class ExtractionError(Exception):
    pass


@dataclass(frozen=True)
class LmsRow:
    age: int  # days for WHO 2006, months for WHO 2007
    l: float  # noqa: E741 -- the LMS method's own name
    m: float
    s: float
    position: str = ""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_digest(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise ExtractionError(f"{path.name}: sha256 {actual}, expected {expected}")


def number(value: float) -> str:
    """The shortest text that reads back as the same float, as the source printed it."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


# --- rcpchgrowth ------------------------------------------------------------------


def read_rcpch(wheel: Path) -> dict[str, Any]:
    tables = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in ("who_infants", "who_children", "who_2007_children"):
            raw = archive.read(f"rcpchgrowth/data_tables/who/{name}.json")
            tables[name] = json.loads(raw)["measurement"]
    return tables


def whole(value: float) -> int | None:
    rounded = round(value)
    return rounded if abs(value - rounded) < 1e-5 else None


def who2006_rows(tables: dict[str, Any], indicator: str, sex: str) -> list[LmsRow]:
    measure = RCPCH_MEASURES[indicator]
    rows: list[LmsRow] = []
    for table in ("who_infants", "who_children"):
        for entry in tables[table][measure][sex]:
            day = whole(entry["decimal_age"] * 365.25)
            if day is None or day > LAST_2006_DAY:
                continue
            position = ""
            if indicator in WITH_POSITION:
                position = "lying" if day <= LAST_LYING_DAY else "standing"
            rows.append(LmsRow(day, entry["L"], entry["M"], entry["S"], position))
    days = [row.age for row in rows]
    if days != list(range(LAST_2006_DAY + 1)):
        raise ExtractionError(f"WHO 2006 {indicator} {sex}: days are not 0..{LAST_2006_DAY}")
    return rows


def who2007_rows(tables: dict[str, Any], indicator: str, sex: str) -> list[LmsRow]:
    rows = []
    for entry in tables["who_2007_children"][WHO2007_RCPCH[indicator]][sex]:
        month = whole(entry["decimal_age"] * 12)
        if month is None:
            raise ExtractionError(f"WHO 2007 {indicator} {sex}: age {entry['decimal_age']}")
        rows.append(LmsRow(month, entry["L"], entry["M"], entry["S"]))
    last = 120 if indicator == "weight_for_age" else 228
    if [row.age for row in rows] != list(range(60, last + 1)):
        raise ExtractionError(f"WHO 2007 {indicator} {sex}: months are not 60..{last}")
    return rows


# --- pygrowup ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedRow:
    indicator: str
    sex: str
    unit: str  # "week" or "month"
    age: int
    position: str
    lms: tuple[float, float, float]
    sd: tuple[str, ...]

    @property
    def age_days(self) -> float:
        return self.age * 7 if self.unit == "week" else self.age * DAYS_PER_MONTH


def read_pygrowup(sdist: Path) -> list[PublishedRow]:
    rows: list[PublishedRow] = []
    with tarfile.open(sdist) as archive:
        for sex, sex_word in (("male", "boys"), ("female", "girls")):
            for pattern in PYGROWUP_FILES:
                name = pattern.format(sex=sex_word)
                member = archive.extractfile(f"pygrowup-0.8.2/pygrowup/tables/{name}_zscores.json")
                if member is None:
                    raise ExtractionError(f"pygrowup: {name} missing")
                indicator = PYGROWUP_PREFIX[name.split("_")[0]]
                for entry in json.load(member):
                    unit = "week" if "Week" in entry else "month"
                    age = int(entry["Week" if unit == "week" else "Month"])
                    rows.append(
                        PublishedRow(
                            indicator=indicator,
                            sex=sex,
                            unit=unit,
                            age=age,
                            position=pygrowup_position(indicator, name, unit, age),
                            lms=(float(entry["L"]), float(entry["M"]), float(entry["S"])),
                            sd=tuple(number(float(entry[c])) for c in SD_COLUMNS),
                        )
                    )
    return rows


def pygrowup_position(indicator: str, name: str, unit: str, age: int) -> str:
    if indicator not in WITH_POSITION:
        return ""
    if name.endswith("_2_5"):
        return "standing"
    if name.endswith("_0_2") or unit == "week":
        return "lying"
    raise ExtractionError(f"pygrowup: cannot tell lying from standing in {name}")


# --- cross-checks -----------------------------------------------------------------


def interpolate(rows: Sequence[LmsRow], age: float) -> tuple[float, float, float]:
    """Linear in each parameter, extending the end intervals by up to half a step."""
    first, last = rows[0].age, rows[-1].age
    if not first - 0.5 <= age <= last + 0.5:
        raise ExtractionError(f"age {age} outside {first}..{last}")
    index = min(max(int(age) - first, 0), len(rows) - 2)
    low, high = rows[index], rows[index + 1]
    t = age - low.age
    return (
        low.l + t * (high.l - low.l),
        low.m + t * (high.m - low.m),
        low.s + t * (high.s - low.s),
    )


def cross_check_pygrowup(
    daily: dict[tuple[str, str], list[LmsRow]], published: Iterable[PublishedRow]
) -> list[str]:
    report: list[str] = []
    worst = {"l": 0.0, "m_relative": 0.0, "s": 0.0}
    exact = compared = 0
    for row in published:
        rows = daily[(row.indicator, row.sex)]
        if row.position:
            rows = [r for r in rows if r.position == row.position]
        l, m, s = interpolate(rows, row.age_days)  # noqa: E741
        gaps = {
            "l": abs(l - row.lms[0]),
            "m_relative": abs(m - row.lms[1]) / row.lms[1],
            "s": abs(s - row.lms[2]),
        }
        compared += 1
        if row.age_days == int(row.age_days):
            # On a whole day the published row must be the daily row itself.
            if max(gaps.values()) > 1e-9:
                raise ExtractionError(f"pygrowup {row} differs from rcpchgrowth day row")
            exact += 1
        for key, gap in gaps.items():
            if gap > MONTHLY_TOLERANCE[key]:
                raise ExtractionError(f"pygrowup {row}: {key} off by {gap:g}")
            worst[key] = max(worst[key], gap)
    report.append(
        f"pygrowup vs rcpchgrowth: {compared} WHO 2006 rows compared, {exact} on a whole day "
        f"identical; on fractional days max |dL| {worst['l']:.2g}, "
        f"max |dM|/M {worst['m_relative']:.2g}, max |dS| {worst['s']:.2g}"
    )
    return report


WHO_ANTHRO_FILES = {
    "weight_for_age": "weianthro.txt",
    "length_height_for_age": "lenanthro.txt",
    "bmi_for_age": "bmianthro.txt",
    "head_circumference_for_age": "hcanthro.txt",
}
WHO_ANTHROPLUS_FILES = {
    "weight_for_age": "wfawho2007.txt",
    "height_for_age": "hfawho2007.txt",
    "bmi_for_age": "bfawho2007.txt",
}


def read_who_txt(path: Path) -> dict[tuple[str, int], tuple[float, float, float, str]]:
    """WHO's tab-separated tables: sex (1 boys, 2 girls), age, l, m, s[, loh]."""
    found = {}
    with path.open(newline="") as handle:
        for line in csv.DictReader(handle, delimiter="\t"):
            sex = SEXES[int(line["sex"]) - 1]
            position = {"L": "lying", "H": "standing"}.get(line.get("loh") or "", "")
            lms = (float(line["l"]), float(line["m"]), float(line["s"]))
            found[(sex, int(line["age"]))] = (*lms, position)
    return found


def cross_check_who(
    who_dir: Path,
    who2006: dict[tuple[str, str], list[LmsRow]],
    who2007: dict[tuple[str, str], list[LmsRow]],
) -> list[str]:
    report = []
    for files, tables, label in (
        (WHO_ANTHRO_FILES, who2006, "WHO anthro (2006, daily)"),
        (WHO_ANTHROPLUS_FILES, who2007, "WHO anthroplus (2007, monthly)"),
    ):
        compared = 0
        for indicator, filename in files.items():
            who = read_who_txt(who_dir / filename)
            for sex in SEXES:
                for row in tables[(indicator, sex)]:
                    theirs = who.get((sex, row.age))
                    ours = (row.l, row.m, row.s, row.position)
                    if theirs is None or any(
                        abs(a - b) > 1e-9 for a, b in zip(theirs[:3], ours[:3], strict=True)
                    ):
                        raise ExtractionError(f"{label} {indicator} {sex} {row}: WHO has {theirs}")
                    if theirs[3] and theirs[3] != row.position:
                        raise ExtractionError(f"{label} {indicator} {sex} {row}: position")
                    compared += 1
        report.append(f"{label} vs rcpchgrowth: {compared} rows, all identical")
    return report


def check_anchors(who2006: dict[tuple[str, str], list[LmsRow]]) -> None:
    # WHO weight-for-age, boys, birth: the value every WHO table starts with.
    birth = who2006[("weight_for_age", "male")][0]
    if (birth.l, birth.m, birth.s) != (0.3487, 3.3464, 0.14602):
        raise ExtractionError(f"boys' weight at birth is {birth}, not WHO's")


# --- output -----------------------------------------------------------------------


def lms_csv(rows_by_sex: dict[str, list[LmsRow]], age_column: str, with_position: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["sex", age_column] + (["position"] if with_position else []) + ["l", "m", "s"]
    writer.writerow(header)
    for sex in SEXES:
        for row in rows_by_sex[sex]:
            position = [row.position] if with_position else []
            writer.writerow([sex, row.age, *position, number(row.l), number(row.m), number(row.s)])
    return out.getvalue()


def published_csv(rows: Iterable[PublishedRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["indicator", "sex", "unit", "age", "position", "l", "m", "s", *SD_COLUMNS])
    for row in rows:
        writer.writerow(
            [
                row.indicator,
                row.sex,
                row.unit,
                row.age,
                row.position,
                *(number(x) for x in row.lms),
                *row.sd,
            ]
        )
    return out.getvalue()


def build(args: argparse.Namespace) -> tuple[dict[str, str], list[str]]:
    check_digest(args.rcpch_wheel, RCPCH_WHEEL_SHA256)
    check_digest(args.pygrowup_sdist, PYGROWUP_SDIST_SHA256)
    tables = read_rcpch(args.rcpch_wheel)
    who2006 = {
        (indicator, sex): who2006_rows(tables, indicator, sex)
        for indicator in RCPCH_MEASURES
        for sex in SEXES
    }
    who2007 = {
        (indicator, sex): who2007_rows(tables, indicator, sex)
        for indicator in WHO2007_INDICATORS
        for sex in SEXES
    }
    check_anchors(who2006)
    published = read_pygrowup(args.pygrowup_sdist)
    report = cross_check_pygrowup(who2006, published)
    if args.who_anthro:
        report += cross_check_who(args.who_anthro, who2006, who2007)

    files = {}
    for indicator in RCPCH_MEASURES:
        by_sex = {sex: who2006[(indicator, sex)] for sex in SEXES}
        files[f"who2006_{indicator}.csv"] = lms_csv(by_sex, "age_days", indicator in WITH_POSITION)
    for indicator in WHO2007_INDICATORS:
        by_sex = {sex: who2007[(indicator, sex)] for sex in SEXES}
        files[f"who2007_{indicator}.csv"] = lms_csv(by_sex, "age_months", False)
    files["who2006_published_sd.csv"] = published_csv(published)
    return files, report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rcpch-wheel", type=Path, required=True)
    parser.add_argument("--pygrowup-sdist", type=Path, required=True)
    parser.add_argument(
        "--who-anthro",
        type=Path,
        help="folder holding WHO's *anthro.txt and *who2007.txt tables (see SOURCE.md)",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    try:
        files, report = build(args)
    except ExtractionError as error:
        print(f"extraction refused: {error}", file=sys.stderr)
        return 2
    for line in report:
        print(line)
    stale = []
    for name, text in files.items():
        target = args.out / name
        if args.check:
            if not target.exists() or target.read_text() != text:
                stale.append(name)
        else:
            target.write_text(text)
    if stale:
        print("differs from the archives: " + ", ".join(stale), file=sys.stderr)
        return 1
    print(("checked " if args.check else "wrote ") + f"{len(files)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
