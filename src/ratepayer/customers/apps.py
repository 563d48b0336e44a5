from django.apps import AppConfig


def _numbers_of(ids: set[int]) -> dict[int, str]:
    from .models import Account

    return dict(Account.objects.filter(pk__in=ids).values_list("pk", "number"))


def _id_of(number: str) -> int | None:
    from .models import Account

    return Account.objects.filter(number=number).values_list("pk", flat=True).first()


class CustomersConfig(AppConfig):
    name = "ratepayer.customers"
    label = "customers"

    def ready(self) -> None:
        from ratepayer.staff import accounts

        accounts.provide(numbers_of=_numbers_of, id_of=_id_of)
