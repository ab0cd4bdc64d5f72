"""Template context shared by every page: the actor and the practices to switch to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def hygie(request: HttpRequest) -> dict[str, Any]:
    return {"actor": getattr(request, "actor", None)}
