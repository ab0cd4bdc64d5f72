"""Where a request's time goes, measured by wrapping a few app seams with timers.

cProfile slows pure-Python code (templates, ORM) far more than C (SQLite, AES),
so its proportions mislead; these wrappers cost well under a microsecond per call.
Times are inclusive: "render" contains the decryptions done while rendering,
"decrypt" counts every decryption wherever it happens.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

# label -> (module, attribute). Callers look these names up at call time (module
# attribute or module global), so replacing them here is seen everywhere.
SEAMS: dict[str, tuple[str, str]] = {
    "db connect (open + PRAGMAs)": (
        "django.db.backends.sqlite3.base",
        "DatabaseWrapper.get_new_connection",
    ),
    "db close": ("django.db.backends.sqlite3.base", "DatabaseWrapper.close"),
    "SQL execute (all queries, no fetch)": ("django.db.backends.utils", "CursorWrapper._execute"),
    "session load": ("django.contrib.sessions.backends.db", "SessionStore.load"),
    "session guard middleware": ("hygie.accounts.middleware", "SessionGuardMiddleware._refusal"),
    "MFA check middleware": ("hygie.accounts.middleware", "session_passed_mfa"),
    "actor middleware": ("hygie.practices.middleware", "ActorMiddleware._attach"),
    "search_patients (access+query+audit)": ("hygie.patients.access", "search_patients"),
    "  search_patient_ids (token SQL)": ("hygie.patients.queries", "search_patient_ids"),
    "access_patient (fetch+policy+audit)": ("hygie.patients.access", "access_patient"),
    "decision_for (policy queries)": ("hygie.patients.access", "decision_for"),
    "record_event (audit)": ("hygie.patients.access", "record_event"),
    "render (template)": ("hygie.patients.views", "render"),
    "aead.decrypt": ("hygie.crypto.aead", "decrypt"),
}


def _owner(module_name: str, path: str) -> tuple[Any, str]:
    owner: Any = importlib.import_module(module_name)
    *parents, attr = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, attr


class Seams:
    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._active: set[str] = set()

    def install(self) -> None:
        for label, (module_name, path) in SEAMS.items():
            owner, attr = _owner(module_name, path)
            setattr(owner, attr, self._wrap(label, getattr(owner, attr)))

    def _wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        self.totals[label] = 0.0
        self.calls[label] = 0

        def timed(*args: Any, **kwargs: Any) -> Any:
            if label in self._active:  # re-entrant call: counted by the outer one
                return func(*args, **kwargs)
            self._active.add(label)
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.totals[label] += time.perf_counter() - started
                self.calls[label] += 1
                self._active.discard(label)

        timed.__wrapped__ = func  # type: ignore[attr-defined]
        return timed

    def per_request(self, requests: int) -> dict[str, dict[str, float]]:
        return {
            label: {
                "ms": self.totals[label] * 1000 / requests,
                "calls": self.calls[label] / requests,
            }
            for label in self.totals
            if self.calls[label]
        }
