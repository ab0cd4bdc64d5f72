"""Everything under /fhir/R4/: SMART authorization first (its paths are lower
case, never a resource type), then the FHIR REST API."""

from django.urls import include, path

urlpatterns = [
    path("", include("hygie.fhir.smart.urls")),
    path("", include("hygie.fhir.api.urls")),
]
