"""Builders for the collections backbone's tests: issued bills posted to the
ledger the way a bill run posts them (entry source billing.bill), payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ratepayer.billing.models import Bill
from ratepayer.ledger.actions import Line, post


def issue_bill(account, amounts: dict, bill_date: date, due_date: date) -> Bill:
    """A bill of ``amounts`` {agreement: Decimal}, posted Dr 142 / Cr revenue."""
    total = sum(amounts.values(), Decimal("0"))
    bill = Bill.objects.create(account=account, period_start=bill_date.replace(day=1), period_end=bill_date,
                               bill_date=bill_date, due_date=due_date, status="issued", current_charges=total,
                               amount_due=total)
    lines = []
    for agreement, amount in amounts.items():
        revenue = {"electric": "440", "water": "461.1", "sewer": "521.1"}[agreement.service]
        lines += [Line("142", debit=amount, account_id=account.pk, agreement_id=agreement.pk),
                  Line(revenue, credit=amount)]
    post(event="bill_charge", effective_date=bill_date, description=f"bill {bill.pk}", lines=lines,
         source_type="billing.bill", source_id=bill.pk, idempotency_key=bill.idempotency_key)
    return bill


def pay(account, agreement, amount: Decimal, on: date):
    return post(event="payment", effective_date=on, description="payment",
                lines=[Line("131.1", debit=amount),
                       Line("142", credit=amount, account_id=account.pk, agreement_id=agreement.pk)])


def many_accounts(count: int, *, start: int = 0, customer_class: str = "commercial") -> list:
    """``count`` accounts, each with electric and water at its own premise
    (ORM bulk rows: the job's tests need many accounts, not the actions' checks)."""
    from ratepayer.customers.models import (
        Account,
        BillCycle,
        Customer,
        Premise,
        ServiceAgreement,
        ServicePoint,
    )
    from tests.factories import rate_schedule

    cycle, _ = BillCycle.objects.get_or_create(code="09", defaults={"name": "Cycle 09", "read_day": 9})
    schedules = {"electric": rate_schedule("E-7", "electric"), "water": rate_schedule("W-RES", "water")}
    customers = Customer.objects.bulk_create([Customer(name=f"Customer {start + i}", last_name=f"C{start + i}")
                                              for i in range(count)])
    accounts = Account.objects.bulk_create([
        Account(number=f"9{start + i:07d}", customer=c, mailing_line1=f"{i} Main St", mailing_city="Everett",
                mailing_zip="98201", opened_on=date(2024, 1, 1)) for i, c in enumerate(customers)])
    premises = Premise.objects.bulk_create([Premise(line1=f"{start + i} Main St", city="Everett", zip="98201")
                                            for i in range(count)])
    points = ServicePoint.objects.bulk_create([ServicePoint(premise=p, service=s) for p in premises
                                               for s in ("electric", "water")])
    agreements = ServiceAgreement.objects.bulk_create([
        ServiceAgreement(account=accounts[i // 2], service_point=point, service=point.service,
                         rate_schedule=schedules[point.service], customer_class=customer_class, bill_cycle=cycle,
                         start_date=date(2024, 1, 1)) for i, point in enumerate(points)])
    return [(accounts[i], agreements[2 * i], agreements[2 * i + 1]) for i in range(count)]
