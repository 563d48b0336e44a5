from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "ratepayer.outbox"
    label = "outbox"
    verbose_name = "Outgoing e-mail"

    def ready(self) -> None:
        try:
            from ratepayer.console.nav import ENTRIES, NavEntry
        except ImportError:  # the console app is not installed (a stripped-down deployment)
            return
        from ratepayer.console.nav import ADMINISTRATION

        ENTRIES.append(NavEntry("Outgoing e-mail", "outbox:messages", "mail.manage", order=88, menu=ADMINISTRATION))
