from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("nouveau/", views.patient_create, name="create"),
    path("<uuid:patient_id>/", views.patient_detail, name="detail"),
    path("<uuid:patient_id>/modifier/", views.patient_edit, name="edit"),
    path("<uuid:patient_id>/identite/", views.identity_check, name="identity_check"),
    path("<uuid:patient_id>/bris-de-glace/", views.break_glass, name="break_glass"),
    path("<uuid:patient_id>/historique-acces/", views.access_history, name="access_history"),
]
