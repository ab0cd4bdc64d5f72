"""Playwright fixtures: the system Chromium against pytest-django's live server.

Never `playwright install`: the browser is Debian's package (`make chromium`). When
it is missing the tests fail, they do not skip, so that a green run means the
pages were really driven in a browser.

Playwright's sync API runs an asyncio loop in the test thread, and Django refuses
synchronous ORM calls from a thread with a running loop; the tests read the
database while the browser is open, so DJANGO_ALLOW_ASYNC_UNSAFE is set for the
duration of each browser test only (the live server answers from its own thread).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.template.loader import get_template

CHROMIUM = os.environ.get("HYGIE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
HYGIE_TEMPLATES = Path(__file__).resolve().parents[2] / "hygie" / "web" / "templates"


def assert_hygie_overrides_allauth() -> None:
    """Hygie's allauth templates live in hygie/web/templates; they only win if the
    template loaders look there before allauth's own app directory."""
    origin = Path(get_template("account/login.html").origin.name)
    assert origin.is_relative_to(HYGIE_TEMPLATES), (
        f"account/login.html comes from {origin}, not from {HYGIE_TEMPLATES}: allauth's stock "
        "pages (English, unstyled) are served. config/settings.py must make the template "
        "loaders read hygie/web/templates before the 'allauth' app, e.g. "
        'TEMPLATES[0]["DIRS"] = [BASE_DIR / "hygie" / "web" / "templates"].'
    )


@dataclass
class Session:
    """One browser tab and everything it reported."""

    page: Any
    name: str
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    shots: int = 0

    def shot(self, label: str) -> Path:
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self) -> None:
        csp = [m for m in self.console if "Content Security Policy" in m]
        assert not csp, "CSP violations:\n" + "\n".join(csp)
        assert not self.failed, "failed requests:\n" + "\n".join(self.failed)


@pytest.fixture
def browser(
    live_server: Any, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests drive the system "
            "Chromium. Install it with `make chromium` (Debian package 'chromium'), "
            "or point HYGIE_CHROMIUM at a Chromium binary. Never `playwright install`."
        )
    assert_hygie_overrides_allauth()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Throttling counters and used TOTP codes live in the cache table, which the
    # transactional flush between tests does not empty.
    cache.clear()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_session(browser: Any) -> Iterator[Any]:
    """open_session(name) -> Session: a fresh French browser context (own cookies)."""
    sessions: list[Session] = []

    def _open(name: str) -> Session:
        context = browser.new_context(
            locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 860}
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        session = Session(page=page, name=name)
        sessions.append(session)
        page.on("console", lambda m: session.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: session.console.append(f"pageerror: {e}"))
        page.on(
            "response", lambda r: r.status >= 400 and session.failed.append(f"{r.status} {r.url}")
        )
        return session

    yield _open
    for session in sessions:
        # Where the test stopped, for a failure's post-mortem (shown by pytest on failure).
        session.page.screenshot(path=str(ARTIFACTS / f"{session.name}-last.png"), full_page=True)
        print(f"{session.name}: last page {session.page.url}")
        session.page.context.close()
