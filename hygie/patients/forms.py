"""Web forms for patients. They only parse; the rules live in forms_data.check_identity."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import Gender, IdentityDocument, InsOid
from .forms_data import IdentityData

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PatientForm(forms.Form):
    birth_family_name = forms.CharField(label=_("Nom de naissance"), max_length=100)
    birth_given_names = forms.CharField(
        label=_("Prénoms de naissance"),
        max_length=200,
        help_text=_("Tous les prénoms de l'acte de naissance, dans l'ordre."),
    )
    used_family_name = forms.CharField(label=_("Nom utilisé"), max_length=100, required=False)
    used_given_name = forms.CharField(label=_("Prénom utilisé"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=DATE_WIDGET, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )
    sex = forms.ChoiceField(label=_("Sexe"), choices=Gender.choices)
    birthplace_insee = forms.CharField(
        label=_("Lieu de naissance (code INSEE)"),
        max_length=5,
        required=False,
        help_text=_("Code officiel géographique de la commune, 99xxx pour l'étranger."),
    )
    nir = forms.CharField(label=_("Matricule INS (NIR ou NIA)"), max_length=21, required=False)
    ins_oid = forms.ChoiceField(
        label=_("Type de matricule"), required=False, choices=[("", "—"), *InsOid.choices]
    )
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email"}),
    )
    address = forms.CharField(label=_("Adresse"), max_length=300, required=False)
    confirm_distinct = forms.BooleanField(
        label=_("J'ai vérifié : il s'agit d'une autre personne"), required=False
    )

    def identity(self) -> IdentityData:
        d = self.cleaned_data
        return IdentityData(
            birth_family_name=d["birth_family_name"],
            birth_given_names=d["birth_given_names"],
            birth_date=d["birth_date"],
            sex=d["sex"],
            birthplace_insee=d["birthplace_insee"],
            used_family_name=d["used_family_name"],
            used_given_name=d["used_given_name"],
            nir=d["nir"],
            ins_oid=d["ins_oid"],
            phone=d["phone"],
            email=d["email"],
            address=d["address"],
        )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Nom"), required=False, max_length=100)
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        required=False,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    nir = forms.CharField(label=_("NIR"), required=False, max_length=21)


class IdentityCheckForm(forms.Form):
    document = forms.ChoiceField(
        label=_("Pièce d'identité contrôlée"),
        required=False,
        choices=[("", "—"), *IdentityDocument.choices],
    )
    ins_retrieved = forms.BooleanField(
        label=_("INS récupérée et vérifiée par le téléservice INSi"), required=False
    )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'accès d'urgence"),
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Ce motif est enregistré, transmis aux administrateurs du cabinet et "
            "visible par le patient s'il demande l'historique des accès."
        ),
    )
