"""Deleted records leave the name index (do_delete_patient now removes their
tokens): remove the tokens of records deleted before this change."""

from django.db import migrations


def remove_deleted_tokens(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    PatientNameToken = apps.get_model("patients", "PatientNameToken")
    deleted = Patient.objects.filter(deleted_at__isnull=False).values("pk")
    PatientNameToken.objects.filter(patient_id__in=deleted).delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_versions")]

    operations = [migrations.RunPython(remove_deleted_tokens, migrations.RunPython.noop)]
