from django.apps import AppConfig


class RatesConfig(AppConfig):
    name = "ratepayer.rates"
    label = "rates"
    verbose_name = "Rate schedules"

    def ready(self) -> None:
        from .actions import register_approval_handlers

        register_approval_handlers()
