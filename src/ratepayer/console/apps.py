from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "ratepayer.console"
    label = "console"
