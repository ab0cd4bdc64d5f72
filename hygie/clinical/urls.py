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
    path("<uuid:patient_id>/allergies/", views.allergies, name="allergies"),
    path(
        "<uuid:patient_id>/allergies/<uuid:allergy_id>/modifier/",
        views.edit_allergy,
        name="edit_allergy",
    ),
    path(
        "<uuid:patient_id>/allergies/<uuid:allergy_id>/erreur/",
        views.mark_allergy_entered_in_error,
        name="mark_allergy_entered_in_error",
    ),
    path(
        "<uuid:patient_id>/allergies/<uuid:allergy_id>/historique/",
        views.allergy_history,
        name="allergy_history",
    ),
]
