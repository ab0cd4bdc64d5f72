"""The SMART endpoints under /fhir/R4/: discovery, token, revocation, introspection.
The authorize pages (login, practice, patient, consent) are in authorize.py."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider.views import RevokeTokenView, TokenView
from oauthlib.common import Request as OauthlibRequest

from hygie.fhir.models import ApiClient

from .clients import KEY_TYPE_BY_ALG
from .endpoints import endpoint_url
from .tokens import load_live_access_token

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@require_GET
def smart_configuration(request: HttpRequest) -> JsonResponse:
    """SMART App Launch 2.2.0 §"SMART on FHIR discovery" (decision 0009 §4.1)."""
    data: dict[str, Any] = {
        "authorization_endpoint": endpoint_url("authorize"),
        "token_endpoint": endpoint_url("token"),
        "revocation_endpoint": endpoint_url("revoke"),
        "introspection_endpoint": endpoint_url("introspect"),
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": sorted(KEY_TYPE_BY_ALG),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": [
            "launch/patient",
            "offline_access",
            "online_access",
            "patient/*.cruds",
            "user/*.cruds",
            "system/*.cruds",
        ],
        "capabilities": [
            "launch-standalone",
            "client-public",
            "client-confidential-asymmetric",
            "context-standalone-patient",
            "permission-patient",
            "permission-user",
            "permission-v2",
            "permission-offline",
            "permission-online",
        ],
    }
    response = JsonResponse(data)
    # Public metadata that browser apps fetch before anything else.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@method_decorator(csrf_exempt, name="dispatch")
class SmartTokenView(TokenView):
    """DOT's token endpoint (SmartServer behind it). DOT's device-flow branch is
    left out: Hygie has no device grant."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = self.authorization_flow_token_response(request)
        return response


class SmartRevokeView(RevokeTokenView):
    """RFC 7009, DOT's view; SmartValidator.revoke_token scopes it to the client."""


@csrf_exempt
@require_POST
def introspect(request: HttpRequest) -> JsonResponse:
    """RFC 7662, for a client about its own tokens: a backend client authenticates
    with private_key_jwt, an app names itself (client_id; the token value is the
    secret). Any token of another client, expired, or whose holder may no longer
    act is `{"active": false}`."""
    core = SmartTokenView.get_oauthlib_core()
    validator = core.server.request_validator
    uri, method, body, headers = core._extract_params(request)
    oauth_request = OauthlibRequest(uri, method, body, headers)
    if validator.client_authentication_required(oauth_request):
        authenticated = validator.authenticate_client(oauth_request)
    else:
        authenticated = validator.authenticate_client_id(oauth_request.client_id, oauth_request)
    if not authenticated:
        return JsonResponse({"error": "invalid_client"}, status=401, headers=NO_STORE)
    client: ApiClient = oauth_request.client
    value = request.POST.get("token", "")
    if not value:
        return JsonResponse({"error": "invalid_request"}, status=400, headers=NO_STORE)
    token = load_live_access_token(value)
    if token is None or token.application_id != client.pk:
        return JsonResponse({"active": False}, headers=NO_STORE)
    data: dict[str, Any] = {
        "active": True,
        "scope": token.scope,
        "client_id": client.client_id,
        "token_type": "Bearer",
        "exp": int(token.expires.timestamp()),
        "iat": int(token.created.timestamp()),
    }
    if token.patient_id is not None:
        data["patient"] = str(token.patient_id)
    return JsonResponse(data, headers=NO_STORE)
