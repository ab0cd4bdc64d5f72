"""SMART on FHIR authorization, under the FHIR base (/fhir/R4/). Lower-case paths:
they can never be mistaken for a FHIR resource type."""

from django.urls import path

from . import authorize, views

urlpatterns = [
    path(
        ".well-known/smart-configuration",
        views.smart_configuration,
        name="smart-configuration",
    ),
    path("auth/authorize", authorize.authorize, name="smart-authorize"),
    path("auth/token", views.SmartTokenView.as_view(), name="smart-token"),
    path("auth/revoke", views.SmartRevokeView.as_view(), name="smart-revoke"),
    path("auth/introspect", views.introspect, name="smart-introspect"),
]
