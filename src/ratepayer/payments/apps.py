from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ratepayer.payments"
    label = "payments"
