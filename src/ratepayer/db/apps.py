from django.apps import AppConfig


class DbConfig(AppConfig):
    """No models: it registers the database mechanisms every app may use."""

    name = "ratepayer.db"
    label = "db"
    verbose_name = "Database mechanisms"

    def ready(self) -> None:
        from .lookups import register_lookups

        register_lookups()  # ``field__among=ids`` on every field
