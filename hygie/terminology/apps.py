from django.apps import AppConfig


class TerminologyConfig(AppConfig):
    name = "hygie.terminology"
    label = "terminology"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Terminologies"
