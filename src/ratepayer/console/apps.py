from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "ratepayer.console"
    label = "console"

    def ready(self) -> None:
        from . import nav

        nav.discover()  # every installed app's nav.py
