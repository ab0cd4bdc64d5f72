"""The database-level protections of the log: are the triggers there, and the
PostgreSQL lockdown that takes UPDATE, DELETE and TRUNCATE away from the app role.

The triggers (migration 0002) stop the application, a bug or an injection from
changing the log. They do not stop the tables' owner, who can drop them: in a
hosted deployment, migrations run as the owner and the application as another
role, from which `hygie audit lockdown --app-role ROLE` revokes the privileges.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

EVENT_TABLE = "audit_auditevent"
HEAD_TABLE = "audit_auditchainhead"

# Names installed by migrations/0002_append_only.py.
EXPECTED_TRIGGERS = {
    "sqlite": (
        "hygie_audit_event_no_update",
        "hygie_audit_event_no_delete",
        "hygie_audit_head_no_delete",
        "hygie_audit_head_forward_only",
    ),
    "postgresql": (
        "hygie_audit_event_append_only",
        "hygie_audit_head_forward_only",
        "hygie_audit_head_no_truncate",
    ),
}

# What the application role may no longer do, per table.
REVOKED = {
    EVENT_TABLE: ("UPDATE", "DELETE", "TRUNCATE"),
    HEAD_TABLE: ("DELETE", "TRUNCATE"),
}


class LockdownError(Exception):
    pass


def missing_triggers() -> list[str]:
    """The append-only triggers that are absent or disabled, by name."""
    expected = EXPECTED_TRIGGERS.get(connection.vendor)
    if expected is None:
        raise NotImplementedError(f"hygie.audit does not support {connection.vendor}")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                [EVENT_TABLE, HEAD_TABLE],
            )
        else:
            # 'O' and 'A' fire in normal sessions; 'D' is disabled, 'R' replica-only.
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgenabled IN ('O', 'A')"
                " AND tgrelid IN (to_regclass(%s), to_regclass(%s))",
                [EVENT_TABLE, HEAD_TABLE],
            )
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]


@dataclass(frozen=True)
class LockdownResult:
    role: str
    revoked: dict[str, tuple[str, ...]]


def lock_down(app_role: str) -> LockdownResult:
    """Revoke UPDATE, DELETE and TRUNCATE on the log from `app_role`, then check
    that the role really lost them. Run it as the tables' owner."""
    if connection.vendor != "postgresql":
        raise LockdownError(
            "Le verrouillage par rôle n'existe que sous PostgreSQL. Sous SQLite, les "
            "déclencheurs protègent le journal ; protégez le fichier de la base (0600) "
            "et conservez les points de contrôle hors de la machine."
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
        role = cursor.fetchone()
        if role is None:
            raise LockdownError(f"Le rôle PostgreSQL {app_role!r} n'existe pas.")
        if role[0]:
            raise LockdownError(
                f"Le rôle {app_role!r} est superutilisateur : aucun droit ne le limite. "
                "L'application doit se connecter avec un rôle ordinaire."
            )
        for table, privileges in REVOKED.items():
            cursor.execute(
                "SELECT pg_get_userbyid(relowner), pg_has_role(%s, relowner, 'MEMBER')"
                " FROM pg_class WHERE oid = to_regclass(%s)",
                [app_role, table],
            )
            row = cursor.fetchone()
            if row is None:
                raise LockdownError(f"La table {table} n'existe pas : migrez d'abord.")
            owner, owns = row
            if owns:
                raise LockdownError(
                    f"Le rôle {app_role!r} possède {table} (propriétaire : {owner}) et "
                    "pourrait se rendre ses droits : faites tourner les migrations avec "
                    "un autre rôle, propriétaire des tables."
                )
            cursor.execute(
                f"REVOKE {', '.join(privileges)} ON {_quote(table)} FROM {_quote(app_role)}"
            )
            for privilege in privileges:
                cursor.execute(
                    "SELECT has_table_privilege(%s, %s, %s)", [app_role, table, privilege]
                )
                (still_held,) = cursor.fetchone() or (False,)
                if still_held:
                    raise LockdownError(
                        f"Le rôle {app_role!r} garde {privilege} sur {table} par un autre "
                        "rôle dont il est membre, ou par PUBLIC : retirez-le là aussi."
                    )
    return LockdownResult(role=app_role, revoked=dict(REVOKED))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
