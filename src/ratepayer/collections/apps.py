from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    # The label is the app's name; Python's own ``collections`` is never imported relatively.
    name = "ratepayer.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from ratepayer.outbox.actions import register_attachment_source

        from .documents import NOTICE_PDF_SOURCE, notice_pdf_attachment

        # a notice e-mail's PDF, rendered from the notice kept in the message when a worker sends it
        register_attachment_source(NOTICE_PDF_SOURCE, notice_pdf_attachment)
