from django.apps import AppConfig


def _read_for_customers(*, user, meter, read_date, value, read_type, note=""):
    """customers.actions records move-in, final and new-meter reads through
    metering's read entry (validated like any read); its errors in customers' terms."""
    from ratepayer.customers.errors import CustomerError

    from .actions import enter_read
    from .errors import MeteringError

    try:
        return enter_read(user=user, meter=meter, read_date=read_date, value=value, read_type=read_type, note=note)
    except MeteringError as exc:
        raise CustomerError(f"Read: {exc}") from exc


class MeteringConfig(AppConfig):
    name = "ratepayer.metering"
    label = "metering"
    verbose_name = "Meter reads"

    def ready(self) -> None:
        from ratepayer.customers.actions import register_read_recorder

        register_read_recorder(_read_for_customers)
