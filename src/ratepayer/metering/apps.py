from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "ratepayer.metering"
    label = "metering"
    verbose_name = "Meter reads"

    def ready(self) -> None:
        try:
            from ratepayer.console.nav import ENTRIES, NavEntry
        except ImportError:  # the console app is not installed (a stripped-down deployment)
            return
        ENTRIES.extend([
            NavEntry("Meter reads", "metering:entry", "reads.manage", order=45, shortcut="m"),
            NavEntry("Read exceptions", "metering:exceptions", "reads.manage", order=46, shortcut="x"),
        ])
