"""Counter payments: application order, tenders, receipts, refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from ratepayer.ledger.models import JournalEntry, JournalLine
from ratepayer.outbox import actions as outbox
from ratepayer.payments import actions, queries
from ratepayer.payments.errors import PaymentError
from ratepayer.payments.models import Payment, PaymentApplication, PaymentPolicy
from ratepayer.staff.errors import PermissionRefused
from tests.payments.conftest import assert_ledger_ok, balance, charge

D = Decimal


@pytest.fixture
def charges(utility):
    charge(utility.electric, "50.00", date(2025, 1, 31))
    charge(utility.water, "30.00", date(2025, 1, 15))
    charge(utility.electric, "40.00", date(2025, 2, 28))
    return utility


def applied(payment):
    return {a.agreement_id: a.amount for a in payment.applications.all()}


def test_cash_payment_pays_oldest_charges_first_and_posts_in_the_same_transaction(users, charges, drawer):
    u = charges
    payment = actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="cash",
                                   amount="100.00", tendered="120.00")
    assert payment.change_given == D("20.00") and payment.tendered == D("120.00")
    # water's Jan 15 charge, electric's Jan 31 charge, then 20.00 of electric's Feb 28 charge
    assert applied(payment) == {u.water.pk: D("30.00"), u.electric.pk: D("70.00")}
    assert balance(u.electric) == D("20.00") and balance(u.water) == D("0.00")
    lines = {(line.gl_account.number, line.agreement_id): (line.debit, line.credit)
             for line in payment.journal_entry.lines.select_related("gl_account")}
    assert lines == {("131.1", None): (D("100.00"), D("0")), ("142", u.water.pk): (D("0"), D("30.00")),
                     ("142", u.electric.pk): (D("0"), D("70.00"))}
    assert payment.journal_entry.event == "payment"
    assert_ledger_ok()


def test_service_priority_order_pays_the_first_service_first(users, charges, drawer):
    u = charges
    PaymentPolicy.objects.create(effective_from=date(2025, 1, 1), application_order="service_priority",
                                 service_priority="water,electric")
    payment = actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="cash",
                                   amount="40.00")
    assert applied(payment) == {u.water.pk: D("30.00"), u.electric.pk: D("10.00")}
    assert PaymentApplication.objects.get(payment=payment, agreement=u.electric).oldest_charge_on == date(2025, 1, 31)


def test_partial_payment_and_overpayment_leaves_a_credit_balance(users, charges, drawer):
    u = charges
    actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="cash", amount="10.00")
    assert balance(u.water) == D("20.00") and balance(u.electric) == D("90.00")
    over = actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="money_order",
                                amount="150.00", check_number="778812")
    # everything owed is paid; the 40.00 extra is a credit on the first service by priority (electric)
    assert applied(over) == {u.water.pk: D("20.00"), u.electric.pk: D("130.00")}
    assert balance(u.electric) == D("-40.00") and balance(u.water) == D("0.00")
    assert queries.account_balance(u.account.pk) == D("-40.00")
    assert_ledger_ok()


def test_check_and_card_keep_only_what_they_may(users, charges, drawer):
    u = charges
    check = actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="check",
                                 amount="25.00", check_number="1042", check_routing="021000021", payer_name="Jane Doe")
    assert (check.check_number, check.check_routing, check.payer_name) == ("1042", "021000021", "Jane Doe")
    card = actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="card",
                                amount="12.00", card_brand="Visa", card_last4="4242", processor_reference="AUTH-88812")
    assert card.external_reference == "card:AUTH-88812" and card.card_last4 == "4242"
    with pytest.raises(PaymentError, match="already recorded"):
        actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="card",
                             amount="12.00", card_brand="Visa", card_last4="4242", processor_reference="AUTH-88812")


@pytest.mark.parametrize("kwargs, message", [
    ({"tender": "check", "amount": "10.00", "check_number": "1", "check_routing": "021000022", "payer_name": "J"},
     "Routing number"),
    ({"tender": "check", "amount": "10.00", "check_number": "", "check_routing": "021000021", "payer_name": "J"},
     "Check number"),
    ({"tender": "card", "amount": "10.00", "card_brand": "Visa", "card_last4": "4242",
      "processor_reference": "4242 4242 4242 4242"}, "card or bank account number"),
    ({"tender": "card", "amount": "10.00", "card_brand": "Visa", "card_last4": "42", "processor_reference": "A1"},
     "Last four"),
    ({"tender": "cash", "amount": "10.00", "tendered": "5.00"}, "less than the payment"),
    ({"tender": "cash", "amount": "0"}, "more than zero"),
    ({"tender": "cash", "amount": "10.001"}, "fractions of a cent"),
    ({"tender": "cash", "amount": "ten"}, "not an amount"),
    ({"tender": "ach", "amount": "10.00"}, "not taken at the counter"),
])
def test_bad_input_is_refused_and_changes_nothing(users, charges, drawer, kwargs, message):
    entries = JournalEntry.objects.count()
    with pytest.raises(PaymentError, match=message):
        actions.take_payment(user=users["assistant"], session=drawer, account=charges.account, **kwargs)
    assert Payment.objects.count() == 0 and JournalEntry.objects.count() == entries


def test_a_role_without_payment_taking_is_refused_and_nothing_changes(users, charges, drawer):
    for name in ("auditor", "kam"):
        with pytest.raises(PermissionRefused):
            actions.open_drawer(user=users[name])
        with pytest.raises(PermissionRefused):
            actions.take_payment(user=users[name], session=drawer, account=charges.account, tender="cash",
                                 amount="5.00")
    with pytest.raises(PaymentError, match="your own cash drawer"):
        actions.take_payment(user=users["specialist"], session=drawer, account=charges.account, tender="cash",
                             amount="5.00")
    assert Payment.objects.count() == 0
    assert not JournalLine.objects.filter(gl_account__number="131.1").exists()


def test_a_resubmitted_form_is_not_posted_twice(users, charges, drawer):
    first = actions.take_payment(user=users["assistant"], session=drawer, account=charges.account, tender="cash",
                                 amount="5.00", token="f0c1d2")
    with pytest.raises(PaymentError, match=first.receipt_number):
        actions.take_payment(user=users["assistant"], session=drawer, account=charges.account, tender="cash",
                             amount="5.00", token="f0c1d2")
    assert Payment.objects.count() == 1


def test_closed_account_follows_policy(users, charges, drawer):
    u = charges
    u.account.status = "closed"
    u.account.closed_on = date(2025, 3, 1)
    u.account.save()
    PaymentPolicy.objects.create(effective_from=date(2025, 1, 1), closed_account_handling="suspense")
    with pytest.raises(PaymentError, match="closed"):
        actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="cash", amount="5.00")
    PaymentPolicy.objects.create(effective_from=date(2025, 2, 1), closed_account_handling="apply")
    payment = actions.take_payment(user=users["assistant"], session=drawer, account=u.account, tender="cash",
                                   amount="5.00")
    assert payment.account_id == u.account.pk


def test_receipt_by_email_and_find_by_scan_line(users, charges, drawer):
    from ratepayer.formats import scanline

    payment = actions.take_payment(user=users["assistant"], session=drawer, account=charges.account, tender="cash",
                                   amount="20.00")
    actions.email_receipt(user=users["assistant"], payment=payment, to="jane.doe@example.com")
    assert outbox.deliver_due() == {"sent": 1}  # a worker sends it after commit
    assert mail.outbox[-1].subject == f"Payment receipt {payment.receipt_number}"
    assert "$20.00" in mail.outbox[-1].body and charges.account.number in mail.outbox[-1].body
    line = scanline.build(charges.account.number, D("100.00"), date(2025, 3, 20))
    assert queries.find_account(line) == charges.account
    assert queries.find_account(charges.account.number) == charges.account
    assert queries.find_account(line[:-1] + str((int(line[-1]) + 1) % 10)) is None


def test_misapplied_payment_is_transferred_with_a_linked_reversal(users, charges, drawer, utility):
    from ratepayer.customers import actions as customer_actions

    customer = customer_actions.create_customer(user=users["specialist"], name="John Roe")
    account2 = customer_actions.open_account(user=users["specialist"], customer=customer, mailing_line1="9 Elm St",
                                             mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
    premise = customer_actions.create_premise(user=users["specialist"], line1="9 Elm St", city="Everett",
                                              zip="98201", services=["water"])
    water2 = customer_actions.start_service(user=users["specialist"], account=account2,
                                            service_point=premise.service_points.get(), rate_schedule=utility.water.rate_schedule,
                                            customer_class="residential", bill_cycle=utility.cycle,
                                            start_date=date(2024, 1, 2))
    charge(water2, "60.00", date(2025, 2, 1))
    wrong = actions.take_payment(user=users["assistant"], session=drawer, account=charges.account, tender="cash",
                                 amount="60.00")
    with pytest.raises(PermissionRefused):
        actions.transfer_payment(user=users["assistant"], payment=wrong, to_account=account2, reason="wrong acct")
    moved = actions.transfer_payment(user=users["specialist"], payment=wrong, to_account=account2,
                                     reason="customer gave the neighbour's bill", on=date(2025, 3, 4))
    wrong.refresh_from_db()
    assert wrong.status == "reversed" and wrong.reversal_entry.reverses_id == wrong.journal_entry_id
    assert moved.transferred_from_id == wrong.pk and moved.amount == D("60.00")
    assert balance(water2) == D("0.00")
    assert balance(charges.electric) == D("90.00") and balance(charges.water) == D("30.00")
    with pytest.raises(PaymentError, match="only a posted payment"):
        actions.transfer_payment(user=users["specialist"], payment=wrong, to_account=account2, reason="again")
    assert_ledger_ok()
