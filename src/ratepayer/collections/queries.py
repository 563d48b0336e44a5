"""Read models of the collections app, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from .models import ArrangementInstallment, PaymentArrangement


@dataclass(frozen=True)
class ArrangementStanding:
    """An account's payment arrangement as the disconnect rules see it on a date.

    ``status`` is "kept" (active, no installment missed past its grace: it protects) or
    "broken" (it no longer protects; ``last_missed_on`` is the missed installment's due
    date) — the two values of ``disconnect_rules.PaymentArrangement``."""

    arrangement_id: int
    kind: str
    status: str
    last_missed_on: date | None
    next_due_date: date | None
    next_due_amount: Decimal | None
    required_ceiling: Decimal | None


def active_arrangements(account_ids, on: date) -> dict[int, ArrangementStanding]:
    """For each of these accounts with an arrangement that bears on ``on``: its standing.

    An arrangement made on or before ``on`` and still active that day (active now, or
    ended later) is "kept"; one broken on or before ``on`` is "broken" unless a later one
    is active. Proposed arrangements (down payment not yet received) and those kept in
    full or cancelled before ``on`` are left out: they neither protect nor count against
    the customer. Two queries for any number of accounts."""
    S = PaymentArrangement.Status
    rows = list(PaymentArrangement.objects.filter(account_id__among=list(account_ids), start_date__lte=on)
                .filter(Q(status=S.ACTIVE) | Q(status=S.BROKEN)
                        | Q(status__in=[S.KEPT, S.CANCELLED], ended_on__gt=on))
                .values("pk", "account_id", "kind", "status", "ended_on", "missed_due_date", "required_ceiling",
                        "start_date")
                .order_by("account_id", "start_date", "pk"))
    for row in rows:  # as it stood on the day: one that ended later was still active then
        if row["status"] != S.ACTIVE and (row["ended_on"] is None or row["ended_on"] > on):
            row["status"] = S.ACTIVE
    chosen: dict[int, dict] = {}
    for row in rows:  # the latest per account; an active one wins over a broken one
        held = chosen.get(row["account_id"])
        if held is None or row["status"] == "active" or held["status"] != "active":
            chosen[row["account_id"]] = row
    active_ids = [row["pk"] for row in chosen.values() if row["status"] == "active"]
    upcoming: dict[int, tuple[date, Decimal]] = {}
    if active_ids:
        for arrangement_id, due_date, amount, paid in ArrangementInstallment.objects.filter(
                arrangement_id__among=active_ids).order_by("arrangement_id", "sequence").values_list(
                "arrangement_id", "due_date", "amount", "paid_amount"):
            if paid < amount and arrangement_id not in upcoming:
                upcoming[arrangement_id] = (due_date, amount - paid)
    result = {}
    for account_id, row in chosen.items():
        kept = row["status"] == "active"
        due = upcoming.get(row["pk"]) if kept else None
        result[account_id] = ArrangementStanding(
            arrangement_id=row["pk"], kind=row["kind"], status="kept" if kept else "broken",
            last_missed_on=None if kept else row["missed_due_date"], next_due_date=due[0] if due else None,
            next_due_amount=due[1] if due else None, required_ceiling=row["required_ceiling"])
    return result
