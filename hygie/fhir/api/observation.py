"""Observation: the vital signs (and capillary glucose), read and searched for one
patient at a time, through hygie.clinical.access (each read audited there as the
one CLINICAL_READ of the patient's record). Read-only: they are recorded in Hygie.
Decision 0018.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import ClassVar

from hygie.clinical import access
from hygie.clinical.models import Observation
from hygie.patients.access import ClinicalAccessDenied

from .. import bindings
from .. import systems as S
from ..mappers import observation as mapper
from ..smart.scopes import Interaction, Reach
from . import base
from .base import Call, Entry, ResourceHandler
from .errors import FhirError, bad_request, not_found
from .params import MAX_RESULTS, Param, Search, instant_value, reference, token

ENTERED_IN_ERROR = "entered-in-error"
MANDATORY_ELEMENTS = frozenset({"status", "code"})
Predicate = Callable[[Observation], bool]


def entries_of(observations: list[Observation]) -> list[Entry]:
    sources = access.derivation_sources_of(observations)
    return [
        Entry(
            mapper.to_fhir(o, sources.get(o.pk, ())),
            # Not versioned: an observation is recorded once and may then only be
            # marked entered in error (decision 0017), its second and last state.
            2 if o.status_changed_at is not None else 1,
            o.updated_at,
        )
        for o in observations
    ]


def _loinc_codes(observation: Observation) -> set[str]:
    """The LOINC codes of the observation's code, extra codings included (plain
    columns and constants: nothing is decrypted to filter)."""
    return {
        c["code"]
        for c in mapper.code_of(observation.code)["coding"]
        if c["system"] == S.LOINC_SYSTEM
    }


def _token_test(
    param: Param, system: str, codes_of: Callable[[Observation], set[str]]
) -> Predicate:
    wanted = [token(v) for v in param.values]
    return lambda o: any((s is None or s == system) and code in codes_of(o) for s, code in wanted)


class ObservationHandler(ResourceHandler):
    type_name = "Observation"
    interactions = (base.READ, base.SEARCH)
    search_params: ClassVar[dict[str, tuple[str, str]]] = {
        "patient": (
            "reference",
            "Le patient (Patient/id) : obligatoire, sauf pour un jeton limité à un patient",
        ),
        "subject": ("reference", "Le patient (Patient/id), comme patient"),
        "category": ("token", "Catégorie : vital-signs, ou laboratory (glycémie capillaire)"),
        "code": ("token", "Code LOINC (http://loinc.org|29463-7 ou 29463-7)"),
        "date": ("date", "Date de la mesure (préfixes eq, ne, lt, gt, le, ge)"),
        "status": (
            "token",
            "Statut (final, amended, entered-in-error) : les saisies par erreur ne sont "
            "rendues que si ce statut est demandé",
        ),
    }
    sorts: ClassVar[dict[str, str]] = {"date": "date"}
    profiles = mapper.supported_profiles()

    def read(self, call: Call, resource_id: str) -> Entry:
        reach = call.require("Observation", Interaction.READ)
        observation = access.access_observation(
            call.actor,
            base.parse_id(resource_id),
            patient_id=call.grant.patient_id if reach is Reach.PATIENT else None,
        )
        [entry] = entries_of([observation])
        return entry

    def search(self, call: Call, search: Search) -> tuple[int, list[Entry]]:
        reach = call.require("Observation", Interaction.SEARCH)
        patient_id = self._patient(call, search, reach)
        if search.elements is not None:
            # FHIR: a subset keeps the mandatory elements (an Observation without
            # status or code is invalid); the links then say what was returned.
            search.elements = search.elements | MANDATORY_ELEMENTS
        # Every criterion is checked before the record is opened: a malformed one
        # is refused without a read in the log.
        tests = [self._test(p) for p in search.params if p.name not in ("patient", "subject")]
        statuses = {token(v)[1] for p in search.params if p.name == "status" for v in p.values}
        try:
            rows = access.access_vital_signs(
                call.actor, patient_id, include_entered_in_error=ENTERED_IN_ERROR in statuses
            )
        except ClinicalAccessDenied:
            # A colleague without care relationship, an assistant: the answer of an
            # absent patient, as for a read (the refusal is in the log).
            raise not_found() from None
        matches = [o for o in rows if all(test(o) for test in tests)]
        for _key, descending in search.sort:
            # The door lists newest first; _sort=date asks for the oldest first.
            matches.sort(key=lambda o: (o.effective_at, o.recorded_at), reverse=descending)
        if search.summary_count:
            return len(matches), []
        if len(matches) > MAX_RESULTS:
            raise FhirError(
                400,
                "too-costly",
                f"Plus de {MAX_RESULTS} observations correspondent : précisez la recherche "
                "(code, date).",
            )
        page = matches[search.offset : search.offset + search.count]
        return len(matches), entries_of(page)

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
            call.require_patient("Observation", Interaction.SEARCH, patient_id)
            return patient_id
        if reach is Reach.PATIENT and call.grant.patient_id is not None:
            return call.grant.patient_id  # a patient/ token searches its own patient
        # Searching a whole practice's measures would be the bulk extraction that
        # decision 0011 (§4) refuses for patients; one record at a time.
        raise FhirError(
            400, "required", "Précisez le patient : patient=Patient/id.", expression="patient"
        )

    def _test(self, param: Param) -> Predicate:
        if param.name == "code":
            return _token_test(param, S.LOINC_SYSTEM, _loinc_codes)
        if param.name == "category":
            return _token_test(param, S.OBSERVATION_CATEGORY_SYSTEM, lambda o: {o.category})
        if param.name == "status":
            codes = {token(v)[1] for v in param.values}
            unknown = codes - bindings.OBSERVATION_STATUS
            if unknown:
                raise bad_request(
                    f"Statut inconnu : {sorted(unknown)[0]} (final, amended, entered-in-error…).",
                    "status",
                )
            return lambda o: o.status in codes
        if param.name == "date":
            moments = [instant_value(v, "date") for v in param.values]
            return lambda o: any(m.contains(o.effective_at) for m in moments)
        message = f"Paramètre non pris en charge : {param.name}"
        raise bad_request(message, param.name)  # pragma: no cover
