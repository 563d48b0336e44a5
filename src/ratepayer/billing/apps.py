from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ratepayer.billing"
    label = "billing"
