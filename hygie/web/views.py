"""Pages that belong to no domain: the home page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = getattr(request, "actor", None)
    if actor is None:
        return redirect("practices:switch")
    if actor.role == "admin":
        return redirect("practices:members")
    return redirect("patients:list")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: the process answers and the database too. No data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
