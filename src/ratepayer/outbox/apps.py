from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "ratepayer.outbox"
    label = "outbox"
    verbose_name = "Outgoing e-mail"
