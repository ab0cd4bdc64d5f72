"""Everything under /fhir/R4/: SMART authorization first (its paths are lower
case, never a resource type); the FHIR REST API follows."""

from django.urls import include, path

urlpatterns = [
    path("", include("hygie.fhir.smart.urls")),
]
