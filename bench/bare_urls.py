"""Hygie's URLs plus the bare view the FHIR load benchmark compares the API with.

The bare view is what is left of a Patient read once the API's own work is taken
away: no token, no access check, no audit, no decryption, no FHIR mapping. It
does the same single-row lookup (the patient's row by primary key, every column:
the same bytes leave the database) through the same ORM, middleware, server and
database connection, and answers JSON with the clear columns and the size of each
encrypted one (left as the opaque Ciphertext the field loads, never decrypted).
It exists only in the benchmark's server (bench/bare_settings.py).
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path

from bench.fhir_server import BARE_PATH
from config.urls import urlpatterns as hygie_urlpatterns
from hygie.crypto.fields import Ciphertext
from hygie.patients.models import Patient


def bare_patient(request: HttpRequest, patient_id: uuid.UUID) -> JsonResponse:
    row = Patient.objects.filter(pk=patient_id).values().first()
    if row is None:
        raise Http404
    body = {
        key: len(value.blob) if isinstance(value, Ciphertext) else value
        for key, value in row.items()
        if not isinstance(value, bytes | memoryview)  # blind indexes: not for display
    }
    return JsonResponse(body)


urlpatterns = [
    path(f"{BARE_PATH}<uuid:patient_id>", bare_patient, name="bench-bare-patient"),
    *hygie_urlpatterns,
]
