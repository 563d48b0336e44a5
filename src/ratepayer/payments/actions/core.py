"""Payments actions: taking payments, drawers, deposits, transfers, returns,
suspense (DESIGN §8). Imports (lockbox, ACH, bank) are in payments.imports.

Invariants kept by every function here:
- a payment and its journal entry (Dr cash clearing / Cr 142 per agreement
  applied) are written in one transaction; PaymentApplication rows say
  exactly what the entry credited;
- rows whose balances move are locked in primary-key order before the
  application is computed, so concurrent posters neither lose nor double;
- a payment is never edited: it is reversed (mirror entry, linked) and, when
  misapplied, re-posted on the right account with ``transferred_from``;
- every external reference (counter form token, card processor reference,
  lockbox item, ACH trace) is unique: a repeat is refused, never posted twice.

``user`` may be None only for operator commands run at the server
(``ratepayer lockbox import`` without ``--user``); console and API callers
always pass the signed-in user and their capability is checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ratepayer.customers.i18n import customer_date, customer_language
from ratepayer.customers.models import Account, ServiceAgreement
from ratepayer.db.bulk import gc_paused, insert_rows
from ratepayer.kernel.money import format_money
from ratepayer.ledger.actions import EntrySpec, Line, PostingRules, post, post_entries, reversal_spec
from ratepayer.ledger.errors import LedgerError
from ratepayer.ledger.models import ARBalance
from ratepayer.outbox import actions as outbox
from ratepayer.staff import approvals, audit, limits, permissions, transitions
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.roles import COUNTER_PAYMENT_LIMITS

from .. import calculations, hooks, queries
from ..errors import PaymentError, PaymentNeedsApproval
from ..models import (
    AUTOPAY_STOPPING_RETURN_CODES,
    AutopayEnrollment,
    Deposit,
    DrawerSession,
    Payment,
    PaymentApplication,
    PaymentBatch,
    ReturnedPayment,
    SuspenseItem,
)
from .common import money, require, validate_tender

ZERO = Decimal("0.00")
CHUNK = 2000  # payments posted per statement batch
READ_CHUNK = 10 * CHUNK  # payments whose accounts are locked and read per query
DRAWER_VARIANCE_KIND = "payments.drawer_variance"
COUNTER_PAYMENT_KIND = "payments.counter_payment"


# --------------------------------------------------------------------------- posting core


@dataclass
class PaymentSpec:
    """One payment to post: who, how much, how it came in."""

    account_id: int
    amount: Decimal
    tender: str
    received_on: date
    external_reference: str | None = None
    fields: dict = field(default_factory=dict)
    transferred_from_id: int | None = None


@dataclass
class SuspenseSpec:
    amount: Decimal
    received_on: date
    reason: str
    external_reference: str
    fields: dict = field(default_factory=dict)


def _lock_balances(account_ids: Sequence[int]) -> None:
    list(ARBalance.objects.select_for_update().filter(account_id__among=list(account_ids)).order_by("pk").values_list("pk"))


def post_payments(specs: Sequence[PaymentSpec], *, batch: PaymentBatch, user=None,
                  event: str = "payment") -> list[Payment]:
    """Apply and post payments in one transaction (see ``post_payment_rows``).
    Returns the payments in order."""
    ids = post_payment_rows(specs, batch=batch, user=user, event=event)
    found = Payment.objects.in_bulk(ids)
    return [found[pk] for pk in ids]


# Payment columns every spec sets; the rest come from ``PaymentSpec.fields`` or the model's defaults.
PAYMENT_SPEC_COLUMNS = ("account_id", "batch_id", "tender", "amount", "received_on", "external_reference",
                        "journal_entry_id", "transferred_from_id", "created_by_id")


def _payment_row_maker(batch: PaymentBatch, user) -> tuple[list[str], Callable[[PaymentSpec, int], tuple]]:
    """The Payment columns and a function making one row from a spec and its
    journal entry; columns the spec doesn't set take the model's defaults."""
    now = timezone.now()
    defaults = {f.attname: now if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
                else f.get_default() for f in Payment._meta.concrete_fields
                if not f.primary_key and f.attname not in PAYMENT_SPEC_COLUMNS}
    columns = [*PAYMENT_SPEC_COLUMNS, *defaults]
    created_by_id = getattr(user, "pk", None)

    def row(spec: PaymentSpec, entry_id: int) -> tuple:
        rest = {**defaults, **spec.fields} if spec.fields else defaults
        return (spec.account_id, batch.pk, spec.tender, spec.amount, spec.received_on, spec.external_reference,
                entry_id, spec.transferred_from_id, created_by_id, *rest.values())

    return columns, row


@gc_paused()
def post_payment_rows(specs: Sequence[PaymentSpec], *, batch: PaymentBatch, user=None,
                      event: str = "payment") -> list[int]:
    """Apply and post payments in one transaction, a fixed number of queries
    per 2,000 payments. ``event`` is ``payment`` (Dr cash clearing) or
    ``suspense_apply`` (Dr unapplied cash). Returns the payment ids in order."""
    if not specs:
        return []
    columns, payment_row = _payment_row_maker(batch, user)
    unknown = {k for s in specs for k in s.fields} - set(columns[len(PAYMENT_SPEC_COLUMNS):])
    if unknown:
        raise ValueError(f"PaymentSpec.fields: {sorted(unknown)} are not payment details a spec may set")
    policy = queries.payment_policy_on(batch.business_date)
    priority = policy.priority_list
    debit_gl, credit_gl = PostingRules().accounts(event)
    memos = {tender: f"{label} payment" for tender, label in Payment.Tender.choices}
    order = sorted(range(len(specs)), key=lambda i: specs[i].account_id)
    payment_ids: list[int] = [0] * len(specs)
    with transaction.atomic():
        contexts: dict[int, queries.AccountApplicationContext] = {}
        for start in range(0, len(order), CHUNK):
            if start % READ_CHUNK == 0:
                # lock and read 20,000 payments' accounts at once: one pass over the tables, not ten
                account_ids = sorted({specs[i].account_id for i in order[start:start + READ_CHUNK]})
                _lock_balances(account_ids)
                contexts = queries.application_context(account_ids, priority)
            chunk = [specs[i] for i in order[start:start + CHUNK]]
            entry_specs: list[EntrySpec] = []
            applied: list[list[calculations.Application]] = []
            for spec in chunk:
                ctx = contexts[spec.account_id]
                if ctx.credit_agreement_id is None:
                    raise PaymentError(f"Account {spec.account_id} has no service agreement to apply a payment to; "
                                       "send the payment to suspense.")
                applications, ctx.items = calculations.apply_payment(
                    spec.amount, ctx.items, order=policy.application_order, priority=priority,
                    credit_agreement_id=ctx.credit_agreement_id)
                applied.append(applications)
                memo = memos[spec.tender]
                entry_specs.append(EntrySpec(
                    event=event, effective_date=spec.received_on,
                    description=f"{memo} {spec.external_reference}" if spec.external_reference else memo,
                    lines=[Line(debit_gl, debit=spec.amount, account_id=spec.account_id, memo=memo)]
                    + [Line(credit_gl, credit=a.amount, account_id=spec.account_id, agreement_id=a.agreement_id,
                            memo=memo) for a in applications],
                    source_type="payments.paymentbatch", source_id=batch.pk,
                    idempotency_key=f"payment:{spec.external_reference}" if spec.external_reference else None))
            entry_ids = post_entries(entry_specs, created_by=user, ids_only=True)
            rows = [payment_row(spec, entry_id) for spec, entry_id in zip(chunk, entry_ids, strict=True)]
            try:
                with transaction.atomic():
                    ids = insert_rows(Payment, columns, rows)
            except IntegrityError as exc:
                # a clerk's words, not the constraint's: which payment it was, and that nothing posted
                references = [spec.external_reference for spec in chunk if spec.external_reference]
                taken = sorted(Payment.objects.filter(external_reference__in=references)
                               .values_list("external_reference", flat=True))
                raise PaymentError(f"This payment was already recorded (reference {', '.join(taken) or 'in use'}); "
                                   "nothing was posted again.") from exc
            insert_rows(PaymentApplication, ["payment_id", "agreement_id", "amount", "oldest_charge_on"],
                        [(payment_id, a.agreement_id, a.amount, a.oldest_charge_on)
                         for payment_id, applications in zip(ids, applied, strict=True) for a in applications],
                        return_ids=False)
            for i, payment_id in zip(order[start:start + CHUNK], ids, strict=True):
                payment_ids[i] = payment_id
        hooks.after_posted([hooks.PostedPayment(pk, s.account_id, s.amount, s.received_on)  # collections' recoveries
                            for pk, s in zip(payment_ids, specs, strict=True)])
    return payment_ids


def post_suspense(specs: Sequence[SuspenseSpec], *, batch: PaymentBatch, user=None) -> list[SuspenseItem]:
    """Hold unapplied money: Dr cash clearing / Cr unapplied cash."""
    if not specs:
        return []
    debit_gl, credit_gl = PostingRules().accounts("suspense_receipt")
    items: list[SuspenseItem] = []
    with transaction.atomic():
        for start in range(0, len(specs), CHUNK):
            chunk = specs[start:start + CHUNK]
            entries = post_entries([
                EntrySpec(event="suspense_receipt", effective_date=s.received_on,
                          description=f"Unapplied: {s.reason}"[:300],
                          lines=[Line(debit_gl, debit=s.amount, memo=s.external_reference),
                                 Line(credit_gl, credit=s.amount, memo=s.external_reference)],
                          source_type="payments.paymentbatch", source_id=batch.pk,
                          idempotency_key=f"suspense:{s.external_reference}")
                for s in chunk], created_by=user)
            items += SuspenseItem.objects.bulk_create(
                [SuspenseItem(batch=batch, amount=s.amount, received_on=s.received_on, reason=s.reason[:200],
                              external_reference=s.external_reference, journal_entry=entry, **s.fields)
                 for s, entry in zip(chunk, entries, strict=True)], batch_size=CHUNK)
    return items


# --------------------------------------------------------------------------- the counter


def open_drawer(*, user, business_date: date | None = None, opening_float="0.00") -> DrawerSession:
    """Open the clerk's cash drawer for the day (one open drawer per clerk)."""
    permissions.require(user, "payment.take", "take payments")
    opening = money(opening_float, "Opening float")
    if opening < 0:
        raise PaymentError("Opening float: cannot be negative.")
    business_date = business_date or timezone.localdate()
    with transaction.atomic():
        if DrawerSession.objects.filter(clerk=user, status=DrawerSession.Status.OPEN).exists():
            raise PaymentError("You already have an open drawer: close it before opening another.")
        batch = PaymentBatch.objects.create(kind=PaymentBatch.Kind.DRAWER, business_date=business_date,
                                            reference=f"drawer {user.get_username()}")
        session = DrawerSession.objects.create(clerk=user, batch=batch, business_date=business_date,
                                               opening_float=opening)
        audit.record(AuditAction.DRAWER_OPENED, user_id=user.pk, obj=session,
                     summary=f"Drawer opened with float {format_money(opening)}")
    return session


def open_session_for(user) -> DrawerSession | None:
    return DrawerSession.objects.filter(clerk=user, status=DrawerSession.Status.OPEN).select_related("batch").first()


def take_payment(*, user, session: DrawerSession, account: Account, tender: str, amount, tendered=None,
                 check_number: str = "", check_routing: str = "", payer_name: str = "", card_brand: str = "",
                 card_last4: str = "", processor_reference: str = "", token: str = "") -> Payment:
    """Take a payment at the counter into the clerk's open drawer.

    Idempotent by ``token`` (the form's one-time token) and by the card
    processor reference: a resubmitted form is refused, not posted twice."""
    permissions.require(user, "payment.take", "take payments")
    if session.clerk_id != user.pk or session.status != DrawerSession.Status.OPEN:
        raise PaymentError("Open your own cash drawer before taking payments.")
    amount = money(amount, "Amount")
    if amount <= 0:
        raise PaymentError("Amount: enter the amount paid (more than zero).")
    fields = validate_tender(tender, amount, tendered=tendered, check_number=check_number,
                              check_routing=check_routing, payer_name=payer_name, card_brand=card_brand,
                              card_last4=card_last4, processor_reference=processor_reference)
    policy = queries.payment_policy_on(session.business_date)
    if account.status == Account.Status.CLOSED and policy.closed_account_handling == "suspense":
        raise PaymentError(f"Account {account.number} is closed and policy holds payments for closed accounts in "
                           "suspense: take the payment on the customer's active account.")
    reference = (f"card:{processor_reference.strip()}" if tender == Payment.Tender.CARD
                 else f"counter:{token}" if token else None)
    if reference and Payment.objects.filter(external_reference=reference).exists():
        existing = Payment.objects.get(external_reference=reference)
        raise PaymentError(f"This payment was already recorded as receipt {existing.receipt_number}; "
                           "it was not posted again.")
    limit_action = COUNTER_PAYMENT_LIMITS[tender]
    if approvals.needs_approval(user, limit_action, amount, session.business_date):
        _hold_for_approval(user=user, session=session, account=account, tender=tender, amount=amount,
                           fields=fields, reference=reference, limit_action=limit_action)
    with transaction.atomic():
        payment = post_payments([PaymentSpec(account.pk, amount, tender, session.business_date, reference, fields)],
                                batch=session.batch, user=user)[0]
        _audit_taken(payment, user)
    return payment


def _audit_taken(payment: Payment, user, approved_by=None) -> None:
    audit.record(AuditAction.PAYMENT_TAKEN, user_id=user.pk, obj=payment, account_id=payment.account_id,
                 summary=f"{payment.get_tender_display()} {format_money(payment.amount)} receipt "
                         f"{payment.receipt_number}" + (f", approved by {approved_by.get_username()}"
                                                        if approved_by is not None else ""),
                 after={"amount": payment.amount, "tender": payment.tender, "applied": [
                     {"agreement": a.agreement_id, "amount": a.amount} for a in payment.applications.all()]})


def _hold_for_approval(*, user, session: DrawerSession, account: Account, tender: str, amount: Decimal,
                       fields: dict, reference: str | None, limit_action: str) -> None:
    """Queue a counter payment above the clerk's limit (maker-checker, like an
    adjustment): nothing is posted until another person approves it, into the
    clerk's drawer; the same form sent again is not queued twice."""
    from ratepayer.staff.models import ApprovalRequest

    pending = ApprovalRequest.objects.filter(kind=COUNTER_PAYMENT_KIND, status=ApprovalRequest.Status.PENDING,
                                             subject_id=session.pk, payload__reference=reference).first()
    label = Payment.Tender(tender).label.lower()
    if pending is None or reference is None:
        with transaction.atomic():
            pending = approvals.request_approval(
                maker=user, kind=COUNTER_PAYMENT_KIND, action=limit_action, amount=amount,
                summary=f"{Payment.Tender(tender).label} payment {format_money(amount)} on account {account.number} "
                        f"at {user.get_username()}'s counter ({session.business_date})",
                payload={"session_id": session.pk, "account_id": account.pk, "tender": tender, "amount": str(amount),
                         "reference": reference, "fields": {k: str(v) for k, v in fields.items()}},
                subject=session, account_id=account.pk)
    raise PaymentNeedsApproval(
        f"Needs approval: a {label} payment of {format_money(amount)} is above your limit of "
        f"{format_money(limits.limit_for(user, limit_action, session.business_date))} for {label} at the counter. "
        f"Request #{pending.pk} waits for another person's approval; nothing is posted until then.", pending)


_DECIMAL_FIELDS = {"tendered", "change_given"}


def _on_counter_payment_approved(request, approver) -> None:
    payload = request.payload
    session = DrawerSession.objects.select_for_update().select_related("batch", "clerk").get(pk=payload["session_id"])
    if session.status != DrawerSession.Status.OPEN:
        raise PaymentError(f"Drawer {session.pk} is {session.get_status_display().lower()}: the payment can only be "
                           "posted into an open drawer; reject the request and take the payment again.")
    fields = {k: Decimal(v) if k in _DECIMAL_FIELDS else v for k, v in payload["fields"].items()}
    payment = post_payments([PaymentSpec(payload["account_id"], Decimal(payload["amount"]), payload["tender"],
                                         session.business_date, payload["reference"], fields)],
                            batch=session.batch, user=session.clerk)[0]
    _audit_taken(payment, session.clerk, approved_by=approver)


def _on_counter_payment_rejected(request, decider) -> None:
    audit.record(AuditAction.PAYMENT_REFUSED, user_id=decider.pk, obj=request, account_id=request.account_id,
                 summary=f"Not taken: {request.summary} ({request.decision_note or 'withdrawn'}); hand the money back")


def email_receipt(*, user, payment: Payment, to: str) -> None:
    """E-mail the receipt (text) and record that it was sent."""
    permissions.require(user, "payment.take", "send receipts")
    if "@" not in to:
        raise PaymentError(f"E-mail: {to!r} is not an e-mail address.")
    with translation.override(customer_language(payment.account.customer.language)):
        values = {"receipt": payment.receipt_number, "account": payment.account.number,
                  "date": customer_date(payment.received_on), "tender": payment.get_tender_display(),
                  "amount": format_money(payment.amount), "change": format_money(payment.change_given or 0),
                  "balance": format_money(queries.account_balance(payment.account_id))}
        lines = [_("Receipt %(receipt)s") % values, _("Account %(account)s") % values,
                 _("Received %(date)s") % values, _("%(tender)s: %(amount)s") % values]
        if payment.change_given:
            lines.append(_("Change given: %(change)s") % values)
        lines.append(_("Balance after payment: %(balance)s") % values)
        subject = _("Payment receipt %(receipt)s") % values
    with transaction.atomic():
        outbox.queue_message(to=to, subject=subject, body="\n".join(lines), kind="receipt", obj=payment,
                             account_id=payment.account_id)
        audit.record(AuditAction.PAYMENT_RECEIPT_EMAILED, user_id=user.pk, obj=payment, account_id=payment.account_id,
                     summary=f"Receipt {payment.receipt_number} e-mailed")


# --------------------------------------------------------------------------- drawer close and deposit


def _transition(session: DrawerSession, new_status: str, fields: dict | None = None, **options) -> None:
    transitions.change_status(session, new_status, refused=PaymentError, what=f"Drawer {session.pk}", fields=fields,
                              **options)


def _post_variance(session: DrawerSession, user) -> None:
    if not session.variance:
        return
    event = "drawer_over" if session.variance > 0 else "drawer_short"
    debit_gl, credit_gl = PostingRules().accounts(event)
    amount = abs(session.variance)
    entry = post(event=event, effective_date=session.business_date,
                 description=f"Drawer {session.pk} {'over' if session.variance > 0 else 'short'} "
                             f"{format_money(amount)} ({session.clerk.get_username()})",
                 lines=[Line(debit_gl, debit=amount), Line(credit_gl, credit=amount)], source=session,
                 idempotency_key=f"drawer_variance:{session.pk}", created_by=user)
    DrawerSession.objects.filter(pk=session.pk).update(variance_entry=entry)
    session.variance_entry = entry


def over_short_words(variance: Decimal | None) -> str:
    """'short $5.00', 'over $0.25' or 'balanced': how a count is named to people."""
    if variance is None:
        return ""
    if variance == 0:
        return "balanced"
    return f"{'over' if variance > 0 else 'short'} {format_money(abs(variance))}"


def close_drawer(*, user, session: DrawerSession, cash_count: dict, check_amounts: Sequence,
                 reason: str = "") -> DrawerSession:
    """Count the drawer: cash by denomination, each check and money order.
    A drawer over or short needs the clerk's reason (kept with the count, the
    audit row and the variance entry); only a drawer that is exactly right is
    "balanced".

    Over/short within the policy amount posts to the variance account and the
    drawer closes; beyond it, the drawer waits for another person's approval."""
    permissions.require(user, "payment.take", "close cash drawers")
    if session.clerk_id != user.pk and not permissions.has(user, "approval.decide"):
        raise PaymentError("Only the clerk or a supervisor closes a drawer.")
    try:
        counted_cash = calculations.denomination_total({k: int(v or 0) for k, v in cash_count.items()})
    except (ValueError, ArithmeticError) as exc:
        raise PaymentError(f"Cash count: {exc}") from exc
    checks = [money(a, f"Check {i}") for i, a in enumerate(check_amounts, 1) if str(a).strip()]
    if any(c <= 0 for c in checks):
        raise PaymentError("Checks: every check amount must be more than zero.")
    counted_checks = sum(checks, ZERO)
    from ratepayer.staff.models import ApprovalRequest

    waiting = list(ApprovalRequest.objects.filter(kind=COUNTER_PAYMENT_KIND, status=ApprovalRequest.Status.PENDING,
                                                  subject_id=session.pk).values_list("pk", flat=True))
    if waiting:
        raise PaymentError(f"Payments waiting for approval are in this drawer (request "
                           f"{', '.join(f'#{pk}' for pk in waiting)}): have them approved or rejected before "
                           "counting the drawer.")
    with transaction.atomic():
        session = DrawerSession.objects.select_for_update().select_related("clerk").get(pk=session.pk)
        expected_cash, expected_checks, _cards = queries.expected_in_drawer(session)
        variance = (counted_cash + counted_checks) - (expected_cash + expected_checks)
        if variance and not reason.strip():
            raise PaymentError(f"Reason: the drawer is {over_short_words(variance)}; say why (what was found, "
                               "what was recounted) before closing it.")
        policy = queries.payment_policy_on(session.business_date)
        fields = {"counted_cash": counted_cash, "counted_checks": counted_checks, "expected_cash": expected_cash,
                  "expected_checks": expected_checks, "variance": variance, "closed_at": timezone.now(),
                  "count": {"cash": {k: int(v or 0) for k, v in cash_count.items() if int(v or 0)},
                            "checks": [str(c) for c in checks],
                            **({"variance_reason": reason.strip()[:300]} if variance else {})}}
        if abs(variance) > policy.drawer_variance_limit:
            _transition(session, DrawerSession.Status.VARIANCE_PENDING, fields)
            request = approvals.request_approval(
                maker=user, kind=DRAWER_VARIANCE_KIND,
                summary=f"Drawer {session.pk} ({session.clerk.get_username()}, {session.business_date}) is "
                        f"{over_short_words(variance)}: {reason.strip()}"[:300],
                payload={"session_id": session.pk}, subject=session)
            DrawerSession.objects.filter(pk=session.pk).update(approval_request_id=request.pk)
            session.approval_request_id = request.pk
        else:
            _transition(session, DrawerSession.Status.CLOSED, fields)
            _post_variance(session, user)
        audit.record(AuditAction.DRAWER_COUNTED, user_id=user.pk, obj=session,
                     summary=f"Drawer {session.pk} counted: {over_short_words(variance)}"
                             + (f" ({reason.strip()})" if variance else ""),
                     after={k: v for k, v in fields.items() if k != "closed_at"})
    return session


def _on_variance_approved(request, approver) -> None:
    session = DrawerSession.objects.select_for_update().select_related("clerk").get(pk=request.payload["session_id"])
    _transition(session, DrawerSession.Status.CLOSED)
    _post_variance(session, approver)


def _on_variance_rejected(request, decider) -> None:
    session = DrawerSession.objects.select_for_update().get(pk=request.payload["session_id"])
    _transition(session, DrawerSession.Status.OPEN, {"counted_cash": None, "counted_checks": None, "variance": None,
                                                     "closed_at": None, "approval_request_id": None},
                action=AuditAction.DRAWER_RECOUNT, user_id=decider.pk,
                summary=f"Drawer {session.pk} reopened for a recount: {request.decision_note}")


def _slip(prefix: str, day: date, seq: int) -> str:
    return f"{prefix}{day:%y%m%d}-{seq}"


def prepare_deposit(*, user, sessions: Sequence[DrawerSession], business_date: date | None = None) -> list[Deposit]:
    """Roll closed drawers into a counter deposit (cash and checks, with a
    slip) and, when cards were taken, the card settlement the processor will
    pay. Dr cash / Cr cash clearing for each."""
    permissions.require(user, "payment.take", "prepare deposits")
    if not sessions:
        raise PaymentError("Choose at least one closed drawer to deposit.")
    business_date = business_date or timezone.localdate()
    debit_gl, credit_gl = PostingRules().accounts("deposit")
    with transaction.atomic():
        locked = list(DrawerSession.objects.select_for_update().filter(pk__in=[s.pk for s in sessions]).order_by("pk"))
        for s in locked:
            if s.status != DrawerSession.Status.CLOSED:
                raise PaymentError(f"Drawer {s.pk} is {s.get_status_display().lower()}: only closed, balanced "
                                   "drawers can be deposited.")
        cash = sum((s.counted_cash - s.opening_float for s in locked), ZERO)
        checks = sum((s.counted_checks for s in locked), ZERO)
        cards = sum((queries.expected_in_drawer(s)[2] for s in locked), ZERO)
        items = sum(len(s.count.get("checks", [])) for s in locked)
        deposits = []
        for kind, amount, prefix in ((Deposit.Kind.COUNTER, cash + checks, "C"), (Deposit.Kind.CARD, cards, "K")):
            if amount <= 0:
                continue
            slip = _slip(prefix, business_date, locked[0].pk)
            entry = post(event="deposit", effective_date=business_date,
                         description=f"{Deposit.Kind(kind).label} {slip}",
                         lines=[Line(debit_gl, debit=amount, memo=slip), Line(credit_gl, credit=amount, memo=slip)],
                         source_type="payments.deposit", idempotency_key=f"deposit:{slip}", created_by=user)
            deposits.append(Deposit.objects.create(
                kind=kind, business_date=business_date, amount=amount,
                cash_amount=cash if kind == Deposit.Kind.COUNTER else ZERO,
                check_amount=checks if kind == Deposit.Kind.COUNTER else ZERO,
                item_count=items if kind == Deposit.Kind.COUNTER else 0, slip_number=slip, journal_entry=entry,
                created_by=user))
        first = deposits[0] if deposits else None
        for s in locked:
            _transition(s, DrawerSession.Status.DEPOSITED, {"deposit": first})
        audit.record(AuditAction.DEPOSIT_PREPARED, user_id=user.pk, obj=first,
                     summary=f"Deposit of {len(locked)} drawer(s): cash {format_money(cash)}, checks "
                             f"{format_money(checks)}, cards {format_money(cards)}")
    return deposits


def self_deposit(*, kind: str, batch: PaymentBatch, amount: Decimal, item_count: int, user=None) -> Deposit:
    """The deposit the bank makes itself (a lockbox, an ACH settlement)."""
    debit_gl, credit_gl = PostingRules().accounts("deposit")
    slip = _slip("L" if kind == Deposit.Kind.LOCKBOX else "A", batch.business_date, batch.pk)
    entry = post(event="deposit", effective_date=batch.business_date, description=f"{Deposit.Kind(kind).label} {slip}",
                 lines=[Line(debit_gl, debit=amount, memo=slip), Line(credit_gl, credit=amount, memo=slip)],
                 source=batch, idempotency_key=f"deposit:{slip}", created_by=user)
    return Deposit.objects.create(kind=kind, business_date=batch.business_date, amount=amount, check_amount=amount
                                  if kind == Deposit.Kind.LOCKBOX else ZERO, item_count=item_count, slip_number=slip,
                                  journal_entry=entry, created_by=user)


# --------------------------------------------------------------------------- corrections


def _reverse_payment(payment: Payment, *, on: date, reason: str, user) -> None:
    spec = reversal_spec(payment.journal_entry, effective_date=on, description=f"Reversal: {reason}"[:300],
                         idempotency_key=f"payment_reversal:{payment.pk}")
    entry = post_entries([spec], created_by=user)[0]
    updated = Payment.objects.filter(pk=payment.pk, status=Payment.Status.POSTED).update(
        status=Payment.Status.REVERSED, reversal_entry=entry, reversal_reason=reason[:200])
    if not updated:
        raise PaymentError(f"Receipt {payment.receipt_number} was already reversed.")
    payment.status, payment.reversal_entry, payment.reversal_reason = Payment.Status.REVERSED, entry, reason[:200]
    hooks.after_reversed(payment.pk, on, user)  # collections: the recovery this payment made is reversed too


def transfer_payment(*, user, payment: Payment, to_account: Account, reason: str, on: date | None = None) -> Payment:
    """Move a misapplied payment: reverse it on the wrong account (linked) and
    post the same amount on the right one. Nothing is edited."""
    require(user, "payment.manage", "transfer payments")
    if not reason.strip():
        raise PaymentError("Reason: say why the payment is moved.")
    if to_account.pk == payment.account_id:
        raise PaymentError("To account: choose a different account than the one the payment is on.")
    on = on or timezone.localdate()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("journal_entry").get(pk=payment.pk)
        if payment.status != Payment.Status.POSTED:
            raise PaymentError(f"Receipt {payment.receipt_number} is {payment.get_status_display().lower()}; "
                               "only a posted payment can be transferred.")
        _reverse_payment(payment, on=on, reason=f"transferred to {to_account.number}: {reason}", user=user)
        batch, _ = PaymentBatch.objects.get_or_create(kind=PaymentBatch.Kind.TRANSFER, business_date=on,
                                                      defaults={"reference": "payment transfers"})
        fields = {k: getattr(payment, k) for k in ("check_number", "check_routing", "payer_name", "card_brand",
                                                    "card_last4", "tendered", "change_given")}
        new = post_payments([PaymentSpec(to_account.pk, payment.amount, payment.tender, on, None, fields,
                                         transferred_from_id=payment.pk)], batch=batch, user=user)[0]
        audit.record(AuditAction.PAYMENT_TRANSFERRED, user_id=getattr(user, "pk", None), obj=new, account_id=to_account.pk,
                     summary=f"Receipt {payment.receipt_number} moved from account {payment.account.number} to "
                             f"{to_account.number} as {new.receipt_number}: {reason}")
    return new


def _notify_return(payment: Payment, code: str, fee: Decimal) -> bool:
    contact = payment.account.customer.contacts.exclude(email="").order_by("-is_primary", "pk").first()
    with translation.override(customer_language(payment.account.customer.language)):
        values = {"amount": format_money(payment.amount), "date": customer_date(payment.received_on),
                  "account": payment.account.number, "code": code, "fee": format_money(fee)}
        returned = (_("Your payment of %(amount)s on %(date)s to account %(account)s was returned by your bank "
                      "(%(code)s).") if code else
                    _("Your payment of %(amount)s on %(date)s to account %(account)s was returned by your bank."))
        removed = (_("It has been removed from your account and a returned-payment fee of %(fee)s was added.")
                   if fee else _("It has been removed from your account."))
        body = " ".join([returned % values, removed % values,
                         _("Please pay the balance by another method or call us.")])
        subject = _("Your payment was returned")
    if contact is not None:
        # written in the import's transaction, sent by a worker after it commits
        outbox.queue_message(to=contact.email, subject=subject, body=body, kind="ach_return",
                             obj=payment, account_id=payment.account_id)
    audit.record(AuditAction.PAYMENT_RETURN_NOTIFIED, obj=payment, account_id=payment.account_id,
                 summary=("E-mailed " + contact.email if contact else "Letter queued to mailing address")
                 + f": payment returned {code}".rstrip())
    return True


def _process_return(*, user, payment: Payment, reason: str, return_code: str, received_on: date,
                    charge_fee: bool) -> tuple:
    payment = Payment.objects.select_for_update().select_related("journal_entry", "account__customer").get(
        pk=payment.pk)
    if payment.status != Payment.Status.POSTED:
        raise PaymentError(f"Receipt {payment.receipt_number} is already {payment.get_status_display().lower()}.")
    _reverse_payment(payment, on=received_on, reason=" ".join(f"returned {return_code} {reason}".split()), user=user)
    fee = queries.payment_policy_on(received_on).returned_payment_fee if charge_fee else ZERO
    fee_entry = None
    if fee > 0:
        agreement = payment.applications.order_by("pk").select_related("agreement").first().agreement
        debit_gl, credit_gl = PostingRules().accounts("returned_payment_fee", agreement.service,
                                                      agreement.customer_class)
        fee_entry = post(event="returned_payment_fee", effective_date=received_on,
                         description=f"Returned payment fee (receipt {payment.receipt_number})",
                         lines=[Line(debit_gl, debit=fee, account_id=payment.account_id, agreement_id=agreement.pk,
                                     memo="returned payment fee"),
                                Line(credit_gl, credit=fee, memo="returned payment fee")],
                         source=payment, idempotency_key=f"returned_fee:{payment.pk}", created_by=user)
    stopped = False
    if return_code in AUTOPAY_STOPPING_RETURN_CODES:
        stopped = bool(AutopayEnrollment.objects.filter(account_id=payment.account_id).exclude(
            status=AutopayEnrollment.Status.STOPPED).update(
            status=AutopayEnrollment.Status.STOPPED, stopped_on=received_on,
            stopped_reason=f"ACH return {return_code}"))
    notified = _notify_return(payment, return_code, fee)
    audit.record(AuditAction.PAYMENT_RETURNED, user_id=getattr(user, "pk", None), obj=payment, account_id=payment.account_id,
                 summary=f"Receipt {payment.receipt_number} returned {return_code}: reversed"
                         + (f", fee {format_money(fee)}" if fee else "") + (", autopay stopped" if stopped else ""))
    return payment, fee_entry, stopped, notified


def return_payment(*, user, payment: Payment, reason: str, return_code: str = "", received_on: date | None = None,
                   source: str = "manual", external_reference: str | None = None, file=None,
                   charge_fee: bool = True) -> ReturnedPayment:
    """A payment came back: reverse exactly its entry (re-aging exactly what
    its applications paid), charge the returned-payment fee (policy, ≤ $40
    under RCW 62A.3-515), stop autopay for the codes that require it, and
    tell the customer. Idempotent by ``external_reference``."""
    require(user, "payment.manage", "process returned payments")
    received_on = received_on or timezone.localdate()
    external_reference = external_reference or f"manual-return:{payment.pk}"
    with transaction.atomic():
        if ReturnedPayment.objects.filter(external_reference=external_reference).exists():
            raise PaymentError(f"Return {external_reference} was already processed.")
        payment, fee_entry, stopped, notified = _process_return(
            user=user, payment=payment, reason=reason, return_code=return_code, received_on=received_on,
            charge_fee=charge_fee)
        return ReturnedPayment.objects.create(
            source=source, external_reference=external_reference, return_code=return_code, amount=payment.amount,
            received_on=received_on, payment=payment, fee_entry=fee_entry, file=file,
            status=ReturnedPayment.Status.PROCESSED, autopay_stopped=stopped, customer_notified=notified,
            note=reason[:300])


def resolve_returned_item(*, user, returned: ReturnedPayment, payment: Payment) -> ReturnedPayment:
    """Match an unmatched returned item (a bank 555 line, an unknown trace) to
    the payment it returns, and process it."""
    require(user, "payment.manage", "process returned payments")
    with transaction.atomic():
        returned = ReturnedPayment.objects.select_for_update().get(pk=returned.pk)
        if returned.status != ReturnedPayment.Status.UNMATCHED:
            raise PaymentError("This returned item is already processed.")
        if payment.amount != returned.amount:
            raise PaymentError(f"Receipt {payment.receipt_number} is {format_money(payment.amount)} but the returned "
                               f"item is {format_money(returned.amount)}.")
        payment, fee_entry, stopped, notified = _process_return(
            user=user, payment=payment, reason=f"returned item {returned.external_reference}",
            return_code=returned.return_code, received_on=returned.received_on, charge_fee=True)
        ReturnedPayment.objects.filter(pk=returned.pk).update(
            payment=payment, fee_entry=fee_entry, autopay_stopped=stopped, customer_notified=notified,
            status=ReturnedPayment.Status.PROCESSED)
        returned.refresh_from_db()
    return returned


def apply_suspense(*, user, item: SuspenseItem, account: Account, note: str = "") -> Payment:
    """Apply researched suspense money to the right account: Dr unapplied cash
    / Cr 142 by the application order."""
    require(user, "payment.manage", "apply suspense items")
    with transaction.atomic():
        item = SuspenseItem.objects.select_for_update().get(pk=item.pk)
        if item.status != SuspenseItem.Status.OPEN:
            raise PaymentError("This suspense item was already applied.")
        if not ServiceAgreement.objects.filter(account=account).exists():
            raise PaymentError(f"Account {account.number} has no service agreement to apply the money to.")
        today = timezone.localdate()
        batch, _ = PaymentBatch.objects.get_or_create(kind=PaymentBatch.Kind.SUSPENSE, business_date=today,
                                                      defaults={"reference": "suspense applications"})
        payment = post_payments([PaymentSpec(account.pk, item.amount, Payment.Tender.SUSPENSE, today,
                                             f"suspense:{item.external_reference}",
                                             {"check_number": item.check_number, "payer_name": item.payer_name})],
                                batch=batch, user=user, event="suspense_apply")[0]
        SuspenseItem.objects.filter(pk=item.pk).update(status=SuspenseItem.Status.APPLIED, applied_payment=payment,
                                                       applied_by=user, applied_at=timezone.now())
        audit.record(AuditAction.SUSPENSE_APPLIED, user_id=getattr(user, "pk", None), obj=item, account_id=account.pk,
                     summary=f"Suspense {format_money(item.amount)} ({item.reason}) applied to {account.number}"
                             + (f": {note}" if note else ""))
    return payment


def register_approval_handlers() -> None:
    """The drawer-variance handlers (the package's ``register_approval_handlers`` registers all of payments')."""
    approvals.register(DRAWER_VARIANCE_KIND, _on_variance_approved, _on_variance_rejected)
    approvals.register(COUNTER_PAYMENT_KIND, _on_counter_payment_approved, _on_counter_payment_rejected)
    approvals.register_refusals(PaymentError, LedgerError)


def balances_by_agreement(account_id: int) -> dict[int, Decimal]:
    result: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for agreement_id, balance in ARBalance.objects.filter(account_id=account_id).values_list("agreement_id", "balance"):
        result[agreement_id] = balance
    return dict(result)
