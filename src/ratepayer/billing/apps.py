from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ratepayer.billing"
    label = "billing"

    def ready(self) -> None:
        from .actions import register_approval_handlers, register_customer_hooks

        register_approval_handlers()
        register_customer_hooks()
        from ratepayer.outbox.actions import register_attachment_source

        from .documents import BILL_PDF_SOURCE, bill_pdf_attachment

        register_attachment_source(BILL_PDF_SOURCE, bill_pdf_attachment)
        try:
            from ratepayer.console.nav import ENTRIES, NavEntry
        except ImportError:  # the console app is not installed
            return
        ENTRIES.extend([
            NavEntry("Billing", "billing:calendar", "account.view", order=40, shortcut="b"),
            NavEntry("Review queue", "billing:review", "billing.run", order=41, shortcut="q"),
            NavEntry("Billing policy", "billing:policy", "account.view", order=42),
        ])
