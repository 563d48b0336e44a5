"""Read models of the closed-account work: which step each closed account that
still owes is at, with counts, and one account's closed-account picture.

The worklist is set-based: a fixed number of queries however many accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ratepayer.billing.models import Bill
from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.db.money import MoneySum
from ratepayer.ledger.models import ARBalance
from ratepayer.payments.models import SecurityDeposit

from ..models import AgencyAssignment, BalanceTransfer, LienCertification, Recovery, WriteOff
from . import PolicyTable

ZERO = Decimal("0.00")

# The path of a closed account that owes, in order; each account is at its first open step.
STEPS: list[tuple[str, str, str]] = [
    ("final_bill", "Final bill", "the final bill is not issued yet (Billing › issue final bill)"),
    ("deposit", "Apply deposit", "a security deposit is held: apply it to the final bill"),
    ("transfer", "Transfer", "the customer has another active account the balance can move to"),
    ("agency", "Assign to agency", "advise the customer, then assign 30 days later (RCW 19.16.500)"),
    ("at_agency", "At agency", "the agency is collecting: record remittances, recall or return"),
    ("write_off", "Write off", "the agency returned it, or it is below the policy's agency threshold"),
    ("awaiting_approval", "Awaiting approval", "a write-off waits for another person's approval"),
]
STEP_LABELS = {code: label for code, label, _ in STEPS}


@dataclass
class ClosedRow:
    account_id: int
    number: str
    customer: str
    closed_on: date | None
    owed: Decimal
    step: str
    agency: str = ""

    @property
    def step_label(self) -> str:
        return STEP_LABELS[self.step]


@dataclass
class Worklist:
    counts: dict[str, int]
    rows: list[ClosedRow] = field(default_factory=list)
    total: Decimal = ZERO

    @property
    def steps(self) -> list[tuple[str, str, str, int]]:
        return [(code, label, hint, self.counts.get(code, 0)) for code, label, hint in STEPS]


def agency_threshold(day: date | None = None) -> Decimal:
    """Below this a closed account's balance is not worth an agency: the collection
    policy's agency-referral threshold in force (one query)."""
    policy = PolicyTable(day or timezone.localdate()).for_service("", "")
    return policy.agency_referral_threshold if policy is not None else ZERO


def _step(*, pending: bool, at_agency: bool, final_billed: bool, deposit: bool, other_active: bool,
          ever_assigned: bool, owed: Decimal, threshold: Decimal) -> str:
    if pending:
        return "awaiting_approval"
    if at_agency:
        return "at_agency"
    if not final_billed:
        return "final_bill"
    if deposit:
        return "deposit"
    if other_active:
        return "transfer"
    if not ever_assigned and owed >= threshold:
        return "agency"
    return "write_off"


def closed_accounts(step: str | None = None, *, limit: int = 500) -> Worklist:
    """Closed accounts whose agreements owe (net of credits), each at its step.
    Six queries whatever the number of accounts."""
    threshold = agency_threshold()
    final_billed = Bill.objects.filter(account_id=OuterRef("pk"), status=Bill.Status.ISSUED,
                                       period_end__gte=OuterRef("closed_on"))
    other_active = Account.objects.filter(customer_id=OuterRef("customer_id"), status=Account.Status.ACTIVE)
    # owed > 0 is compared here, not in SQL: SQLite compares the REAL sum with the text '0' in a HAVING
    accounts = [a for a in
                Account.objects.filter(status=Account.Status.CLOSED, ar_balances__isnull=False)
                .annotate(owed=MoneySum("ar_balances__balance"), final_billed=Exists(final_billed),
                          other_active=Exists(other_active))
                .order_by("closed_on", "number")
                .values("pk", "number", "customer__name", "closed_on", "owed", "final_billed", "other_active")
                if a["owed"] > 0]
    # the other facts for every closed account at once (joined on the status, no list of ids)
    closed = {"account__status": Account.Status.CLOSED}
    deposits = set(SecurityDeposit.objects.filter(**closed, status=SecurityDeposit.Status.HELD, received__gt=0)
                   .values_list("account_id", flat=True))
    at_agency = dict(AgencyAssignment.objects.filter(**closed, status=AgencyAssignment.Status.ASSIGNED)
                     .values_list("account_id", "agency__name"))
    ever_assigned = set(AgencyAssignment.objects.filter(**closed).exclude(status=AgencyAssignment.Status.RECALLED)
                        .values_list("account_id", flat=True))
    pending = set(WriteOff.objects.filter(**closed, status=WriteOff.Status.PENDING)
                  .values_list("account_id", flat=True))
    counts: dict[str, int] = {}
    rows: list[ClosedRow] = []
    total = ZERO
    for a in accounts:
        pk = a["pk"]
        code = _step(pending=pk in pending, at_agency=pk in at_agency, final_billed=a["final_billed"],
                     deposit=pk in deposits, other_active=a["other_active"], ever_assigned=pk in ever_assigned,
                     owed=a["owed"], threshold=threshold)
        counts[code] = counts.get(code, 0) + 1
        total += a["owed"]
        if (step is None or step == code) and len(rows) < limit:
            rows.append(ClosedRow(pk, a["number"], a["customer__name"], a["closed_on"], a["owed"], code,
                                  at_agency.get(pk, "")))
    return Worklist(counts, rows, total)


@dataclass
class ClosedAccount:
    account: Account
    balances: list[ARBalance]
    owed: Decimal
    step: str | None
    deposit: SecurityDeposit | None
    transfer_targets: list[Account]
    assignments: list[AgencyAssignment]
    write_offs: list[WriteOff]
    transfers: list[BalanceTransfer]
    recoveries: list[Recovery]
    liens: list[LienCertification]
    lien_premises: list


def closed_account(account: Account) -> ClosedAccount:
    """Everything the closed-account page shows for one account."""
    balances = list(ARBalance.objects.filter(account=account).select_related("agreement__service_point__premise")
                    .order_by("agreement__service", "pk"))
    owed = sum((b.balance for b in balances), ZERO)
    step = None
    if account.status == Account.Status.CLOSED and owed > 0:
        step = _step(
            pending=WriteOff.objects.filter(account=account, status=WriteOff.Status.PENDING).exists(),
            at_agency=AgencyAssignment.objects.filter(account=account, status="assigned").exists(),
            final_billed=Bill.objects.filter(account=account, status=Bill.Status.ISSUED,
                                             period_end__gte=account.closed_on).exists(),
            deposit=SecurityDeposit.objects.filter(account=account, status="held", received__gt=0).exists(),
            other_active=Account.objects.filter(customer_id=account.customer_id, status="active").exists(),
            ever_assigned=AgencyAssignment.objects.filter(account=account).exclude(status="recalled").exists(),
            owed=owed, threshold=agency_threshold())
    premises = {}
    for b in balances:
        if b.agreement.service in ("water", "sewer"):
            premise = b.agreement.service_point.premise
            premises[premise.pk] = premise
    return ClosedAccount(
        account=account, balances=balances, owed=owed, step=step,
        deposit=SecurityDeposit.objects.filter(account=account, status="held", received__gt=0).first(),
        transfer_targets=list(Account.objects.filter(customer_id=account.customer_id, status="active")
                              .exclude(pk=account.pk).filter(Q(agreements__status=ServiceAgreement.Status.ACTIVE))
                              .distinct().order_by("number")),
        assignments=list(account.agency_assignments.select_related("agency", "file").order_by("-pk")),
        write_offs=list(account.write_offs.select_related("requested_by", "decided_by").order_by("-pk")),
        transfers=list(BalanceTransfer.objects.filter(Q(from_account=account) | Q(to_account=account))
                       .select_related("from_account", "to_account").order_by("-pk")),
        recoveries=list(Recovery.objects.filter(account=account).order_by("-pk")),
        liens=list(account.liens.select_related("premise").order_by("-pk")),
        lien_premises=list(premises.values()))
