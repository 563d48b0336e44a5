"""Long-term contracts: the receivable booked apart from service AR, installments on the
regular bill with their own GL, payoff quote and posting, prepayment that shortens,
transfer with the property, and the statute's term refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from ratepayer.billing.models import Bill, BillLine
from ratepayer.collections import amortization
from ratepayer.collections.actions import contracts
from ratepayer.collections.errors import ContractError
from ratepayer.collections.models import ContractEvent, ContractInstallment, LongTermContract
from ratepayer.customers import actions as customer_actions
from ratepayer.ledger import checks
from ratepayer.ledger.models import ARBalance, JournalEntry, JournalLine
from ratepayer.staff.models import AuditEvent
from tests.billing.test_billrun import run_cycle
from tests.collections.conftest import owe

D = Decimal


def gl_balance(number: str) -> Decimal:
    totals = JournalLine.objects.filter(gl_account__number=number).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or 0) - (totals["credit"] or 0)


def service_ar(account) -> Decimal:
    return ARBalance.objects.filter(account=account).aggregate(total=Sum("balance"))["total"] or D("0.00")


def sewer_contract(users, town, **kw):
    account = town.accounts[0]
    premise = account.agreements.first().service_point.premise
    options = {"kind": "sewer_connection", "principal": "6000.00", "annual_rate": "6", "term_months": 24,
               "start_date": date(2025, 2, 10), "made_on": date(2025, 1, 15), "lien_reference": "202501150042",
               "lien_recorded_on": date(2025, 1, 15)}
    options.update(kw)
    return contracts.create_contract(user=users["senior"], account=account, premise=premise, **options)


def test_a_sewer_connection_contract_books_143_against_271_and_leaves_service_ar_alone(users, town):
    contract = sewer_contract(users, town)
    assert contract.monthly_payment == D("265.92")  # 6000 × 0.005 / (1 − 1.005^−24) = 265.9237…
    assert contract.installments.count() == 24
    entry = JournalEntry.objects.get(idempotency_key=f"contract:{contract.pk}:created")
    assert sorted((line.gl_account.number, line.debit, line.credit) for line in entry.lines.all()) == [
        ("143", D("6000.00"), D("0.00")), ("271", D("0.00"), D("6000.00"))]
    assert service_ar(town.accounts[0]) == 0  # kept out of the service receivable, so out of aging
    assert ContractEvent.objects.get(contract=contract).kind == "created"
    assert AuditEvent.objects.filter(action="contract.created").count() == 1
    assert checks.run_all()["ok"]


def test_more_than_180_months_is_refused_with_the_statute_and_nothing_is_written(users, town):
    entries = JournalEntry.objects.count()
    with pytest.raises(ContractError, match=r"RCW 57\.08\.005\(11\)") as refused:
        sewer_contract(users, town, term_months=181)
    assert refused.value.field == "term_months"
    assert LongTermContract.objects.count() == 0 and ContractInstallment.objects.count() == 0
    assert JournalEntry.objects.count() == entries


def test_a_specialist_may_not_set_up_a_contract(users, town):
    account = town.accounts[0]
    with pytest.raises(Exception, match="not allowed to set up long-term contracts"):
        contracts.create_contract(user=users["specialist"], account=account,
                                  premise=account.agreements.first().service_point.premise, kind="sewer_connection",
                                  principal="100.00", annual_rate="5", term_months=12, start_date=date(2025, 2, 1),
                                  made_on=date(2025, 1, 1))


def test_installments_go_on_the_regular_bill_with_their_own_gl_once(users, town):
    contract = sewer_contract(users, town)
    first = contract.installments.get(number=1)
    # month 1: interest 6,000 × 0.005 = 30.00, principal 265.92 − 30.00 = 235.92
    assert (first.principal, first.interest) == (D("235.92"), D("30.00"))
    run_cycle(town.cycle, date(2025, 2, 14))  # first installment due Feb 10 ≤ period end Feb 14
    bill = Bill.objects.get(account=town.accounts[0])
    lines = {line.description: line for line in BillLine.objects.filter(segment__bill=bill, kind="contract")}
    assert {(line.amount, line.gl_account, line.segment.service) for line in lines.values()} == {
        (D("235.92"), "143", "sewer"), (D("30.00"), "419", "sewer")}
    first.refresh_from_db()
    assert first.bill_id == bill.pk and first.billed_on == bill.bill_date
    # the bill's entry moved the principal from 143 to the service receivable and earned the interest
    entry = JournalEntry.objects.get(idempotency_key=f"bill:{bill.pk}")
    credits = {line.gl_account.number: line.credit for line in entry.lines.all() if line.credit}
    assert credits["143"] == D("235.92") and credits["419"] == D("30.00")
    assert gl_balance("143") == D("6000.00") - D("235.92")
    other = Bill.objects.get(account=town.accounts[1])
    assert not BillLine.objects.filter(segment__bill=other, kind="contract").exists()
    # the same period again bills nothing; the next period bills installment 2 only
    run_cycle(town.cycle, date(2025, 2, 14))
    run_cycle(town.cycle, date(2025, 3, 14))
    assert BillLine.objects.filter(kind="contract").count() == 4
    assert list(contract.installments.filter(bill__isnull=False).values_list("number", flat=True)) == [1, 2]
    assert checks.run_all()["ok"]


def test_payoff_quote_and_payoff_bill_the_rest_and_close_the_contract(users, town):
    contract = sewer_contract(users, town)
    run_cycle(town.cycle, date(2025, 2, 14))
    quote = contracts.payoff_quote(contract, date(2025, 3, 2))
    # principal left after installment 1: 6,000.00 − 235.92 = 5,764.08;
    # interest since Feb 10, 20 days: 5,764.08 × 6 % × 20 / 365 = 18.9504… → 18.95
    assert (quote.principal_outstanding, quote.interest_accrued, quote.interest_since) == (
        D("5764.08"), D("18.95"), date(2025, 2, 10))
    ar_before = service_ar(town.accounts[0])
    contracts.pay_off(user=users["senior"], contract=contract, on=date(2025, 3, 2))
    contract.refresh_from_db()
    assert contract.status == "paid_off" and contract.ended_on == date(2025, 3, 2)
    assert service_ar(town.accounts[0]) == ar_before + D("5764.08") + D("18.95")
    assert gl_balance("143") == 0
    assert not contract.installments.filter(bill__isnull=True, replaced=False).exists()
    run_cycle(town.cycle, date(2025, 3, 14))
    assert BillLine.objects.filter(kind="contract").count() == 2  # nothing more is billed
    with pytest.raises(ContractError, match="paid off"):
        contracts.pay_off(user=users["senior"], contract=contract, on=date(2025, 3, 3))
    assert checks.run_all()["ok"]


def test_a_prepayment_bills_principal_now_and_shortens_the_term(users, town):
    contract = sewer_contract(users, town)
    contracts.prepay(user=users["senior"], contract=contract, amount="2000.00", on=date(2025, 1, 20))
    contract.refresh_from_db()
    assert contract.revision == 2 and contract.monthly_payment == D("265.92")
    current = list(contract.installments.filter(revision=2).order_by("number"))
    expected = amortization.schedule(D("4000.00"), D("6"), 24, date(2025, 2, 10), payment=D("265.92"))
    assert [(r.number, r.payment, r.principal) for r in current] == [
        (e.number, e.payment, e.principal) for e in expected]
    assert len(current) < 24 and sum(r.principal for r in current) == D("4000.00")
    assert contract.installments.filter(revision=1, replaced=True).count() == 24
    assert service_ar(town.accounts[0]) == D("2000.00")
    assert gl_balance("143") == D("4000.00")
    with pytest.raises(ContractError, match="use the payoff"):
        contracts.prepay(user=users["senior"], contract=contract, amount="4000.00", on=date(2025, 1, 21))
    assert checks.run_all()["ok"]


def test_a_past_due_contract_moves_the_balance_off_the_service_receivable(users, town):
    account = town.accounts[1]
    owe(account, town.agreements[account.pk]["water"], "1200.00")
    premise = account.agreements.first().service_point.premise
    with pytest.raises(ContractError, match="owes \\$1,200.00"):
        contracts.create_contract(user=users["senior"], account=account, premise=premise, kind="past_due",
                                  principal="1200.01", annual_rate="0", term_months=12, start_date=date(2025, 2, 10),
                                  made_on=date(2025, 1, 15))
    contracts.create_contract(user=users["senior"], account=account, premise=premise, kind="past_due",
                              principal="1200.00", annual_rate="0", term_months=12, start_date=date(2025, 2, 10),
                              made_on=date(2025, 1, 15))
    assert service_ar(account) == 0 and gl_balance("143") == D("1200.00")
    assert checks.run_all()["ok"]


def test_the_contract_goes_with_the_property(users, town):
    contract = sewer_contract(users, town)
    seller = town.accounts[0]
    premise = contract.premise
    customer = customer_actions.create_customer(user=users["specialist"], name="New Owner")
    buyer = customer_actions.open_account(user=users["specialist"], customer=customer, mailing_line1="100 Main St",
                                          mailing_city="Monroe", mailing_zip="98272", opened_on=date(2025, 3, 1))
    with pytest.raises(ContractError, match="goes with the property"):
        contracts.transfer_contract(user=users["senior"], contract=contract, to_account=buyer, on=date(2025, 3, 1))
    sewer = town.agreements[seller.pk]["sewer"]
    customer_actions.stop_service(user=users["specialist"], agreement=sewer, end_date=date(2025, 2, 28))
    customer_actions.start_service(user=users["specialist"], account=buyer, service_point=sewer.service_point,
                                   rate_schedule=sewer.rate_schedule, customer_class="residential",
                                   bill_cycle=town.cycle, start_date=date(2025, 3, 1))
    contracts.transfer_contract(user=users["senior"], contract=contract, to_account=buyer, on=date(2025, 3, 1))
    contract.refresh_from_db()
    assert contract.account == buyer and contract.premise == premise
    assert AuditEvent.objects.filter(action="contract.transferred", account_id=buyer.pk).count() == 1


def test_billing_the_last_installment_completes_the_contract(users, town):
    contract = sewer_contract(users, town, principal="300.00", term_months=2, start_date=date(2025, 2, 10))
    run_cycle(town.cycle, date(2025, 2, 14))
    contract.refresh_from_db()
    assert contract.status == "active"
    run_cycle(town.cycle, date(2025, 3, 14))
    contract.refresh_from_db()
    assert contract.status == "paid_off" and gl_balance("143") == 0
    assert contract.events.filter(kind="completed").count() == 1
    assert checks.run_all()["ok"]


def test_an_installment_line_reads_in_the_customers_language():
    from django.utils import translation

    from ratepayer.billing.line_text import translate_description

    with translation.override("es"):
        assert translate_description("Sewer connection charge #4, installment 7: interest", str) == \
            "Cargo de conexión al alcantarillado n.º 4, cuota 7: intereses"
    with translation.override("ru"):
        assert translate_description("Conservation loan #2, installment 12: principal", str) == \
            "Заём на энергосбережение № 2, взнос 12: основной долг"
