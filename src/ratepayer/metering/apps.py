from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "ratepayer.metering"
    label = "metering"
