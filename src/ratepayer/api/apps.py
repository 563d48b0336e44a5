from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ratepayer.api"
    label = "api"
