from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "ratepayer.staff"
    label = "staff"

    def ready(self) -> None:
        from ratepayer import bulk  # noqa: F401  registers the ``__among`` lookup on every field
