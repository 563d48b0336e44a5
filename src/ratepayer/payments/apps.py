from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ratepayer.payments"
    label = "payments"
    verbose_name = "Payments and cash"

    def ready(self) -> None:
        from .actions import register_approval_handlers

        register_approval_handlers()
        try:
            from ratepayer.console.nav import ENTRIES, NavEntry
        except ImportError:  # the console app is not installed (a stripped-down deployment)
            return
        ENTRIES.extend([
            NavEntry("Cashier", "payments:cashier", "payment.take", order=30, shortcut="c"),
            NavEntry("Drawers & deposits", "payments:drawers", "payment.take", order=31),
            NavEntry("Payment files", "payments:files", "payment.manage", order=32),
            NavEntry("Bank reconciliation", "payments:reconciliation", "payment.manage", order=35),
            NavEntry("Security deposits", "payments:security_deposits", "payment.take", order=36),
            NavEntry("Refunds", "payments:refunds", "payment.manage", order=37),
            NavEntry("Cash reports", "payments:reports", "payment.take", order=38),
        ])
