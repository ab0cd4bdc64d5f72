from django.urls import path

from . import views

app_name = "practices"

urlpatterns = [
    path("choisir/", views.switch, name="switch"),
    path("equipe/", views.members, name="members"),
    path("equipe/ajouter/", views.member_add, name="member_add"),
    path("equipe/<uuid:membership_id>/", views.member_detail, name="member_detail"),
    path("equipe/<uuid:membership_id>/terminer/", views.member_end, name="member_end"),
    path(
        "equipe/<uuid:membership_id>/reactiver/", views.member_reactivate, name="member_reactivate"
    ),
    path("audit/", views.audit_log, name="audit_log"),
]
