# A chain head may move forward by several events at once (a list of patients is
# audited as one append, one read per patient shown), but only onto an event that
# exists in its chain with the head's hash: stronger than "forward by one", which
# did not check that the head named a real event. Same trigger names, so
# hygie/audit/protection.py keeps finding them. Nothing is removed.

from django.db import migrations

SQLITE = [
    "DROP TRIGGER hygie_audit_head_forward_only",
    """
    CREATE TRIGGER hygie_audit_head_forward_only BEFORE UPDATE ON audit_auditchainhead
    WHEN NEW.chain <> OLD.chain OR NEW.seq <= OLD.seq OR NOT EXISTS (
        SELECT 1 FROM audit_auditevent
        WHERE chain = NEW.chain AND seq = NEW.seq AND hash = NEW.hash
    )
    BEGIN SELECT RAISE(ABORT, 'hygie audit: a chain head only moves forward, onto its last event'); END
    """,
]

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION hygie_audit_head_forward_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.chain = OLD.chain AND NEW.seq > OLD.seq AND EXISTS (
            SELECT 1 FROM audit_auditevent
            WHERE chain = NEW.chain AND seq = NEW.seq AND hash = NEW.hash
        ) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'hygie audit: a chain head only moves forward, onto its last event, % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$
    """,
]


def replace_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"hygie.audit has no append-only triggers for {vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [("audit", "0002_append_only")]

    operations = [migrations.RunPython(replace_trigger, elidable=False)]
