"""Web forms of the clinical record. They only carry text: reading and judging
the measures and allergies is the actions' job (actions/vital_signs_input.py,
actions/allergies.py), so that the form, the FHIR API and a job share one set
of rules and one set of messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from .actions import AllergyData, ReactionData, VitalSignsEntry, VitalSignsField
from .enums import (
    AllergyIntoleranceCategory,
    AllergyIntoleranceClinicalStatus,
    AllergyIntoleranceCriticality,
    AllergyIntoleranceType,
    AllergyIntoleranceVerificationStatus,
    AllergyReactionSeverity,
    DatePrecision,
)
from .models import AllergyIntolerance

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


# --- Allergies and intolerances ------------------------------------------------

# Blank rows offered for reactions: most allergies have one or two; an edit
# shows the recorded ones plus one blank row.
REACTION_ROWS = 3
ONSET_FORMATS = _("2019, 03/2019 ou 12/03/2019")


def _select(
    choices: Sequence[tuple[str, StrOrPromise]], blank: StrOrPromise
) -> list[tuple[str, StrOrPromise]]:
    return [("", blank), *choices]


@dataclass(frozen=True)
class ReactionRow:
    number: int
    manifestation: BoundField
    severity: BoundField


class AllergyForm(forms.Form):
    """An allergy or intolerance as typed. Every field is optional text or a
    code here: which are required, and every message, is the action's
    (check_allergy), shared with the FHIR API. An edit carries the version it
    was shown (`with_version`), so that a concurrent change is refused."""

    substance = forms.CharField(
        label=_("Substance"),
        required=False,
        help_text=_("Par exemple : pénicillines, arachide, latex."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    atc_code = forms.CharField(
        label=_("Code ATC (facultatif)"),
        required=False,
        help_text=_(
            "Médicament ou classe : J01C pour les pénicillines, J01CA04 pour l'amoxicilline."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono", "size": "10"}),
    )
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=_select(AllergyIntoleranceType.choices, "—")
    )
    category = forms.ChoiceField(
        label=_("Catégorie"),
        required=False,
        choices=_select(AllergyIntoleranceCategory.choices, "—"),
    )
    criticality = forms.ChoiceField(
        label=_("Criticité"),
        required=False,
        choices=_select(AllergyIntoleranceCriticality.choices, _("Non évaluée")),
        help_text=_("Élevée : risque de réaction grave (anaphylaxie) à une nouvelle exposition."),
    )
    clinical_status = forms.ChoiceField(
        label=_("Statut clinique"),
        required=False,
        choices=_select(AllergyIntoleranceClinicalStatus.choices, "—"),
    )
    verification_status = forms.ChoiceField(
        label=_("Vérification"),
        required=False,
        # Entered-in-error has its own page, which asks for a reason.
        choices=_select(
            [
                c
                for c in AllergyIntoleranceVerificationStatus.choices
                if c[0] != AllergyIntoleranceVerificationStatus.ENTERED_IN_ERROR
            ],
            "—",
        ),
    )
    onset = forms.CharField(
        label=_("Début"),
        required=False,
        help_text=_("Année, mois ou date : %(formats)s.") % {"formats": ONSET_FORMATS},
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": ONSET_FORMATS}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: object,
        reaction_rows: int = REACTION_ROWS,
        with_version: bool = False,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.reaction_count = max(1, reaction_rows)
        for number in range(1, self.reaction_count + 1):
            self.fields[f"reaction_{number}_manifestation"] = forms.CharField(
                label=_("Manifestation"),
                required=False,
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", "placeholder": _("urticaire, œdème…")}
                ),
            )
            self.fields[f"reaction_{number}_severity"] = forms.ChoiceField(
                label=_("Sévérité"),
                required=False,
                choices=_select(AllergyReactionSeverity.choices, _("Non précisée")),
            )
        if with_version:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        self.reaction_errors: list[str] = []

    def reaction_rows(self) -> list[ReactionRow]:
        return [
            ReactionRow(n, self[f"reaction_{n}_manifestation"], self[f"reaction_{n}_severity"])
            for n in range(1, self.reaction_count + 1)
        ]

    def allergy_data(self) -> AllergyData:
        d = self.cleaned_data
        return AllergyData(
            type=d["type"],
            category=d["category"],
            substance=d["substance"],
            atc_code=d["atc_code"],
            criticality=d["criticality"],
            clinical_status=d["clinical_status"],
            verification_status=d["verification_status"],
            onset=d["onset"],
            reactions=[
                ReactionData(d[f"reaction_{n}_manifestation"], d[f"reaction_{n}_severity"])
                for n in range(1, self.reaction_count + 1)
            ],
            note=d["note"],
        )

    def add_action_errors(self, error: ValidationError) -> None:
        """The action's refusal under each field; the reactions' messages (« Réaction
        2 : décrivez la manifestation. ») above their rows."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            if key == "reactions":
                self.reaction_errors = [m for e in errors for m in e.messages]
            elif key in self.fields:
                self.add_error(key, errors)
            else:
                self.add_error(None, errors)


def onset_as_typed(allergy: AllergyIntolerance) -> str:
    """The stored onset as the form takes it back: 2019, 03/2019, 12/03/2019."""
    if allergy.onset is None:
        return ""
    formats = {DatePrecision.YEAR: "%Y", DatePrecision.MONTH: "%m/%Y"}
    return allergy.onset.strftime(formats.get(DatePrecision(allergy.onset_precision), "%d/%m/%Y"))


def allergy_initial(allergy: AllergyIntolerance) -> dict[str, object]:
    """An edit form's values: the allergy as stored, with its version."""
    initial: dict[str, object] = {
        "substance": allergy.substance_text or "",
        "atc_code": allergy.atc_code or "",
        "type": allergy.type,
        "category": allergy.category,
        "criticality": allergy.criticality,
        "clinical_status": allergy.clinical_status,
        "verification_status": allergy.verification_status,
        "onset": onset_as_typed(allergy),
        "note": allergy.note or "",
        "version": allergy.version,
    }
    for number, reaction in enumerate(allergy.reactions or [], start=1):
        initial[f"reaction_{number}_manifestation"] = reaction.get("manifestation", "")
        initial[f"reaction_{number}_severity"] = reaction.get("severity", "")
    return initial


class AllergyEnteredInErrorForm(EnteredInErrorForm):
    """The reason, and the version shown: marking refuses a change made since."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
