"""FHIR errors: an exception that carries its HTTP status and OperationOutcome.

Everything the API refuses is raised as FhirError (or mapped to one from the
domain's exceptions in views.py) and answered as an OperationOutcome with the
right status. The messages are French: they reach people through their apps.
"""

from __future__ import annotations

from ..validation import Issue


class FhirError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        *,
        expression: str = "",
        issues: list[Issue] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.issues = issues or [Issue(code, diagnostics, expression)]
        self.headers = headers or {}


def bad_request(diagnostics: str, expression: str = "") -> FhirError:
    return FhirError(400, "invalid", diagnostics, expression=expression)


def not_found() -> FhirError:
    # One message for "absent" and "not yours": ids cannot be probed.
    return FhirError(404, "not-found", "Ressource inconnue.")


def forbidden(diagnostics: str) -> FhirError:
    return FhirError(403, "forbidden", diagnostics)


def not_supported(diagnostics: str, status: int = 405) -> FhirError:
    return FhirError(status, "not-supported", diagnostics)
