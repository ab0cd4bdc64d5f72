"""The reference files: loaded once, and refused loudly when missing or malformed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygie.clinical.growth import GrowthDataError, Indicator, Reference, Sex, check_tables, tables
from hygie.clinical.growth.tables import TABLES, TableSpec, read_table

SMALL = TableSpec("small.csv", "age_days", 0, 2, with_position=False)
GOOD = "sex,age_days,l,m,s\n" + "".join(
    f"{sex},{day},1,{50 + day},0.04\n" for sex in ("male", "female") for day in range(3)
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "small.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_file_loads_and_passes_its_checks() -> None:
    check_tables()
    for (reference, indicator), spec in TABLES.items():
        rows = tables._rows(reference, indicator)
        for sex in Sex:
            assert len(rows[sex]) == spec.last_age - spec.first_age + 1


def test_a_file_is_read_once() -> None:
    first = tables._rows(Reference.WHO_2006, Indicator.WEIGHT)
    assert tables._rows(Reference.WHO_2006, Indicator.WEIGHT) is first


def test_length_height_and_head_circumference_are_normal_at_every_age() -> None:
    # Why only weight and BMI get WHO's restricted tails: the others have L = 1.
    for (reference, indicator), _spec in TABLES.items():
        rows = tables._rows(reference, indicator)
        skewed = any(lms.l != 1 for sex in Sex for lms in rows[sex])
        assert skewed is indicator.uses_restricted_lms, (reference, indicator)


def test_a_well_formed_file_is_read(tmp_path: Path) -> None:
    rows = read_table(write(tmp_path, GOOD), SMALL)
    assert [lms.m for lms in rows[Sex.FEMALE]] == [50, 51, 52]


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GrowthDataError, match=r"small\.csv: cannot be read"):
        read_table(tmp_path / "small.csv", SMALL)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        (GOOD.replace("age_days", "age_months"), "header"),
        (GOOD.replace("male,1,1,51,0.04\n", "", 1), r"line 3: age '2', expected 1"),
        (GOOD.replace("female,2,1,52,0.04\n", ""), "female rows stop at age 1, expected 2"),
        (GOOD + "female,3,1,53,0.04\n", "female rows stop at age 3, expected 2"),
        (GOOD.replace("male,1,1,51,", "male,1,1,fifty-one,", 1), "not all numbers"),
        (GOOD.replace("male,1,1,51,0.04", "male,1,1,-51,0.04", 1), "must be positive"),
        (GOOD.replace("male,1,1,51,0.04", "male,1,1,51,0", 1), "must be positive"),
        (GOOD.replace("male,1,1,51,0.04", "male,1,1,nan,0.04", 1), "must be positive"),
        (GOOD.replace("male,1,1,51,0.04", "male,1,1,51", 1), "4 fields, expected 5"),
        (GOOD.replace("female,0", "other,0"), "unknown sex 'other'"),
        ("", "header None"),
    ],
)
def test_a_malformed_file_is_refused(tmp_path: Path, text: str, fault: str) -> None:
    with pytest.raises(GrowthDataError, match=fault):
        read_table(write(tmp_path, text), SMALL)


def test_lying_and_standing_rows_must_sit_on_their_side_of_day_730(tmp_path: Path) -> None:
    spec = TableSpec("small.csv", "age_days", 729, 731, with_position=True)
    header = "sex,age_days,position,l,m,s\n"

    def rows(positions: tuple[str, str, str]) -> str:
        return header + "".join(
            f"{sex},{day},{position},1,80,0.04\n"
            for sex in ("male", "female")
            for day, position in zip((729, 730, 731), positions, strict=True)
        )

    read_table(write(tmp_path, rows(("lying", "lying", "standing"))), spec)
    with pytest.raises(GrowthDataError, match="line 4: position 'lying', not standing"):
        read_table(write(tmp_path, rows(("lying", "lying", "lying"))), spec)
    with pytest.raises(GrowthDataError, match="line 3: position 'standing', not lying"):
        read_table(write(tmp_path, rows(("lying", "standing", "standing"))), spec)
