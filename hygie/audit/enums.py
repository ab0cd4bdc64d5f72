"""Audit vocabulary: FHIR AuditEvent codes, and Hygie's own stable event types."""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class AuditAction(models.TextChoices):
    """FHIR R4 AuditEvent.action (http://hl7.org/fhir/audit-event-action)."""

    CREATE = "C", _("création")
    READ = "R", _("lecture")
    UPDATE = "U", _("modification")
    DELETE = "D", _("suppression")
    EXECUTE = "E", _("exécution")


class AuditOutcome(models.TextChoices):
    """FHIR R4 AuditEvent.outcome (http://hl7.org/fhir/audit-event-outcome)."""

    SUCCESS = "0", _("succès")
    MINOR_FAILURE = "4", _("échec mineur (refus)")
    SERIOUS_FAILURE = "8", _("échec grave")
    MAJOR_FAILURE = "12", _("échec majeur")


class PurposeOfUse(models.TextChoices):
    """HL7 v3 PurposeOfUse (http://terminology.hl7.org/CodeSystem/v3-ActReason)."""

    TREAT = "TREAT", _("soins")
    ETREAT = "ETREAT", _("accès d'urgence (bris de glace)")
    HOPERAT = "HOPERAT", _("fonctionnement du cabinet")
    PATADMIN = "PATADMIN", _("administration du dossier patient")
    PATRQT = "PATRQT", _("demande du patient")
    SYSADMIN = "SYSADMIN", _("administration du système")


class AuditEventType(models.IntegerChoices):
    """What happened. IntegerChoices is an IntEnum: `.label` is the French label.

    The numbers are stored in the log and hashed into its chain: NEVER renumber or
    reuse a code, even for a type that is no longer emitted. Add new types at the
    end of their group. No migration is needed (the field's choices are a callable).
    """

    # Authentication: 1xx
    LOGIN_SUCCESS = 100, _("connexion réussie")
    LOGIN_FAILURE = 101, _("échec de connexion")
    LOGOUT = 102, _("déconnexion")
    MFA_SUCCESS = 103, _("second facteur validé")
    MFA_FAILURE = 104, _("échec du second facteur")
    MFA_ENROLLED = 105, _("second facteur enregistré")
    MFA_REMOVED = 106, _("second facteur retiré")
    PASSWORD_CHANGED = 107, _("mot de passe modifié")
    SESSION_REVOKED = 108, _("session révoquée")
    ACCOUNT_DEACTIVATED = 109, _("compte désactivé")
    ACCOUNT_REACTIVATED = 110, _("compte réactivé")
    LOGIN_REFUSED_INACTIVE = 111, _("connexion refusée : compte inactif")
    THROTTLED = 112, _("tentatives ralenties")
    OAUTH_CONSENT_GRANTED = 113, _("accès d'une application à l'API autorisé")
    OAUTH_CONSENT_DENIED = 114, _("accès d'une application à l'API refusé")
    OAUTH_TOKEN_ISSUED = 115, _("jeton d'accès API délivré")
    OAUTH_TOKEN_REFRESHED = 116, _("jeton d'accès API renouvelé")
    OAUTH_TOKENS_REVOKED = 117, _("jetons d'accès API révoqués")
    OAUTH_CLIENT_AUTH_FAILED = 118, _("échec d'authentification d'un client API")
    OAUTH_REFRESH_REUSED = 119, _("jeton de rafraîchissement réutilisé : autorisation révoquée")

    # Membership and administration: 2xx
    MEMBERSHIP_CREATED = 200, _("rattachement au cabinet créé")
    MEMBERSHIP_ENDED = 201, _("rattachement au cabinet terminé")
    ROLE_CHANGED = 202, _("rôle modifié")
    PRACTICE_CREATED = 203, _("cabinet créé")
    USER_CREATED = 204, _("utilisateur créé")
    API_CLIENT_REGISTERED = 205, _("client API enregistré")
    API_CLIENT_REVOKED = 206, _("client API révoqué")

    # Patient data: 3xx
    PATIENT_READ = 300, _("dossier patient consulté")
    PATIENT_CREATED = 301, _("patient créé")
    PATIENT_UPDATED = 302, _("patient modifié")
    PATIENT_SEARCH = 303, _("recherche de patients")
    PATIENT_IMPORT = 304, _("import de patients")
    BREAK_GLASS = 305, _("accès d'urgence (bris de glace)")
    ACCESS_DENIED = 306, _("accès refusé")
    CARE_RELATIONSHIP_CHANGED = 307, _("relation de soins modifiée")
    IDENTITY_VERIFIED = 308, _("identité vérifiée")
    PATIENT_ACCESS_HISTORY_PRODUCED = 309, _("historique des accès produit pour le patient")
    CLINICAL_READ = 310, _("données cliniques consultées")
    CLINICAL_WRITE = 311, _("données cliniques enregistrées")
    PATIENT_DELETED = 312, _("dossier patient supprimé (conservé, masqué)")

    # System: 4xx
    KEY_ROTATION = 400, _("rotation des clés")
    AUDIT_VERIFIED = 401, _("journal d'audit vérifié")
    EXPORT = 402, _("export")
    JOB_RUN = 403, _("tâche exécutée")
    AUDIT_LOG_VIEWED = 404, _("journal d'audit consulté")


def event_type_choices() -> list[tuple[int, StrOrPromise]]:
    """The field's choices, as a callable so that adding a type needs no migration."""
    return list(AuditEventType.choices)


# Events that touch a patient's data, listed in the patient's RGPD access history.
PATIENT_DATA_EVENT_TYPES = frozenset(
    {
        AuditEventType.PATIENT_READ,
        AuditEventType.PATIENT_CREATED,
        AuditEventType.PATIENT_UPDATED,
        AuditEventType.PATIENT_DELETED,
        AuditEventType.PATIENT_IMPORT,
        AuditEventType.BREAK_GLASS,
        AuditEventType.CARE_RELATIONSHIP_CHANGED,
        AuditEventType.IDENTITY_VERIFIED,
        AuditEventType.CLINICAL_READ,
        AuditEventType.CLINICAL_WRITE,
        AuditEventType.EXPORT,
    }
)
