from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ratepayer.customers"
    label = "customers"

    def ready(self) -> None:
        try:
            from ratepayer.console.nav import ENTRIES, NavEntry
        except ImportError:  # the console app is not installed
            return
        ENTRIES.extend([
            NavEntry("New customer", "customers:new", "account.maintain", order=12, shortcut="c", menu="Customers"),
            NavEntry("New premise", "customers:new_premise", "account.maintain", order=13, menu="Customers"),
        ])
