from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ratepayer.customers"
    label = "customers"
