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
