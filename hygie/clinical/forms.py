"""Web forms of the clinical record. They only carry text: reading and judging
the measures is the action's job (actions/vital_signs_input.py), so that the
form, the FHIR API and a job share one set of rules and one set of messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from .actions import VitalSignsEntry, VitalSignsField

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import StrOrPromise

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

# What is typed, in the order of a consultation: (field, label, example).
SIGN_INPUTS: list[tuple[VitalSignsField, StrOrPromise, StrOrPromise]] = [
    (VitalSignsField.WEIGHT, _("Poids (kg)"), "72,5"),
    (VitalSignsField.HEIGHT, _("Taille (cm)"), "178"),
    (VitalSignsField.BLOOD_PRESSURE, _("Pression artérielle"), _("12/8 ou 120/80")),
    (VitalSignsField.HEART_RATE, _("Fréquence cardiaque (bpm)"), "72"),
    (VitalSignsField.TEMPERATURE, _("Température (°C)"), "37,2"),
    (VitalSignsField.OXYGEN_SATURATION, _("Saturation en oxygène (%)"), "98"),
    (VitalSignsField.CAPILLARY_GLUCOSE, _("Glycémie capillaire (g/L)"), "1,05"),
    (VitalSignsField.HEAD_CIRCUMFERENCE, _("Périmètre crânien (cm)"), "45,5"),
]

FIELD_NAMES = frozenset(f.value for f in VitalSignsField)
CONFIRM_LABEL = _("Je confirme cette valeur")


def confirm_name(field: VitalSignsField) -> str:
    return f"confirm_{field.value}"


@dataclass(frozen=True)
class SignRow:
    """One measure of the form, and its confirmation box when it is asked for."""

    field: BoundField
    confirm: BoundField | None


class VitalSignsForm(forms.Form):
    """A set of vital signs taken at one moment. Every measure is optional text
    (« 72,5 », « 1m78 », « 12/8 »); the confirmation boxes appear once the action
    said which values are unusual (error code "confirm")."""

    effective = forms.DateTimeField(
        label=_("Date et heure de la mesure"),
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"],
        error_messages={
            "required": _("Indiquez la date et l'heure de la mesure."),
            "invalid": _("Date et heure non reconnues (jj/mm/aaaa hh:mm)."),
        },
    )

    def __init__(self, *args: object, with_head_circumference: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.asked: set[VitalSignsField] = set()
        self.bmi_messages: list[str] = []
        self.signs = [
            (field, label, example)
            for field, label, example in SIGN_INPUTS
            if with_head_circumference or field is not VitalSignsField.HEAD_CIRCUMFERENCE
        ]
        for field, label, example in self.signs:
            self.fields[field.value] = forms.CharField(
                label=label,
                required=False,
                max_length=40,
                widget=forms.TextInput(
                    attrs={"placeholder": example, "inputmode": "decimal", "autocomplete": "off"}
                ),
            )
        # BMI is computed, never typed, but an unusual one is confirmed too.
        for field in [*(f for f, _label, _example in self.signs), VitalSignsField.BMI]:
            # Said with the message of the value it confirms.
            self.fields[confirm_name(field)] = forms.BooleanField(
                label=CONFIRM_LABEL,
                label_suffix="",
                required=False,
                widget=forms.CheckboxInput(attrs={"aria-describedby": f"id_{field.value}_error"}),
            )

    def add_action_errors(self, error: ValidationError) -> None:
        """The action's refusal, under each field; a value it found unusual
        (code "confirm") gets its confirmation box. The BMI has no input: its
        message goes above its own box."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            if any(e.code == "confirm" for e in errors) and key in FIELD_NAMES:
                self.asked.add(VitalSignsField(key))
            if key == VitalSignsField.BMI:
                self.bmi_messages = [m for e in errors for m in e.messages]
            elif key in self.fields:
                self.add_error(key, errors)
            else:
                self.add_error(None, errors)

    def _confirm_field(self, field: VitalSignsField) -> BoundField | None:
        if field in self.asked or (self.is_bound and self.data.get(confirm_name(field))):
            return self[confirm_name(field)]
        return None

    def rows(self) -> list[SignRow]:
        return [SignRow(self[f.value], self._confirm_field(f)) for f, _l, _e in self.signs]

    def bmi_confirm(self) -> BoundField | None:
        return self._confirm_field(VitalSignsField.BMI)

    def entry(self) -> VitalSignsEntry:
        d = self.cleaned_data
        return VitalSignsEntry(**{f.value: d.get(f.value, "") for f, _l, _e in self.signs})

    def confirmed(self) -> set[str]:
        fields = [*(f for f, _l, _e in self.signs), VitalSignsField.BMI]
        return {f.value for f in fields if self.cleaned_data.get(confirm_name(f))}


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"),
        max_length=500,
        help_text=_("Par exemple : « saisie dans le mauvais dossier », « doublon »."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Indiquez le motif (5 caractères au moins).")},
    )
