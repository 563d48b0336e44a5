from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ratepayer.payments"
    label = "payments"
    verbose_name = "Payments and cash"

    def ready(self) -> None:
        from .actions import register_approval_handlers

        register_approval_handlers()
