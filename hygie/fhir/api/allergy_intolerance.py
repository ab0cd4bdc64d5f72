"""AllergyIntolerance: a patient's allergies and intolerances, read (with their
versions) and searched one patient at a time, through hygie.clinical.access (each
read audited there as the one CLINICAL_READ of the patient's record). Read-only:
they are recorded and corrected in Hygie. Decision 0020.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import ClassVar

from hygie.clinical import access
from hygie.clinical.models import AllergyIntolerance, normalize_atc
from hygie.patients.access import ClinicalAccessDenied

from .. import bindings
from .. import systems as S
from ..mappers import allergy_intolerance as mapper
from ..smart.scopes import Interaction, Reach
from . import base
from .base import Call, Entry, ResourceHandler
from .errors import FhirError, bad_request, not_found
from .params import MAX_RESULTS, Param, Search, reference, token

TYPE = "AllergyIntolerance"
ENTERED_IN_ERROR = "entered-in-error"
# Kept by _elements: `patient` is mandatory, the two statuses are modifiers (a
# subset without them would pass a refuted allergy off as a real one).
MANDATORY_ELEMENTS = frozenset({"patient", "clinicalStatus", "verificationStatus"})
Predicate = Callable[[AllergyIntolerance], bool]

# Token criteria on the plain columns: name → (system, allowed codes, column, examples).
_TOKENS: dict[str, tuple[str, frozenset[str], Callable[[AllergyIntolerance], str], str]] = {
    "clinical-status": (
        S.ALLERGY_CLINICAL_STATUS_SYSTEM,
        bindings.ALLERGY_CLINICAL_STATUS,
        lambda a: a.clinical_status,
        "active, inactive, resolved",
    ),
    "verification-status": (
        S.ALLERGY_VERIFICATION_STATUS_SYSTEM,
        bindings.ALLERGY_VERIFICATION_STATUS,
        lambda a: a.verification_status,
        "unconfirmed, presumed, confirmed, refuted, entered-in-error",
    ),
    "category": (
        S.ALLERGY_CATEGORY_SYSTEM,
        bindings.ALLERGY_CATEGORY,
        lambda a: a.category,
        "food, medication, environment, biologic",
    ),
    "criticality": (
        S.ALLERGY_CRITICALITY_SYSTEM,
        bindings.ALLERGY_CRITICALITY,
        lambda a: a.criticality,
        "low, high, unable-to-assess",
    ),
    "type": (
        S.ALLERGY_TYPE_SYSTEM,
        bindings.ALLERGY_TYPE,
        lambda a: a.type,
        "allergy, intolerance",
    ),
}


def entry_of(allergy: AllergyIntolerance) -> Entry:
    return Entry(mapper.to_fhir(allergy), allergy.version, allergy.last_changed_at)


def entries_of(allergies: list[AllergyIntolerance]) -> list[Entry]:
    return [entry_of(a) for a in allergies]


def _token_test(param: Param) -> Predicate:
    system, allowed, column, examples = _TOKENS[param.name]
    wanted = [token(v) for v in param.values]
    unknown = sorted({code for _s, code in wanted} - allowed)
    if unknown:
        raise bad_request(
            f"Code inconnu pour {param.name} : {unknown[0]} ({examples}).", param.name
        )
    return lambda a: any((s is None or s == system) and column(a) == code for s, code in wanted)


def _code_test(param: Param) -> Predicate:
    """`code`: an ATC code, with or without its system, matched exactly (FHIR token
    search; no subsumption: J01C does not find J01CA04) on the stored, normalized
    code, so that « j01c » finds J01C."""
    wanted = [(s, normalize_atc(code)) for s, code in (token(v) for v in param.values)]
    return lambda a: (
        bool(a.atc_code)
        and any((s is None or s == S.ATC_SYSTEM) and a.atc_code == code for s, code in wanted)
    )


class AllergyIntoleranceHandler(ResourceHandler):
    type_name = TYPE
    interactions = (base.READ, base.VREAD, base.HISTORY_INSTANCE, base.SEARCH)
    search_params: ClassVar[dict[str, tuple[str, str]]] = {
        "patient": (
            "reference",
            "Le patient (Patient/id) : obligatoire, sauf pour un jeton limité à un patient",
        ),
        "subject": ("reference", "Le patient (Patient/id), comme patient (alias propre à Hygie)"),
        "clinical-status": (
            "token",
            "Statut clinique (active, inactive, resolved) ; tous par défaut",
        ),
        "verification-status": (
            "token",
            "Statut de vérification (unconfirmed, presumed, confirmed, refuted, "
            "entered-in-error) : les saisies par erreur ne sont rendues que si ce statut "
            "est demandé",
        ),
        "category": ("token", "Catégorie (food, medication, environment, biologic)"),
        "criticality": ("token", "Criticité (low, high, unable-to-assess)"),
        "type": ("token", "Type (allergy, intolerance)"),
        "code": (
            "token",
            "Code ATC exact (http://www.whocc.no/atc|J01C ou J01C), sans les codes plus fins",
        ),
    }
    # No _sort: the door's order (active first, high criticality first, newest).

    def read(self, call: Call, resource_id: str) -> Entry:
        return entry_of(self._current(call, resource_id))

    def vread(self, call: Call, resource_id: str, version: int) -> Entry:
        for allergy in self._versions(call, resource_id):
            if allergy.version == version:
                return entry_of(allergy)
        raise not_found()

    def history(self, call: Call, resource_id: str) -> list[Entry]:
        return entries_of(self._versions(call, resource_id))

    def search(self, call: Call, search: Search) -> tuple[int, list[Entry]]:
        reach = call.require(TYPE, Interaction.SEARCH)
        patient_id = self._patient(call, search, reach)
        if search.elements is not None:
            search.elements = search.elements | MANDATORY_ELEMENTS
        # Every criterion is checked before the record is opened: a malformed one
        # is refused without a read in the log.
        tests = [self._test(p) for p in search.params if p.name not in ("patient", "subject")]
        verification = {
            token(v)[1] for p in search.params if p.name == "verification-status" for v in p.values
        }
        try:
            # Inactive, resolved and refuted ones too (decision 0020, §4): a search
            # is a query, not the banner; entries in error only when asked.
            rows = access.access_allergies(
                call.actor,
                patient_id,
                include_inactive=True,
                include_entered_in_error=ENTERED_IN_ERROR in verification,
            )
        except ClinicalAccessDenied:
            # A colleague without care relationship, an assistant: the answer of an
            # absent patient, as for a read (the refusal is in the log).
            raise not_found() from None
        matches = [a for a in rows if all(test(a) for test in tests)]
        if search.summary_count:
            return len(matches), []
        if len(matches) > MAX_RESULTS:
            raise FhirError(
                400,
                "too-costly",
                f"Plus de {MAX_RESULTS} allergies correspondent : précisez la recherche.",
            )
        page = matches[search.offset : search.offset + search.count]
        return len(matches), entries_of(page)

    def _current(self, call: Call, resource_id: str) -> AllergyIntolerance:
        """The allergy, one audited read. A patient/ token looks among its own
        patient's allergies: access_allergy takes no patient limit (unlike
        access_observation), and opening another patient's record only to refuse
        it would log a read that never was."""
        reach = call.require(TYPE, Interaction.READ)
        parsed = base.parse_id(resource_id)
        if reach is not Reach.PATIENT:
            return access.access_allergy(call.actor, parsed)
        for allergy in self._own_patients(call):
            if allergy.pk == parsed:
                return allergy
        raise not_found()

    def _versions(self, call: Call, resource_id: str) -> list[AllergyIntolerance]:
        """Every version, newest first (decision 0019, §5)."""
        reach = call.require(TYPE, Interaction.READ)
        parsed = base.parse_id(resource_id)
        if reach is Reach.PATIENT and parsed not in {a.pk for a in self._own_patients(call)}:
            raise not_found()
        return access.access_allergy_history(call.actor, parsed)

    def _own_patients(self, call: Call) -> list[AllergyIntolerance]:
        """All the allergies of a patient/ token's patient, entered in error too."""
        if call.grant.patient_id is None:
            raise not_found()
        try:
            return access.access_allergies(
                call.actor,
                call.grant.patient_id,
                include_inactive=True,
                include_entered_in_error=True,
            )
        except ClinicalAccessDenied:
            raise not_found() from None

    def _patient(self, call: Call, search: Search, reach: Reach) -> uuid.UUID:
        """The one patient searched: `patient` or `subject`, or the token's own."""
        named: set[uuid.UUID] = set()
        for param in search.params:
            if param.name in ("patient", "subject"):
                if len(param.values) > 1:
                    raise bad_request("La recherche porte sur un seul patient.", param.name)
                named.add(reference(param.values[0], ("Patient",), param.name)[1])
        if len(named) > 1:
            raise bad_request("La recherche porte sur un seul patient.", "patient")
        if named:
            [patient_id] = named
            call.require_patient(TYPE, Interaction.SEARCH, patient_id)
            return patient_id
        if reach is Reach.PATIENT and call.grant.patient_id is not None:
            return call.grant.patient_id  # a patient/ token searches its own patient
        # Searching a whole practice's allergies would be the bulk extraction that
        # decision 0011 (§4) refuses; one record at a time, as for observations.
        raise FhirError(
            400, "required", "Précisez le patient : patient=Patient/id.", expression="patient"
        )

    def _test(self, param: Param) -> Predicate:
        if param.name == "code":
            return _code_test(param)
        if param.name in _TOKENS:
            return _token_test(param)
        raise bad_request(
            f"Paramètre non pris en charge : {param.name}", param.name
        )  # pragma: no cover
