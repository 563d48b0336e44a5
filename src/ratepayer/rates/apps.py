from django.apps import AppConfig


class RatesConfig(AppConfig):
    name = "ratepayer.rates"
    label = "rates"
