from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ratepayer.demo"
    label = "demo"
    verbose_name = "Demo utility"
