from django.urls import include, path

urlpatterns = [
    # Hygie's own account pages first: they replace some of allauth's.
    path("comptes/", include("hygie.accounts.urls")),
    path("comptes/", include("allauth.urls")),
    path("patients/", include("hygie.patients.urls")),
    path("dossier/", include("hygie.clinical.urls")),
    path("cabinet/", include("hygie.practices.urls")),
    path("fhir/R4/", include("hygie.fhir.urls")),
    path("", include("hygie.web.urls")),
]
