from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ratepayer.billing"
    label = "billing"

    def ready(self) -> None:
        from .actions import register_approval_handlers, register_customer_hooks

        register_approval_handlers()
        register_customer_hooks()
