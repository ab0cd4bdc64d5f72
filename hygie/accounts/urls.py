from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("mfa-obligatoire/", views.mfa_required, name="mfa_required"),
    path("securite/", views.security, name="security"),
    path(
        "securite/sessions/<uuid:session_id>/revoquer/", views.revoke_session, name="revoke_session"
    ),
]
