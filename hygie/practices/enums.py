"""Vocabulary of practices and memberships. Values are stable codes (FHIR or the
French national nomenclatures), so that mapping to FHIR is the identity."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a member does in a practice. Admin rights are a separate flag: a doctor
    may also run the practice; an office manager may run it and see no patient."""

    PRACTITIONER = "practitioner", _("Professionnel de santé")
    ASSISTANT = "assistant", _("Assistant(e) / secrétariat")
    ADMIN = "admin", _("Administration du cabinet")


class Profession(models.TextChoices):
    """ANS nomenclature TRE_G15-ProfessionSante."""

    MEDECIN = "10", _("Médecin")
    PHARMACIEN = "21", _("Pharmacien")
    CHIRURGIEN_DENTISTE = "40", _("Chirurgien-dentiste")
    SAGE_FEMME = "50", _("Sage-femme")
    INFIRMIER = "60", _("Infirmier")
    MASSEUR_KINE = "70", _("Masseur-kinésithérapeute")
    PEDICURE_PODOLOGUE = "80", _("Pédicure-podologue")
    ORTHOPHONISTE = "91", _("Orthophoniste")
    ORTHOPTISTE = "92", _("Orthoptiste")


class Specialty(models.TextChoices):
    """ANS nomenclature TRE_R38-SpecialiteOrdinale (the common ones in ambulatory care)."""

    NONE = "", _("—")
    MEDECINE_GENERALE = "SM54", _("Médecine générale")
    PEDIATRIE = "SM40", _("Pédiatrie")
    CARDIOLOGIE = "SM04", _("Cardiologie et maladies vasculaires")
    DERMATOLOGIE = "SM15", _("Dermatologie et vénéréologie")
    GYNECOLOGIE_MEDICALE = "SM20", _("Gynécologie médicale")
    GYNECOLOGIE_OBSTETRIQUE = "SM19", _("Gynécologie-obstétrique")
    PSYCHIATRIE = "SM42", _("Psychiatrie")
    OPHTALMOLOGIE = "SM38", _("Ophtalmologie")
    ENDOCRINOLOGIE = "SM16", _("Endocrinologie et métabolisme")
    RHUMATOLOGIE = "SM50", _("Rhumatologie")
