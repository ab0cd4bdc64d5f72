from django.urls import path

from . import views

app_name = "clinical"

urlpatterns = [
    path("<uuid:patient_id>/constantes/", views.vital_signs, name="vital_signs"),
    path(
        "<uuid:patient_id>/constantes/<uuid:observation_id>/erreur/",
        views.mark_entered_in_error,
        name="mark_entered_in_error",
    ),
]
