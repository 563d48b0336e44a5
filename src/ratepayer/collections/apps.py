from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    # The label is the app's name; Python's own ``collections`` is never imported relatively.
    name = "ratepayer.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from ratepayer.billing.billrun import register_extra_lines

        from .actions.contracts import installment_lines, installments_billed

        register_extra_lines(installment_lines, installments_billed)
