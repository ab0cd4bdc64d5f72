"""`hygie apiclient create|list|revoke`: registering backend services and SMART
apps. Bad input is refused with a clear message and writes nothing."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, RSAKey

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.fhir.models import ApiClient, ClientKind
from tests.cast import api_client_for

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def public(key, kid: str) -> dict:
    return {**key.as_dict(private=False), "kid": kid}


def jwks_file(tmp_path: Path, *keys: dict) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": list(keys)}))
    return str(path)


def nothing_written() -> bool:
    return (
        not ApiClient.objects.exists()
        and not AuditEvent.objects.filter(event_type=AuditEventType.API_CLIENT_REGISTERED).exists()
    )


@pytest.fixture
def ec_key():
    return ECKey.generate_key("P-384")


def test_create_a_backend_client_prints_its_client_id(cast, tmp_path, ec_key):
    jwks = jwks_file(tmp_path, public(ec_key, "k1"))
    out = run(
        "apiclient",
        "create",
        "--practice",
        str(cast.practice_a.pk),
        "--name",
        "Laboratoire",
        "--scopes",
        "system/Patient.rs system/Observation.r",
        "--jwks",
        jwks,
    )

    client = ApiClient.objects.get(client_id=out.strip())
    assert client.kind == ClientKind.BACKEND
    assert client.practice == cast.practice_a
    assert client.registered_scopes == "system/Patient.rs system/Observation.r"
    assert client.jwks["keys"][0]["kid"] == "k1"
    assert "d" not in client.jwks["keys"][0]
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.API_CLIENT_REGISTERED, entity_id=client.client_id
    ).exists()


def test_create_with_json_gives_the_client_id(cast, tmp_path, ec_key):
    data = json.loads(
        run(
            "apiclient",
            "create",
            "--practice",
            str(cast.practice_a.pk),
            "--name",
            "Labo",
            "--scopes",
            "system/Patient.rs",
            "--jwks",
            jwks_file(tmp_path, public(ec_key, "k1")),
            "--json",
        )
    )

    assert data == {"client_id": ApiClient.objects.get().client_id}


def test_an_rsa_key_of_2048_bits_is_accepted(cast, tmp_path):
    rsa = RSAKey.generate_key(2048)
    run(
        "apiclient",
        "create",
        "--practice",
        str(cast.practice_a.pk),
        "--name",
        "Labo",
        "--scopes",
        "system/Patient.rs",
        "--jwks",
        jwks_file(tmp_path, public(rsa, "r1")),
    )

    assert ApiClient.objects.get().jwks["keys"][0]["kty"] == "RSA"


@pytest.mark.parametrize(
    ("make_keys", "message"),
    [
        (lambda: [{**ECKey.generate_key("P-384").as_dict(private=True), "kid": "k"}], "clé privée"),
        (
            lambda: [
                {**ECKey.generate_key("P-384").as_dict(private=False), "kid": "k"},
                {**ECKey.generate_key("P-384").as_dict(private=False), "kid": "k"},
            ],
            "déjà utilisé",
        ),
        (lambda: [{**ECKey.generate_key("P-256").as_dict(private=False), "kid": "k"}], "courbe"),
        (lambda: [{**RSAKey.generate_key(1024).as_dict(private=False), "kid": "k"}], "trop courte"),
        (lambda: [ECKey.generate_key("P-384").as_dict(private=False)], "kid"),
        (lambda: [{"kty": "oct", "k": "c2VjcmV0", "kid": "k"}], "clé privée"),
        (lambda: [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "kid": "k"}], "RSA ou EC"),
        (
            lambda: [
                {**RSAKey.generate_key(2048).as_dict(private=False), "kid": "k", "alg": "RS256"}
            ],
            "RS384 ou ES384",
        ),
        (lambda: [], "aucune clé"),
    ],
)
def test_a_bad_jwks_is_refused_and_nothing_is_written(cast, tmp_path, make_keys, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # joserfc, on the 1024-bit key
        jwks = jwks_file(tmp_path, *make_keys())

    with pytest.raises(CommandError, match=message):
        run(
            "apiclient",
            "create",
            "--practice",
            str(cast.practice_a.pk),
            "--name",
            "Labo",
            "--scopes",
            "system/Patient.rs",
            "--jwks",
            jwks,
        )
    assert nothing_written()


@pytest.mark.parametrize("content", ["pas du json", '{"cles": []}', "[1, 2]"])
def test_a_file_that_is_not_a_jwks_is_refused(cast, tmp_path, content):
    path = tmp_path / "jwks.json"
    path.write_text(content)

    with pytest.raises(CommandError, match=r"JSON|JWKS"):
        run(
            "apiclient",
            "create",
            "--practice",
            str(cast.practice_a.pk),
            "--name",
            "Labo",
            "--scopes",
            "system/Patient.rs",
            "--jwks",
            str(path),
        )
    assert nothing_written()


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ("system/Patient.read", "portée invalide"),
        ("user/Patient.rs", "system/"),
        ("system/Patient.rs offline_access", "system/"),
        ("launch/patient", "Aucune portée"),
    ],
)
def test_backend_scopes_follow_the_smart_grammar_and_are_system_only(
    cast, tmp_path, ec_key, scopes, message
):
    with pytest.raises(CommandError, match=message):
        run(
            "apiclient",
            "create",
            "--practice",
            str(cast.practice_a.pk),
            "--name",
            "Labo",
            "--scopes",
            scopes,
            "--jwks",
            jwks_file(tmp_path, public(ec_key, "k1")),
        )
    assert nothing_written()


def test_a_backend_client_needs_a_practice(db, tmp_path, ec_key):
    with pytest.raises(CommandError, match="--practice"):
        run(
            "apiclient",
            "create",
            "--name",
            "Labo",
            "--scopes",
            "system/Patient.rs",
            "--jwks",
            jwks_file(tmp_path, public(ec_key, "k1")),
        )
    assert nothing_written()


def test_an_unknown_practice_or_a_missing_file_is_refused(cast, tmp_path):
    with pytest.raises(CommandError, match="aucun cabinet"):
        run(
            "apiclient",
            "create",
            "--practice",
            "00000000-0000-0000-0000-000000000000",
            "--name",
            "Labo",
            "--scopes",
            "system/Patient.rs",
            "--jwks",
            "x.json",
        )
    with pytest.raises(CommandError, match="impossible de lire"):
        run(
            "apiclient",
            "create",
            "--practice",
            str(cast.practice_a.pk),
            "--name",
            "Labo",
            "--scopes",
            "system/Patient.rs",
            "--jwks",
            str(tmp_path / "absent.json"),
        )
    assert nothing_written()


def test_create_a_smart_app(db):
    out = run(
        "apiclient",
        "create",
        "--name",
        "Appli",
        "--scopes",
        "patient/*.rs launch/patient offline_access",
        "--redirect-uri",
        "https://appli.example/cb",
        "--redirect-uri",
        "http://127.0.0.1/cb",
    )

    app = ApiClient.objects.get(client_id=out.strip())
    assert app.kind == ClientKind.APP
    assert app.client_type == "public"
    assert app.redirect_uris == "https://appli.example/cb http://127.0.0.1/cb"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--redirect-uri", "http://appli.example/cb"], "https obligatoire"),
        (["--redirect-uri", "https://appli.example/cb#frag"], "invalide"),
        (["--redirect-uri", "/cb"], "invalide"),
        ([], "soit --jwks"),
        (["--redirect-uri", "https://a.example/cb", "--jwks", "f.json"], "pas les deux"),
    ],
)
def test_a_smart_app_needs_proper_redirect_uris(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("apiclient", "create", "--name", "Appli", "--scopes", "patient/*.rs", *args)
    assert nothing_written()


def test_an_app_cannot_register_system_scopes(db):
    with pytest.raises(CommandError, match="refusées"):
        run(
            "apiclient",
            "create",
            "--name",
            "Appli",
            "--scopes",
            "system/*.rs",
            "--redirect-uri",
            "https://a.example/cb",
        )
    assert nothing_written()


def test_list_shows_the_clients_of_a_practice(cast):
    labo_a = api_client_for(cast.practice_a, name="Labo A")
    api_client_for(cast.practice_b, name="Labo B")

    data = json.loads(run("apiclient", "list", "--practice", str(cast.practice_a.pk), "--json"))
    assert [(d["client_id"], d["name"], d["revoked"]) for d in data] == [
        (labo_a.client_id, "Labo A", False)
    ]
    assert "Labo B" in run("apiclient", "list")


def test_revoke_disables_the_client_and_deletes_its_tokens(cast):
    from django.test import RequestFactory

    from hygie.fhir.smart.grants import InvalidToken, grant_for_request

    service = api_client_for(cast.practice_a)
    token = service.token()
    data = json.loads(run("apiclient", "revoke", service.client_id, "--json"))

    assert data["revoked"] is True
    assert data["access_tokens"] == 1
    with pytest.raises(InvalidToken):
        grant_for_request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert json.loads(run("apiclient", "list", "--json"))[0]["revoked"] is True
    with pytest.raises(CommandError, match="déjà révoqué"):
        run("apiclient", "revoke", service.client_id)


def test_revoke_an_unknown_client_is_refused(db):
    with pytest.raises(CommandError, match="aucun client"):
        run("apiclient", "revoke", "inconnu")
