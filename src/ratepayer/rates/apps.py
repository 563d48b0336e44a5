from django.apps import AppConfig


class RatesConfig(AppConfig):
    name = "ratepayer.rates"
    label = "rates"
    verbose_name = "Rate schedules"

    def ready(self) -> None:
        from .actions import register_approval_handlers

        register_approval_handlers()
        try:
            from ratepayer.console.nav import ENTRIES, NavEntry
        except ImportError:  # the console app is not installed (a stripped-down deployment)
            return
        # one entry: the calculator is a button on every rates page
        ENTRIES.append(NavEntry("Rates", "rates:schedules", "account.view", order=60, shortcut="r"))
