"""The cast of every test that touches a patient, built through the real actions
(so the audit trail is exercised too). All of it is synthetic.

- Dr Alice Aubert: treating doctor of the patient, in practice A.
- Dr Bob Berger: colleague in practice A, no care relationship with the patient.
- Dr Carla Colin: doctor of practice B: must see nothing of practice A.
- Denise Dumas: assistant in practice A: identity yes, clinical content never.
- Dr Damien Delmas: left practice A (membership ended): must be refused everywhere.
- Ernest Estève: office manager of practice A (admin role, no patient access).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import parse_qs, urlencode, urlsplit

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from hygie.accounts.actions import do_create_user
from hygie.accounts.models import User, UserSession
from hygie.audit.actions import AuditSource
from hygie.core import clock
from hygie.fhir.models import ApiClient
from hygie.fhir.smart.actions import do_register_app_client, do_register_backend_client
from hygie.fhir.smart.endpoints import endpoint_url, fhir_base_url
from hygie.patients.actions import do_add_care_relationship, do_create_patient
from hygie.patients.enums import CareRelationshipKind, Gender, InsOid
from hygie.patients.forms_data import IdentityData
from hygie.patients.models import Patient
from hygie.practices.actions import do_add_member, do_create_practice, do_end_membership
from hygie.practices.context import Actor, as_system
from hygie.practices.enums import Role
from hygie.practices.models import Membership, Practice

SETUP = AuditSource.system("test-setup")
PASSWORD = "Hiboux-Trombone-Garance-1789"

# Synthetic RPPS numbers with a valid Luhn key.
RPPS_NUMBERS = [
    "19999990013",
    "19999990021",
    "19999990039",
    "19999990047",
    "19999990054",
    "19999990062",
    "19999990070",
    "19999990088",
]


def make_user(email: str, first: str, last: str) -> User:
    user = do_create_user(email, first_name=first, last_name=last, source=SETUP)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_member(
    practice: Practice,
    email: str,
    first: str,
    last: str,
    role: str,
    rpps: str = "",
    is_admin: bool = False,
) -> Membership:
    user = make_user(email, first, last)
    return do_add_member(
        practice,
        user,
        role=role,
        rpps=rpps,
        is_admin=is_admin,
        start_date=dt.date(2024, 1, 1),
        source=SETUP,
    )


def actor_of(membership: Membership) -> Actor:
    membership.refresh_from_db()
    return Actor(
        practice=membership.practice,
        user=membership.user,
        membership=membership,
        source=AuditSource(
            user_id=membership.user.pk,
            user_label=membership.user.email,
            practice_id=membership.practice_id,
            source_address="192.0.2.1",
            user_agent="pytest",
            session_ref="",
        ),
    )


def identity(**overrides: object) -> IdentityData:
    values: dict[str, object] = dict(
        birth_family_name="Lefèvre",
        birth_given_names="Jeanne Marie",
        birth_date=dt.date(1984, 3, 12),
        sex=Gender.FEMALE,
        birthplace_insee="75112",
        nir="284037511200149",
        ins_oid=InsOid.TEST_NIR,
        phone="01 99 00 12 34",
        email="jeanne.lefevre@exemple.test",
        address="12 rue des Écoles, 75005 Paris",
    )
    values.update(overrides)
    return IdentityData(**values)  # type: ignore[arg-type]


def enrol_totp(user: User) -> bytes:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def open_session(user: User, practice: Practice) -> str:
    """A logged-in session of `user` working in `practice`, as the login flow leaves
    it (Django session and tracked session); returns the session key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    UserSession.objects.create(
        user=user,
        session_key=store.session_key,
        device_id="d" * 24,
        practice_id=practice.pk,
        last_seen_at=clock.now(),
    )
    return str(store.session_key)


def login(client: Client, user: User) -> Client:
    """A browser session that went through password and second factor. The real
    flow (forms, TOTP codes) is exercised in accounts/tests/test_login_flow.py."""
    if not Authenticator.objects.filter(user=user).exists():
        enrol_totp(user)
    client.force_login(user)
    # What allauth's MFA stage leaves in the session after a valid code.
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


@dataclass
class Cast:
    practice_a: Practice
    practice_b: Practice
    alice: Membership
    bob: Membership
    carla: Membership
    denise: Membership
    damien: Membership
    ernest: Membership
    patient: Patient

    def actor(self, name: str) -> Actor:
        return actor_of(getattr(self, name))


def build_cast() -> Cast:
    rpps = iter(RPPS_NUMBERS)
    a = do_create_practice("Cabinet A", source=SETUP)
    b = do_create_practice("Cabinet B", source=SETUP)
    alice = make_member(a, "alice@a.test", "Alice", "Aubert", Role.PRACTITIONER, next(rpps))
    bob = make_member(a, "bob@a.test", "Bob", "Berger", Role.PRACTITIONER, next(rpps))
    carla = make_member(b, "carla@b.test", "Carla", "Colin", Role.PRACTITIONER, next(rpps))
    denise = make_member(a, "denise@a.test", "Denise", "Dumas", Role.ASSISTANT)
    damien = make_member(a, "damien@a.test", "Damien", "Delmas", Role.PRACTITIONER, next(rpps))
    ernest = make_member(a, "ernest@a.test", "Ernest", "Estève", Role.ADMIN)
    patient = do_create_patient(as_system(a, "test-setup"), identity())
    do_add_care_relationship(
        as_system(a, "test-setup"), patient, alice, kind=CareRelationshipKind.TREATING
    )
    do_add_care_relationship(
        as_system(a, "test-setup"), patient, damien, kind=CareRelationshipKind.CARE_TEAM
    )
    do_end_membership(damien, reason="départ", source=SETUP)
    return Cast(a, b, alice, bob, carla, denise, damien, ernest, patient)


# --- FHIR API tokens (issue 3): real flows, real tokens -------------------------------
# A test that needs a bearer token gets it the way an app does: App Launch through
# the authorize pages and the token endpoint, or a signed client assertion.

SMART_REDIRECT_URI = "http://127.0.0.1:8765/callback"
SMART_APP_SCOPES = "patient/*.cruds user/*.cruds launch/patient offline_access online_access"


def smart_app(
    scopes: str = SMART_APP_SCOPES,
    *,
    practice: Practice | None = None,
    redirect_uri: str = SMART_REDIRECT_URI,
    name: str = "Appli de test",
) -> ApiClient:
    """A SMART app registered as `hygie apiclient create --redirect-uri` does."""
    return do_register_app_client(
        name=name, scopes=scopes, redirect_uris=[redirect_uri], practice=practice, source=SETUP
    )


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    app: ApiClient,
    *,
    scopes: str,
    challenge: str,
    state: str = "etat-123",
    aud: str | None = None,
    method: str | None = "S256",
) -> str:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uris.split()[0],
        "scope": scopes,
        "state": state,
        "aud": fhir_base_url() if aud is None else aud,
        "code_challenge": challenge,
    }
    if method is not None:
        params["code_challenge_method"] = method
    return (
        endpoint_url("authorize").removeprefix(settings.BASE_URL.rstrip("/"))
        + "?"
        + urlencode(params)
    )


def code_from(response: HttpResponse) -> str:
    """The authorization code in the redirect to the app (fails the test otherwise)."""
    assert response.status_code == 302, response.content.decode()[:2000]
    query = parse_qs(urlsplit(response["Location"]).query)
    assert "code" in query, response["Location"]
    return query["code"][0]


def post_token(client: Client, **data: str) -> HttpResponse:
    path = endpoint_url("token").removeprefix(settings.BASE_URL.rstrip("/"))
    return client.post(path, data)


def launch_app(
    browser: Client,
    app: ApiClient,
    *,
    scopes: str,
    patient: Patient | None = None,
    practice: Practice | None = None,
) -> dict[str, object]:
    """Runs SMART standalone launch in `browser` (a logged-in test client, see
    login()): authorize, practice choice if asked, patient picker, consent, then
    the code exchange with PKCE. Returns the token response (JSON)."""
    verifier, challenge = pkce_pair()
    response = browser.get(authorize_url(app, scopes=scopes, challenge=challenge))
    assert response.status_code == 200, response.content.decode()[:2000]
    rid = response.context["rid"]
    if "fhir/smart/practice.html" in [t.name for t in response.templates]:
        assert practice is not None, "this person must choose the practice"
        response = browser.post(
            response.request["PATH_INFO"],
            {"rid": rid, "action": "practice", "practice": str(practice.pk)},
        )
    if "fhir/smart/patient.html" in [t.name for t in response.templates]:
        assert patient is not None, "this app asks for a patient"
        response = browser.post(
            response.request["PATH_INFO"],
            {"rid": rid, "action": "patient", "patient": str(patient.pk)},
        )
    assert "fhir/smart/consent.html" in [t.name for t in response.templates]
    response = browser.post(response.request["PATH_INFO"], {"rid": rid, "action": "allow"})
    tokens = post_token(
        Client(),
        grant_type="authorization_code",
        code=code_from(response),
        redirect_uri=app.redirect_uris.split()[0],
        client_id=app.client_id,
        code_verifier=verifier,
    )
    assert tokens.status_code == 200, tokens.content.decode()
    data: dict[str, object] = tokens.json()
    return data


def bearer_token_for(
    membership: Membership,
    scopes: str = "user/*.cruds",
    *,
    patient: Patient | None = None,
    app: ApiClient | None = None,
) -> str:
    """A real access token of the cast member `membership`, for its practice, from
    the App Launch flow (login with second factor, consent, code exchange)."""
    browser = login(Client(), membership.user)
    app = app or smart_app()
    data = launch_app(browser, app, scopes=scopes, patient=patient, practice=membership.practice)
    return str(data["access_token"])


@dataclass
class BackendClient:
    """A registered backend service and its private key (kept by the test, as the
    real service keeps it)."""

    client: ApiClient
    key: ECKey | RSAKey
    kid: str
    alg: str

    @property
    def client_id(self) -> str:
        return self.client.client_id

    def assertion(self, header: dict[str, object] | None = None, **claims: object) -> str:
        """A fresh client assertion (new jti), with claims and header overridable."""
        now = int(time.time())
        body: dict[str, object] = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": endpoint_url("token"),
            "exp": now + 240,
            "jti": secrets.token_urlsafe(16),
        }
        body.update(claims)
        head: dict[str, object] = {"alg": self.alg, "kid": self.kid, "typ": "JWT"}
        head.update(header or {})
        return jwt.encode(head, body, self.key, algorithms=[str(head["alg"])])

    def token_response(self, scopes: str, assertion: str | None = None) -> HttpResponse:
        return post_token(
            Client(),
            grant_type="client_credentials",
            scope=scopes,
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion=assertion or self.assertion(),
        )

    def token(self, scopes: str | None = None) -> str:
        response = self.token_response(scopes or self.client.registered_scopes)
        assert response.status_code == 200, response.content.decode()
        return str(response.json()["access_token"])


def api_client_for(
    practice: Practice,
    scopes: str = "system/*.rs",
    *,
    alg: str = "ES384",
    name: str = "Service de test",
) -> BackendClient:
    """A backend client of `practice` registered as `hygie apiclient create --jwks`
    does, with a key generated here. `.token()` gets a real bearer token."""
    kid = f"cle-{secrets.token_hex(4)}"
    key: ECKey | RSAKey = (
        ECKey.generate_key("P-384", parameters={"kid": kid})
        if alg == "ES384"
        else RSAKey.generate_key(2048, parameters={"kid": kid})
    )
    jwks = {"keys": [{**key.as_dict(private=False), "kid": kid}]}
    client = do_register_backend_client(practice, name=name, scopes=scopes, jwks=jwks, source=SETUP)
    return BackendClient(client, key, kid, alg)
