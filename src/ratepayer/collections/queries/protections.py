"""Reads of the protection records: which bills are disputed, the premises an account is
served at, what it owes, the winter a request is for."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from ratepayer.customers.models import Account, Premise, ServiceAgreement
from ratepayer.ledger.models import ARBalance

from ..models.protections import Dispute


def bill_is_disputed(bill_id: int) -> bool:
    """Whether an open dispute names this bill."""
    return Dispute.objects.filter(bill_id=bill_id, status=Dispute.Status.OPEN).exists()


def disputed_bill_ids(bill_ids: Iterable[int]) -> set[int]:
    """The bills among ``bill_ids`` that an open dispute names (one query)."""
    ids = list(bill_ids)
    if not ids:
        return set()
    return set(Dispute.objects.filter(bill_id__in=ids, status=Dispute.Status.OPEN).values_list("bill_id", flat=True))


def open_disputes_on(account_ids: Iterable[int], on: date) -> dict[int, list[Dispute]]:
    """Disputes open on ``on`` (opened by then, not closed before), per account (one query)."""
    result: dict[int, list[Dispute]] = {}
    for dispute in Dispute.objects.filter(account_id__in=list(account_ids), opened_on__lte=on).exclude(
            closed_on__lte=on).order_by("opened_on", "id"):
        result.setdefault(dispute.account_id, []).append(dispute)
    return result


def premises_of(account: Account) -> list[Premise]:
    """The premises the account is (or was) served at, newest agreement first."""
    ids = list(dict.fromkeys(ServiceAgreement.objects.filter(account=account)
                             .order_by("-start_date", "-id").values_list("service_point__premise_id", flat=True)))
    by_id = Premise.objects.in_bulk(ids)
    return [by_id[i] for i in ids]


def account_balance(account: Account) -> Decimal:
    """What the account owes now (its receivable balances), the default delinquent balance
    until the aging of collections' open items is on main."""
    total = ARBalance.objects.filter(account=account).aggregate(total=Sum("balance"))["total"]
    return max(Decimal("0.00"), total or Decimal("0.00"))


def season_start(day: date) -> date:
    """Nov 15 of the winter (Nov 15 – Mar 15) a request made on ``day`` is for: the winter in
    progress, or the next one."""
    if day.month < 3 or (day.month == 3 and day.day <= 15):
        return date(day.year - 1, 11, 15)
    return date(day.year, 11, 15)
