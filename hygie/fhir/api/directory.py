"""The practice's directory: Organization (the practice), Practitioner (its
members as persons) and PractitionerRole (their memberships). Read and search,
through hygie.practices.access; another practice's entries are 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from hygie.crypto.blind import normalize_name
from hygie.practices import access
from hygie.practices.models import Membership

from .. import systems as S
from ..mappers import organization, practitioner, practitioner_role
from ..smart.scopes import Interaction
from . import base
from .base import Call, Entry, ResourceHandler
from .errors import bad_request
from .params import Param, Search, reference, token


def paged(entries: list[Entry], search: Search) -> tuple[int, list[Entry]]:
    if search.summary_count:
        return len(entries), []
    return len(entries), entries[search.offset : search.offset + search.count]


def _any(param: Param, test: Callable[[str], bool]) -> bool:
    return any(test(v) for v in param.values)


class OrganizationHandler(ResourceHandler):
    type_name = "Organization"
    interactions = (base.READ, base.SEARCH)
    search_params: ClassVar[dict[str, tuple[str, str]]] = {
        "_id": ("token", "Identifiant du cabinet"),
    }
    profiles = (S.fr_core_profile("fr-core-organization"),)

    def _entry(self, call: Call) -> Entry:
        practice = call.actor.practice
        return Entry(organization.to_fhir(practice), 1, practice.updated_at)

    def read(self, call: Call, resource_id: str) -> Entry:
        call.require("Organization", Interaction.READ)
        access.access_practice(call.actor, resource_id)
        return self._entry(call)

    def search(self, call: Call, search: Search) -> tuple[int, list[Entry]]:
        call.require("Organization", Interaction.SEARCH)
        access.access_practice(call.actor, call.actor.practice.pk)
        entry = self._entry(call)
        matches = all(entry.id in param.values for param in search.params)
        return paged([entry] if matches else [], search)


def _practitioner_entry(membership: Membership) -> Entry:
    return Entry(practitioner.to_fhir(membership.user, membership), 1, membership.updated_at)


def _names(membership: Membership) -> dict[str, list[str]]:
    family = normalize_name(membership.user.last_name).split()
    given = normalize_name(membership.user.first_name).split()
    return {"family": family, "given": given, "name": family + given}


class PractitionerHandler(ResourceHandler):
    type_name = "Practitioner"
    interactions = (base.READ, base.SEARCH)
    search_params: ClassVar[dict[str, tuple[str, str]]] = {
        "_id": ("token", "Identifiant de la personne"),
        "identifier": ("token", "RPPS (https://rpps.esante.gouv.fr|…) ou idNatPs (8 + RPPS)"),
        "name": ("string", "Début du nom ou du prénom"),
        "family": ("string", "Début du nom"),
        "given": ("string", "Début du prénom"),
    }
    profiles = (S.fr_core_profile("fr-core-practitioner"),)

    def read(self, call: Call, resource_id: str) -> Entry:
        call.require("Practitioner", Interaction.READ)
        return _practitioner_entry(
            access.access_member_user(call.actor, base.parse_id(resource_id))
        )

    def search(self, call: Call, search: Search) -> tuple[int, list[Entry]]:
        call.require("Practitioner", Interaction.SEARCH)
        members = access.directory(call.actor)
        for param in search.params:
            members = [m for m in members if self._matches(m, param)]
        return paged([_practitioner_entry(m) for m in members], search)

    def _matches(self, membership: Membership, param: Param) -> bool:
        if param.name == "_id":
            return _any(param, lambda v: v == str(membership.user_id))
        if param.name == "identifier":
            person = practitioner.practitioner_of(membership.user)
            if person is None:
                return False
            accepted = {
                (S.RPPS_SYSTEM, person.rpps),
                (S.IDNPS_SYSTEM, S.IDNPS_RPPS_PREFIX + person.rpps),
            }
            return _any(param, lambda v: (token(v)[1] == person.rpps and token(v)[0] is None)
                        or token(v) in accepted)  # fmt: skip
        words = _names(membership)[param.name]
        if param.modifier == "exact":
            raw = {
                "family": [membership.user.last_name],
                "given": [membership.user.first_name],
                "name": [membership.user.last_name, membership.user.first_name],
            }[param.name]
            return _any(param, lambda v: v in raw)
        return _any(
            param,
            lambda v: all(any(w.startswith(q) for w in words) for q in normalize_name(v).split()),
        )


class PractitionerRoleHandler(ResourceHandler):
    type_name = "PractitionerRole"
    interactions = (base.READ, base.SEARCH)
    search_params: ClassVar[dict[str, tuple[str, str]]] = {
        "_id": ("token", "Identifiant du rattachement au cabinet"),
        "practitioner": ("reference", "La personne (Practitioner/id)"),
        "active": ("token", "Rattachement en cours (true) ou terminé (false)"),
    }
    profiles = (S.fr_core_profile("fr-core-practitioner-role"),)

    def _entry(self, membership: Membership) -> Entry:
        return Entry(practitioner_role.to_fhir(membership), 1, membership.updated_at)

    def read(self, call: Call, resource_id: str) -> Entry:
        call.require("PractitionerRole", Interaction.READ)
        return self._entry(access.access_membership(call.actor, base.parse_id(resource_id)))

    def search(self, call: Call, search: Search) -> tuple[int, list[Entry]]:
        call.require("PractitionerRole", Interaction.SEARCH)
        entries = [self._entry(m) for m in access.directory(call.actor)]
        for param in search.params:
            entries = [e for e in entries if self._matches(e, param)]
        return paged(entries, search)

    def _matches(self, entry: Entry, param: Param) -> bool:
        if param.name == "_id":
            return _any(param, lambda v: v == entry.id)
        if param.name == "practitioner":
            wanted = {str(reference(v, ("Practitioner",), "practitioner")[1]) for v in param.values}
            return entry.resource["practitioner"]["reference"].split("/")[1] in wanted
        values = {token(v)[1] for v in param.values}
        if not values <= {"true", "false"}:
            raise bad_request("active vaut true ou false.", "active")
        return str(entry.resource.get("active", False)).lower() in values
