"""Patient: read, vread, history, search, create, update, delete, $everything.

Every path goes through hygie.patients.access (reads, audited) and
hygie.patients.actions (writes, audited); the mapper turns rows into FR Core.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import transaction

from hygie.clinical import access as clinical_access
from hygie.core import clock
from hygie.patients import access, actions
from hygie.patients.criteria import (
    BirthDateIn,
    Condition,
    GenderIn,
    IdIn,
    InsIn,
    NameMatch,
    NamePart,
    NameValue,
    TreatingIn,
    UpdatedIn,
)
from hygie.patients.enums import CareRelationshipKind, Gender, IdentityStatus, InsOid, Scope
from hygie.patients.models import Patient
from hygie.practices import queries as practice_queries

from .. import systems as S
from ..mappers import patient as mapper
from ..smart.scopes import Interaction, Reach
from ..validation import Issue, validate_resource
from . import base
from .allergy_intolerance import entries_of as allergy_entries
from .base import Call, Entry, ResourceHandler
from .errors import FhirError, bad_request, forbidden
from .observation import entries_of as observation_entries
from .params import (
    MAX_RESULTS,
    HistoryPage,
    Param,
    Search,
    date_value,
    instant_value,
    reference,
    token,
    uuid_or_none,
)

# Hygie's field names → the FHIR element a client sent them in.
FIELD_ELEMENTS = {
    "birth_family_name": "Patient.name.family",
    "birth_given_names": "Patient.name.given",
    "used_family_name": "Patient.name.family",
    "used_given_name": "Patient.name.given",
    "birth_date": "Patient.birthDate",
    "sex": "Patient.gender",
    "birthplace_insee": "Patient.extension",
    "nir": "Patient.identifier",
    "ins_oid": "Patient.identifier",
    "phone": "Patient.telecom",
    "email": "Patient.telecom",
    "address": "Patient.address",
}
HISTORY_WINDOW = dt.timedelta(days=7)
INS_SYSTEMS = {f"urn:oid:{oid}": str(oid) for oid in InsOid.values}


def entry_of(patient: Patient) -> Entry:
    resource = mapper.to_fhir(patient)
    resource["managingOrganization"] = {"reference": f"Organization/{patient.practice_id}"}
    if patient.treating_practitioner_id is not None:
        resource["generalPractitioner"] = [
            {"reference": f"PractitionerRole/{patient.treating_practitioner_id}"}
        ]
    return Entry(
        resource, patient.version, patient.updated_at, deleted=patient.deleted_at is not None
    )


def business_error(error: ValidationError) -> FhirError:
    """A rule of Hygie's domain refused the resource: 422, naming the elements."""
    issues: list[Issue] = []
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            for message in messages:
                issues.append(Issue("business-rule", message, FIELD_ELEMENTS.get(field, "")))
    else:
        issues = [Issue("business-rule", m) for m in error.messages]
    return FhirError(422, "business-rule", issues[0].diagnostics, issues=issues)


class PatientHandler(ResourceHandler):
    type_name = "Patient"
    interactions = (
        base.READ,
        base.VREAD,
        base.UPDATE,
        base.DELETE,
        base.HISTORY_INSTANCE,
        base.HISTORY_TYPE,
        base.CREATE,
        base.SEARCH,
    )
    search_params: ClassVar[dict[str, tuple[str, str]]] = {
        "_id": ("token", "Identifiant logique du patient"),
        "_lastUpdated": ("date", "Date de dernière modification"),
        "identifier": ("token", "Matricule INS (système|valeur) ou identifiant local"),
        "name": ("string", "Début d'un des noms ou prénoms (sans accents ni casse)"),
        "family": ("string", "Début du nom de naissance ou du nom utilisé"),
        "given": ("string", "Début d'un prénom"),
        "birthdate": ("date", "Date de naissance (préfixes eq, ne, lt, gt, le, ge)"),
        "gender": ("token", "Sexe (male, female, unknown)"),
        "general-practitioner": (
            "reference",
            "Médecin traitant (PractitionerRole/id ou Practitioner/id)",
        ),
    }
    sorts: ClassVar[dict[str, str]] = {
        "_lastUpdated": "updated",
        "birthdate": "birth_date",
        "family": "family",
    }
    profiles = (S.fr_core_profile("fr-core-patient"), S.fr_core_profile("fr-core-patient-ins"))
    operations = ("everything",)

    # Reads

    def read(self, call: Call, resource_id: str) -> Entry:
        call.require_patient("Patient", Interaction.READ, resource_id)
        patient = access.access_patient(
            call.actor, base.parse_id(resource_id), with_treating_doctor=False
        )
        return entry_of(patient)

    def vread(self, call: Call, resource_id: str, version: int) -> Entry:
        call.require_patient("Patient", Interaction.READ, resource_id)
        patient = access.access_patient_version(call.actor, base.parse_id(resource_id), version)
        return entry_of(patient)

    def history(self, call: Call, resource_id: str) -> list[Entry]:
        call.require_patient("Patient", Interaction.READ, resource_id)
        versions = access.access_patient_history(call.actor, base.parse_id(resource_id))
        return [entry_of(p) for p in versions]

    def history_type(self, call: Call, page: HistoryPage) -> tuple[int, list[Entry]]:
        if call.require("Patient", Interaction.SEARCH) is Reach.PATIENT:
            # A patient/ token: the history of its patient, paged the same way.
            versions = access.access_patient_history(call.actor, call.grant.patient_id)
            entries = [entry_of(p) for p in versions]
            return len(entries), entries[page.offset : page.offset + page.count]
        if not call.actor.is_system and (
            page.since is None or page.since < clock.now() - HISTORY_WINDOW
        ):
            # A person's app follows recent changes; a whole practice's history is
            # for a service registered by its admins (decision 0011, §4).
            raise FhirError(
                400,
                "too-costly",
                f"Indiquez _since, au plus {HISTORY_WINDOW.days} jours en arrière.",
                expression="_since",
            )
        try:
            total, versions = access.find_patient_changes(
                call.actor,
                since=page.since,
                offset=page.offset,
                count=page.count,
                max_total=MAX_RESULTS,
            )
        except access.SearchTooBroad:
            raise FhirError(
                400,
                "too-costly",
                f"Plus de {MAX_RESULTS} versions : rapprochez _since.",
                expression="_since",
            ) from None
        return total, [entry_of(p) for p in versions]

    def search(self, call: Call, search: Search) -> tuple[int, list[Entry]]:
        reach = call.require("Patient", Interaction.SEARCH)
        conditions = [self._condition(call, p) for p in search.params]
        if reach is Reach.PATIENT:
            conditions.append(IdIn(frozenset({call.grant.patient_id})))  # type: ignore[arg-type]
        if not any(_selective(c) for c in conditions):
            raise FhirError(
                400,
                "too-costly",
                "Précisez la recherche : un nom, une date de naissance exacte ou un identifiant.",
            )
        try:
            page = access.find_patients(
                call.actor,
                conditions,
                order=search.sort,
                offset=search.offset,
                count=0 if search.summary_count else search.count,
                max_total=None if search.summary_count else MAX_RESULTS,
                criteria_names=sorted({p.name for p in search.params}),
            )
        except access.SearchTooBroad:
            raise FhirError(
                400,
                "too-costly",
                f"Plus de {MAX_RESULTS} dossiers correspondent : précisez la recherche "
                "(nom, date de naissance exacte, identifiant).",
            ) from None
        return page.total, [entry_of(p) for p in page.patients]

    def _condition(self, call: Call, param: Param) -> Condition:
        name, values = param.name, param.values
        if name == "_id":
            return IdIn(frozenset(uuid_or_none(v) for v in values) - {None})  # type: ignore[arg-type]
        if name in ("name", "family", "given"):
            part = NamePart(name)
            return NameMatch(
                part, tuple(NameValue(v, exact=param.modifier == "exact") for v in values)
            )
        if name == "birthdate":
            return BirthDateIn(tuple(date_value(v, name) for v in values))
        if name == "_lastUpdated":
            return UpdatedIn(tuple(instant_value(v, name) for v in values))
        if name == "gender":
            codes = {token(v)[1] for v in values}
            unknown = codes - set(Gender.values)
            if unknown:
                raise bad_request(
                    f"Sexe inconnu : {sorted(unknown)[0]} (male, female, unknown).", "gender"
                )
            return GenderIn(frozenset(codes))
        if name == "identifier":
            return self._identifier(call, values)
        if name == "general-practitioner":
            return TreatingIn(frozenset(self._practitioner_roles(call, values)))
        raise bad_request(f"Paramètre non pris en charge : {name}", name)  # pragma: no cover

    def _identifier(self, call: Call, values: tuple[str, ...]) -> Condition:
        local = S.patient_id_system(call.actor.practice.pk)
        ins: set[tuple[str, str]] = set()
        ids: set[uuid.UUID] = set()
        for value in values:
            system, code = token(value)
            if system == local:
                parsed = uuid_or_none(code)
                if parsed is not None:
                    ids.add(parsed)
            elif system is None or system in INS_SYSTEMS:
                ins.add((INS_SYSTEMS.get(system or "", ""), code.replace(" ", "")))
            # Another system names nothing Hygie holds: no match.
        if ids and ins:
            raise bad_request(
                "Un identifiant local et un INS ne se combinent pas par une virgule.", "identifier"
            )
        return IdIn(frozenset(ids)) if ids else InsIn(frozenset(ins))

    def _practitioner_roles(self, call: Call, values: tuple[str, ...]) -> set[uuid.UUID]:
        wanted: set[uuid.UUID] = set()
        for value in values:
            kind, parsed = reference(
                value, ("PractitionerRole", "Practitioner"), "general-practitioner"
            )
            if kind == "Practitioner":
                wanted |= practice_queries.membership_ids_of_user(call.actor.practice, parsed)
            else:
                wanted.add(parsed)
        return wanted

    # Writes

    def _identity(self, call: Call, body: dict[str, Any]) -> tuple[Any, uuid.UUID | None]:
        """The identity in `body`, and the membership its generalPractitioner names.
        The elements Hygie manages itself (meta, managingOrganization,
        generalPractitioner) are checked here and not passed to the mapper."""
        data = validate_resource(body, "Patient")
        data = {k: v for k, v in data.items() if k != "meta"}
        organization = data.pop("managingOrganization", None)
        if organization is not None and organization.get("reference") != (
            f"Organization/{call.actor.practice.pk}"
        ):
            raise _rule(
                "Le patient ne peut être rattaché qu'au cabinet du jeton.",
                "Patient.managingOrganization",
            )
        treating = None
        gps = data.pop("generalPractitioner", None) or []
        if len(gps) > 1:
            raise _rule("Un seul médecin traitant.", "Patient.generalPractitioner")
        if gps:
            kind, _, ident = str(gps[0].get("reference", "")).partition("/")
            treating = uuid_or_none(ident) if kind == "PractitionerRole" else None
            if treating is None:
                raise _rule(
                    "Le médecin traitant se désigne par PractitionerRole/id.",
                    "Patient.generalPractitioner",
                )
        return mapper.from_fhir(data, call.actor.practice.pk), treating

    def create(self, call: Call, body: dict[str, Any]) -> Entry:
        if call.require("Patient", Interaction.CREATE) is Reach.PATIENT:
            raise forbidden("Un jeton limité à un patient ne peut pas créer de patient.")
        identity, treating = self._identity(call, body)
        try:
            with transaction.atomic():
                patient = actions.do_create_patient(call.actor, identity)
                if treating is not None:
                    self._set_treating(call, patient, treating)
        except ValidationError as exc:
            raise business_error(exc) from None
        return entry_of(patient)

    def _set_treating(self, call: Call, patient: Patient, membership_id: uuid.UUID) -> None:
        membership = practice_queries.practitioner_role(call.actor.practice, membership_id)
        if membership is None:
            raise _rule("Médecin traitant inconnu dans ce cabinet.", "Patient.generalPractitioner")
        actions.do_add_care_relationship(
            call.actor, patient, membership, kind=CareRelationshipKind.TREATING
        )

    def update(
        self, call: Call, resource_id: str, body: dict[str, Any], expected: int | None
    ) -> Entry:
        call.require_patient("Patient", Interaction.UPDATE, resource_id)
        if body.get("id") != resource_id:
            raise bad_request("L'id de la ressource doit être celui de l'URL.", "Patient.id")
        identity, treating = self._identity(call, body)
        patient = access.access_patient(call.actor, base.parse_id(resource_id))
        if not identity.nir and patient.nir and patient.identity_status != IdentityStatus.QUALIFIED:
            # The INS leaves Hygie only for a qualified identity (FR Core): a client
            # writing back what it read never had it, and must not erase it.
            identity = dataclasses.replace(identity, nir=patient.nir, ins_oid=patient.ins_oid)
        if treating != patient.treating_practitioner_id:
            # Choosing the médecin traitant is a care decision recorded in Hygie (it
            # opens the record to that doctor), not a field a client overwrites.
            raise _rule(
                "Le médecin traitant ne se change pas par l'API : gardez generalPractitioner.",
                "Patient.generalPractitioner",
            )
        try:
            patient = actions.do_update_patient(
                call.actor, patient, identity, expected_version=expected
            )
        except ValidationError as exc:
            raise business_error(exc) from None
        return entry_of(patient)

    def delete(self, call: Call, resource_id: str, expected: int | None) -> None:
        call.require_patient("Patient", Interaction.DELETE, resource_id)
        try:
            patient = access.access_patient(call.actor, base.parse_id(resource_id))
        except access.PatientDeleted:
            return  # FHIR: deleting a deleted resource has no effect and succeeds
        actions.do_delete_patient(call.actor, patient, expected_version=expected)

    # Operations

    def operation(self, call: Call, resource_id: str, name: str) -> list[Entry]:
        if name != "everything":
            return super().operation(call, resource_id, name)
        call.require_patient("Patient", Interaction.READ, resource_id)
        patient = access.access_patient(call.actor, base.parse_id(resource_id))
        # The patient's whole record, as far as the token's scopes and the actor's
        # rights reach: each clinical capability adds its resources here
        # (hygie/fhir/README.md).
        entries = [entry_of(patient)]
        if self._may_open_record(call, patient, "Observation"):
            # Entered-in-error ones too, with their status: the whole record's
            # history (decision 0018), unlike a search.
            observations = clinical_access.access_vital_signs(
                call.actor, patient.pk, include_entered_in_error=True
            )
            entries += observation_entries(observations)
        if self._may_open_record(call, patient, "AllergyIntolerance"):
            # Every status, entered-in-error included, as for observations: the
            # record's export (decision 0020). Its own door: one more CLINICAL_READ.
            allergies = clinical_access.access_allergies(
                call.actor, patient.pk, include_inactive=True, include_entered_in_error=True
            )
            entries += allergy_entries(allergies)
        return entries

    def _may_open_record(self, call: Call, patient: Patient, resource_type: str) -> bool:
        """Whether $everything includes the clinical `resource_type`: the token may
        read it and the policy lets the actor open the record. Asked without
        auditing (the read that follows is audited): a colleague or an assistant
        gets the identity alone, without a refusal logged for what they never
        asked for by name."""
        if call.grant.reach(resource_type, Interaction.READ) is None:
            return False
        return access.decision_for(call.actor, patient, Scope.CLINICAL).allowed


def _selective(condition: Condition) -> bool:
    """Whether `condition` narrows a search enough on its own: an index serves it
    and it names people, not a period or a whole doctor's list."""
    if isinstance(condition, IdIn | InsIn):
        return True
    if isinstance(condition, NameMatch):
        return condition.indexed_words() is not None
    return isinstance(condition, BirthDateIn) and condition.exact


def _rule(message: str, expression: str) -> FhirError:
    return FhirError(422, "business-rule", message, expression=expression)
