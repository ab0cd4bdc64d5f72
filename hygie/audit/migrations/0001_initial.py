# The audit tables are unmanaged (see models.py): Django never flushes them, so
# this migration creates them itself, with their indexes and constraints, through
# the schema editor. There is no way back: an audit log is not migrated away.

import hygie.audit.enums
from django.db import migrations, models


def create_tables(apps, schema_editor):
    for name in ("AuditEvent", "AuditChainHead"):
        schema_editor.create_model(apps.get_model("audit", name))


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("chain", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default="0" * 64, max_length=64)),
                ("updated_at", models.DateTimeField()),
            ],
            options={
                "db_table": "audit_auditchainhead",
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("chain", models.CharField(max_length=40)),
                ("seq", models.PositiveBigIntegerField()),
                ("recorded_at", models.DateTimeField()),
                ("event_type", models.PositiveIntegerField(choices=hygie.audit.enums.event_type_choices)),
                ("action", models.CharField(choices=[("C", "création"), ("R", "lecture"), ("U", "modification"), ("D", "suppression"), ("E", "exécution")], max_length=1)),
                ("outcome", models.CharField(choices=[("0", "succès"), ("4", "échec mineur (refus)"), ("8", "échec grave"), ("12", "échec majeur")], max_length=2)),
                ("purpose", models.CharField(blank=True, choices=[("TREAT", "soins"), ("ETREAT", "accès d'urgence (bris de glace)"), ("HOPERAT", "fonctionnement du cabinet"), ("PATADMIN", "administration du dossier patient"), ("PATRQT", "demande du patient"), ("SYSADMIN", "administration du système")], max_length=16)),
                ("user_id", models.UUIDField(blank=True, null=True)),
                ("user_label", models.CharField(max_length=254)),
                ("practice_id", models.UUIDField(blank=True, null=True)),
                ("source_address", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=300)),
                ("session_ref", models.CharField(blank=True, max_length=32)),
                ("patient_id", models.UUIDField(blank=True, null=True)),
                ("entity_type", models.CharField(blank=True, max_length=64)),
                ("entity_id", models.CharField(blank=True, max_length=64)),
                ("reason", models.TextField(blank=True)),
                ("detail", models.JSONField(blank=True, default=dict)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "événement d'audit",
                "db_table": "audit_auditevent",
                "managed": False,
                "constraints": [
                    models.UniqueConstraint(fields=("chain", "seq"), name="audit_event_chain_seq_uniq"),
                ],
                "indexes": [
                    models.Index(fields=["practice_id", "recorded_at"], name="audit_event_practice_time"),
                    models.Index(fields=["practice_id", "user_id", "recorded_at"], name="audit_event_practice_user"),
                    models.Index(fields=["practice_id", "patient_id", "recorded_at"], name="audit_event_practice_patient"),
                ],
            },
        ),
        migrations.RunPython(create_tables, elidable=False),
    ]
