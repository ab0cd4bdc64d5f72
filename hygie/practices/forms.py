from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hygie.audit.enums import AuditEventType, AuditOutcome

from .enums import Profession, Role, Specialty

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)
    is_admin = forms.BooleanField(label=_("Administrateur du cabinet"), required=False)
    rpps = forms.CharField(
        label=_("RPPS"),
        max_length=14,
        required=False,
        help_text=_("Obligatoire pour un professionnel de santé."),
    )
    profession = forms.ChoiceField(
        label=_("Profession"), choices=Profession.choices, required=False
    )
    specialty = forms.ChoiceField(label=_("Spécialité"), choices=Specialty.choices, required=False)
    start_date = forms.DateField(label=_("Début"), widget=DATE, required=False)
    end_date = forms.DateField(label=_("Fin (facultative)"), widget=DATE, required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)
    is_admin = forms.BooleanField(label=_("Administrateur du cabinet"), required=False)


class EndMembershipForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=200)


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("Utilisateur (e-mail)"), required=False, max_length=254)
    patient = forms.UUIDField(label=_("Identifiant patient"), required=False)
    event_type = forms.TypedChoiceField(
        label=_("Événement"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *AuditEventType.choices],
    )
    outcome = forms.ChoiceField(
        label=_("Résultat"), required=False, choices=[("", "—"), *AuditOutcome.choices]
    )
    since = forms.DateField(label=_("Du"), required=False, widget=DATE)
    until = forms.DateField(label=_("Au"), required=False, widget=DATE)
