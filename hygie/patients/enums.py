"""Vocabulary of patient identity and care relationships, as FHIR / FR Core codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    """FHIR administrative-gender. The INS strict trait "sexe" is M or F; "unknown"
    exists for a provisional identity that has not been checked yet."""

    FEMALE = "female", _("Féminin")
    MALE = "male", _("Masculin")
    UNKNOWN = "unknown", _("Inconnu")


class IdentityStatus(models.TextChoices):
    """Identity reliability of the French identity vigilance (RNIV), FR Core codes."""

    PROVISIONAL = "PROV", _("Identité provisoire")
    RETRIEVED = "RECUP", _("Identité récupérée")
    VALIDATED = "VALI", _("Identité validée")
    QUALIFIED = "QUAL", _("Identité qualifiée")


class InsOid(models.TextChoices):
    """The OID saying what kind of matricule the INS carries."""

    NIR = "1.2.250.1.213.1.4.8", _("NIR")
    NIA = "1.2.250.1.213.1.4.9", _("NIA")
    TEST_NIR = "1.2.250.1.213.1.4.10", _("NIR de test")


class IdentityDocument(models.TextChoices):
    """Documents presented to check an identity (FR Core identity evidence)."""

    NATIONAL_ID = "CARTE_D_IDENTITE", _("Carte nationale d'identité")
    PASSPORT = "PASSEPORT", _("Passeport")
    RESIDENCE_PERMIT = "TITRE_DE_SEJOUR", _("Titre de séjour")
    BIRTH_CERTIFICATE = "ACTE_DE_NAISSANCE", _("Extrait d'acte de naissance")
    FAMILY_BOOK = "LIVRET_DE_FAMILLE", _("Livret de famille")
    DRIVING_LICENCE = "PERMIS_DE_CONDUIRE", _("Permis de conduire")
    HEALTH_CARD = "CARTE_VITALE", _("Carte Vitale")


# High-trust documents (RNIV): they can validate an identity. The birth certificate
# and family book count only for a minor, with the parent's identity document.
HIGH_TRUST_DOCUMENTS = frozenset(
    {
        IdentityDocument.NATIONAL_ID,
        IdentityDocument.PASSPORT,
        IdentityDocument.RESIDENCE_PERMIT,
    }
)
MINOR_ONLY_DOCUMENTS = frozenset(
    {
        IdentityDocument.BIRTH_CERTIFICATE,
        IdentityDocument.FAMILY_BOOK,
    }
)


class CareRelationshipKind(models.TextChoices):
    TREATING = "treating", _("Médecin traitant")
    CARE_TEAM = "care-team", _("Équipe de soins")
    ENCOUNTER = "encounter", _("Consultation ou rendez-vous")


class Scope(models.TextChoices):
    """What part of a patient an access reaches."""

    IDENTITY = "identity", _("Identité et coordonnées")
    CLINICAL = "clinical", _("Dossier médical")
