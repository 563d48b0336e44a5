"""Read side of collections: the policy in force, aging, an account's
collections status, the worklist. A fixed number of queries per call; the
batch readers take many accounts at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from ratepayer.billing.models import Bill
from ratepayer.customers.models import ServiceAgreement
from ratepayer.ledger import openitems
from ratepayer.ledger.models import JournalEntry

from ..models.core import (
    AgencyReferral,
    CollectionPolicy,
    DisconnectDecisionRecord,
    LateFee,
    Notice,
    ServiceOrder,
)
from ..models.plans import ArrangementInstallment, PaymentArrangement

ZERO = Decimal("0.00")
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
BUCKET_LABELS = {"current": "Current", "days_1_30": "1–30", "days_31_60": "31–60", "days_61_90": "61–90",
                 "over_90": "Over 90"}


# --------------------------------------------------------------------------- policy


class PolicyTable:
    """The collection policies in force on a day, loaded with one query; the
    most specific row for a service and class wins (service and class, then
    service, then class, then neither; a PUD's row before a water-sewer
    district's at the same specificity)."""

    def __init__(self, day: date) -> None:
        self.day = day
        newest: dict[tuple[str, str, str], CollectionPolicy] = {}
        for policy in CollectionPolicy.objects.filter(effective_from__lte=day).order_by("effective_from", "id"):
            newest[(policy.utility_type, policy.service, policy.customer_class)] = policy
        self._rows = newest
        self._resolved: dict[tuple[str, str], CollectionPolicy | None] = {}

    def for_service(self, service: str, customer_class: str) -> CollectionPolicy | None:
        key = (service, customer_class)
        if key not in self._resolved:
            found = None
            for s, c in ((service, customer_class), (service, ""), ("", customer_class), ("", "")):
                for utility_type in ("pud", "water_sewer"):
                    found = self._rows.get((utility_type, s, c))
                    if found:
                        break
                if found:
                    break
            self._resolved[key] = found
        return self._resolved[key]

    def rows(self) -> list[CollectionPolicy]:
        return sorted(self._rows.values(), key=lambda p: (p.utility_type, p.service, p.customer_class))


def collection_policy_on(day: date | None = None, *, service: str = "", customer_class: str = "") -> CollectionPolicy:
    """The policy in force on ``day`` for a service and customer class."""
    day = day or timezone.localdate()
    policy = PolicyTable(day).for_service(service, customer_class)
    if policy is None:
        raise CollectionPolicy.DoesNotExist(f"No collection policy is in force on {day} for {service or 'any service'}")
    return policy


# --------------------------------------------------------------------------- open charges and aging


def _bucket_edges(on: date) -> list[date]:
    return [on, on - timedelta(days=30), on - timedelta(days=60), on - timedelta(days=90)]


def _open_charges_sql(account_ids: list[int] | None, on: date, select: str, group: str = "") -> tuple[str, list]:
    cte, params = openitems.open_items_cte(account_ids)
    q = connection.ops.quote_name
    entry, bill, agreement = (q(JournalEntry._meta.db_table), q(Bill._meta.db_table),
                              q(ServiceAgreement._meta.db_table))
    cte += f""", charges AS (
      SELECT o.account_id, o.agreement_id, o.amount, e.effective_date AS charged_on,
             COALESCE(b.due_date, e.effective_date) AS due_on, CASE WHEN b.id IS NULL THEN 0 ELSE 1 END AS billed,
             sa.service, sa.customer_class
      FROM opens o JOIN {entry} e ON e.id = o.entry_id
      LEFT JOIN {bill} b ON e.source_type = 'billing.bill' AND b.id = e.source_id
      JOIN {agreement} sa ON sa.id = o.agreement_id)
    SELECT {select} FROM charges {group}"""
    return cte, params


def _bucket_case(on: date) -> tuple[str, list]:
    edges = _bucket_edges(on)
    return ("CASE WHEN due_on >= %s THEN 0 WHEN due_on >= %s THEN 1 WHEN due_on >= %s THEN 2 "
            "WHEN due_on >= %s THEN 3 ELSE 4 END", [e.isoformat() if connection.vendor == "sqlite" else e for e in edges])


@dataclass
class Aging:
    account_id: int
    service: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def past_due(self) -> Decimal:
        return self.total - self.buckets["current"]


def aging(account_ids: Iterable[int] | None = None, *, on: date | None = None) -> dict[tuple[int, str], Aging]:
    """Open receivable by account and service in the buckets current (not yet
    due), 1–30, 31–60, 61–90 and over 90 days past due, on ``on``: one
    set-based statement (``ledger.openitems``) for any number of accounts —
    all accounts with a balance when ``account_ids`` is None. Long-term
    contracts are on their own receivable (143), so they are not here."""
    on = on or timezone.localdate()
    ids = None if account_ids is None else sorted(set(account_ids))
    if ids == []:
        return {}
    case, case_params = _bucket_case(on)
    sql, params = _open_charges_sql(ids, on, f"account_id, service, {case} AS bucket, SUM(amount)",
                                    "GROUP BY account_id, service, bucket")
    # the bucket's parameters come after the CTE's in the statement
    result: dict[tuple[int, str], Aging] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params + case_params)
        for account_id, service, bucket, cents in cursor.fetchall():
            row = result.setdefault((account_id, service), Aging(account_id, service))
            row.buckets[BUCKETS[int(bucket)]] += (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))
    return result


def aging_totals(on: date | None = None) -> dict[str, Decimal]:
    """The whole receivable in the aging buckets (one statement)."""
    on = on or timezone.localdate()
    case, case_params = _bucket_case(on)
    sql, params = _open_charges_sql(None, on, f"{case} AS bucket, SUM(amount)", "GROUP BY bucket")
    totals = dict.fromkeys(BUCKETS, ZERO)
    with connection.cursor() as cursor:
        cursor.execute(sql, params + case_params)
        for bucket, cents in cursor.fetchall():
            totals[BUCKETS[int(bucket)]] += (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))
    return totals


@dataclass(frozen=True)
class OpenCharge:
    account_id: int
    agreement_id: int
    service: str
    customer_class: str
    due_on: date
    billed: bool
    amount: Decimal


def open_charges(account_ids: Iterable[int], on: date) -> dict[int, list[OpenCharge]]:
    """Open charges per account, summed by agreement and due date, oldest
    first: one statement for the whole list (the daily job's chunk)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    sql, params = _open_charges_sql(ids, on, "account_id, agreement_id, service, customer_class, due_on, "
                                    "MAX(billed), SUM(amount)",
                                    "GROUP BY account_id, agreement_id, service, customer_class, due_on")
    result: dict[int, list[OpenCharge]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for account_id, agreement_id, service, customer_class, due_on, billed, cents in cursor.fetchall():
            due = due_on if isinstance(due_on, date) else date.fromisoformat(str(due_on))
            result[account_id].append(OpenCharge(account_id, agreement_id, service, customer_class, due, bool(billed),
                                                 (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))))
    for charges in result.values():
        charges.sort(key=lambda c: (c.due_on, c.agreement_id))
    return dict(result)


# --------------------------------------------------------------------------- an account's status


@dataclass
class AccountCollections:
    """What the account's collections panel shows."""

    account_id: int
    on: date
    aging: list[Aging]
    notices: list[Notice]
    orders: list[ServiceOrder]
    late_fees: list[LateFee]
    decision: DisconnectDecisionRecord | None
    referrals: list[AgencyReferral]

    @property
    def total(self) -> Decimal:
        return sum((a.total for a in self.aging), ZERO)

    @property
    def past_due(self) -> Decimal:
        return sum((a.past_due for a in self.aging), ZERO)

    @property
    def stage(self) -> str:
        return account_stage(self)

    def as_dict(self) -> dict:
        return {
            "account_id": self.account_id, "date": self.on.isoformat(), "stage": self.stage,
            "balance": str(self.total), "past_due": str(self.past_due),
            "aging": [{"service": a.service, **{k: str(v) for k, v in a.buckets.items()}} for a in self.aging],
            "notices": [{"id": n.pk, "kind": n.kind, "served_on": n.served_on.isoformat(),
                         "amount_past_due": str(n.amount_past_due), "channel": n.channel, "language": n.language,
                         "valid_from": n.valid_from.isoformat() if n.valid_from else None,
                         "valid_until": n.valid_until.isoformat() if n.valid_until else None,
                         "document_ref": n.document_ref} for n in self.notices],
            "service_orders": [{"id": o.pk, "kind": o.kind, "status": o.status, "service": o.service_point.service,
                                "requested_on": o.requested_on.isoformat(),
                                "completed_on": o.completed_on.isoformat() if o.completed_on else None,
                                "field_result": o.field_result} for o in self.orders],
            "late_fees": [{"assessed_on": f.assessed_on.isoformat(), "amount": str(f.amount),
                           "charge_due_on": f.charge_due_on.isoformat()} for f in self.late_fees],
            "disconnect_decision": self.decision.decision if self.decision else None,
            "agency_referrals": [{"id": r.pk, "status": r.status, "balance": str(r.balance),
                                  "found_on": r.found_on.isoformat()} for r in self.referrals],
        }


STAGES = [
    ("current", "Current"),
    ("past_due", "Past due"),
    ("notified", "Past-due notice served"),
    ("final_notice", "Final notice served"),
    ("disconnect_ordered", "Disconnect ordered"),
    ("disconnected", "Disconnected"),
    ("reconnect_ordered", "Reconnect ordered"),
    ("agency_candidate", "Agency referral candidate"),
]


def account_stage(status: AccountCollections) -> str:
    open_orders = [o for o in status.orders if o.status in ServiceOrder.OPEN]
    if any(o.kind == "reconnect" for o in open_orders):
        return "reconnect_ordered"
    if any(r.status == "candidate" for r in status.referrals):
        return "agency_candidate"
    if any(o.kind == "disconnect" for o in open_orders):
        return "disconnect_ordered"
    done = [o for o in status.orders if o.status == "completed" and o.field_result == "done"]
    if done and done[0].kind == "disconnect":
        return "disconnected"
    if status.past_due <= 0:
        return "current"
    kinds = {n.kind for n in status.notices}
    if "final" in kinds:
        return "final_notice"
    if "past_due" in kinds:
        return "notified"
    return "past_due"


def account_collections(account_id: int, on: date | None = None) -> AccountCollections:
    """The account's collections status (a fixed number of queries)."""
    on = on or timezone.localdate()
    ages = sorted(aging([account_id], on=on).values(), key=lambda a: a.service)
    notices = list(Notice.objects.filter(account_id=account_id).order_by("-served_on", "-id")[:20])
    orders = list(ServiceOrder.objects.filter(account_id=account_id).select_related("service_point")
                  .order_by("-requested_on", "-id")[:20])
    fees = list(LateFee.objects.filter(account_id=account_id).order_by("-assessed_on", "-id")[:12])
    decision = DisconnectDecisionRecord.objects.filter(account_id=account_id).order_by("-decided_on", "-id").first()
    referrals = list(AgencyReferral.objects.filter(account_id=account_id).order_by("-found_on")[:5])
    return AccountCollections(account_id, on, ages, notices, orders, fees, decision, referrals)


# --------------------------------------------------------------------------- worklist


@dataclass
class WorklistStep:
    key: str
    label: str
    count: int
    hint: str


RECENT_DAYS = 7


def latest_decision_day(on: date) -> date | None:
    """The last day on or before ``on`` the job recorded decisions (the held list is that run's)."""
    return (DisconnectDecisionRecord.objects.filter(decided_on__lte=on).order_by("-decided_on")
            .values_list("decided_on", flat=True).first())


def worklist_counts(on: date) -> list[WorklistStep]:
    """What needs a person, by step, with counts (a fixed number of queries):
    open orders, the latest run's held disconnections, the notices of the
    last week, the agency candidates."""
    orders = ServiceOrder.objects.filter(status__in=ServiceOrder.OPEN).aggregate(
        disconnect=Count("id", filter=Q(kind="disconnect")), reconnect=Count("id", filter=Q(kind="reconnect")))
    since = on - timedelta(days=RECENT_DAYS - 1)
    notices = Notice.objects.filter(served_on__range=(since, on)).aggregate(
        past_due=Count("id", filter=Q(kind="past_due")), final=Count("id", filter=Q(kind="final")))
    last = latest_decision_day(on)
    blocked = DisconnectDecisionRecord.objects.filter(decided_on=last, allowed=False).count() if last else 0
    referrals = AgencyReferral.objects.filter(status="candidate").count()
    return [
        WorklistStep("reconnect", "Reconnect orders to work", orders["reconnect"],
                     "customers who paid or agreed a plan: restore service within 24 hours"),
        WorklistStep("disconnect", "Disconnect orders to work", orders["disconnect"],
                     "final notice valid, nothing protects the account"),
        WorklistStep("blocked", "Disconnects held", blocked,
                     f"eligible by balance and notice, but a rule holds them (run of {last or 'no day yet'}): "
                     "read the reasons"),
        WorklistStep("final", "Final notices, last 7 days", notices["final"], "the disconnect window opens later"),
        WorklistStep("past_due", "Past-due notices, last 7 days", notices["past_due"], "first reminder"),
        WorklistStep("agency", "Agency referral candidates", referrals,
                     "warned 30 days or more ago (RCW 19.16.500): refer or write off"),
    ]


def worklist_rows(step: str, on: date, limit: int = 200) -> list[dict]:
    """The accounts behind one worklist step (one or two queries)."""
    if step in ("disconnect", "reconnect"):
        orders = (ServiceOrder.objects.filter(status__in=ServiceOrder.OPEN, kind=step)
                  .select_related("account", "account__customer", "service_point", "service_point__premise")
                  .order_by("requested_on", "id")[:limit])
        return [{"account": o.account, "what": f"{o.get_kind_display()} — {o.service_point.get_service_display()}",
                 "since": o.requested_on, "detail": o.service_point.premise, "order": o} for o in orders]
    if step == "blocked":
        rows = (DisconnectDecisionRecord.objects.filter(decided_on=latest_decision_day(on), allowed=False)
                .select_related("account", "account__customer").order_by("account__number")[:limit])
        return [{"account": r.account, "what": f"held by {r.deciding_rule.replace('_', ' ')}", "since": r.decided_on,
                 "detail": next((v["reason"] for v in r.decision.get("rules", []) if v["verdict"] == "blocks"), "")}
                for r in rows]
    if step in ("final", "past_due"):
        rows = (Notice.objects.filter(served_on__range=(on - timedelta(days=RECENT_DAYS - 1), on), kind=step).select_related("account", "account__customer")
                .order_by("account__number")[:limit])
        return [{"account": n.account, "what": n.get_kind_display(), "since": n.served_on,
                 "detail": f"{n.amount_past_due} past due" + (f"; disconnect window {n.valid_from} – {n.valid_until}"
                                                              if n.valid_from else "")} for n in rows]
    if step == "agency":
        rows = (AgencyReferral.objects.filter(status="candidate").select_related("account", "account__customer")
                .order_by("found_on", "id")[:limit])
        return [{"account": r.account, "what": "Agency referral candidate", "since": r.found_on,
                 "detail": f"{r.balance} owed since {r.delinquency_due_on}"} for r in rows]
    return []


# --------------------------------------------------------------------------- arrangements


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
