"""Payment arrangements: make one, match the ledger's payments to its installments, and
find the broken ones.

The rules, in one place:

* **What it covers.** A past-due amount (at most what the account owes), paid in
  monthly installments; the current bills issued after it was made stay due as usual
  (``current_bills_due``). A down payment (the policy's share of the past-due amount)
  may be asked first: the arrangement is *proposed* until the payments since it was made
  reach it, *active* from then; a down payment still missing when the first installment's
  grace has passed lapses it (*cancelled*).
* **One at a time.** An account has at most one proposed or active arrangement unless
  someone with ``arrangement.allow_more`` (a supervisor) allows another; who allowed it is
  recorded. An arrangement above the maker's approval limit ("arrangement") is refused.
* **Payments from the ledger** (``record_payments``, run by the daily job for every open
  arrangement at once, a fixed number of queries): the posted payments received since the
  day it was made (a returned payment no longer counts) pay first the down payment, then
  the current bills that have fallen due since, then the installments in order. The
  installments' ``paid_amount`` is recomputed from scratch each time, so repeating a day
  changes nothing and a returned payment un-pays what it paid.
* **Broken.** An installment still not paid in full ``broken_after_days`` after its due
  date breaks the arrangement: status *broken*, the missed due date recorded, an event and
  an audit row. A broken arrangement no longer protects from disconnection
  (``collections.queries.active_arrangements``). Paid in full: *kept*.
* **Winter and heat plans** (RCW 54.16.285(1)(e) and (7)) use the plan math of
  ``collections.winter_plan``: the ceiling (7 % of monthly income + arrears/12; 6 % for a
  heat plan) is stored on the arrangement, and the customer is not in default while the
  payments since the plan started reach the ceiling for each installment due, even when
  the agreed installment was higher.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from ratepayer.billing.models import Bill
from ratepayer.customers.models import Account
from ratepayer.kernel.money import allocate, format_money, round_money, to_decimal
from ratepayer.ledger.models import ARBalance
from ratepayer.payments.models import Payment
from ratepayer.staff import audit, limits, permissions
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.transitions import change_status

from ..amortization import add_months
from ..errors import ArrangementError
from ..models import ArrangementEvent, ArrangementInstallment, PaymentArrangement

ZERO = Decimal("0.00")
DEFAULT_MAX_INSTALLMENTS = 12
DEFAULT_BROKEN_AFTER_DAYS = 10
OPEN = (PaymentArrangement.Status.PROPOSED, PaymentArrangement.Status.ACTIVE)


@dataclass(frozen=True)
class ProposedInstallment:
    sequence: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class ArrangementPlan:
    """What the wizard shows before saving, and what ``create_arrangement`` stores."""

    kind: str
    past_due_amount: Decimal
    down_payment: Decimal
    installments: tuple[ProposedInstallment, ...]
    required_ceiling: Decimal | None = None
    pay_off_by: date | None = None
    monthly_income: Decimal | None = None
    note: str = ""

    @property
    def installment_total(self) -> Decimal:
        return sum((i.amount for i in self.installments), ZERO)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "past_due_amount": str(self.past_due_amount),
                "down_payment": str(self.down_payment),
                "required_ceiling": str(self.required_ceiling) if self.required_ceiling is not None else None,
                "pay_off_by": self.pay_off_by.isoformat() if self.pay_off_by else None,
                "installments": [{"sequence": i.sequence, "due_date": i.due_date.isoformat(),
                                  "amount": str(i.amount)} for i in self.installments],
                "note": self.note}


def _amount(value, field: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = to_decimal(value)
    except ValueError as exc:
        raise ArrangementError(f"{value!r} is not an amount.", field=field) from exc
    if amount < 0 or (amount == 0 and not allow_zero) or round_money(amount) != amount:
        raise ArrangementError(f"{amount} must be a positive amount in cents.", field=field)
    return amount


def account_balance(account: Account) -> Decimal:
    return ARBalance.objects.filter(account=account).aggregate(total=Sum("balance"))["total"] or ZERO


def policy_terms(account: Account, on: date) -> tuple[int, Decimal]:
    """(most installments, down payment percent) from the collection policy in force on
    ``on`` for the account's first live service and class (``collection_policy_on``); with
    no policy in force, 12 installments and no down payment."""
    from ratepayer.collections.models import CollectionPolicy
    from ratepayer.collections.queries import collection_policy_on

    agreement = account.agreements.filter(status="active").order_by("pk").values("service", "customer_class").first()
    try:
        policy = collection_policy_on(on, service=(agreement or {}).get("service", ""),
                                      customer_class=(agreement or {}).get("customer_class", ""))
    except CollectionPolicy.DoesNotExist:
        return DEFAULT_MAX_INSTALLMENTS, ZERO
    return policy.arrangement_max_installments, policy.arrangement_down_payment_percent


def plan_arrangement(*, account: Account, kind: str = "ordinary", past_due_amount, installments: int | None = None,
                     first_due: date, made_on: date, down_payment=None, monthly_income=None) -> ArrangementPlan:
    """The schedule an arrangement would have (nothing is saved): the wizard's preview.

    Ordinary: ``installments`` equal monthly amounts (the cents left over go to the first
    ones) after the down payment. Winter: monthly through the Oct 15 payoff, with the 7 %
    ceiling. Heat: the 6 % plan of RCW 54.16.285(7) through May 15 (or later, if the
    ceiling needs it)."""
    if kind not in PaymentArrangement.Kind.values:
        raise ArrangementError(f"{kind!r} is not a kind of arrangement.", field="kind")
    past_due = _amount(past_due_amount, "past_due_amount")
    owed = account_balance(account)
    if past_due > owed:
        raise ArrangementError(f"The account owes {format_money(owed)}; an arrangement cannot cover "
                               f"{format_money(past_due)}.", field="past_due_amount")
    if first_due < made_on:
        raise ArrangementError("The first installment cannot fall due before the arrangement is made.",
                               field="first_due")
    most, down_percent = policy_terms(account, made_on)
    if kind == "ordinary":
        needed = round_money(past_due * down_percent / 100)
        down = needed if down_payment in (None, "") else _amount(down_payment, "down_payment", allow_zero=True)
        if down < needed:
            raise ArrangementError(f"The policy asks a down payment of {down_percent}% of the past-due amount: "
                                   f"at least {format_money(needed)}.", field="down_payment")
        if down >= past_due:
            raise ArrangementError("The down payment pays the whole past-due amount; no arrangement is needed.",
                                   field="down_payment")
        if not isinstance(installments, int) or isinstance(installments, bool) or not 1 <= installments <= most:
            raise ArrangementError(f"Installments: from 1 to {most} (the collection policy's most).",
                                   field="installments")
        amounts = allocate(past_due - down, [1] * installments)
        rows = tuple(ProposedInstallment(k + 1, add_months(first_due, k), amount) for k, amount in enumerate(amounts))
        return ArrangementPlan(kind, past_due, down, rows)
    from ratepayer.collections import winter_plan

    income = _amount(monthly_income, "monthly_income", allow_zero=True) if monthly_income not in (None, "") else None
    if income is None:
        raise ArrangementError("A winter or heat plan needs the household's monthly income.", field="monthly_income")
    try:
        if kind == "winter":
            plan = winter_plan.winter_plan(income, past_due, application_date=made_on)
            count = max(winter_plan.months_between(first_due, plan.payoff_by), 1)
            amounts = allocate(past_due, [1] * count)
            rows = tuple(ProposedInstallment(k + 1, add_months(first_due, k), a) for k, a in enumerate(amounts))
            return ArrangementPlan(kind, past_due, ZERO, rows, required_ceiling=plan.ceiling,
                                   pay_off_by=plan.payoff_by, monthly_income=income,
                                   note=f"Pays the past-due bill by {plan.payoff_by:%B %d, %Y}; not in default while "
                                        f"paying at least {format_money(plan.ceiling)} a month (RCW 54.16.285(1)(e)).")
        heat = winter_plan.heat_repayment_plan(income, past_due, first_due)
    except winter_plan.PlanError as exc:
        raise ArrangementError(str(exc.problem), field=exc.field) from exc
    rows = tuple(ProposedInstallment(k + 1, due, amount) for k, (due, amount) in enumerate(heat.installments))
    late = (f" It runs past {heat.target_payoff:%B %d} so that no payment exceeds 6% of monthly income."
            if heat.past_target else "")
    return ArrangementPlan(kind, past_due, ZERO, rows, required_ceiling=heat.ceiling, pay_off_by=heat.target_payoff,
                           monthly_income=income,
                           note=f"Heat-alert repayment plan: at most {format_money(heat.ceiling)} a month "
                                f"(RCW 54.16.285(7)).{late}")


def _event(arrangement: PaymentArrangement, before: str, after: str, on: date, reason: str, user_id) -> None:
    ArrangementEvent.objects.create(arrangement=arrangement, from_status=before, to_status=after, effective_date=on,
                                    reason=reason[:300], created_by_id=user_id)


def create_arrangement(*, user, account: Account, kind: str = "ordinary", past_due_amount,
                       installments: int | None = None, first_due: date, made_on: date, down_payment=None,
                       monthly_income=None, broken_after_days: int = DEFAULT_BROKEN_AFTER_DAYS,
                       allow_another: bool = False, note: str = "") -> PaymentArrangement:
    """Save the arrangement ``plan_arrangement`` shows (one transaction; refusals change nothing)."""
    permissions.require(user, "arrangement.manage", "set up payment arrangements")
    if account.status != Account.Status.ACTIVE:
        raise ArrangementError(f"Account {account.number} is closed; a closed account's balance is collected "
                               "by its final bill, not by an arrangement.", field="account")
    if not isinstance(broken_after_days, int) or not 0 <= broken_after_days <= 60:
        raise ArrangementError("Days before an unpaid installment breaks it: 0 to 60.", field="broken_after_days")
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()  # one clerk at a time per account
        plan = plan_arrangement(account=account, kind=kind, past_due_amount=past_due_amount,
                                installments=installments, first_due=first_due, made_on=made_on,
                                down_payment=down_payment, monthly_income=monthly_income)
        limit = limits.limit_for(user, "arrangement", made_on)
        if plan.past_due_amount > limit:
            raise ArrangementError(f"{format_money(plan.past_due_amount)} is above your arrangement limit of "
                                   f"{format_money(limit)}; a senior specialist or supervisor sets this one up.",
                                   field="past_due_amount")
        open_ones = list(PaymentArrangement.objects.filter(account=account, status__in=OPEN).values_list("pk", flat=True))
        if open_ones and not allow_another:
            raise ArrangementError(f"Account {account.number} already has an open payment arrangement "
                                   f"(#{open_ones[0]}); only a supervisor may allow another.", field="account")
        if open_ones:
            permissions.require(user, "arrangement.allow_more", "allow a second payment arrangement")
        status = PaymentArrangement.Status.PROPOSED if plan.down_payment > 0 else PaymentArrangement.Status.ACTIVE
        arrangement = PaymentArrangement.objects.create(
            account=account, kind=plan.kind, status=status, past_due_amount=plan.past_due_amount,
            down_payment=plan.down_payment, start_date=made_on, broken_after_days=broken_after_days,
            monthly_income=plan.monthly_income, required_ceiling=plan.required_ceiling, pay_off_by=plan.pay_off_by,
            allows_another=bool(open_ones), allowed_by=user if open_ones else None,
            note=(note.strip() or plan.note)[:300], created_by=user)
        ArrangementInstallment.objects.bulk_create([
            ArrangementInstallment(arrangement=arrangement, sequence=i.sequence, due_date=i.due_date, amount=i.amount)
            for i in plan.installments])
        _event(arrangement, "", status, made_on, "made" if status == "active" else "waiting for the down payment",
               user.pk)
        audit.record(AuditAction.ARRANGEMENT_CREATED, user_id=user.pk, obj=arrangement, account_id=account.pk,
                     summary=f"{arrangement.get_kind_display()}: {format_money(plan.past_due_amount)} in "
                             f"{len(plan.installments)} installments"
                             + (f" after a down payment of {format_money(plan.down_payment)}" if plan.down_payment
                                else ""),
                     after=plan.as_dict())
    return arrangement


def cancel_arrangement(*, user, arrangement: PaymentArrangement, on: date, reason: str) -> PaymentArrangement:
    permissions.require(user, "arrangement.manage", "cancel payment arrangements")
    reason = (reason or "").strip()
    if not reason:
        raise ArrangementError("Say why the arrangement is cancelled.", field="reason")
    with transaction.atomic():
        arrangement = PaymentArrangement.objects.select_for_update().get(pk=arrangement.pk)
        before = arrangement.status
        change_status(arrangement, PaymentArrangement.Status.CANCELLED, refused=ArrangementError,
                      fields={"ended_on": on, "end_reason": reason[:300]}, action=AuditAction.ARRANGEMENT_CANCELLED,
                      user_id=user.pk, account_id=arrangement.account_id, summary=reason[:200])
        _event(arrangement, before, arrangement.status, on, reason, user.pk)
    return arrangement


@dataclass
class _Standing:
    paid_total: Decimal = ZERO
    current_due: Decimal = ZERO


def record_payments(*, on: date, account_ids=None) -> dict[str, int]:
    """Match the ledger's payments to every open arrangement's installments as of ``on``,
    activate those whose down payment arrived, close the kept ones and break the missed
    ones (see the module's rules). Five reads and one bulk update for any number of
    arrangements, plus three statements (the conditional UPDATE of
    ``staff.transitions.change_status``, its audit row, the event row) per arrangement
    that changes status that day — few on an ordinary day. Idempotent."""
    counts = {"arrangements": 0, "activated": 0, "kept": 0, "broken": 0, "lapsed": 0, "installments_updated": 0}
    with transaction.atomic():
        qs = PaymentArrangement.objects.select_for_update().filter(status__in=OPEN, start_date__lte=on).order_by("pk")
        if account_ids is not None:
            qs = qs.filter(account_id__among=list(account_ids))
        arrangements = list(qs)
        if not arrangements:
            return counts
        counts["arrangements"] = len(arrangements)
        accounts = sorted({a.account_id for a in arrangements})
        earliest = min(a.start_date for a in arrangements)
        payments = defaultdict(list)
        for account_id, received_on, amount in Payment.objects.filter(
                account_id__among=accounts, status=Payment.Status.POSTED, received_on__gte=earliest,
                received_on__lte=on).values_list("account_id", "received_on", "amount"):
            payments[account_id].append((received_on, amount))
        bills = defaultdict(list)
        for account_id, bill_date, charges in Bill.objects.filter(
                account_id__among=accounts, status=Bill.Status.ISSUED, bill_date__gte=earliest,
                due_date__lte=on).values_list("account_id", "bill_date", "current_charges"):
            bills[account_id].append((bill_date, charges))
        installments = defaultdict(list)
        for row in ArrangementInstallment.objects.filter(
                arrangement_id__among=[a.pk for a in arrangements]).order_by("arrangement_id", "sequence"):
            installments[row.arrangement_id].append(row)
        changed: list[ArrangementInstallment] = []
        moves: list[tuple[PaymentArrangement, str, dict, str]] = []
        for arrangement in arrangements:
            paid = sum((amount for day, amount in payments[arrangement.account_id] if day >= arrangement.start_date),
                       ZERO)
            current = sum((c for day, c in bills[arrangement.account_id] if day >= arrangement.start_date),
                          ZERO) if arrangement.current_bills_due else ZERO
            left = max(paid - arrangement.down_payment - max(current, ZERO), ZERO)
            rows = installments[arrangement.pk]
            for row in rows:
                share = min(row.amount, left)
                left -= share
                paid_on = row.paid_on if share == row.amount and row.paid_on else (on if share == row.amount else None)
                if share != row.paid_amount or paid_on != row.paid_on:
                    row.paid_amount, row.paid_on = share, paid_on
                    changed.append(row)
            move = _decide(arrangement, rows, paid, on)
            if move is not None:
                moves.append((arrangement, *move))
        if changed:
            ArrangementInstallment.objects.bulk_update(changed, ["paid_amount", "paid_on"], batch_size=2000)
        counts["installments_updated"] = len(changed)
        for arrangement, new_status, fields, reason in moves:
            before = arrangement.status
            action = {"active": AuditAction.ARRANGEMENT_ACTIVATED, "kept": AuditAction.ARRANGEMENT_KEPT,
                      "broken": AuditAction.ARRANGEMENT_BROKEN, "cancelled": AuditAction.ARRANGEMENT_CANCELLED}[new_status]
            change_status(arrangement, new_status, refused=ArrangementError, fields=fields, action=action,
                          account_id=arrangement.account_id, summary=reason[:300])
            _event(arrangement, before, new_status, on, reason, None)
            counts[{"active": "activated", "kept": "kept", "broken": "broken", "cancelled": "lapsed"}[new_status]] += 1
    return counts


def _decide(arrangement: PaymentArrangement, rows: list[ArrangementInstallment], paid: Decimal,
            on: date) -> tuple[str, dict, str] | None:
    """The status an open arrangement moves to on ``on`` (None: it stays)."""
    if arrangement.status == PaymentArrangement.Status.PROPOSED:
        if paid >= arrangement.down_payment:
            return "active", {}, f"down payment of {format_money(arrangement.down_payment)} received"
        if rows and rows[0].due_date + timedelta(days=arrangement.broken_after_days) < on:
            reason = (f"the down payment of {format_money(arrangement.down_payment)} was not received by "
                      f"{rows[0].due_date + timedelta(days=arrangement.broken_after_days):%b %d, %Y}")
            return "cancelled", {"ended_on": on, "end_reason": reason}, reason
        return None
    if rows and all(r.paid_amount == r.amount for r in rows):
        return "kept", {"ended_on": on}, "every installment paid"
    grace = timedelta(days=arrangement.broken_after_days)
    missed = [r for r in rows if r.paid_amount < r.amount and r.due_date + grace < on]
    if not missed:
        return None
    if arrangement.required_ceiling is not None:
        # winter / heat plan: not in default while the payments reach the ceiling for each installment due
        due_count = sum(1 for r in rows if r.due_date + grace < on)
        if paid - arrangement.down_payment >= arrangement.required_ceiling * due_count:
            return None
    first = missed[0]
    reason = (f"installment {first.sequence} of {format_money(first.amount)} due {first.due_date:%b %d, %Y} "
              f"was {'not paid' if first.paid_amount == 0 else 'paid only ' + format_money(first.paid_amount)} "
              f"{arrangement.broken_after_days} days after it was due")
    return "broken", {"ended_on": on, "end_reason": reason[:300], "missed_due_date": first.due_date}, reason
