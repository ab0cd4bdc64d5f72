# The database itself refuses to change or remove audit events, whoever asks:
# triggers on both vendors. A chain head may only move forward by one.
# hygie/audit/protection.py checks, by these names, that they are still there.
# There is no way back: the protections are not migrated away.

from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER hygie_audit_event_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'hygie audit: audit_auditevent is append-only, UPDATE refused'); END
    """,
    """
    CREATE TRIGGER hygie_audit_event_no_delete BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'hygie audit: audit_auditevent is append-only, DELETE refused'); END
    """,
    """
    CREATE TRIGGER hygie_audit_head_no_delete BEFORE DELETE ON audit_auditchainhead
    BEGIN SELECT RAISE(ABORT, 'hygie audit: a chain head cannot be deleted'); END
    """,
    """
    CREATE TRIGGER hygie_audit_head_forward_only BEFORE UPDATE ON audit_auditchainhead
    WHEN NEW.chain <> OLD.chain OR NEW.seq <> OLD.seq + 1
    BEGIN SELECT RAISE(ABORT, 'hygie audit: a chain head only moves forward by one'); END
    """,
]

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION hygie_audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'hygie audit: % is append-only, % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER hygie_audit_event_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION hygie_audit_refuse_change()
    """,
    """
    CREATE OR REPLACE FUNCTION hygie_audit_head_forward_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.chain = OLD.chain AND NEW.seq = OLD.seq + 1 THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'hygie audit: a chain head only moves forward by one, % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER hygie_audit_head_forward_only
    BEFORE UPDATE OR DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION hygie_audit_head_forward_only()
    """,
    """
    CREATE TRIGGER hygie_audit_head_no_truncate
    BEFORE TRUNCATE ON audit_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION hygie_audit_refuse_change()
    """,
]


def install_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"hygie.audit has no append-only triggers for {vendor}")
    for statement in statements:
        # No parameters: the % in the plpgsql messages must reach the server as is.
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install_triggers, elidable=False)]
