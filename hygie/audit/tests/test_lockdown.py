"""PostgreSQL deployments: the application role loses UPDATE, DELETE, TRUNCATE."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import ProgrammingError, connection, transaction

from hygie.audit.models import AuditEvent
from hygie.audit.protection import LockdownError, lock_down

pytestmark = pytest.mark.django_db

APP_ROLE = "hygie_audit_test_app"


@pytest.fixture
def app_role(db: None) -> Iterator[str]:
    """An application role with every privilege on the tables (rolled back with the test)."""
    if connection.vendor != "postgresql":
        pytest.skip("roles are PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        cursor.execute(f"GRANT ALL ON audit_auditevent, audit_auditchainhead TO {APP_ROLE}")
    yield APP_ROLE


def privileges(role: str, table: str) -> set[str]:
    held = set()
    with connection.cursor() as cursor:
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
            if cursor.fetchone()[0]:
                held.add(privilege)
    return held


def test_lockdown_leaves_the_app_role_able_to_append_only(
    app_role: str, alpha_chain: list[AuditEvent]
) -> None:
    call_command("audit", "lockdown", "--app-role", app_role, stdout=_Null())

    assert privileges(app_role, "audit_auditevent") == {"SELECT", "INSERT"}
    assert privileges(app_role, "audit_auditchainhead") == {"SELECT", "INSERT", "UPDATE"}
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        cursor.execute("DELETE FROM audit_auditevent")


def test_lockdown_refuses_a_role_that_owns_the_tables(app_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE audit_auditevent OWNER TO {app_role}")

    with pytest.raises(LockdownError, match="possède"):
        lock_down(app_role)


def test_lockdown_refuses_an_unknown_role(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("roles are PostgreSQL only")
    with pytest.raises(CommandError, match="n'existe pas"):
        call_command("audit", "lockdown", "--app-role", "no_such_role")


def test_lockdown_notices_privileges_held_through_a_group(app_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE hygie_audit_test_group NOLOGIN")
        cursor.execute("GRANT DELETE ON audit_auditevent TO hygie_audit_test_group")
        cursor.execute(f"GRANT hygie_audit_test_group TO {app_role}")

    with pytest.raises(LockdownError, match="DELETE"):
        lock_down(app_role)


class _Null:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def test_lockdown_refuses_a_superuser_role(app_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER ROLE {app_role} SUPERUSER")

    with pytest.raises(LockdownError, match="superutilisateur"):
        lock_down(app_role)
