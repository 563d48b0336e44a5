"""Closed accounts that still owe: deposit applied to the final bill, balance
transfer, collection agency (RCW 19.16.500), write-off and recovery, and
water-sewer liens (RCW 57.08.081(3)).

Postings (rules seeded by collections migration 0005, DOMAIN §B.2):
- balance transfer: Dr 142 (receiving agreement) / Cr 142 (each closed agreement);
- agency remittance: Dr cash clearing (net) + Dr 903 (the agency's fee) / Cr 142 (gross);
- write-off: Dr 144 / Cr 142 per agreement, within the maker's ``write_off`` limit at
  once, above it after another person's approval (staff.approvals);
- recovery: a payment on a written-off account posts as usual (Dr cash / Cr 142) and
  the receivable it over-pays is reinstated from the allowance (Dr 142 / Cr 144), so
  the net is Dr cash / Cr 144. Payments calls ``record_recoveries`` through
  ``payments.hooks`` in the payment's own transaction;
- lien interest: Dr 142 / Cr 419.

Each action is one transaction; a refusal (``WriteOffError``, a permission refusal)
changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ratepayer.customers.models import Account, Contact, Premise, ServiceAgreement
from ratepayer.formats.agency_referral import ReferralRow, write_referral_file
from ratepayer.kernel.money import CENT, MoneyError, check_amount, format_money, parse_amount
from ratepayer.ledger.actions import Line, PostingRules, post, reverse
from ratepayer.ledger.models import ARBalance
from ratepayer.payments.actions import release_deposit
from ratepayer.payments.hooks import PostedPayment
from ratepayer.payments.models import SecurityDeposit
from ratepayer.staff import approvals, audit, permissions, transitions
from ratepayer.staff.audit import AuditAction

from ..errors import WriteOffError
from ..landlord_copies import landlord_copy_missing
from ..models import (
    AgencyAssignment,
    AgencyFile,
    AgencyReferral,
    AgencyRemittance,
    BalanceTransfer,
    CollectionAgency,
    LienCertification,
    Notice,
    Recovery,
    WriteOff,
    WriteOffLine,
)
from ..models.writeoffs import (
    AGENCY_NOTICE_DAYS,
    FEE_BREAK,
    FEE_RATE_ABOVE,
    FEE_RATE_FIRST,
    LIEN_INTEREST_MARGIN,
    MINIMUM_FEE_CAP,
    STATUTE_AGENCY,
    STATUTE_LIEN,
)
from ..queries import PolicyTable

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
WRITE_OFF_KIND = "collections.write_off"
WATER_SEWER = ("water", "sewer")
LIEN_PENALTY_SHARE = Decimal("0.10")  # RCW 57.08.081(3): penalties not more than 10 % of the charge



# --------------------------------------------------------------------------- helpers


def _amount(value, what: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = (parse_amount(value, what=what) if isinstance(value, str)
                  else check_amount(Decimal(value), what=what))
    except (MoneyError, ArithmeticError, TypeError, ValueError) as exc:
        raise WriteOffError(str(exc) if isinstance(exc, MoneyError) else f"{what}: {value!r} is not an amount") \
            from exc
    if amount < 0 or (amount == 0 and not allow_zero):
        raise WriteOffError(f"{what}: must be more than 0.00")
    return amount


def _rate(value, what: str) -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except ArithmeticError:
        raise WriteOffError(f"{what}: {value!r} is not a percentage") from None
    if not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(CENT):
        raise WriteOffError(f"{what}: a percentage between 0 and 100 with two decimals at most, not {value}")
    return rate


def _locked_owing(account_id: int) -> list[ARBalance]:
    """The account's agreements that owe, locked in primary-key order."""
    return list(ARBalance.objects.select_for_update().filter(account_id=account_id).select_related("agreement")
                .order_by("pk"))


def _owing(rows: Sequence[ARBalance]) -> Decimal:
    """What the account owes: the sum of its agreements' balances (a credit on one
    offsets a debit on another)."""
    return sum((r.balance for r in rows), ZERO)


def _locked_closed(account: Account, doing: str) -> Account:
    account = Account.objects.select_for_update().select_related("customer").get(pk=account.pk)
    if account.status != Account.Status.CLOSED:
        raise WriteOffError(f"Account {account.number} is still active: {doing} is for closed accounts "
                            "(stop the service and issue the final bill first).")
    return account


def _split(rows: Sequence[ARBalance], amount: Decimal) -> list[tuple[ServiceAgreement, Decimal]]:
    """``amount`` spread over the agreements that owe, largest balance first."""
    split = []
    left = amount
    for row in sorted((r for r in rows if r.balance > 0), key=lambda r: (-r.balance, r.pk)):
        take = min(left, row.balance)
        if take <= 0:
            break
        split.append((row.agreement, take))
        left -= take
    if left > 0:
        raise WriteOffError(f"{format_money(amount)} is more than the account's agreements owe.")
    return split


# --------------------------------------------------------------------------- deposit and transfer


def apply_deposit(*, user, account: Account, on: date | None = None):
    """Apply the closed account's held security deposit to its final bill and
    refund the rest (payments' ``release_deposit``, reason "final bill"). Returns
    the payments ``Release``."""
    permissions.require(user, "payment.manage", "apply security deposits to final bills")
    with transaction.atomic():
        account = _locked_closed(account, "applying the deposit to the final bill")
        deposit = (SecurityDeposit.objects.filter(account_id=account.pk, status=SecurityDeposit.Status.HELD,
                                                  received__gt=0).order_by("pk").first())
        if deposit is None:
            raise WriteOffError(f"Account {account.number} holds no security deposit to apply.")
        return release_deposit(user=user, deposit=deposit, reason="final bill (closed account)", on=on)


def transfer_balance(*, user, from_account: Account, to_account: Account, reason: str,
                     on: date | None = None) -> BalanceTransfer:
    """Move what a closed account owes to the same customer's other active account
    (Dr 142 on the receiving account's oldest active agreement / Cr 142 on each
    closed agreement). Refused between different customers, from an active
    account, to a closed one, or across customer classes (a residential debt is
    not moved onto a business account, nor the reverse)."""
    permissions.require(user, "payment.manage", "transfer closed accounts' balances")
    on = on or timezone.localdate()
    if not (reason or "").strip():
        raise WriteOffError("Reason: say why the balance moves (e.g. customer moved within the service area).")
    with transaction.atomic():
        # lock both accounts in id order
        first, second = sorted([from_account.pk, to_account.pk])
        if first == second:
            raise WriteOffError("Choose another account: a balance cannot move to the account it is on.")
        list(Account.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk"))
        source = _locked_closed(from_account, "transferring a balance")
        target = Account.objects.select_related("customer").get(pk=to_account.pk)
        if target.status != Account.Status.ACTIVE:
            raise WriteOffError(f"Account {target.number} is closed: a balance moves only to an active account.")
        if target.customer_id != source.customer_id:
            raise WriteOffError(f"Account {target.number} belongs to {target.customer.name}, not "
                                f"{source.customer.name}: a balance moves only to the same customer's account.")
        receiving = (ServiceAgreement.objects.filter(account_id=target.pk, status=ServiceAgreement.Status.ACTIVE)
                     .order_by("start_date", "pk").first())
        if receiving is None:
            raise WriteOffError(f"Account {target.number} has no active service to carry the balance.")
        rows = _locked_owing(source.pk)
        classes = {r.agreement.customer_class for r in rows if r.balance > 0}
        if classes and receiving.customer_class not in classes:
            raise WriteOffError(
                f"Policy: a {'/'.join(sorted(classes))} balance does not move onto account {target.number}'s "
                f"{receiving.customer_class} service.")
        if source.agency_assignments.filter(status=AgencyAssignment.Status.ASSIGNED).exists():
            raise WriteOffError(f"Account {source.number} is at a collection agency: recall it first.")
        amount = _owing(rows)
        if amount <= 0:
            raise WriteOffError(f"Account {source.number} owes nothing: there is no balance to transfer.")
        split = _split(rows, amount)
        debit_gl, credit_gl = PostingRules().accounts("balance_transfer")
        memo = f"balance transfer {source.number} → {target.number}"
        lines = [Line(debit_gl, debit=amount, account_id=target.pk, agreement_id=receiving.pk, memo=memo)]
        lines += [Line(credit_gl, credit=part, account_id=source.pk, agreement_id=agreement.pk, memo=memo)
                  for agreement, part in split]
        entry = post(event="balance_transfer", effective_date=on, description=f"Balance transfer: {reason.strip()}"[:300],
                     lines=lines, created_by=user)
        transfer = BalanceTransfer.objects.create(
            from_account=source, to_account=target, to_agreement=receiving, amount=amount, transferred_on=on,
            reason=reason.strip()[:300], journal_entry=entry, created_by=user)
        audit.record(AuditAction.BALANCE_TRANSFERRED, user_id=user.pk, obj=transfer, account_id=source.pk,
                     summary=f"{format_money(amount)} moved from closed account {source.number} to account "
                             f"{target.number} as JE{entry.pk}: {reason.strip()}",
                     after={"amount": amount, "to_account": target.number, "journal_entry": entry.pk})
    return transfer


# --------------------------------------------------------------------------- agencies


def statutory_fee_limit(debt: Decimal) -> Decimal:
    """The most RCW 19.16.500(1)(b) calls a reasonable fee on one account's debt:
    50 % of the first $100,000 plus 35 % above it, or a minimum fee of the whole
    debt up to $100, whichever is more."""
    contingent = (min(debt, FEE_BREAK) * FEE_RATE_FIRST / HUNDRED
                  + max(debt - FEE_BREAK, ZERO) * FEE_RATE_ABOVE / HUNDRED)
    return max(contingent, min(debt, MINIMUM_FEE_CAP)).quantize(CENT, rounding=ROUND_HALF_UP)


def save_agency(*, user, code: str, name: str, fee_percent, fee_percent_above="35.00", license_number: str = "",
                contact: str = "", is_active: bool = True) -> CollectionAgency:
    """Add or change a collection agency; its contingent fee is checked against
    RCW 19.16.500's reasonable-fee limits."""
    permissions.require(user, "approval_limit.edit", "set up collection agencies")
    code = (code or "").strip().upper()
    if not code or len(code) > 12:
        raise WriteOffError("Code: 1 to 12 letters or digits.")
    if not (name or "").strip():
        raise WriteOffError("Name: the agency's name.")
    first, above = _rate(fee_percent, "Fee percent"), _rate(fee_percent_above, "Fee percent above $100,000")
    if first > FEE_RATE_FIRST:
        raise WriteOffError(f"Fee percent: {first} % is above the {FEE_RATE_FIRST} % of the first $100,000 that "
                            f"{STATUTE_AGENCY} allows.")
    if above > FEE_RATE_ABOVE:
        raise WriteOffError(f"Fee percent above $100,000: {above} % is above the {FEE_RATE_ABOVE} % that "
                            f"{STATUTE_AGENCY} allows.")
    with transaction.atomic():
        agency, created = CollectionAgency.objects.update_or_create(code=code, defaults={
            "name": name.strip()[:120], "fee_percent": first, "fee_percent_above": above,
            "license_number": license_number.strip()[:40], "contact": contact.strip()[:200], "is_active": is_active})
        audit.record(AuditAction.AGENCY_SAVED, user_id=user.pk, obj=agency,
                     summary=f"Collection agency {code} {'added' if created else 'changed'}: {name.strip()}, "
                             f"fee {first} % (above $100,000: {above} %)",
                     after={"fee_percent": first, "fee_percent_above": above, "active": is_active})
    return agency


def agency_warning_served_on(account: Account) -> date | None:
    """The day the latest collection-agency warning notice (RCW 19.16.500) was
    served on the account, from the notices the daily job or a clerk recorded."""
    return (Notice.objects.filter(account_id=account.pk, kind=Notice.Kind.AGENCY_WARNING)
            .order_by("-served_on").values_list("served_on", flat=True).first())


def assign_to_agency(*, user, account: Account, agency: CollectionAgency, advised_on: date | None = None,
                     on: date | None = None) -> AgencyAssignment:
    """Assign what a closed account owes to an agency. RCW 19.16.500(1)(a): only
    after an attempt to advise the debtor of the debt and that it may be assigned,
    and at least 30 days after that notice. Without ``advised_on`` the latest
    agency-warning notice on record is the advice. The account's referral
    candidates (the daily job's) become referred."""
    permissions.require(user, "payment.manage", "assign debts to collection agencies")
    on = on or timezone.localdate()
    if advised_on is None:
        advised_on = agency_warning_served_on(account)
    if advised_on is None:
        raise WriteOffError("Advised on: no agency-warning notice is on record; enter the date the customer was "
                            "told the debt may be assigned.")
    if advised_on > on:
        raise WriteOffError(f"Advised on: {advised_on} is after the assignment date {on}.")
    earliest = advised_on + timedelta(days=AGENCY_NOTICE_DAYS)
    if on < earliest:
        raise WriteOffError(
            f"{STATUTE_AGENCY}: the debt may be assigned no sooner than {AGENCY_NOTICE_DAYS} days after the "
            f"customer was advised ({advised_on}), that is on or after {earliest}.")
    with transaction.atomic():
        account = _locked_closed(account, "assigning to an agency")
        if not CollectionAgency.objects.filter(pk=agency.pk, is_active=True).exists():
            raise WriteOffError(f"Agency {agency.code} is not active.")
        if account.agency_assignments.filter(status=AgencyAssignment.Status.ASSIGNED).exists():
            raise WriteOffError(f"Account {account.number} is already at an agency.")
        if account.write_offs.filter(status=WriteOff.Status.PENDING).exists():
            raise WriteOffError(f"Account {account.number} has a write-off waiting for approval: decide it first.")
        owed = _owing(_locked_owing(account.pk))
        if owed <= 0:
            raise WriteOffError(f"Account {account.number} owes nothing: there is nothing to assign.")
        assignment = AgencyAssignment.objects.create(
            account=account, agency=agency, amount_assigned=owed, advised_on=advised_on, assigned_on=on,
            fee_limit=statutory_fee_limit(owed), created_by=user)
        for referral in AgencyReferral.objects.select_for_update().filter(
                account_id=account.pk, status=AgencyReferral.Status.CANDIDATE):
            transitions.change_status(referral, AgencyReferral.Status.REFERRED, refused=WriteOffError)
        audit.record(AuditAction.AGENCY_ASSIGNED, user_id=user.pk, obj=assignment, account_id=account.pk,
                     summary=f"{format_money(owed)} on account {account.number} assigned to {agency.name} "
                             f"(advised {advised_on}; fee at most {format_money(assignment.fee_limit)})",
                     after={"agency": agency.code, "amount": owed, "advised_on": advised_on})
    return assignment


def _referral_rows(assignments: Sequence[AgencyAssignment]) -> list[ReferralRow]:
    customer_ids = {a.account.customer_id for a in assignments}
    contacts: dict[int, Contact] = {}
    for contact in Contact.objects.filter(customer_id__in=customer_ids).order_by("-is_primary", "pk"):
        contacts.setdefault(contact.customer_id, contact)
    rows = []
    for a in assignments:
        account, contact = a.account, contacts.get(a.account.customer_id)
        rows.append(ReferralRow(
            utility_reference=f"A{a.pk}", account_number=account.number, debtor_name=account.customer.name,
            address_line1=account.mailing_line1, address_line2=account.mailing_line2, city=account.mailing_city,
            state=account.mailing_state, zip=account.mailing_zip, phone=contact.phone if contact else "",
            email=contact.email if contact else "", amount_assigned=a.amount_assigned,
            service_ended_on=account.closed_on, advised_on=a.advised_on, assigned_on=a.assigned_on))
    return rows


def write_agency_file(*, user, agency: CollectionAgency, on: date | None = None) -> AgencyFile:
    """The referral file of the agency's assignments not yet sent (layout in
    ``formats.agency_referral``). Each assignment goes in exactly one file: a second
    call finds nothing new and is refused; the file stays downloadable."""
    permissions.require(user, "payment.manage", "write collection agency files")
    on = on or timezone.localdate()
    with transaction.atomic():
        pending = list(AgencyAssignment.objects.select_for_update().filter(
            agency_id=agency.pk, file__isnull=True, status=AgencyAssignment.Status.ASSIGNED)
            .select_related("account__customer").order_by("pk"))
        if not pending:
            raise WriteOffError(f"No new assignments for {agency.name}: every assignment is in a file already.")
        content = write_referral_file(_referral_rows(pending))
        sha = hashlib.sha256(content.encode()).hexdigest()
        total = sum((a.amount_assigned for a in pending), ZERO)
        seq = AgencyFile.objects.filter(agency_id=agency.pk, created_on=on).count() + 1
        agency_file = AgencyFile.objects.create(
            agency=agency, name=f"referral-{agency.code}-{on:%Y%m%d}-{seq}.csv", created_on=on,
            item_count=len(pending), total=total, sha256=sha, content=content, created_by=user)
        AgencyAssignment.objects.filter(pk__in=[a.pk for a in pending]).update(file=agency_file)
        audit.record(AuditAction.AGENCY_FILE_WRITTEN, user_id=user.pk, obj=agency_file,
                     summary=f"{agency_file.name}: {len(pending)} accounts, {format_money(total)} for {agency.name}",
                     after={"items": len(pending), "total": total, "sha256": sha})
    return agency_file


def _agency_fee(agency: CollectionAgency, collected_before: Decimal, gross: Decimal) -> Decimal:
    """The contract fee on ``gross`` collected after ``collected_before``, tiered at $100,000."""
    low = max(min(collected_before + gross, FEE_BREAK) - collected_before, ZERO)
    high = gross - low
    return (low * agency.fee_percent / HUNDRED + high * agency.fee_percent_above / HUNDRED).quantize(
        CENT, rounding=ROUND_HALF_UP)


def record_remittance(*, user, assignment: AgencyAssignment, reference: str, gross, received_on: date | None = None
                      ) -> AgencyRemittance:
    """The agency collected ``gross`` and sent it less its fee. The debt falls by
    the gross (Cr 142; on a written-off account the allowance is credited, Cr 144),
    the fee is a collection expense (Dr 903) and the net is cash (Dr 131.1). The
    agency's fee never takes the total past the statute's limit for the account.
    The same reference twice with the same amount returns the first remittance."""
    permissions.require(user, "payment.manage", "record collection agency remittances")
    received_on = received_on or timezone.localdate()
    reference = (reference or "").strip()
    if not reference:
        raise WriteOffError("Reference: the agency's remittance reference.")
    gross = _amount(gross, "Gross collected")
    with transaction.atomic():
        assignment = AgencyAssignment.objects.select_for_update().select_related("agency", "account").get(
            pk=assignment.pk)
        earlier = assignment.remittances.filter(reference=reference).first()
        if earlier is not None:
            if earlier.gross == gross:
                return earlier
            raise WriteOffError(f"Reference {reference} was recorded already for {format_money(earlier.gross)}.")
        if assignment.status != AgencyAssignment.Status.ASSIGNED:
            raise WriteOffError(f"{assignment} is {assignment.get_status_display().lower()}: "
                                "no more remittances are taken on it.")
        left = assignment.amount_assigned - assignment.collected
        if gross > left:
            raise WriteOffError(f"Gross collected: {format_money(gross)} is more than the {format_money(left)} "
                                "still assigned.")
        fee = min(_agency_fee(assignment.agency, assignment.collected, gross), assignment.fee_limit - assignment.fees)
        net = gross - fee
        account = assignment.account
        rows = _locked_owing(account.pk)
        owing = max(_owing(rows), ZERO)
        # what the account no longer owes on its books was written off: reinstate it from the allowance first
        reinstate = max(gross - owing, ZERO)
        rules = PostingRules()
        recoveries: list[int] = []
        if reinstate:
            _reinstate(account, reinstate, received_on, user, source_text=f"agency remittance {reference}",
                       rows=rows, rules=rules, made=recoveries)
            rows = _locked_owing(account.pk)
        split = _split(rows, gross)
        cash_gl, credit_gl = rules.accounts("agency_remittance")
        fee_gl, _ = rules.accounts("agency_fee")
        memo = f"{assignment.agency.code} remittance {reference}"
        lines = ([Line(cash_gl, debit=net, account_id=account.pk, memo=memo)] if net else []) \
            + ([Line(fee_gl, debit=fee, account_id=account.pk, memo=f"{memo}: agency fee")] if fee else []) \
            + [Line(credit_gl, credit=part, account_id=account.pk, agreement_id=agreement.pk, memo=memo)
               for agreement, part in split]
        entry = post(event="agency_remittance", effective_date=received_on,
                     description=f"Collection agency remittance {reference} ({assignment.agency.name})"[:300],
                     lines=lines, source=assignment,
                     idempotency_key=f"agency_remittance:{assignment.pk}:{reference}"[:120], created_by=user)
        remittance = AgencyRemittance.objects.create(
            assignment=assignment, reference=reference[:60], received_on=received_on, gross=gross, fee=fee, net=net,
            journal_entry=entry, created_by=user)
        if recoveries:
            Recovery.objects.filter(pk__in=recoveries).update(remittance=remittance)
        collected = assignment.collected + gross
        fields = {"collected": collected, "fees": assignment.fees + fee}
        summary = (f"{reference}: {format_money(gross)} collected on account {account.number}, agency fee "
                   f"{format_money(fee)}, {format_money(net)} received")
        if collected == assignment.amount_assigned:
            transitions.change_status(assignment, AgencyAssignment.Status.PAID, refused=WriteOffError,
                                      fields={**fields, "closed_on": received_on, "close_reason": "paid in full"},
                                      action=AuditAction.AGENCY_REMITTANCE_RECORDED, user_id=user.pk,
                                      account_id=account.pk, summary=summary + " — paid in full",
                                      after={"gross": gross, "fee": fee, "net": net})
        else:
            AgencyAssignment.objects.filter(pk=assignment.pk).update(**fields)
            audit.record(AuditAction.AGENCY_REMITTANCE_RECORDED, user_id=user.pk, obj=assignment,
                         account_id=account.pk, summary=summary, after={"gross": gross, "fee": fee, "net": net})
    return remittance


def close_assignment(*, user, assignment: AgencyAssignment, outcome: str, reason: str,
                     on: date | None = None) -> AgencyAssignment:
    """Recall the debt from the agency, or record that the agency returned it as
    uncollectible (the account may then be written off)."""
    permissions.require(user, "payment.manage", "recall collection agency assignments")
    if outcome not in (AgencyAssignment.Status.RECALLED, AgencyAssignment.Status.RETURNED):
        raise WriteOffError("Outcome: recalled or returned.")
    if not (reason or "").strip():
        raise WriteOffError("Reason: why the assignment ends.")
    on = on or timezone.localdate()
    with transaction.atomic():
        assignment = AgencyAssignment.objects.select_for_update().select_related("account", "agency").get(
            pk=assignment.pk)
        transitions.change_status(
            assignment, outcome, refused=WriteOffError, fields={"closed_on": on, "close_reason": reason.strip()[:300]},
            action=AuditAction.AGENCY_ASSIGNMENT_CLOSED, user_id=user.pk, account_id=assignment.account_id,
            summary=f"{assignment} ({assignment.agency.name}) {outcome}: {reason.strip()}")
    assignment.refresh_from_db()
    return assignment


# --------------------------------------------------------------------------- write-off


def request_write_off(*, user, account: Account, reason: str, memo: str, on: date | None = None) -> WriteOff:
    """Write off what a closed account owes (Dr 144 / Cr 142 per agreement).
    Within the maker's ``write_off`` limit it posts at once; above it, it waits
    for another person's approval (the maker cannot approve it)."""
    permissions.require(user, "adjustment.request", "request write-offs")
    on = on or timezone.localdate()
    if reason not in WriteOff.Reason.values:
        raise WriteOffError(f"Reason: one of {', '.join(WriteOff.Reason.values)}.")
    if not (memo or "").strip():
        raise WriteOffError("Memo: what was tried, for the person who approves it and the auditor.")
    with transaction.atomic():
        account = _locked_closed(account, "a write-off")
        if account.agency_assignments.filter(status=AgencyAssignment.Status.ASSIGNED).exists():
            raise WriteOffError(f"Account {account.number} is at a collection agency: recall it or record its "
                                "return first.")
        if account.write_offs.filter(status=WriteOff.Status.PENDING).exists():
            raise WriteOffError(f"Account {account.number} already has a write-off waiting for approval.")
        rows = _locked_owing(account.pk)
        amount = _owing(rows)
        if amount <= 0:
            raise WriteOffError(f"Account {account.number} owes nothing: there is nothing to write off.")
        split = _split(rows, amount)
        write_off = WriteOff.objects.create(account=account, amount=amount, reason=reason, memo=memo.strip()[:300],
                                            effective_date=on, requested_by=user)
        WriteOffLine.objects.bulk_create([WriteOffLine(write_off=write_off, agreement=a, amount=part)
                                          for a, part in split])
        if approvals.needs_approval(user, "write_off", amount, on):
            request = approvals.request_approval(
                maker=user, kind=WRITE_OFF_KIND, action="write_off", amount=amount,
                summary=f"Write off {format_money(amount)} on closed account {account.number} "
                        f"({write_off.get_reason_display().lower()}): {memo.strip()}"[:300],
                payload={"write_off_id": write_off.pk}, subject=write_off, account_id=account.pk)
            WriteOff.objects.filter(pk=write_off.pk).update(approval_request_id=request.pk)
            audit.record(AuditAction.WRITE_OFF_REQUESTED, user_id=user.pk, obj=write_off, account_id=account.pk,
                         summary=f"{write_off} of {format_money(amount)} waits for approval (request #{request.pk})",
                         after={"amount": amount, "reason": reason})
        else:
            _post_write_off(write_off, decided_by=user)
    write_off.refresh_from_db()
    return write_off


def _post_write_off(write_off: WriteOff, *, decided_by) -> None:
    rows = {r.agreement_id: r for r in _locked_owing(write_off.account_id)}
    lines = list(write_off.lines.select_related("agreement"))
    for line in lines:
        row = rows.get(line.agreement_id)
        if row is None or row.balance < line.amount:
            raise WriteOffError(
                f"{write_off}: the balance of {line.agreement} changed since it was requested "
                f"(now {format_money(row.balance if row else ZERO)}); reject it and request a new one.")
    debit_gl, credit_gl = PostingRules().accounts("write_off")
    memo = f"write-off: {write_off.get_reason_display()}"
    entry = post(event="write_off", effective_date=write_off.effective_date,
                 description=f"Write-off, account {write_off.account.number}: {write_off.memo}"[:300],
                 lines=[Line(debit_gl, debit=write_off.amount, account_id=write_off.account_id, memo=memo)]
                 + [Line(credit_gl, credit=line.amount, account_id=write_off.account_id,
                         agreement_id=line.agreement_id, memo=memo) for line in lines],
                 source=write_off, idempotency_key=f"write_off:{write_off.pk}", created_by=decided_by)
    transitions.change_status(write_off, WriteOff.Status.POSTED, refused=WriteOffError,
                              fields={"journal_entry": entry, "decided_by": decided_by},
                              action=AuditAction.WRITE_OFF_POSTED, user_id=decided_by.pk,
                              account_id=write_off.account_id,
                              summary=f"{write_off}: {format_money(write_off.amount)} written off as JE{entry.pk}",
                              after={"status": "posted", "journal_entry": entry.pk, "amount": write_off.amount})


def _on_write_off_approved(request, approver) -> None:
    write_off = WriteOff.objects.select_for_update().select_related("account").get(pk=request.payload["write_off_id"])
    _post_write_off(write_off, decided_by=approver)


def _on_write_off_rejected(request, decider) -> None:
    write_off = WriteOff.objects.select_for_update().get(pk=request.payload["write_off_id"])
    rejected = request.status == "rejected"
    transitions.change_status(
        write_off, WriteOff.Status.REJECTED if rejected else WriteOff.Status.CANCELLED, refused=WriteOffError,
        fields={"decided_by": decider}, user_id=decider.pk, account_id=write_off.account_id,
        action=AuditAction.WRITE_OFF_REJECTED if rejected else AuditAction.WRITE_OFF_CANCELLED,
        summary=f"{write_off} {'rejected' if rejected else 'withdrawn'}: {request.decision_note}")


def register_approval_handlers() -> None:
    approvals.register(WRITE_OFF_KIND, _on_write_off_approved, _on_write_off_rejected)
    approvals.register_refusals(WriteOffError)


# --------------------------------------------------------------------------- recovery


def _reinstate(account: Account, amount: Decimal, on: date, user, *, source_text: str, rows=None, rules=None,
               payment_id: int | None = None, made: list[int] | None = None) -> Decimal:
    """Reinstate up to ``amount`` of the account's written-off balance from the
    allowance (Dr 142 / Cr 144) against its oldest write-offs not yet recovered,
    on the agreements in credit first. Returns what was reinstated."""
    write_offs = list(WriteOff.objects.select_for_update().filter(
        account_id=account.pk, status=WriteOff.Status.POSTED, recovered__lt=F("amount")).order_by("effective_date",
                                                                                                  "pk"))
    open_total = sum((w.amount - w.recovered for w in write_offs), ZERO)
    amount = min(amount, open_total)
    if amount <= 0:
        return ZERO
    rows = rows if rows is not None else _locked_owing(account.pk)
    rules = rules or PostingRules()
    debit_gl, credit_gl = rules.accounts("write_off_reinstate")
    in_credit = sorted((r for r in rows if r.balance < 0), key=lambda r: (r.balance, r.pk))
    agreement_id = (in_credit[0] if in_credit else rows[0]).agreement_id
    left = amount
    for write_off in write_offs:
        take = min(left, write_off.amount - write_off.recovered)
        if take <= 0:
            break
        memo = f"recovery on written-off account ({source_text})"
        entry = post(event="write_off_reinstate", effective_date=on,
                     description=f"Recovery after write-off #{write_off.pk}, account {account.number}"[:300],
                     lines=[Line(debit_gl, debit=take, account_id=account.pk, agreement_id=agreement_id, memo=memo),
                            Line(credit_gl, credit=take, account_id=account.pk, memo=memo)],
                     source=write_off,
                     idempotency_key=(f"recovery:{account.pk}:{write_off.pk}:payment:{payment_id}" if payment_id
                                      else f"recovery:{account.pk}:{write_off.pk}:{source_text}")[:120],
                     created_by=user)
        recovery = Recovery.objects.create(write_off=write_off, account=account, agreement_id=agreement_id,
                                           amount=take, received_on=on, payment_id=payment_id, journal_entry=entry)
        if made is not None:
            made.append(recovery.pk)
        WriteOff.objects.filter(pk=write_off.pk).update(recovered=F("recovered") + take)
        audit.record(AuditAction.WRITE_OFF_RECOVERED, user_id=getattr(user, "pk", None), obj=write_off,
                     account_id=account.pk,
                     summary=f"{format_money(take)} recovered on {write_off} ({source_text}) as JE{entry.pk}",
                     after={"amount": take, "journal_entry": entry.pk})
        left -= take
    return amount - left


def record_recoveries(posted: Sequence[PostedPayment], user=None) -> int:
    """The payments hook: for each payment on an account with a written-off
    balance not yet recovered, credit the allowance with the part of the payment
    the account no longer owed (what left it in credit). One query when no
    payment is on such an account. Returns the number of recoveries."""
    account_ids = sorted({p.account_id for p in posted})
    written_off = set(WriteOff.objects.filter(account_id__in=account_ids, status=WriteOff.Status.POSTED,
                                              recovered__lt=F("amount")).values_list("account_id", flat=True))
    if not written_off:
        return 0
    count = 0
    accounts = Account.objects.in_bulk(written_off)
    for p in posted:
        if p.account_id not in written_off:
            continue
        rows = _locked_owing(p.account_id)
        credit = -_owing(rows)
        amount = min(p.amount, credit)
        if amount > 0 and _reinstate(accounts[p.account_id], amount, p.received_on, user,
                                     source_text=f"payment {p.payment_id}", rows=rows, payment_id=p.payment_id):
            count += 1
    return count


def reverse_recoveries(payment_id: int, on: date, user=None) -> int:
    """The payments hook for a payment that came back (or was moved): the
    recoveries it made are reversed (Dr 144 / Cr 142), so the account is written
    off again by that much. Returns how many were reversed."""
    recoveries = list(Recovery.objects.select_for_update().filter(payment_id=payment_id,
                                                                  reversal_entry__isnull=True)
                      .select_related("journal_entry", "write_off", "account"))
    for recovery in recoveries:
        entry = reverse(entry=recovery.journal_entry, effective_date=max(on, recovery.received_on),
                        description=f"Recovery reversed: payment {payment_id} came back", created_by=user,
                        event="write_off_reinstate_reversal")
        Recovery.objects.filter(pk=recovery.pk).update(reversal_entry=entry)
        WriteOff.objects.filter(pk=recovery.write_off_id).update(recovered=F("recovered") - recovery.amount)
        audit.record(AuditAction.WRITE_OFF_RECOVERY_REVERSED, user_id=getattr(user, "pk", None),
                     obj=recovery.write_off, account_id=recovery.account_id,
                     summary=f"{format_money(recovery.amount)} recovery on {recovery.write_off} reversed: payment "
                             f"{payment_id} came back (JE{entry.pk})",
                     after={"amount": recovery.amount, "journal_entry": entry.pk})
    return len(recoveries)


def register_payment_hook() -> None:
    from ratepayer.payments import hooks

    hooks.register_after_posted(record_recoveries)
    hooks.register_after_reversed(reverse_recoveries)


# --------------------------------------------------------------------------- liens


def lien_interest(principal: Decimal, annual_rate: Decimal, start: date, end: date) -> Decimal:
    """Simple interest, actual days over 365, rounded half-up to the cent."""
    days = max((end - start).days, 0)
    return (principal * annual_rate / HUNDRED * Decimal(days) / Decimal(365)).quantize(CENT, rounding=ROUND_HALF_UP)


def lien_rates(on: date) -> tuple[Decimal | None, Decimal | None]:
    """(prime rate, lien interest rate) from the water collection policy in force,
    None where the policy leaves it unset (0.00)."""
    policy = PolicyTable(on).for_service("water", "")
    if policy is None:
        return None, None
    return (policy.prime_rate_percent or None), (policy.lien_interest_percent or None)


def certify_lien(*, user, account: Account, premise: Premise, delinquent_since: date, prime_rate=None,
                 interest_rate=None, penalties="0.00", tenant_delinquency: bool = False, auditor_reference: str = "",
                 on: date | None = None) -> LienCertification:
    """Certify the account's delinquent water and sewer charges at ``premise`` to
    the county auditor as a lien on the parcel (RCW 57.08.081(3)): charges plus
    penalties (≤ 10 % of the charges) plus interest at no more than the district
    bank's prime rate + 4 points a year, from ``delinquent_since`` to the
    certification. The rates default to the water collection policy's. The interest is charged to the account (Dr 142 / Cr 419).
    A tenant's delinquency is refused when a registered landlord was not sent the
    copy of the notice (RCW 57.08.081(7))."""
    permissions.require(user, "payment.manage", "certify liens")
    on = on or timezone.localdate()
    policy_prime, policy_rate = lien_rates(on)
    prime_rate = prime_rate if prime_rate not in (None, "") else policy_prime
    interest_rate = interest_rate if interest_rate not in (None, "") else policy_rate
    if prime_rate is None or interest_rate is None:
        raise WriteOffError("Prime rate and interest rate: the collection policy sets none; enter both.")
    prime = _rate(prime_rate, "Prime rate")
    rate = _rate(interest_rate, "Interest rate")
    if rate > prime + LIEN_INTEREST_MARGIN:
        raise WriteOffError(f"Interest rate: {rate} % is above the prime rate {prime} % plus "
                            f"{LIEN_INTEREST_MARGIN} points that {STATUTE_LIEN} allows ({prime + LIEN_INTEREST_MARGIN} %).")
    penalties = _amount(penalties, "Penalties", allow_zero=True)
    if delinquent_since is None or delinquent_since > on:
        raise WriteOffError(f"Delinquent since: a date on or before the certification date {on}.")
    if not premise.parcel_number:
        raise WriteOffError(f"Premise {premise}: no parcel number; the county auditor needs the parcel.")
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if tenant_delinquency:
            missing = landlord_copy_missing(account_id=account.pk, premise_id=premise.pk, on=on)
            if missing:
                raise WriteOffError(f"RCW 57.08.081(7): no lien for a tenant's charges — {missing}")
        rows = [r for r in _locked_owing(account.pk)
                if r.agreement.service in WATER_SEWER and r.agreement.service_point.premise_id == premise.pk]
        owed = sum((r.balance for r in rows), ZERO)
        if owed <= 0:
            raise WriteOffError(f"Account {account.number} owes no water or sewer charges at {premise}.")
        if penalties > owed:
            raise WriteOffError(f"Penalties: {format_money(penalties)} is more than the "
                                f"{format_money(owed)} owed at the premise.")
        charges = owed - penalties
        if penalties > (charges * LIEN_PENALTY_SHARE).quantize(CENT, rounding=ROUND_HALF_UP):
            raise WriteOffError(f"Penalties: {format_money(penalties)} is more than 10 % of the "
                                f"{format_money(charges)} charges ({STATUTE_LIEN}).")
        if LienCertification.objects.filter(account=account, premise=premise,
                                            status=LienCertification.Status.CERTIFIED).exists():
            raise WriteOffError(f"A lien for account {account.number} at {premise} is certified already: "
                                "release it before certifying a new amount.")
        interest = lien_interest(owed, rate, delinquent_since, on)
        lien = LienCertification.objects.create(
            account=account, premise=premise, parcel_number=premise.parcel_number,
            tenant_delinquency=tenant_delinquency, charges=charges, penalties=penalties,
            delinquent_since=delinquent_since, prime_rate=prime, interest_rate=rate, interest=interest,
            certified_on=on, auditor_reference=auditor_reference.strip()[:40], created_by=user)
        if interest:
            agreement = max(rows, key=lambda r: (r.balance, -r.pk)).agreement
            debit_gl, credit_gl = PostingRules().accounts("lien_interest", agreement.service, agreement.customer_class)
            memo = f"lien interest {rate} %/yr {delinquent_since}–{on}"
            entry = post(event="lien_interest", effective_date=on,
                         description=f"Interest on lien #{lien.pk}, parcel {premise.parcel_number}",
                         lines=[Line(debit_gl, debit=interest, account_id=account.pk, agreement_id=agreement.pk,
                                     memo=memo),
                                Line(credit_gl, credit=interest, account_id=account.pk, memo=memo)],
                         source=lien, idempotency_key=f"lien_interest:{lien.pk}", created_by=user)
            LienCertification.objects.filter(pk=lien.pk).update(interest_entry=entry)
        audit.record(AuditAction.LIEN_CERTIFIED, user_id=user.pk, obj=lien, account_id=account.pk,
                     summary=f"Lien on parcel {premise.parcel_number} certified: charges {format_money(charges)}, "
                             f"penalties {format_money(penalties)}, interest {format_money(interest)} at {rate} %/yr",
                     after={"charges": charges, "penalties": penalties, "interest": interest, "rate": rate})
    lien.refresh_from_db()
    return lien


def release_lien(*, user, lien: LienCertification, reason: str, on: date | None = None) -> LienCertification:
    """Release a certified lien (paid, certified in error, ...)."""
    permissions.require(user, "payment.manage", "release liens")
    if not (reason or "").strip():
        raise WriteOffError("Reason: paid in full, certified in error, ...")
    on = on or timezone.localdate()
    with transaction.atomic():
        lien = LienCertification.objects.select_for_update().get(pk=lien.pk)
        if on < lien.certified_on:
            raise WriteOffError(f"Released on: {on} is before the certification date {lien.certified_on}.")
        transitions.change_status(
            lien, LienCertification.Status.RELEASED, refused=WriteOffError,
            fields={"released_on": on, "release_reason": reason.strip()[:300]}, action=AuditAction.LIEN_RELEASED,
            user_id=user.pk, account_id=lien.account_id,
            summary=f"Lien #{lien.pk} on parcel {lien.parcel_number} released: {reason.strip()}")
    lien.refresh_from_db()
    return lien
