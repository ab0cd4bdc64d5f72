"""The patient's age on the day of a measure, and the age groups whose norms differ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.utils.translation import gettext as _


class AgeGroup(StrEnum):
    """Bands as paediatric references draw them (PALS for heart rate and pressure,
    the neonatal period of 28 days, adulthood at 18 for the WHO BMI classes)."""

    NEWBORN = "newborn"  # day 0 to 27
    INFANT = "infant"  # 28 days to the first birthday
    YOUNG_CHILD = "young-child"  # 1 to 5 years
    CHILD = "child"  # 6 to 11 years
    ADOLESCENT = "adolescent"  # 12 to 17 years
    ADULT = "adult"  # 18 years and more

    @property
    def phrase(self) -> str:
        """« chez un nourrisson », for the messages."""
        return {
            AgeGroup.NEWBORN: _("chez un nouveau-né"),
            AgeGroup.INFANT: _("chez un nourrisson"),
            AgeGroup.YOUNG_CHILD: _("chez un enfant de 1 à 5 ans"),
            AgeGroup.CHILD: _("chez un enfant de 6 à 11 ans"),
            AgeGroup.ADOLESCENT: _("chez un adolescent"),
            AgeGroup.ADULT: _("chez un adulte"),
        }[self]


@dataclass(frozen=True)
class Age:
    """Completed days and completed calendar years at the measure."""

    days: int
    years: int

    @classmethod
    def between(cls, birth_date: date, measured_on: date) -> Age:
        """Precondition: measured_on is not before birth_date (ValueError otherwise)."""
        if measured_on < birth_date:
            raise ValueError(_("La date de la mesure précède la date de naissance."))
        before_birthday = (measured_on.month, measured_on.day) < (birth_date.month, birth_date.day)
        years = measured_on.year - birth_date.year - int(before_birthday)
        return cls(days=(measured_on - birth_date).days, years=years)

    @property
    def group(self) -> AgeGroup:
        if self.days < 28:
            return AgeGroup.NEWBORN
        if self.years < 1:
            return AgeGroup.INFANT
        if self.years < 6:
            return AgeGroup.YOUNG_CHILD
        if self.years < 12:
            return AgeGroup.CHILD
        if self.years < 18:
            return AgeGroup.ADOLESCENT
        return AgeGroup.ADULT
