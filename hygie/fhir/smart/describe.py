"""SMART scopes in words, for the consent page."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from .scopes import Context, Interaction, ScopeSet


def _verbs(interactions: frozenset[Interaction]) -> str:
    names = {
        Interaction.CREATE: _("créer"),
        Interaction.READ: _("lire"),
        Interaction.UPDATE: _("modifier"),
        Interaction.DELETE: _("supprimer"),
        Interaction.SEARCH: _("rechercher"),
    }
    words = [names[i] for i in Interaction if i in interactions]
    return ", ".join(words)


def describe_scopes(scopes: ScopeSet) -> list[str]:
    """One French sentence per scope, in the order asked."""
    lines = []
    for scope in scopes.resources:
        what = (
            _("toutes les données")
            if scope.resource_type == "*"
            else _("les ressources %(t)s") % {"t": scope.resource_type}
        )
        if scope.context is Context.PATIENT:
            reach = _("du patient choisi uniquement")
        elif scope.context is Context.USER:
            reach = _("auxquelles vous avez accès dans ce cabinet")
        else:
            reach = _("du cabinet")
        verbs = _verbs(scope.permissions)
        lines.append(f"{verbs[:1].upper()}{verbs[1:]} {what} {reach}.")
    if "launch/patient" in scopes.context:
        lines.append(_("Connaître le patient choisi à l'ouverture de l'application."))
    if "offline_access" in scopes.context:
        lines.append(
            _(
                "Garder l'accès quand vous n'êtes pas connecté(e), jusqu'à %(n)s jours sans "
                "usage, tant que vous êtes rattaché(e) au cabinet."
            )
            % {"n": settings.OAUTH_REFRESH_TOKEN_DAYS}
        )
    if "online_access" in scopes.context:
        lines.append(_("Garder l'accès tant que vous restez connecté(e) à Hygie."))
    return lines
