from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ratepayer.ledger"
    label = "ledger"
