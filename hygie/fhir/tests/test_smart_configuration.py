"""/.well-known/smart-configuration and the URLs the CapabilityStatement carries."""

from __future__ import annotations

from django.test import Client
from django.urls import resolve

from hygie.fhir.smart import security_urls
from hygie.fhir.smart.endpoints import FHIR_BASE_PATH, fhir_base_url

WELL_KNOWN = f"{FHIR_BASE_PATH}/.well-known/smart-configuration"


def test_discovery_is_json_with_absolute_urls_from_the_configured_address(settings):
    settings.BASE_URL = "https://hygie.exemple.fr/"
    settings.ALLOWED_HOSTS = ["attaquant.example"]  # a Host header must not move the URLs
    response = Client().get(WELL_KNOWN, HTTP_HOST="attaquant.example", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["authorization_endpoint"] == "https://hygie.exemple.fr/fhir/R4/auth/authorize"
    assert data["token_endpoint"] == "https://hygie.exemple.fr/fhir/R4/auth/token"
    assert data["revocation_endpoint"] == "https://hygie.exemple.fr/fhir/R4/auth/revoke"
    assert data["introspection_endpoint"] == "https://hygie.exemple.fr/fhir/R4/auth/introspect"


def test_discovery_offers_s256_only_and_the_two_smart_grants():
    data = Client().get(WELL_KNOWN).json()

    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["grant_types_supported"] == ["authorization_code", "client_credentials"]
    assert data["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert data["token_endpoint_auth_signing_alg_values_supported"] == ["ES384", "RS384"]
    assert {
        "launch-standalone",
        "client-public",
        "client-confidential-asymmetric",
        "context-standalone-patient",
        "permission-v2",
    } <= set(data["capabilities"])
    assert "permission-v1" not in data["capabilities"]


def test_security_urls_are_the_discovery_urls(settings):
    settings.BASE_URL = "https://hygie.exemple.fr"
    data = Client().get(WELL_KNOWN).json()

    assert security_urls(None) == {
        "authorize": data["authorization_endpoint"],
        "token": data["token_endpoint"],
        "revoke": data["revocation_endpoint"],
        "introspect": data["introspection_endpoint"],
    }
    assert fhir_base_url() == "https://hygie.exemple.fr/fhir/R4"


def test_the_endpoint_paths_are_where_the_urls_say():
    # If the FHIR API moved, every URL above (and every `aud`) would be wrong.
    for name, url in security_urls(None).items():
        path = url.removeprefix(fhir_base_url().removesuffix(FHIR_BASE_PATH))
        assert resolve(path).url_name == f"smart-{name}"
