"""Checks of what an operator registers for an API client: its public keys, its
redirect URIs, its scopes. Each raises ValidationError with a French message
that names the faulty item, and returns the value to store."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from hygie.fhir.models import ClientKind, is_loopback_http

from .scopes import Context, InvalidScope, ScopeSet

# SMART asymmetric client authentication: Hygie accepts RS384 and ES384 only.
KEY_TYPE_BY_ALG = {"RS384": "RSA", "ES384": "EC"}
EC_CURVE = "P-384"
MIN_RSA_BITS = 2048
# Members that only a private (or symmetric) key has.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MAX_KEYS = 10
# Context scopes an app may register. openid/fhirUser need OpenID Connect, which
# Hygie does not offer; they are dropped from requests (validator.IGNORED_SCOPES).
APP_CONTEXT_SCOPES = frozenset({"launch/patient", "offline_access", "online_access"})
MAX_REDIRECT_URI = 500


def check_jwks(data: Any) -> dict[str, Any]:
    """A JWKS of public signing keys: RSA (≥ 2048 bits) or EC P-384, each with a
    unique `kid`. A private key is refused: it must never leave the client."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValidationError(_("Le JWKS doit être un objet JSON avec une liste « keys »."))
    keys = data["keys"]
    if not keys:
        raise ValidationError(_("Le JWKS ne contient aucune clé."))
    if len(keys) > MAX_KEYS:
        raise ValidationError(_("Le JWKS contient trop de clés (%(n)s au plus).") % {"n": MAX_KEYS})
    seen: set[str] = set()
    checked = []
    for index, key in enumerate(keys, start=1):
        checked.append(_check_key(index, key, seen))
    return {"keys": checked}


def _check_key(index: int, key: Any, seen: set[str]) -> dict[str, Any]:
    if not isinstance(key, dict):
        raise ValidationError(_("Clé n° %(i)s : ce n'est pas un objet JSON.") % {"i": index})
    kid = key.get("kid")
    if not isinstance(kid, str) or not kid.strip() or len(kid) > 200:
        raise ValidationError(_("Clé n° %(i)s : « kid » manquant.") % {"i": index})
    label = {"i": index, "kid": kid}
    if kid in seen:
        raise ValidationError(_("Clé n° %(i)s : le kid « %(kid)s » est déjà utilisé.") % label)
    seen.add(kid)
    private = sorted(PRIVATE_MEMBERS & set(key))
    if private:
        raise ValidationError(
            _(
                "Clé « %(kid)s » : c'est une clé privée (membre « %(m)s »). Enregistrez "
                "la clé publique seulement ; la clé privée ne quitte pas le client."
            )
            % {**label, "m": private[0]}
        )
    kty = key.get("kty")
    if kty not in ("RSA", "EC"):
        raise ValidationError(
            _("Clé « %(kid)s » : type « %(kty)s » refusé (RSA ou EC P-384 seulement).")
            % {**label, "kty": kty}
        )
    alg = key.get("alg")
    if alg is not None and KEY_TYPE_BY_ALG.get(alg) != kty:
        raise ValidationError(
            _("Clé « %(kid)s » : algorithme « %(alg)s » refusé (RS384 ou ES384 seulement).")
            % {**label, "alg": alg}
        )
    if key.get("use", "sig") != "sig":
        raise ValidationError(_("Clé « %(kid)s » : « use » doit valoir « sig ».") % label)
    if kty == "EC" and key.get("crv") != EC_CURVE:
        raise ValidationError(
            _("Clé « %(kid)s » : courbe « %(crv)s » refusée (P-384 seulement).")
            % {**label, "crv": key.get("crv")}
        )
    if kty == "RSA" and _rsa_bits(key.get("n")) < MIN_RSA_BITS:
        raise ValidationError(
            _("Clé « %(kid)s » : clé RSA trop courte (%(n)s bits au moins).")
            % {**label, "n": MIN_RSA_BITS}
        )
    try:
        imported = RSAKey.import_key(key) if kty == "RSA" else ECKey.import_key(key)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValidationError(_("Clé « %(kid)s » : clé illisible.") % label) from exc
    public = imported.as_dict(private=False)
    public["kid"] = kid
    if alg is not None:
        public["alg"] = alg
    return dict(public)


def _rsa_bits(modulus: object) -> int:
    if not isinstance(modulus, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except ValueError:
        return 0
    return int.from_bytes(raw, "big").bit_length()


def check_redirect_uris(uris: list[str]) -> list[str]:
    """Exact https:// URIs, or http:// on a loopback address (native apps)."""
    if not uris:
        raise ValidationError(_("Une application SMART a besoin d'au moins une adresse de retour."))
    checked = []
    for uri in uris:
        uri = uri.strip()
        parts = urlsplit(uri)
        valid = (
            len(uri) <= MAX_REDIRECT_URI
            and parts.scheme in ("https", "http")
            and bool(parts.hostname)
            and "@" not in parts.netloc
            and "#" not in uri
            and not any(c.isspace() for c in uri)
        )
        if not valid:
            raise ValidationError(
                _("Adresse de retour invalide : %(uri)s (URL absolue, sans fragment).")
                % {"uri": uri}
            )
        if parts.scheme == "http" and not is_loopback_http(uri):
            raise ValidationError(
                _(
                    "Adresse de retour refusée : %(uri)s (https obligatoire, sauf "
                    "http://127.0.0.1 ou http://[::1] pour une application installée)."
                )
                % {"uri": uri}
            )
        if uri not in checked:
            checked.append(uri)
    return checked


def check_registered_scopes(text: str, kind: str) -> ScopeSet:
    """The scopes a client may ever receive. A backend client gets system/ scopes
    and nothing else; an app gets patient/ and user/ scopes and the launch and
    refresh context scopes."""
    try:
        scopes = ScopeSet.parse(text)
    except InvalidScope as exc:
        raise ValidationError(str(exc)) from exc
    if not scopes.resources:
        raise ValidationError(_("Aucune portée de ressource (par exemple « system/Patient.rs »)."))
    if kind == ClientKind.BACKEND:
        wrong = [str(s) for s in scopes.resources if s.context is not Context.SYSTEM]
        if wrong or scopes.context:
            raise ValidationError(
                _("Un client de service n'a que des portées system/ : %(s)s refusé.")
                % {"s": ", ".join(wrong + sorted(scopes.context))}
            )
    else:
        wrong = [str(s) for s in scopes.resources if s.context is Context.SYSTEM]
        wrong += sorted(scopes.context - APP_CONTEXT_SCOPES)
        if wrong:
            raise ValidationError(
                _("Portées refusées pour une application SMART : %(s)s.") % {"s": ", ".join(wrong)}
            )
    return scopes
