"""Vocabulary of the growth references: what is measured, on whom, how, against what."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Indicator(StrEnum):
    """An anthropometric indicator charted against age."""

    WEIGHT = "weight"
    # One indicator for length (lying, before 24 months) and height (standing, after):
    # WHO charts them as one curve with a 0.7 cm step, and so does the record.
    HEIGHT = "height"
    BMI = "bmi"
    HEAD_CIRCUMFERENCE = "head-circumference"

    @property
    def label(self) -> str:
        return str(_LABELS[self])

    @property
    def phrase(self) -> str:
        """The French noun with its article, for sentences ("pour le poids")."""
        return str(_PHRASES[self])

    @property
    def unit(self) -> str:
        """UCUM unit of the values, as in a FHIR Observation's valueQuantity."""
        return _UNITS[self]

    @property
    def loinc(self) -> str:
        """The LOINC code of the FHIR vital-signs Observation this indicator charts."""
        return _LOINC[self]

    @property
    def uses_restricted_lms(self) -> bool:
        """Whether WHO computes z beyond +/-3 SD from the SD2-SD3 distance, not the LMS curve.

        WHO does it for weight-based indicators, whose right-skewed LMS curves would
        otherwise squeeze the extreme z-scores (WHO 2006 technical report, chapter 7);
        length/height and head circumference have L = 1, a plain normal distribution.
        """
        return self in (Indicator.WEIGHT, Indicator.BMI)


_LABELS = {
    Indicator.WEIGHT: _("Poids"),
    Indicator.HEIGHT: _("Taille"),
    Indicator.BMI: _("IMC"),
    Indicator.HEAD_CIRCUMFERENCE: _("Périmètre crânien"),
}
_PHRASES = {
    Indicator.WEIGHT: _("le poids"),
    Indicator.HEIGHT: _("la taille"),
    Indicator.BMI: _("l'IMC"),
    Indicator.HEAD_CIRCUMFERENCE: _("le périmètre crânien"),
}
_UNITS = {
    Indicator.WEIGHT: "kg",
    Indicator.HEIGHT: "cm",
    Indicator.BMI: "kg/m2",
    Indicator.HEAD_CIRCUMFERENCE: "cm",
}
_LOINC = {
    Indicator.WEIGHT: "29463-7",
    Indicator.HEIGHT: "8302-2",
    Indicator.BMI: "39156-5",
    Indicator.HEAD_CIRCUMFERENCE: "9843-4",
}


class Sex(StrEnum):
    """FHIR administrative-gender codes for which WHO publishes a reference.

    `other` and `unknown` have none: a chart for such a patient shows no curve rather
    than a guessed one.
    """

    MALE = "male"
    FEMALE = "female"


class MeasurementPosition(StrEnum):
    LYING = "lying"  # recumbent length, on a measuring board
    STANDING = "standing"  # standing height, on a stadiometer


class Reference(StrEnum):
    WHO_2006 = "who-2006"
    WHO_2007 = "who-2007"

    @property
    def label(self) -> str:
        return str(_REFERENCE_LABELS[self])


_REFERENCE_LABELS = {
    Reference.WHO_2006: _("Standards de croissance de l'enfant OMS 2006 (0-5 ans)"),
    Reference.WHO_2007: _("Référence de croissance OMS 2007 (5-19 ans)"),
}
