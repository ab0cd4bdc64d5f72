"""/fhir/R4/auth/authorize: SMART App Launch, standalone (decision 0010).

GET with the app's request → Hygie's own login (password, then second factor:
the MFA middleware lets nothing past without it) → the request is checked by
DOT (client, redirect URI, PKCE S256, scopes) and by Hygie (`aud` is the FHIR
base URL) → the practice (the session's, or a choice) → the patient picker when
the app asked for a patient → the consent page → a code back to the app.

Between the steps the checked request waits in the session, under a random id
the pages post back: nothing the browser sends can change the client, the
redirect URI, the PKCE challenge or the scopes after they were checked.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect

from hygie.accounts.models import User
from hygie.audit.actions import AuditSource
from hygie.core import clock
from hygie.fhir.models import ApiClient
from hygie.patients.access import PatientNotFound, access_patient, search_patients
from hygie.practices.context import Actor, actor_for_request
from hygie.practices.models import Membership
from hygie.practices.queries import current_membership, current_memberships

from .actions import do_record_consent
from .describe import describe_scopes
from .endpoints import fhir_base_url
from .scopes import Context, ScopeSet
from .tokens import Binding
from .validator import granted_scopes
from .views import SmartTokenView

PENDING = "hygie_smart_pending"
PENDING_SECONDS = 600
MAX_PENDING = 5
# What the authorize pages may post to, besides Hygie itself: the app's own
# redirect URI (the answer to a form is a redirect there, and browsers apply
# form-action to it). The rest is the site's policy (hygie.web.middleware.CSP).
CSP_TEMPLATE = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action {sources}",
        "frame-ancestors 'none'",
    ]
)
PICKER_LIMIT = 20


class PatientSearchForm(forms.Form):
    name = forms.CharField(label=_lazy("Nom ou prénom"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_lazy("Date de naissance"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("name", "").strip() and not data.get("birth_date"):
            raise forms.ValidationError(_("Indiquez un nom ou une date de naissance."))
        return data


def _core() -> Any:
    return SmartTokenView.get_oauthlib_core()


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "GET":
        return _begin(request)
    return _continue(request)


# --- First step: check the app's request ------------------------------------------


def _begin(request: HttpRequest) -> HttpResponse:
    try:
        scopes, credentials = _core().validate_authorization_request(request)
    except FatalClientError:
        return _error_page(
            request,
            _(
                "Cette demande d'autorisation est invalide : application inconnue ou "
                "adresse de retour non enregistrée. Prévenez l'éditeur de l'application."
            ),
        )
    except OAuthToolkitError as error:
        return _redirect_oauth_error(request, error)
    client = ApiClient.objects.get(client_id=credentials["client_id"])
    redirect_uri, state = credentials["redirect_uri"], credentials.get("state")
    if str(request.GET.get("aud", "")).rstrip("/") != fhir_base_url():
        return _redirect_error(
            client, redirect_uri, state, "invalid_request", "aud must be the FHIR base URL"
        )
    granted = granted_scopes(scopes)
    parsed = ScopeSet.parse(granted)
    pending: dict[str, Any] = {
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": credentials["response_type"],
        "code_challenge": credentials["code_challenge"],
        "code_challenge_method": credentials["code_challenge_method"],
        "scopes": granted,
        "needs_patient": "launch/patient" in parsed.context
        or any(s.context is Context.PATIENT for s in parsed.resources),
        "practice_id": None,
        "patient_id": None,
        "at": time.time(),
    }
    candidates = _candidate_memberships(request.user, client)  # type: ignore[arg-type]
    if not candidates:
        return _error_page(
            request,
            _("Vous n'êtes rattaché(e) à aucun cabinet qui puisse autoriser cette application."),
            status=403,
        )
    membership = _default_membership(request, candidates)
    if membership is not None:
        pending["practice_id"] = str(membership.practice_id)
    rid = _store(request, pending)
    return _next_page(request, rid, pending, client, membership)


def _candidate_memberships(user: User, client: ApiClient) -> list[Membership]:
    memberships = current_memberships(user, clock.today())
    if client.practice_id is not None:
        memberships = memberships.filter(practice_id=client.practice_id)
    return list(memberships)


def _default_membership(request: HttpRequest, candidates: list[Membership]) -> Membership | None:
    """The session's practice when it is one of the candidates, else the only one;
    several: the person chooses."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is not None and actor.membership is not None:
        for membership in candidates:
            if membership.pk == actor.membership.pk:
                return membership
    return candidates[0] if len(candidates) == 1 else None


# --- The following steps: forms posted back with the pending request's id -------------


def _continue(request: HttpRequest) -> HttpResponse:
    rid = request.POST.get("rid", "")
    pending = request.session.get(PENDING, {}).get(rid)
    if pending is None or time.time() - pending["at"] > PENDING_SECONDS:
        return _error_page(
            request,
            _("Cette demande d'autorisation a expiré. Relancez la connexion depuis l'application."),
        )
    client = ApiClient.objects.filter(client_id=pending["client_id"]).first()
    if client is None or not client.is_usable(None):
        _forget(request, rid)
        return _error_page(request, _("Cette application n'est plus autorisée dans Hygie."))
    action = request.POST.get("action", "")
    if action == "deny":
        return _deny(request, rid, pending, client)
    if action == "practice":
        chosen = request.POST.get("practice", "")
        candidates = _candidate_memberships(request.user, client)  # type: ignore[arg-type]
        if not any(str(m.practice_id) == chosen for m in candidates):
            return _error_page(request, _("Cabinet inconnu."))
        pending["practice_id"] = chosen
        pending["patient_id"] = None
        _save(request, rid, pending)
    membership = _membership(request, pending)
    if membership is None:
        if pending["practice_id"] is None:
            return _next_page(request, rid, pending, client, None)
        _forget(request, rid)
        return _error_page(request, _("Votre accès à ce cabinet a pris fin."), status=403)
    actor = _actor(request, membership)
    if action == "search":
        return _picker(request, rid, pending, client, actor, PatientSearchForm(request.POST))
    if action == "patient":
        return _choose_patient(request, rid, pending, client, actor, membership)
    if action == "allow":
        return _allow(request, rid, pending, client, actor, membership)
    return _next_page(request, rid, pending, client, membership)


def _membership(request: HttpRequest, pending: dict[str, Any]) -> Membership | None:
    if pending["practice_id"] is None:
        return None
    return current_membership(request.user, pending["practice_id"], clock.today())  # type: ignore[arg-type]


def _actor(request: HttpRequest, membership: Membership) -> Actor:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is not None and actor.membership is not None and actor.membership.pk == membership.pk:
        return actor
    return actor_for_request(request, membership)


def _next_page(
    request: HttpRequest,
    rid: str,
    pending: dict[str, Any],
    client: ApiClient,
    membership: Membership | None,
) -> HttpResponse:
    if membership is None:
        candidates = _candidate_memberships(request.user, client)  # type: ignore[arg-type]
        return _page(
            request, "fhir/smart/practice.html", rid, pending, client, {"memberships": candidates}
        )
    if pending["needs_patient"] and pending["patient_id"] is None:
        return _picker(
            request, rid, pending, client, _actor(request, membership), PatientSearchForm()
        )
    return _consent(request, rid, pending, client, membership, patient=None)


def _picker(
    request: HttpRequest,
    rid: str,
    pending: dict[str, Any],
    client: ApiClient,
    actor: Actor,
    form: PatientSearchForm,
    error: str = "",
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "practice": actor.practice,
        "patients": None,
        "error": error,
    }
    if form.is_bound and form.is_valid():
        try:
            context["patients"] = search_patients(
                actor,
                name=form.cleaned_data["name"].strip(),
                birth_date=form.cleaned_data["birth_date"],
                limit=PICKER_LIMIT,
            )
        except PermissionDenied:
            context["refused"] = True
    return _page(request, "fhir/smart/patient.html", rid, pending, client, context)


def _choose_patient(
    request: HttpRequest,
    rid: str,
    pending: dict[str, Any],
    client: ApiClient,
    actor: Actor,
    membership: Membership,
) -> HttpResponse:
    try:
        patient = access_patient(actor, request.POST.get("patient", ""))
    except PatientNotFound:
        return _picker(
            request, rid, pending, client, actor, PatientSearchForm(), _("Patient introuvable.")
        )
    pending["patient_id"] = str(patient.pk)
    _save(request, rid, pending)
    return _consent(request, rid, pending, client, membership, patient=patient)


def _consent(
    request: HttpRequest,
    rid: str,
    pending: dict[str, Any],
    client: ApiClient,
    membership: Membership,
    *,
    patient: Any,
) -> HttpResponse:
    scopes = ScopeSet.parse(pending["scopes"])
    context = {
        "practice": membership.practice,
        "patient": patient,
        "permissions": describe_scopes(scopes),
        "granted": str(scopes),
    }
    return _page(request, "fhir/smart/consent.html", rid, pending, client, context)


def _allow(
    request: HttpRequest,
    rid: str,
    pending: dict[str, Any],
    client: ApiClient,
    actor: Actor,
    membership: Membership,
) -> HttpResponse:
    if pending["needs_patient"] and pending["patient_id"] is None:
        return _next_page(request, rid, pending, client, membership)
    scopes = ScopeSet.parse(pending["scopes"])
    patient_id = uuid.UUID(pending["patient_id"]) if pending["patient_id"] else None
    binding = Binding(
        practice_id=membership.practice_id,
        membership_id=membership.pk,
        patient_id=patient_id,
        authorization_id=uuid.uuid4(),
        online_session_key=(
            str(request.session.session_key) if "online_access" in scopes.context else ""
        ),
    )
    credentials = {
        "client_id": client.client_id,
        "redirect_uri": pending["redirect_uri"],
        "response_type": pending["response_type"],
        "state": pending["state"],
        "code_challenge": pending["code_challenge"],
        "code_challenge_method": pending["code_challenge_method"],
        "hygie_binding": binding,
    }
    try:
        with transaction.atomic():
            do_record_consent(
                actor.source, client, scopes=scopes, patient_id=patient_id, granted=True
            )
            uri, _headers, _body, _status = _core().create_authorization_response(
                request, pending["scopes"], credentials, True
            )
    except FatalClientError:
        _forget(request, rid)
        return _error_page(request, _("Cette demande d'autorisation est invalide."))
    except OAuthToolkitError as error:
        _forget(request, rid)
        return _redirect_oauth_error(request, error, client)
    _forget(request, rid)
    return OAuth2ResponseRedirect(uri, client.get_allowed_schemes())


def _deny(
    request: HttpRequest, rid: str, pending: dict[str, Any], client: ApiClient
) -> HttpResponse:
    membership = _membership(request, pending)
    source = (
        _actor(request, membership).source
        if membership is not None
        else AuditSource.for_request(request, practice_id=None)
    )
    patient_id = uuid.UUID(pending["patient_id"]) if pending["patient_id"] else None
    do_record_consent(
        source,
        client,
        scopes=ScopeSet.parse(pending["scopes"]),
        patient_id=patient_id,
        granted=False,
    )
    _forget(request, rid)
    return _redirect_error(
        client, pending["redirect_uri"], pending["state"], "access_denied", "The user refused."
    )


# --- Session storage of pending requests -------------------------------------------


def _store(request: HttpRequest, pending: dict[str, Any]) -> str:
    rid = secrets.token_urlsafe(16)
    all_pending = {
        k: v
        for k, v in request.session.get(PENDING, {}).items()
        if time.time() - v["at"] <= PENDING_SECONDS
    }
    # A few at most: an app retrying in a loop must not grow the session.
    for old in sorted(all_pending, key=lambda k: all_pending[k]["at"])[: -MAX_PENDING + 1]:
        del all_pending[old]
    all_pending[rid] = pending
    request.session[PENDING] = all_pending
    return rid


def _save(request: HttpRequest, rid: str, pending: dict[str, Any]) -> None:
    all_pending = request.session.get(PENDING, {})
    all_pending[rid] = pending
    request.session[PENDING] = all_pending


def _forget(request: HttpRequest, rid: str) -> None:
    all_pending = request.session.get(PENDING, {})
    all_pending.pop(rid, None)
    request.session[PENDING] = all_pending


# --- Responses ----------------------------------------------------------------------


def _page(
    request: HttpRequest,
    template: str,
    rid: str,
    pending: dict[str, Any],
    client: ApiClient,
    context: dict[str, Any],
) -> HttpResponse:
    response = render(request, template, {"rid": rid, "client": client, **context})
    response["Content-Security-Policy"] = _csp(pending["redirect_uri"])
    return response


def _csp(redirect_uri: str) -> str:
    parts = urlsplit(redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    # A registered redirect URI is a plain URL (clients.check_redirect_uris); check
    # again that nothing in it can end or extend the policy.
    if any(c in origin for c in " ;,'\"\r\n") or parts.scheme not in ("https", "http"):
        origin = ""
    return CSP_TEMPLATE.format(sources=f"'self' {origin}" if origin else "'self'")


def _error_page(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "fhir/smart/error.html", {"message": message}, status=status)


def _redirect_error(
    client: ApiClient, redirect_uri: str, state: str | None, error: str, description: str
) -> HttpResponse:
    params = {"error": error, "error_description": description}
    if state:
        params["state"] = state
    separator = "&" if "?" in redirect_uri else "?"
    return OAuth2ResponseRedirect(
        redirect_uri + separator + urlencode(params), client.get_allowed_schemes()
    )


def _redirect_oauth_error(
    request: HttpRequest, error: OAuthToolkitError, client: ApiClient | None = None
) -> HttpResponse:
    """An error oauthlib found after checking the client and its redirect URI:
    it goes back to the app (RFC 6749 §4.1.2.1)."""
    oauthlib_error = error.oauthlib_error
    client = client or ApiClient.objects.filter(client_id=request.GET.get("client_id", "")).first()
    redirect_uri = oauthlib_error.redirect_uri or ""
    if client is None or not redirect_uri:
        return _error_page(request, _("Cette demande d'autorisation est invalide."))
    separator = "&" if "?" in redirect_uri else "?"
    return OAuth2ResponseRedirect(
        redirect_uri + separator + oauthlib_error.urlencoded, client.get_allowed_schemes()
    )
