from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from hygie.audit.enums import AuditEventType, AuditOutcome
from hygie.audit.management.commands.audit import Command
from hygie.audit.models import PLATFORM_CHAIN, AuditEvent


def run(*args: str) -> tuple[str, str]:
    out, err = _Buffer(), _Buffer()
    call_command("audit", *args, stdout=out, stderr=err)
    return out.text, err.text


class _Buffer:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def exit_code(monkeypatch: pytest.MonkeyPatch, capsys: Any, *args: str) -> tuple[int, str, str]:
    """The exit status `hygie audit ...` would give the shell."""
    # run_from_argv closes the connections afterwards: that would end the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    try:
        Command().run_from_argv(["hygie", "audit", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_verify_exits_0_and_says_how_many_events_it_checked(
    alpha_chain: list[AuditEvent], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    code, out, _ = exit_code(monkeypatch, capsys, "verify")

    assert code == 0
    assert "vérifié(s)" in out


def test_verify_exits_1_naming_the_first_bad_entry(
    alpha_chain: list[AuditEvent],
    mallory: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    mallory("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [alpha_chain[2].id])

    code, _, err = exit_code(monkeypatch, capsys, "verify")

    assert code == 1
    assert f"chaîne {alpha_chain[0].chain}, événement n° 3 (id {alpha_chain[2].id})" in err
    assert "hygie_audit_" in err  # and the dropped triggers


def test_verify_json_is_machine_readable(alpha_chain: list[AuditEvent]) -> None:
    out, _ = run("verify", "--json")

    report = json.loads(out)
    assert report["ok"] is True
    assert report["checked"] >= 10


def test_verify_json_still_fails_on_a_damaged_log(
    alpha_chain: list[AuditEvent], mallory: Callable[..., None]
) -> None:
    mallory("DELETE FROM audit_auditevent WHERE id = %s", [alpha_chain[1].id])
    out = _Buffer()

    with pytest.raises(CommandError, match="événement n° 2"):
        call_command("audit", "verify", "--json", stdout=out, stderr=_Buffer())

    problems = json.loads(out.text)["problems"]
    assert problems[0]["seq"] == 2
    assert problems[0]["kind"] == "missing"


def test_verify_records_that_it_ran(alpha_chain: list[AuditEvent]) -> None:
    run("verify")

    event = AuditEvent.objects.filter(chain=PLATFORM_CHAIN).order_by("-seq").first()
    assert event is not None
    assert (event.event_type, event.outcome, event.user_label) == (
        AuditEventType.AUDIT_VERIFIED,
        AuditOutcome.SUCCESS,
        "system:audit verify",
    )


def test_verify_compares_with_the_configured_checkpoint_dir(
    alpha_chain: list[AuditEvent], settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit"
    run("checkpoint")

    out, _ = run("verify")

    assert str(settings.AUDIT_CHECKPOINT_DIR) in out


def test_checkpoint_writes_a_private_file_and_reports_it(
    alpha_chain: list[AuditEvent], checkpoint_dir: Path
) -> None:
    out, _ = run("checkpoint", "--json", "--checkpoint-dir", str(checkpoint_dir))

    written = json.loads(out)
    path = Path(written["path"])
    assert path.parent == checkpoint_dir
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert written["chains"][alpha_chain[0].chain]["seq"] == 10


def test_checkpoint_refuses_to_vouch_for_a_damaged_log(
    alpha_chain: list[AuditEvent], mallory: Callable[..., None], checkpoint_dir: Path
) -> None:
    mallory("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [alpha_chain[0].id])

    with pytest.raises(CommandError, match="altéré"):
        run("checkpoint", "--checkpoint-dir", str(checkpoint_dir))

    assert not checkpoint_dir.exists() or not any(checkpoint_dir.iterdir())


def test_lockdown_explains_that_it_needs_postgresql(db: None) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("covered by test_lockdown")
    with pytest.raises(CommandError, match="PostgreSQL"):
        run("lockdown", "--app-role", "hygie_app")


def test_lockdown_needs_a_role(db: None) -> None:
    with pytest.raises(CommandError):
        run("lockdown")
