"""Console pages of payment arrangements and long-term contracts: the arrangement wizard
(the schedule is shown before anything is saved), the arrangement and its installments,
the contract form with its schedule, the contract's amortization view with a payoff
quote for any date, prepayment, payoff and transfer, and the two lists. Views check the
input's shape, call the actions and render; the rules live in the actions."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ratepayer.customers.models import Account, Premise
from ratepayer.kernel.money import format_money, parse_amount
from ratepayer.ledger.errors import LedgerError
from ratepayer.staff import limits, permissions
from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.views import staff_page

from .. import amortization
from ..actions import arrangements, contracts
from ..errors import CollectionsError
from ..forms import ArrangementForm, ContractForm
from ..models import ArrangementInstallment, LongTermContract, PaymentArrangement


def _put_error(form, exc: Exception) -> None:
    field = getattr(exc, "field", "")
    form.add_error(field if field in form.fields else None, str(exc))


def _account(number: str) -> Account:
    return get_object_or_404(Account.objects.select_related("customer"), number=number)


# --------------------------------------------------------------------------- arrangements


@staff_page(capability="account.view", doing="see payment arrangements")
def arrangement_list(request):
    status = request.GET.get("status", "open")
    rows = PaymentArrangement.objects.select_related("account", "account__customer").order_by("-start_date", "-pk")
    if status == "open":
        rows = rows.filter(status__in=["proposed", "active"])
    elif status in PaymentArrangement.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "collections/arrangements.html", {
        "page": page, "status": status, "statuses": PaymentArrangement.Status.choices})


@staff_page(capability="arrangement.manage", doing="set up payment arrangements")
def arrangement_new(request, number: str):
    """The wizard: fill in, see the schedule ("Show schedule"), then save it ("Save")."""
    account = _account(number)
    owed = arrangements.account_balance(account)
    plan = None
    status = 200
    if request.method == "POST":
        form = ArrangementForm(request.POST)
        op = request.POST.get("op", "preview")
        if form.is_valid():
            data = form.cleaned_data
            options = {"kind": data["kind"], "past_due_amount": data["past_due_amount"],
                       "installments": data["installments"], "first_due": data["first_due"],
                       "made_on": data["made_on"], "down_payment": data["down_payment"],
                       "monthly_income": data["monthly_income"]}
            try:
                if op == "save":
                    arrangement = arrangements.create_arrangement(
                        user=request.user, account=account, broken_after_days=data["broken_after_days"],
                        allow_another=data["allow_another"], note=data["note"], **options)
                    messages.success(request, f"Payment arrangement #{arrangement.pk} saved: "
                                              f"{format_money(arrangement.past_due_amount)} in "
                                              f"{arrangement.installments.count()} installments.")
                    return redirect("collections:arrangement", arrangement.pk)
                plan = arrangements.plan_arrangement(account=account, **options)
            except (CollectionsError, PermissionRefused) as exc:
                _put_error(form, exc)
        if form.errors:
            status = 400
    else:
        form = ArrangementForm(initial={"past_due_amount": owed if owed > 0 else None})
    return render(request, "collections/arrangement_new.html", {
        "account": account, "form": form, "plan": plan, "owed": owed,
        "my_limit": limits.limit_for(request.user, "arrangement"),
        "open_ones": account.payment_arrangements.filter(status__in=["proposed", "active"]),
    }, status=status)


@staff_page(capability="account.view", doing="see payment arrangements")
def arrangement_detail(request, arrangement_id: int):
    arrangement = get_object_or_404(PaymentArrangement.objects.select_related("account", "account__customer",
                                                                              "created_by", "allowed_by"),
                                    pk=arrangement_id)
    return render(request, "collections/arrangement.html", {
        "arrangement": arrangement, "account": arrangement.account,
        "installments": arrangement.installments.all(), "events": arrangement.events.select_related("created_by"),
        "can_manage": permissions.has(request.user, "arrangement.manage"),
        "today": timezone.localdate()})


@staff_page(capability="arrangement.manage", doing="cancel payment arrangements")
@require_POST
def arrangement_cancel(request, arrangement_id: int):
    arrangement = get_object_or_404(PaymentArrangement, pk=arrangement_id)
    try:
        arrangements.cancel_arrangement(user=request.user, arrangement=arrangement, on=timezone.localdate(),
                                        reason=request.POST.get("reason", ""))
    except CollectionsError as exc:
        messages.error(request, f"{exc} Nothing was changed.")
    else:
        messages.success(request, f"Arrangement #{arrangement.pk} cancelled.")
    return redirect("collections:arrangement", arrangement.pk)


# --------------------------------------------------------------------------- contracts


@staff_page(capability="account.view", doing="see long-term contracts")
def contract_list(request):
    status = request.GET.get("status", "active")
    kind = request.GET.get("kind", "")
    rows = LongTermContract.objects.select_related("account", "account__customer", "premise").order_by("-pk")
    if status in LongTermContract.Status.values:
        rows = rows.filter(status=status)
    if kind in LongTermContract.Kind.values:
        rows = rows.filter(kind=kind)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "collections/contracts.html", {
        "page": page, "status": status, "kind": kind, "statuses": LongTermContract.Status.choices,
        "kinds": LongTermContract.Kind.choices})


def _premises(account: Account):
    return Premise.objects.filter(service_points__agreements__account=account).distinct().order_by("pk")


@staff_page(capability="contract.manage", doing="set up long-term contracts")
def contract_new(request, number: str):
    """Fill in, see the amortization schedule ("Show schedule"), then save ("Save contract")."""
    account = _account(number)
    premises = _premises(account)
    rows = None
    status = 200
    if request.method == "POST":
        form = ContractForm(request.POST, premises=premises)
        op = request.POST.get("op", "preview")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if op == "save":
                    contract = contracts.create_contract(
                        user=request.user, account=account, premise=premises.get(pk=data["premise"]),
                        kind=data["kind"], principal=data["principal"], annual_rate=data["annual_rate"],
                        term_months=data["term_months"], start_date=data["start_date"], made_on=data["made_on"],
                        lien_reference=data["lien_reference"], lien_recorded_on=data["lien_recorded_on"],
                        note=data["note"])
                    messages.success(request, f"Contract #{contract.pk} saved: {format_money(contract.principal)} "
                                              f"over {contract.term_months} months, "
                                              f"{format_money(contract.monthly_payment)} a month on the bill.")
                    return redirect("collections:contract", contract.pk)
                principal, rate = amortization.check_terms(principal=data["principal"],
                                                           annual_rate=data["annual_rate"],
                                                           months=data["term_months"], kind=data["kind"])
                rows = amortization.schedule(principal, rate, data["term_months"], data["start_date"])
            except amortization.AmortizationError as exc:
                form.add_error({"months": "term_months"}.get(exc.field, exc.field), str(exc))
            except (CollectionsError, PermissionRefused, LedgerError) as exc:
                _put_error(form, exc)
        if form.errors:
            status = 400
    else:
        form = ContractForm(premises=premises, initial={"premise": premises[0].pk if premises else None})
    totals = None
    if rows:
        totals = {"payments": sum(r.payment for r in rows), "interest": sum(r.interest for r in rows)}
    return render(request, "collections/contract_new.html", {
        "account": account, "form": form, "rows": rows, "totals": totals,
        "limits": [(k, amortization.TERM_LIMITS[k]) for k in amortization.TERM_LIMITS]}, status=status)


@staff_page(capability="account.view", doing="see long-term contracts")
def contract_detail(request, contract_id: int):
    contract = get_object_or_404(LongTermContract.objects.select_related("account", "account__customer", "premise",
                                                                         "created_by"), pk=contract_id)
    today = timezone.localdate()
    quote_on, quote_error = today, ""
    if request.GET.get("quote_date"):
        try:
            quote_on = date.fromisoformat(request.GET["quote_date"])
        except ValueError:
            quote_error = "Payoff date: enter a date as YYYY-MM-DD."
    quote = contracts.payoff_quote(contract, quote_on)
    schedule = contracts.current_schedule(contract)
    billed = [r for r in schedule if r.bill_id and r.bill.status != "cancelled"]
    return render(request, "collections/contract.html", {
        "contract": contract, "account": contract.account, "schedule": schedule, "quote": quote,
        "quote_on": quote_on, "quote_error": quote_error, "today": today,
        "billed_count": len(billed), "events": contract.events.select_related("created_by", "journal_entry"),
        "can_manage": permissions.has(request.user, "contract.manage"),
        "accounts_at_premise": Account.objects.filter(
            Q(agreements__service_point__premise=contract.premise) & Q(agreements__status="active")
        ).exclude(pk=contract.account_id).distinct()})


@staff_page(capability="contract.manage", doing="change long-term contracts")
@require_POST
def contract_action(request, contract_id: int):
    contract = get_object_or_404(LongTermContract, pk=contract_id)
    op = request.POST.get("op", "")
    today = timezone.localdate()
    try:
        if op == "prepay":
            amount = parse_amount(request.POST.get("amount", ""), what="Prepayment")
            contracts.prepay(user=request.user, contract=contract, amount=amount, on=today)
            messages.success(request, f"{format_money(amount)} of principal billed to the account now; the "
                                      "schedule is shortened.")
        elif op == "payoff":
            quote = contracts.pay_off(user=request.user, contract=contract, on=today)
            messages.success(request, f"Contract paid off: {format_money(quote.total)} billed to the account "
                                      f"(principal {format_money(quote.principal_outstanding)}, interest "
                                      f"{format_money(quote.interest_accrued)}).")
        elif op == "transfer":
            to = Account.objects.filter(number=request.POST.get("to_account", "").strip()).first()
            if to is None:
                raise CollectionsError("New account: there is no such account.", field="to_account")
            contracts.transfer_contract(user=request.user, contract=contract, to_account=to, on=today)
            messages.success(request, f"Contract moved with the property to account {to.number}.")
        else:
            messages.error(request, "Unknown action. Nothing was changed.")
    except (CollectionsError, ValueError, LedgerError) as exc:
        messages.error(request, f"{exc} Nothing was changed.")
    return redirect("collections:contract", contract.pk)


# --------------------------------------------------------------------------- the account's collections tab


def arrangements_panel(request, account: Account, on: date) -> dict:
    """Core's collections tab: the account's arrangements with the next installment due (2 queries)."""
    rows = list(account.payment_arrangements.order_by("-start_date", "-pk")[:6])
    upcoming: dict[int, dict] = {}
    for arrangement_id, due_date, amount, paid in ArrangementInstallment.objects.filter(
            arrangement_id__in=[a.pk for a in rows if a.status in ("proposed", "active")]).order_by(
            "arrangement_id", "sequence").values_list("arrangement_id", "due_date", "amount", "paid_amount"):
        if paid < amount and arrangement_id not in upcoming:
            upcoming[arrangement_id] = {"due_date": due_date, "left": amount - paid}
    for a in rows:
        a.next_due = upcoming.get(a.pk)
    return {"plan_arrangements": rows, "can_arrange": permissions.has(request.user, "arrangement.manage")}


def contracts_panel(request, account: Account, on: date) -> dict:
    """Core's collections tab: the contracts billed to the account (1 query)."""
    return {"plan_contracts": list(LongTermContract.objects.filter(account=account).select_related("premise")[:6]),
            "can_contract": permissions.has(request.user, "contract.manage")}
