from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hygie.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
