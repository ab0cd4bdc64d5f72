"""Security headers, request size limit, and a clear page when a dependency fails."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from hygie.crypto.errors import DecryptionError, KeyConfigurationError, MissingTenantKeyError

logger = logging.getLogger("hygie.web")
CRYPTO_ERRORS = (KeyConfigurationError, DecryptionError, MissingTenantKeyError)

# No inline script or style anywhere, no third-party origin: everything is served
# from Hygie itself. frame-ancestors 'none' forbids framing (clickjacking).
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class TrustedProxyMiddleware:
    """Behind a reverse proxy, REMOTE_ADDR is the proxy: throttling per address and
    the audit log's source address would then see one client. When the direct peer
    is a trusted proxy (HYGIE_TRUSTED_PROXIES), the client is the right-most
    address of X-Forwarded-For that is not itself a trusted proxy. From anyone
    else the header is ignored: a client cannot choose its own address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted = [ipaddress.ip_network(n, strict=False) for n in settings.TRUSTED_PROXIES]

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR", "")
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if self.trusted and forwarded and self._is_trusted(peer):
            for candidate in reversed([a.strip() for a in forwarded.split(",")]):
                if not self._is_trusted(candidate):
                    # Garbage in the header: keep the proxy's address.
                    with contextlib.suppress(ValueError):
                        request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(candidate))
                    break
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(self), geolocation=(), payment=()"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Pages with patient data must not linger in shared browser caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class RequestSizeLimitMiddleware:
    """Refuses an oversized body with 413 before anything reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.HYGIE_MAX_REQUEST_BYTES:
            body = render_to_string(
                "web/error.html",
                {
                    "title": _("Requête trop volumineuse"),
                    "message": _("Les données envoyées dépassent la taille autorisée (%(n)s Mo).")
                    % {"n": settings.HYGIE_MAX_REQUEST_BYTES // (1024 * 1024) or 1},
                },
            )
            return HttpResponse(body, status=413)
        return self.get_response(request)


class FailureMiddleware:
    """A database or key failure gets a clear page; the atomic blocks around every
    write have already rolled back, so nothing is half-written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseError):
            title = _("Base de données indisponible")
            message = _(
                "L'opération n'a pas été effectuée et rien n'a été enregistré. "
                "Réessayez dans un instant ; si le problème persiste, prévenez "
                "l'administrateur."
            )
        elif isinstance(exception, CRYPTO_ERRORS):
            title = _("Clés de chiffrement indisponibles")
            message = _(
                "Les données ne peuvent pas être déchiffrées ou chiffrées : rien n'a été "
                "enregistré. Prévenez l'administrateur (clé maîtresse absente ou "
                "incorrecte)."
            )
        else:
            return None
        logger.error("request failed: %s", exception, exc_info=exception)
        body = render_to_string(
            "web/error.html", {"title": title, "message": message}, request=request
        )
        return HttpResponse(body, status=503)
