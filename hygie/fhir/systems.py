"""Canonical URLs, OIDs and code systems used by Hygie's FHIR layer: FR Core 2.2.0
(docs/decisions/0009-fhir-fr-core-and-smart.md). One place, so that a new FR Core
release is one diff."""

from __future__ import annotations

FR_CORE = "https://hl7.fr/ig/fhir/core"
FR_CORE_VERSION = "2.2.0"


def fr_core_profile(name: str) -> str:
    return f"{FR_CORE}/StructureDefinition/{name}|{FR_CORE_VERSION}"


# Identifiers of the INS matricule (system = the matricule's OID).
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
INS_NIA = "urn:oid:1.2.250.1.213.1.4.9"
INS_NIR_TEST = "urn:oid:1.2.250.1.213.1.4.10"
INS_TYPE_CODES = {INS_NIR: "INS-NIR", INS_NIA: "INS-NIA", INS_NIR_TEST: "INS-NIR-TEST"}
FR_CORE_IDENTIFIER_TYPE = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0203"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

# Identity reliability.
IDENTITY_RELIABILITY = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
IDENTITY_STATUS_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0445"
METHOD_COLLECTION_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-method-collection"
VALIDATION_MODE_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-mode-validation-identity"

# Names and birth place.
BIRTH_LIST_GIVEN_NAME = f"{FR_CORE}/StructureDefinition/fr-core-patient-birth-list-given-name"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
ADDRESS_INSEE_CODE = f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code"
INSEE_COMMUNE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"


def patient_id_system(practice_id: object) -> str:
    """The system of a patient's local id: one stable URI per practice (FR Core fixes
    none). The practice's own UUID makes it unique without a registered namespace."""
    return f"urn:uuid:{practice_id}"


# Practitioners (decision 0009, §2). idNatPs = "8" + RPPS: the prefix of an RPPS
# number in TRE_G08-TypeIdentifiantPersonne.
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
IDNPS_RPPS_PREFIX = "8"
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
PROFESSION_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
)
SPECIALTY_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
)

# Organizations: FINESS is a URL, not an OID, in FR Core.
FINESS_SYSTEM = "https://finess.esante.gouv.fr"

# The AuditEvent vocabularies (DICOM, audit-event-type, restful-interaction, BALP)
# live in hygie.audit.fhir: the audit app sits below this one and exports the
# same shape (decision 0009, §3).


# Observations (decision 0018): LOINC codes, UCUM units, the category code system,
# and the HL7 vital-signs profiles FR Core's own ones derive from.
LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
HL7_PROFILE = "http://hl7.org/fhir/StructureDefinition/"


# Allergies and intolerances (decision 0020). The statuses are CodeableConcepts of
# the HL7 terminology code systems; type, category and criticality are plain
# codes whose systems serve only as token search systems. ATC: the URI HL7's
# terminology registers for the WHO classification (the one IPS and EU Core use).
ALLERGY_CLINICAL_STATUS_SYSTEM = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION_STATUS_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
)
ALLERGY_TYPE_SYSTEM = "http://hl7.org/fhir/allergy-intolerance-type"
ALLERGY_CATEGORY_SYSTEM = "http://hl7.org/fhir/allergy-intolerance-category"
ALLERGY_CRITICALITY_SYSTEM = "http://hl7.org/fhir/allergy-intolerance-criticality"
ATC_SYSTEM = "http://www.whocc.no/atc"
