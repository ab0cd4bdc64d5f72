"""Validation of every FHIR resource that enters or leaves Hygie.

Three layers: the structure and cardinality of FHIR R4 (fhir.resources' R4B models,
which also refuse unknown elements), the required bindings Hygie uses
(bindings.py), and French business rules (NIR key, RPPS check digit) in the
mappers. Nothing is written before a resource has passed all three.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from . import systems as S
from .bindings import REQUIRED

# Resource types Hygie serves, and the fhir.resources R4B module of each.
MODELS = {
    "Patient": "patient",
    "Practitioner": "practitioner",
    "PractitionerRole": "practitionerrole",
    "Organization": "organization",
    "AuditEvent": "auditevent",
    "Observation": "observation",
    "AllergyIntolerance": "allergyintolerance",
    "OperationOutcome": "operationoutcome",
    "Bundle": "bundle",
    "CapabilityStatement": "capabilitystatement",
}


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome.issue: `code` from the FHIR issue-type value set."""

    code: str
    diagnostics: str
    expression: str = ""
    severity: str = "error"


class FhirValidationError(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.diagnostics for i in issues))
        self.issues = issues


def _model(resource_type: str) -> Any:
    module = importlib.import_module(f"fhir.resources.R4B.{MODELS[resource_type]}")
    return getattr(module, resource_type)


def _values(node: Any, path: list[str], trail: str) -> Iterator[tuple[str, Any]]:
    """Every value at a dotted path, through lists (a list of codes at the end of
    the path too, as AllergyIntolerance.category), with its FHIRPath-like location."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _values(item, path, f"{trail}[{index}]")
        return
    if not path:
        yield trail, node
        return
    if isinstance(node, dict) and path[0] in node:
        yield from _values(node[path[0]], path[1:], f"{trail}.{path[0]}")


def _binding_issues(resource_type: str, data: dict[str, Any]) -> list[Issue]:
    issues = []
    for (rtype, path), allowed in REQUIRED.items():
        if rtype != resource_type:
            continue
        for location, value in _values(data, path.split("."), resource_type):
            if value not in allowed:
                issues.append(
                    Issue(
                        code="code-invalid",
                        expression=location,
                        diagnostics=f"{value!r} n'est pas un code autorisé pour {location} "
                        f"(attendu : {', '.join(sorted(allowed))})",
                    )
                )
    return issues


def _allergy_invariants(data: dict[str, Any]) -> list[Issue]:
    """FHIR ait-1 and ait-2 (R4 AllergyIntolerance), which fhir.resources does not
    evaluate: a clinical status unless entered in error, and none then."""
    codings = (data.get("verificationStatus") or {}).get("coding") or []
    in_error = any(
        c.get("system") == S.ALLERGY_VERIFICATION_STATUS_SYSTEM
        and c.get("code") == "entered-in-error"
        for c in codings
        if isinstance(c, dict)
    )
    has_clinical_status = bool(data.get("clinicalStatus"))
    if in_error and has_clinical_status:
        return [
            Issue(
                "invariant",
                "ait-2 : pas de statut clinique pour une allergie saisie par erreur.",
                "AllergyIntolerance.clinicalStatus",
            )
        ]
    if not in_error and not has_clinical_status:
        return [
            Issue(
                "invariant",
                "ait-1 : le statut clinique est obligatoire sauf pour une saisie par erreur.",
                "AllergyIntolerance.clinicalStatus",
            )
        ]
    return []


# Invariants of the resources Hygie serves that the R4B models leave unchecked.
INVARIANTS = {"AllergyIntolerance": _allergy_invariants}


def _structure_issues(resource_type: str, error: PydanticValidationError) -> list[Issue]:
    issues = []
    for problem in error.errors():
        location = ".".join(str(part) for part in problem.get("loc", ()) if part != "__root__")
        kind = problem.get("type", "")
        code = "structure" if kind in {"extra_forbidden", "missing"} else "value"
        message = {
            "extra_forbidden": "élément inconnu",
            "missing": "élément obligatoire absent",
        }.get(kind, str(problem.get("msg", "valeur invalide")))
        issues.append(
            Issue(
                code=code,
                expression=f"{resource_type}.{location}" if location else resource_type,
                diagnostics=message,
            )
        )
    return issues


def validate_resource(data: Any, expected_type: str | None = None) -> dict[str, Any]:
    """The resource as canonical JSON if it is valid FHIR R4 for Hygie, else
    FhirValidationError listing every problem found (not just the first)."""
    if not isinstance(data, dict):
        raise FhirValidationError([Issue("structure", "Une ressource FHIR est un objet JSON.")])
    resource_type = data.get("resourceType")
    if expected_type is not None and resource_type != expected_type:
        raise FhirValidationError(
            [
                Issue(
                    "invalid",
                    f"Ressource {resource_type!r} reçue, {expected_type} attendue.",
                    "resourceType",
                )
            ]
        )
    if resource_type not in MODELS:
        raise FhirValidationError(
            [Issue("not-supported", f"Type de ressource non pris en charge : {resource_type!r}")]
        )
    issues = _binding_issues(resource_type, data)
    if resource_type in INVARIANTS:
        issues += INVARIANTS[resource_type](data)
    try:
        model = _model(resource_type).model_validate(data)
    except PydanticValidationError as exc:
        raise FhirValidationError(_structure_issues(resource_type, exc) + issues) from exc
    if issues:
        raise FhirValidationError(issues)
    result: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return result
