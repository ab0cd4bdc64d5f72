"""The FHIR REST API: every path under /fhir/R4/ that SMART did not claim."""

from django.urls import path, re_path

from .views import fhir_api

urlpatterns = [
    path("", fhir_api),
    re_path(r"^(?P<path>.+)$", fhir_api),
]
