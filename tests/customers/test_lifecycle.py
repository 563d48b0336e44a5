"""A customer's life in the customers actions, with real metering and billing
behind the hooks: new construction (premise → service point → meter with its
first read), a new customer and account, start of service with a move-in read
that metering holds, and closing the account with the final bill, after which
the ledger checks pass."""

from datetime import date
from decimal import Decimal

from django.core.management import call_command

from ratepayer.billing.models import Bill
from ratepayer.customers import actions
from ratepayer.customers.models import Account, AgreementEvent
from ratepayer.customers.queries import account_changes, search_account_ids
from ratepayer.demo.sample_rates import install_sample_rates
from ratepayer.ledger import checks
from ratepayer.ledger.models import JournalLine
from ratepayer.metering.models import RegisterRead


def test_new_construction_move_in_and_close_with_the_final_bill(utility, users):
    user = users["specialist"]
    rates = install_sample_rates()
    premise = actions.create_premise(user=user, line1="77 New Rd", city="Monroe", zip="98272",
                                     parcel_number="2805-000-001-0000", services=["electric"])
    point = premise.service_points.get()
    extra = actions.add_service_point(user=user, premise=premise, service="water")
    installation = actions.install_new_meter(user=user, service_point=point, serial_number="E77001",
                                             installed_on=date(2025, 1, 2), first_read="10")
    assert installation.meter.unit == "kWh" and installation.install_read == Decimal("10")
    first = RegisterRead.objects.get(meter=installation.meter)
    assert (first.read_date, first.value, first.read_type) == (date(2025, 1, 2), Decimal("10"), "meter_in")

    account = actions.open_customer_account(
        user=user, first_name="Ana", last_name="Reyes", phone="(360) 555-0101", email="ana@example.com",
        language="es", mailing_line1="PO Box 9", mailing_city="Monroe", mailing_zip="98272",
        bill_delivery="email", opened_on=date(2025, 1, 10))
    assert search_account_ids("ana reyes") == [account.pk]
    agreement = actions.start_service(user=user, account=account, service_point=point,
                                      rate_schedule=rates["RES-E"], customer_class="residential",
                                      bill_cycle=utility.cycle, start_date=date(2025, 1, 10), move_in_read="150")
    move_in = RegisterRead.objects.get(meter=installation.meter, read_date=date(2025, 1, 10))
    assert move_in.value == Decimal("150") and move_in.status == "valid" and move_in.read_type == "actual"
    assert AgreementEvent.objects.get(agreement=agreement).kind == "start"
    assert extra.service == "water"

    account, bill = actions.close_account(user=user, account=account, closed_on=date(2025, 2, 9),
                                          final_reads={agreement.pk: "850"}, note="moved away")
    assert account.status == Account.Status.CLOSED and account.closed_on == date(2025, 2, 9)
    agreement.refresh_from_db()
    assert agreement.status == "ended" and agreement.end_date == date(2025, 2, 9)
    final = RegisterRead.objects.get(meter=installation.meter, read_date=date(2025, 2, 9))
    assert final.read_type == "final" and final.value == Decimal("850")
    assert isinstance(bill, Bill) and bill.status == "issued", getattr(bill, "hold_reasons", None)
    assert bill.period_end == date(2025, 2, 9) and bill.current_charges > 0
    assert JournalLine.objects.filter(entry__source_type="billing.bill", entry__source_id=bill.pk).exists()
    result = checks.run_all()
    assert result["ok"], [c for c in result["checks"] if not c["ok"]]
    call_command("ledger", "check")
    rows = account_changes(account, [])
    assert {"Account opened", "Customer created", "Service started", "Service stopped", "Account closed",
            "Final bill"} <= {r.what for r in rows}
    final = next(r for r in rows if r.what == "Final bill")
    # the bill by its date, never its row id; money as money
    assert final.fields == [("status", "—", "issued"), ("current charges", "—", f"${bill.current_charges}")]
    assert str(bill.bill_date) in final.summary and f"bill {bill.pk} " not in final.summary
