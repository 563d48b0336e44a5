"""Long-term contracts: create (booking the separate receivable), bill installments on the
regular bill (billing's hook), payoff quote, prepayment, payoff and transfer with the
property.

The money, with the posting rules seeded by migration 0004 (DOMAIN §B.2):

* **created** — sewer connection charge: Dr 143 / Cr 271 (contributions in aid of
  construction); conservation loan: Dr 143 / Cr 131 (the money lent); past-due balance:
  Dr 143 / Cr 142, moving the balance off the service receivable (and so out of service
  aging and disconnect logic) onto the contract.
* **an installment billed** — a bill line for the principal (Dr 142 / Cr 143) and one for
  the interest (Dr 142 / Cr 419), on the account's regular bill, posted with the bill. From
  then on it is an ordinary charge the customer pays with the bill.
* **prepayment** — part of the principal is billed to the account now (Dr 142 / Cr 143),
  to be paid like any charge (or from a credit the account holds), and the contract is
  *shortened*: the level payment stays, the unbilled schedule is redrawn under the next
  revision with fewer months.
* **payoff** — the principal not yet billed plus the interest accrued to the payoff day
  (``amortization.payoff_quote``'s rule: actual days / 365 since the last installment billed)
  is billed now (Dr 142 / Cr 143 and Dr 142 / Cr 419); the unbilled installments are
  replaced and the contract is *paid off*.

A contract belongs to the property (``premise``): ``transfer_contract`` moves it to the
account that now takes service there. Idempotency: a journal entry's key names the
contract and the event (``contract:<id>:created``, ``contract:<id>:prepay:<revision>``,
``contract:<id>:payoff``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum

from ratepayer.customers.models import Account, Premise, ServiceAgreement
from ratepayer.kernel.money import format_money, round_money, to_decimal
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.ledger.models import ARBalance
from ratepayer.staff import audit, permissions
from ratepayer.staff.audit import AuditAction
from ratepayer.staff.transitions import change_status

from .. import amortization
from ..errors import ContractError
from ..models import ContractEvent, ContractInstallment, LongTermContract

ZERO = Decimal("0.00")
CREATION_EVENT = {"sewer_connection": "contract_sewer_connection", "conservation_loan": "contract_conservation_loan",
                  "past_due": "contract_past_due"}
BILLED_ON_SERVICE = {"sewer_connection": "sewer", "conservation_loan": "electric", "past_due": ""}


def _receivable_agreement(account: Account, kind: str) -> ServiceAgreement:
    """The agreement whose receivable carries the contract's charges: the service the
    contract is about if the account has it, else its first live agreement."""
    agreements = list(account.agreements.filter(status=ServiceAgreement.Status.ACTIVE).order_by("pk"))
    if not agreements:
        agreements = list(account.agreements.order_by("-pk")[:1])
    if not agreements:
        raise ContractError(f"Account {account.number} has no service agreement to bill the contract on.",
                            field="account")
    wanted = BILLED_ON_SERVICE.get(kind, "")
    return next((a for a in agreements if a.service == wanted), agreements[0])


def create_contract(*, user, account: Account, premise: Premise, kind: str, principal, annual_rate, term_months: int,
                    start_date: date, made_on: date, lien_reference: str = "", lien_recorded_on: date | None = None,
                    note: str = "") -> LongTermContract:
    """Create the contract, its schedule (revision 1) and the receivable's journal entry."""
    permissions.require(user, "contract.manage", "set up long-term contracts")
    if kind not in LongTermContract.Kind.values:
        raise ContractError(f"{kind!r} is not a kind of contract.", field="kind")
    try:
        principal, rate = amortization.check_terms(principal=principal, annual_rate=annual_rate, months=term_months,
                                                   kind=kind)
    except amortization.AmortizationError as exc:
        raise ContractError(str(exc), field={"months": "term_months"}.get(exc.field, exc.field)) from exc
    except ValueError as exc:
        raise ContractError(str(exc), field="principal") from exc
    if start_date <= made_on:
        raise ContractError("The first installment falls due after the contract is made.", field="start_date")
    if account.status != Account.Status.ACTIVE:
        raise ContractError(f"Account {account.number} is closed.", field="account")
    if not account.agreements.filter(service_point__premise=premise).exists():
        raise ContractError(f"Account {account.number} has no service at {premise.address}; a contract is billed "
                            "to the account that takes service at the property.", field="premise")
    lien_reference = (lien_reference or "").strip()
    if len(lien_reference) > 60:
        raise ContractError("The recording number has at most 60 characters.", field="lien_reference")
    if lien_recorded_on and not lien_reference:
        raise ContractError("A recording date needs the recording number.", field="lien_reference")
    rows = amortization.schedule(principal, rate, term_months, start_date)
    _receivable_agreement(account, kind)  # refuses an account with nothing to bill the contract on
    with transaction.atomic():
        if kind == "past_due":
            owed = ARBalance.objects.filter(account=account).aggregate(total=Sum("balance"))["total"] or ZERO
            if principal > owed:
                raise ContractError(f"The account owes {format_money(owed)}; a past-due contract cannot be for "
                                    f"{format_money(principal)}.", field="principal")
        contract = LongTermContract.objects.create(
            kind=kind, account=account, premise=premise, principal=principal, annual_rate=rate,
            term_months=term_months, start_date=start_date, monthly_payment=rows[0].payment,
            lien_reference=lien_reference, lien_recorded_on=lien_recorded_on, note=(note or "").strip()[:300],
            created_by=user)
        ContractInstallment.objects.bulk_create([
            ContractInstallment(contract=contract, revision=1, number=r.number, due_date=r.due_date, payment=r.payment,
                                principal=r.principal, interest=r.interest, balance_after=r.balance_after)
            for r in rows])
        debit, credit = PostingRules().accounts(CREATION_EVENT[kind])
        lines = [Line(gl_account=debit, debit=principal, account_id=account.pk,
                      memo=f"contract {contract.pk}")]
        if kind == "past_due":
            lines += _spread_credit(account, credit, principal, contract)
        else:
            lines.append(Line(gl_account=credit, credit=principal, account_id=account.pk,
                              memo=f"contract {contract.pk}"))
        entry = post(event=CREATION_EVENT[kind], effective_date=made_on,
                     description=f"{contract.get_kind_display()} #{contract.pk} for account {account.number}",
                     lines=lines, source=contract, idempotency_key=f"contract:{contract.pk}:created", created_by=user)
        LongTermContract.objects.filter(pk=contract.pk).update(receivable_entry=entry)
        contract.receivable_entry = entry
        ContractEvent.objects.create(contract=contract, kind="created", effective_date=made_on, amount=principal,
                                     detail=f"{term_months} months at {rate}%, {format_money(rows[0].payment)} a month",
                                     journal_entry=entry, created_by=user)
        audit.record(AuditAction.CONTRACT_CREATED, user_id=user.pk, obj=contract, account_id=account.pk,
                     summary=f"{contract.get_kind_display()}: {format_money(principal)} at {rate}% over "
                             f"{term_months} months ({format_money(rows[0].payment)} a month)",
                     after={"principal": principal, "annual_rate": rate, "term_months": term_months,
                            "start_date": start_date, "premise": premise.pk, "lien_reference": lien_reference})
    return contract


def _spread_credit(account: Account, gl: str, amount: Decimal, contract: LongTermContract) -> list[Line]:
    """Credit the service receivable, agreement by agreement (largest balance first)."""
    lines, left = [], amount
    for agreement_id, balance in ARBalance.objects.filter(account=account, balance__gt=0).order_by(
            "-balance", "agreement_id").values_list("agreement_id", "balance"):
        part = min(balance, left)
        if part > 0:
            lines.append(Line(gl_account=gl, credit=part, account_id=account.pk, agreement_id=agreement_id,
                              memo=f"contract {contract.pk}"))
            left -= part
    if left > 0:
        raise ContractError("The account's service balances do not cover the principal.", field="principal")
    return lines


# --------------------------------------------------------------------------- state read from the installments


def _live_bill() -> Q:
    return Q(bill__isnull=False) & ~Q(bill__status="cancelled")


def outstanding(contract: LongTermContract) -> tuple[Decimal, date]:
    """(principal not yet billed, the date interest runs from: the last installment billed's
    due date, or the loan date a month before the first installment)."""
    billed = ContractInstallment.objects.filter(_live_bill(), contract=contract)
    billed_principal = billed.aggregate(total=Sum("principal"))["total"] or ZERO
    prepaid = contract.events.filter(kind="prepayment").aggregate(total=Sum("amount"))["total"] or ZERO
    last = billed.order_by("-due_date").values_list("due_date", flat=True).first()
    return contract.principal - billed_principal - prepaid, last or amortization.add_months(contract.start_date, -1)


def payoff_quote(contract: LongTermContract, on: date) -> amortization.PayoffQuote:
    """What pays the contract off on ``on``: the principal not yet billed plus interest on it
    since the last installment billed (actual days / 365, half-up to the cent)."""
    if contract.status != LongTermContract.Status.ACTIVE:
        return amortization.PayoffQuote(on, ZERO, ZERO, on)
    balance, since = outstanding(contract)
    return amortization.PayoffQuote(on, balance, amortization.accrued_interest(balance, contract.annual_rate, since, on),
                                    since)


def current_schedule(contract: LongTermContract) -> list[ContractInstallment]:
    """The schedule as it stands: installments billed (any revision) and the current revision's rest."""
    return list(contract.installments.filter(Q(revision=contract.revision) | _live_bill())
                .exclude(replaced=True, bill__isnull=True).select_related("bill").order_by("due_date", "revision"))


def _bill_now(contract: LongTermContract, *, principal: Decimal, interest: Decimal, on: date, key: str, what: str,
              user) -> object:
    rules = PostingRules()
    agreement = _receivable_agreement(contract.account, contract.kind)
    lines = []
    for event, amount, memo in (("contract_installment_principal", principal, "principal"),
                                ("contract_installment_interest", interest, "interest")):
        if amount > 0:
            debit, credit = rules.accounts(event)
            lines += [Line(gl_account=debit, debit=amount, account_id=contract.account_id, agreement_id=agreement.pk,
                           memo=f"contract {contract.pk} {what} {memo}"),
                      Line(gl_account=credit, credit=amount, account_id=contract.account_id,
                           memo=f"contract {contract.pk} {what} {memo}")]
    return post(event=f"contract_{what}", effective_date=on,
                description=f"{contract.get_kind_display()} #{contract.pk}: {what}", lines=lines, source=contract,
                idempotency_key=key, created_by=user)


def _replace_unbilled(contract: LongTermContract) -> list[ContractInstallment]:
    rest = list(contract.installments.filter(revision=contract.revision, replaced=False)
                .filter(Q(bill__isnull=True) | Q(bill__status="cancelled")).order_by("number"))
    ContractInstallment.objects.filter(pk__in=[r.pk for r in rest]).update(replaced=True)
    return rest


def prepay(*, user, contract: LongTermContract, amount, on: date) -> LongTermContract:
    """Bill ``amount`` of the principal now and shorten the contract (same payment, fewer months)."""
    permissions.require(user, "contract.manage", "record contract prepayments")
    try:
        amount = to_decimal(amount)
    except ValueError as exc:
        raise ContractError(f"{amount!r} is not an amount.", field="amount") from exc
    if amount <= 0 or round_money(amount) != amount:
        raise ContractError("The prepayment must be a positive amount in cents.", field="amount")
    with transaction.atomic():
        contract = LongTermContract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != LongTermContract.Status.ACTIVE:
            raise ContractError(f"Contract #{contract.pk} is {contract.get_status_display().lower()}.",
                                field="contract")
        balance, _since = outstanding(contract)
        if amount >= balance:
            raise ContractError(f"{format_money(amount)} pays the whole principal left ({format_money(balance)}); "
                                "use the payoff, which adds the interest accrued.", field="amount")
        rest = _replace_unbilled(contract)
        if not rest:
            raise ContractError("Every installment is billed already.", field="contract")
        revision = contract.revision + 1
        rows = amortization.schedule(balance - amount, contract.annual_rate, len(rest), rest[0].due_date,
                                     payment=contract.monthly_payment, first_number=rest[0].number)
        ContractInstallment.objects.bulk_create([
            ContractInstallment(contract=contract, revision=revision, number=r.number, due_date=r.due_date,
                                payment=r.payment, principal=r.principal, interest=r.interest,
                                balance_after=r.balance_after) for r in rows])
        LongTermContract.objects.filter(pk=contract.pk).update(revision=revision)
        contract.revision = revision
        entry = _bill_now(contract, principal=amount, interest=ZERO, on=on,
                          key=f"contract:{contract.pk}:prepay:{revision}", what="prepayment", user=user)
        ContractEvent.objects.create(contract=contract, kind="prepayment", effective_date=on, amount=amount,
                                     detail=f"schedule redrawn: {len(rows)} months left instead of {len(rest)}",
                                     journal_entry=entry, created_by=user)
        audit.record(AuditAction.CONTRACT_PREPAID, user_id=user.pk, obj=contract, account_id=contract.account_id,
                     summary=f"{format_money(amount)} of principal prepaid; {len(rows)} months left (was {len(rest)})",
                     before={"principal_left": balance, "months_left": len(rest)},
                     after={"principal_left": balance - amount, "months_left": len(rows)})
    return contract


def pay_off(*, user, contract: LongTermContract, on: date) -> amortization.PayoffQuote:
    """Bill the payoff quote now and close the contract (paid off)."""
    permissions.require(user, "contract.manage", "pay off long-term contracts")
    with transaction.atomic():
        contract = LongTermContract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != LongTermContract.Status.ACTIVE:
            raise ContractError(f"Contract #{contract.pk} is {contract.get_status_display().lower()}.",
                                field="contract")
        quote = payoff_quote(contract, on)
        _replace_unbilled(contract)
        entry = None
        if quote.total > 0:
            entry = _bill_now(contract, principal=quote.principal_outstanding, interest=quote.interest_accrued, on=on,
                              key=f"contract:{contract.pk}:payoff", what="payoff", user=user)
        change_status(contract, LongTermContract.Status.PAID_OFF, refused=ContractError, fields={"ended_on": on},
                      action=AuditAction.CONTRACT_PAID_OFF, user_id=user.pk, account_id=contract.account_id,
                      summary=f"paid off on {on}: principal {format_money(quote.principal_outstanding)} + interest "
                              f"{format_money(quote.interest_accrued)} billed to the account",
                      after=quote.as_dict())
        ContractEvent.objects.create(contract=contract, kind="payoff", effective_date=on, amount=quote.total,
                                     detail=f"principal {quote.principal_outstanding} + interest "
                                            f"{quote.interest_accrued} since {quote.interest_since}",
                                     journal_entry=entry, created_by=user)
    return quote


def transfer_contract(*, user, contract: LongTermContract, to_account: Account, on: date) -> LongTermContract:
    """The property changed hands: the account now taking service there is billed from now on."""
    permissions.require(user, "contract.manage", "transfer long-term contracts")
    with transaction.atomic():
        contract = LongTermContract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != LongTermContract.Status.ACTIVE:
            raise ContractError(f"Contract #{contract.pk} is {contract.get_status_display().lower()}.",
                                field="contract")
        if to_account.pk == contract.account_id:
            raise ContractError(f"The contract is already billed to {to_account.number}.", field="to_account")
        if to_account.status != Account.Status.ACTIVE or not to_account.agreements.filter(
                service_point__premise_id=contract.premise_id, status=ServiceAgreement.Status.ACTIVE).exists():
            raise ContractError(f"Account {to_account.number} does not take service at {contract.premise.address}; "
                                "the contract goes with the property.", field="to_account")
        before = contract.account.number
        LongTermContract.objects.filter(pk=contract.pk).update(account=to_account)
        contract.account = to_account
        ContractEvent.objects.create(contract=contract, kind="transferred", effective_date=on,
                                     detail=f"from account {before} to {to_account.number}", created_by=user)
        audit.record(AuditAction.CONTRACT_TRANSFERRED, user_id=user.pk, obj=contract, account_id=to_account.pk,
                     summary=f"contract moved with the property from {before} to {to_account.number}",
                     before={"account": before}, after={"account": to_account.number})
    return contract


# --------------------------------------------------------------------------- billing's hook


def installment_lines(account_ids: list[int], period_end: date) -> list:
    """The lines for these accounts' bills of the period (``billing.billrun.register_extra_lines``):
    each installment of an active contract due by the period end and not on a live bill yet,
    as two lines (principal, interest). Two queries, whatever the number of accounts."""
    from ratepayer.billing.billrun import ExtraLine

    rows = list(ContractInstallment.objects.filter(
        Q(bill__isnull=True) | Q(bill__status="cancelled"), contract__account_id__among=account_ids,
        contract__status=LongTermContract.Status.ACTIVE, replaced=False, due_date__lte=period_end)
        .values("pk", "number", "principal", "interest", "due_date", "contract_id", "contract__account_id",
                "contract__kind", "contract__term_months").order_by("contract_id", "number"))
    if not rows:
        return []
    rules = PostingRules()
    principal_gl = rules.accounts("contract_installment_principal")[1]
    interest_gl = rules.accounts("contract_installment_interest")[1]
    kinds = dict(LongTermContract.Kind.choices)
    lines = []
    for r in rows:
        what = f"{kinds[r['contract__kind']].split(' (')[0]} #{r['contract_id']}, installment {r['number']}"
        service = BILLED_ON_SERVICE[r["contract__kind"]]
        source = f"contract_installment:{r['pk']}"
        lines.append(ExtraLine(r["contract__account_id"], "contract", f"{what}: principal", r["principal"],
                               principal_gl, service, source))
        if r["interest"] > 0:
            lines.append(ExtraLine(r["contract__account_id"], "contract", f"{what}: interest", r["interest"],
                                   interest_gl, service, source))
    return [line for line in lines if line.amount > 0]


def installments_billed(rows: list[tuple[str, int, date]]) -> None:
    """Billing wrote these lines on these bills: tie each installment to its bill (one query)."""
    billed = {}
    for source, bill_id, bill_date in rows:
        kind, _, pk = source.partition(":")
        if kind == "contract_installment":
            billed[int(pk)] = (bill_id, bill_date)
    if not billed:
        return
    objects = [ContractInstallment(pk=pk, bill_id=bill_id, billed_on=bill_date) for pk, (bill_id, bill_date)
               in sorted(billed.items())]
    ContractInstallment.objects.bulk_update(objects, ["bill", "billed_on"], batch_size=2000)
    # a contract whose last installment is now billed is paid off (the bills carry the rest)
    touched = set(ContractInstallment.objects.filter(id__among=list(billed)).values_list("contract_id", flat=True))
    open_left = set(ContractInstallment.objects.filter(
        Q(bill__isnull=True) | Q(bill__status="cancelled"), contract_id__among=list(touched), replaced=False,
        contract__revision=F("revision")).values_list("contract_id", flat=True))
    for contract in LongTermContract.objects.filter(pk__in=touched - open_left, status=LongTermContract.Status.ACTIVE):
        last_day = max(day for _bill, day in billed.values())
        change_status(contract, LongTermContract.Status.PAID_OFF, refused=ContractError, fields={"ended_on": last_day},
                      action=AuditAction.CONTRACT_PAID_OFF, account_id=contract.account_id,
                      summary="the last installment was billed")
        ContractEvent.objects.create(contract=contract, kind="completed", effective_date=last_day,
                                     detail="the last installment was billed")
