"""Required terminology bindings of the elements Hygie reads and writes.

fhir.resources checks structure and cardinality but not bindings: it accepts a
Patient whose gender is "femme". These are the FHIR R4 value sets with a
*required* binding on the elements Hygie uses; a code outside them is refused.
"""

from __future__ import annotations

from hygie.practices.enums import Specialty

ADMINISTRATIVE_GENDER = frozenset({"male", "female", "other", "unknown"})
NAME_USE = frozenset({"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"})
IDENTIFIER_USE = frozenset({"usual", "official", "temp", "secondary", "old"})
CONTACT_POINT_SYSTEM = frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"})
CONTACT_POINT_USE = frozenset({"home", "work", "temp", "old", "mobile"})
ADDRESS_USE = frozenset({"home", "work", "temp", "old", "billing"})
ADDRESS_TYPE = frozenset({"postal", "physical", "both"})
LINK_TYPE = frozenset({"replaced-by", "replaces", "refer", "seealso"})
ISSUE_SEVERITY = frozenset({"fatal", "error", "warning", "information"})
# FR Core narrows a patient's gender (fr-core-vs-patient-gender): no "other".
FR_CORE_PATIENT_GENDER = frozenset({"male", "female", "unknown"})
# TRE_R38-SpecialiteOrdinale, required by FR Core on PractitionerRole.specialty:
# Hygie emits and accepts only the specialties it knows (practices.enums).
SPECIALTY = frozenset(s.value for s in Specialty if s.value)
AUDIT_EVENT_ACTION = frozenset({"C", "R", "U", "D", "E"})
AUDIT_EVENT_OUTCOME = frozenset({"0", "4", "8", "12"})
NETWORK_TYPE = frozenset({"1", "2", "3", "4", "5"})
OBSERVATION_STATUS = frozenset(
    {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
# observation-category is only *preferred* in R4, but the vital-signs profiles fix
# their slice to it and Hygie emits nothing else: held to the code system here.
OBSERVATION_CATEGORY = frozenset(
    {
        "social-history",
        "vital-signs",
        "imaging",
        "laboratory",
        "procedure",
        "survey",
        "exam",
        "therapy",
        "activity",
    }
)
# AllergyIntolerance (decision 0020): R4's required value sets. `presumed` is in
# the HL7 terminology's allergyintolerance-verification (a child of unconfirmed,
# decision 0019), whose value set takes every code of the code system.
ALLERGY_CLINICAL_STATUS = frozenset({"active", "inactive", "resolved"})
ALLERGY_VERIFICATION_STATUS = frozenset(
    {"unconfirmed", "presumed", "confirmed", "refuted", "entered-in-error"}
)
ALLERGY_TYPE = frozenset({"allergy", "intolerance"})
ALLERGY_CATEGORY = frozenset({"food", "medication", "environment", "biologic"})
ALLERGY_CRITICALITY = frozenset({"low", "high", "unable-to-assess"})
REACTION_SEVERITY = frozenset({"mild", "moderate", "severe"})

# (resource type, dotted path through lists) -> allowed codes. A path checks every
# code under it whatever its system: Practitioner.qualification is left out, since
# its codings mix several value sets (profession, category, degree).
REQUIRED: dict[tuple[str, str], frozenset[str]] = {
    ("Patient", "gender"): FR_CORE_PATIENT_GENDER,
    ("Patient", "name.use"): NAME_USE,
    ("Patient", "identifier.use"): IDENTIFIER_USE,
    ("Patient", "telecom.system"): CONTACT_POINT_SYSTEM,
    ("Patient", "telecom.use"): CONTACT_POINT_USE,
    ("Patient", "address.use"): ADDRESS_USE,
    ("Patient", "address.type"): ADDRESS_TYPE,
    ("Patient", "link.type"): LINK_TYPE,
    ("Practitioner", "gender"): ADMINISTRATIVE_GENDER,
    ("Practitioner", "name.use"): NAME_USE,
    ("Practitioner", "identifier.use"): IDENTIFIER_USE,
    ("Practitioner", "telecom.system"): CONTACT_POINT_SYSTEM,
    ("Practitioner", "telecom.use"): CONTACT_POINT_USE,
    ("Organization", "identifier.use"): IDENTIFIER_USE,
    ("Organization", "telecom.system"): CONTACT_POINT_SYSTEM,
    ("PractitionerRole", "identifier.use"): IDENTIFIER_USE,
    ("PractitionerRole", "telecom.system"): CONTACT_POINT_SYSTEM,
    ("PractitionerRole", "specialty.coding.code"): SPECIALTY,
    ("AuditEvent", "action"): AUDIT_EVENT_ACTION,
    ("AuditEvent", "outcome"): AUDIT_EVENT_OUTCOME,
    ("AuditEvent", "agent.network.type"): NETWORK_TYPE,
    ("OperationOutcome", "issue.severity"): ISSUE_SEVERITY,
    ("Observation", "status"): OBSERVATION_STATUS,
    ("Observation", "category.coding.code"): OBSERVATION_CATEGORY,
    ("AllergyIntolerance", "clinicalStatus.coding.code"): ALLERGY_CLINICAL_STATUS,
    ("AllergyIntolerance", "verificationStatus.coding.code"): ALLERGY_VERIFICATION_STATUS,
    ("AllergyIntolerance", "type"): ALLERGY_TYPE,
    ("AllergyIntolerance", "category"): ALLERGY_CATEGORY,
    ("AllergyIntolerance", "criticality"): ALLERGY_CRITICALITY,
    ("AllergyIntolerance", "reaction.severity"): REACTION_SEVERITY,
}
