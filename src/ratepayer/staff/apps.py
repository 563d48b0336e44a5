from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "ratepayer.staff"
    label = "staff"
