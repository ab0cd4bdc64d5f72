"""What every resource handler is made of, and the context of one API call.

A handler per resource type (patient.py, …) turns FHIR interactions into calls
to the domain's `access_*`/`do_*` functions and its mapper. It never touches a
model for a user's data itself. The views (views.py) do the HTTP around it:
authentication, formats, versions, bundles, errors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from django.http import HttpRequest

from hygie.patients.access import record_out_of_scope
from hygie.practices.context import Actor

from ..smart.grants import TokenGrant
from ..smart.scopes import Interaction, Reach
from .errors import FhirError, forbidden, not_found, not_supported
from .params import HistoryPage, Search

# FHIR interaction codes (CapabilityStatement.rest.resource.interaction.code).
READ, VREAD, UPDATE, DELETE = "read", "vread", "update", "delete"
HISTORY_INSTANCE, HISTORY_TYPE = "history-instance", "history-type"
CREATE, SEARCH = "create", "search-type"


@dataclass
class Call:
    request: HttpRequest
    grant: TokenGrant
    base: str  # absolute base URL of the API, without a trailing slash
    strict: bool

    @property
    def actor(self) -> Actor:
        return self.grant.actor

    def require(self, resource_type: str, interaction: Interaction) -> Reach:
        """The reach of the token for this interaction; 403 if no scope permits it."""
        reach = self.grant.reach(resource_type, interaction)
        if reach is None:
            raise forbidden(
                f"Le jeton n'a pas la portée nécessaire ({resource_type}, « {interaction} »)."
            )
        return reach

    def require_patient(
        self, resource_type: str, interaction: Interaction, patient_id: object
    ) -> None:
        """Like require(), and a patient/ scope reaches the launch patient only:
        any other patient is answered as absent."""
        if self.require(resource_type, interaction) is Reach.PATIENT and str(patient_id) != str(
            self.grant.patient_id
        ):
            record_out_of_scope(self.actor, patient_id)
            raise not_found()

    def doing(self, interaction: str) -> Call:
        """This call, its audit source naming the FHIR interaction (BALP subtype)."""
        source = dataclasses.replace(self.actor.source, interaction=interaction)
        actor = dataclasses.replace(self.actor, source=source)
        return dataclasses.replace(self, grant=dataclasses.replace(self.grant, actor=actor))


@dataclass(frozen=True)
class Entry:
    """One version of one resource, as the API returns it."""

    resource: dict[str, Any]
    version: int
    last_updated: dt.datetime
    deleted: bool = False

    @property
    def id(self) -> str:
        return str(self.resource["id"])


def parse_id(resource_id: str) -> uuid.UUID:
    """Hygie's ids are UUIDs; anything else is simply not found."""
    try:
        return uuid.UUID(resource_id)
    except ValueError:
        raise not_found() from None


class ResourceHandler:
    type_name: ClassVar[str]
    interactions: ClassVar[tuple[str, ...]]
    # name → (FHIR search parameter type, French documentation)
    search_params: ClassVar[dict[str, tuple[str, str]]] = {}
    # sortable parameter → the domain's sort key
    sorts: ClassVar[dict[str, str]] = {}
    profiles: ClassVar[tuple[str, ...]] = ()
    operations: ClassVar[tuple[str, ...]] = ()

    def read(self, call: Call, resource_id: str) -> Entry:
        raise not_supported("Lecture non prise en charge.")

    def vread(self, call: Call, resource_id: str, version: int) -> Entry:
        raise not_supported("Lecture de version non prise en charge.")

    def history(self, call: Call, resource_id: str) -> list[Entry]:
        raise not_supported("Historique non pris en charge.")

    def history_type(self, call: Call, page: HistoryPage) -> tuple[int, list[Entry]]:
        raise not_supported("Historique du type non pris en charge.")

    def search(self, call: Call, search: Search) -> tuple[int, list[Entry]]:
        raise not_supported("Recherche non prise en charge.")

    def create(self, call: Call, body: dict[str, Any]) -> Entry:
        raise not_supported("Création non prise en charge.")

    def update(
        self, call: Call, resource_id: str, body: dict[str, Any], expected: int | None
    ) -> Entry:
        raise not_supported("Modification non prise en charge.")

    def delete(self, call: Call, resource_id: str, expected: int | None) -> None:
        raise not_supported("Suppression non prise en charge.")

    def operation(self, call: Call, resource_id: str, name: str) -> list[Entry]:
        raise FhirError(404, "not-supported", f"Opération inconnue : ${name}")
