"""Collections: aging, late fees, past-due and disconnect notices, disconnect and
reconnect service orders, payment arrangements, long-term contracts, write-offs and
liens (DESIGN §3 layer 7, §9; the Washington rules are in reference/DOMAIN.md Part A).

Every number a board sets is an effective-dated policy record; one pure function
decides whether an account may be disconnected on a date, and the console, the
``ratepayer collections explain`` command and the daily job all call it.
"""
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

        from .panels import register_panel
        from .views.plans import arrangements_panel, contracts_panel

        # the account's collections tab: arrangements and contracts (helper "plans")
        register_panel("arrangements", "Payment arrangements", "collections/_arrangements_panel.html",
                       arrangements_panel, order=40)
        register_panel("contracts", "Long-term contracts", "collections/_contracts_panel.html", contracts_panel,
                       order=45)

        from .actions import writeoffs

        writeoffs.register_approval_handlers()  # write-offs above the maker's limit
        writeoffs.register_payment_hook()  # payments on written-off accounts credit the allowance (Cr 144)

        from .views.writeoffs import account_panel

        register_panel("closed_account", "Closed account", "collections/closed/_panel.html", account_panel, order=80)

        from ratepayer.outbox.actions import register_attachment_source

        from .documents import NOTICE_PDF_SOURCE, notice_pdf_attachment

        # a notice e-mail's PDF, rendered from the notice kept in the message when a worker sends it
        register_attachment_source(NOTICE_PDF_SOURCE, notice_pdf_attachment)

        from .actions import policy

        policy.register_approval_handlers()  # collection policy changes (maker-checker)

        from .actions.daily import register_facts_builder
        from .facts import add_protections

        # the daily job's disconnect decisions see heat alerts, medical certificates, disputes, winter
        # protection, arrangements and registered landlords
        register_facts_builder(add_protections)

        from .views import protection_panel

        protection_panel.register()  # the account's collections tab shows what protects it
