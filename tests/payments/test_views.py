"""Payments console pages through Django's test client: every page renders
for the roles that use it, refused roles get a 403 and change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from ratepayer.payments import actions
from ratepayer.payments.models import DrawerSession, ImportedFile, Payment
from tests.factories import PASSWORD
from tests.payments.conftest import charge
from tests.payments.helpers import bai2_file, lockbox_file, stub

D = Decimal

PAGES = ["cashier", "drawers", "files", "suspense", "returns", "reconciliation", "autopay", "refunds", "reports",
         "security_deposits", "represent", "phone", "unclaimed", "unclaimed_csv"]
MANAGE = {"files", "suspense", "returns", "reconciliation", "autopay", "refunds", "represent", "phone", "unclaimed",
          "unclaimed_csv"}


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production settings redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def client_for(client, users, name):
    client.logout()
    client.login(username=users[name].username, password=PASSWORD)
    return client


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_for_a_specialist(client, users, utility, page):
    charge(utility.electric, "10.00", date(2025, 2, 1))
    c = client_for(client, users, "specialist")
    response = c.get(reverse(f"payments:{page}"))
    assert response.status_code == 200, page


@pytest.mark.parametrize("page", PAGES)
def test_auditor_is_refused(client, users, page):
    response = client_for(client, users, "auditor").get(reverse(f"payments:{page}"))
    assert response.status_code == 403 and b"not allowed" in response.content


def test_assistant_takes_payments_but_not_files(client, users):
    c = client_for(client, users, "assistant")
    for page in PAGES:
        assert c.get(reverse(f"payments:{page}")).status_code == (403 if page in MANAGE else 200), page


def test_counter_flow_through_the_pages(client, users, utility):
    charge(utility.electric, "80.00", date(2025, 2, 1))
    c = client_for(client, users, "assistant")
    c.post(reverse("payments:drawer_open"), {"opening_float": "50.00"})
    session = DrawerSession.objects.get()
    page = c.get(reverse("payments:cashier"), {"q": utility.account.number})
    assert b"Take payment" in page.content and b"$80.00" in page.content
    token = page.context["token"]
    form = {"account": utility.account.number, "tender": "cash", "amount": "80.00", "tendered": "100.00",
            "token": token}
    response = c.post(reverse("payments:take"), form)
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:receipt", args=[payment.pk])
    receipt = c.get(response["Location"])
    assert b"$20.00" in receipt.content and payment.receipt_number.encode() in receipt.content
    again = c.post(reverse("payments:take"), form, follow=True)
    assert b"already recorded" in again.content and Payment.objects.count() == 1
    bad = c.post(reverse("payments:take"), {**form, "token": "x2", "tender": "check", "check_routing": "1"},
                 follow=True)
    assert b"Check number" in bad.content and Payment.objects.count() == 1
    cash = {f"d_{d}": "0" for d in ["100.00", "50.00", "20.00", "10.00", "5.00", "2.00", "1.00", "0.50", "0.25",
                                      "0.10", "0.05", "0.01"]}
    cash.update({"d_100.00": "1", "d_20.00": "1", "d_10.00": "1"})
    c.post(reverse("payments:drawer_close", args=[session.pk]), {**cash, "checks": ""})
    session.refresh_from_db()
    assert session.status == "closed" and session.variance == 0
    response = c.post(reverse("payments:deposit_create"), {"session": [session.pk]})
    slip = c.get(response["Location"])
    assert b"Deposit slip" in slip.content and b"$80.00" in slip.content


def test_files_page_imports_and_refuses(client, users, utility):
    from django.core.files.uploadedfile import SimpleUploadedFile

    charge(utility.electric, "80.00", date(2025, 2, 1))
    c = client_for(client, users, "specialist")
    content = lockbox_file([("80.00", "7", [stub(utility.account.number, "80.00")])])
    response = c.post(reverse("payments:file_upload", args=["lockbox"]),
                      {"file": SimpleUploadedFile("lbx.txt", content)}, follow=True)
    assert b"lbx.txt imported" in response.content
    response = c.post(reverse("payments:file_upload", args=["lockbox"]),
                      {"file": SimpleUploadedFile("lbx.txt", content)}, follow=True)
    assert b"already imported" in response.content and ImportedFile.objects.count() == 1
    statement = bai2_file(date(2025, 3, 5), [("115", "80.00", "L1", "LOCKBOX")])
    response = c.post(reverse("payments:file_upload", args=["bank"]),
                      {"file": SimpleUploadedFile("bai.txt", statement)}, follow=True)
    assert b"Matched" in response.content


def test_a_refused_post_changes_nothing(client, users, utility):
    charge(utility.electric, "80.00", date(2025, 2, 1))
    actions.open_drawer(user=users["assistant"])
    c = client_for(client, users, "auditor")
    response = c.post(reverse("payments:take"), {"account": utility.account.number, "tender": "cash",
                                                 "amount": "5.00"})
    assert response.status_code in (302, 403)
    assert not Payment.objects.exists()
    c = client_for(client, users, "assistant")
    response = c.post(reverse("payments:refunds"), {"account": utility.account.number, "amount": "1.00"})
    assert response.status_code == 403


def test_uncashed_refunds_move_to_unclaimed_from_the_page(client, users, utility, drawer):
    from datetime import timedelta

    from ratepayer.payments.models import Refund

    charge(utility.electric, "10.00", date(2025, 2, 1))
    actions.take_payment(user=users["assistant"], session=drawer, account=utility.account, tender="cash",
                         amount="60.00")
    refund = actions.request_refund(user=users["specialist"], agreement=utility.electric, amount="50.00",
                                    method="check", payee="Jane Doe", payee_address="1204 Pine St",
                                    reason="overpayment")
    Refund.objects.filter(pk=refund.pk).update(issued_on=refund.issued_on - timedelta(days=400))
    c = client_for(client, users, "specialist")
    assert b"Move to unclaimed property" in c.get(reverse("payments:refunds")).content
    page = c.post(reverse("payments:refunds_unclaimed"), follow=True)
    assert b"1 uncashed refund check(s) moved" in page.content
    assert Refund.objects.get().status == "unclaimed"


def test_security_deposit_pages_take_a_deposit_and_refuse_an_assistant_release(client, users, utility, drawer):
    from ratepayer.payments.models import SecurityDeposit, SecurityDepositEntry

    c = client_for(client, users, "specialist")
    c.post(reverse("payments:security_deposits"), {"op": "require", "account": utility.account.number,
                                                   "amount": "150.00", "reason": "no credit history"})
    deposit = SecurityDeposit.objects.get()
    c = client_for(client, users, "assistant")
    page = c.get(reverse("payments:security_deposits"))
    assert b"Take deposit" in page.content and b"Require deposit" not in page.content
    response = c.post(reverse("payments:security_deposits"), {
        "op": "receive", "deposit": deposit.pk, "tender": "cash", "amount": "150.00", "token": "tok1"}, follow=True)
    assert b"held, not paid on the bill" in response.content
    response = c.post(reverse("payments:security_deposits"), {"op": "release", "deposit": deposit.pk,
                                                              "reason": "good payment"})
    assert response.status_code == 403
    deposit.refresh_from_db()
    assert deposit.status == "held" and SecurityDepositEntry.objects.count() == 1
    panel = c.get(reverse("payments:account_deposit", args=[utility.account.number]))
    assert b"$150.00" in panel.content and b"Held" in panel.content


def test_phone_page_imports_and_names_bad_rows(client, users, utility):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(client, users, "specialist")
    good = (f"settlement_date,transaction_id,account,amount,card_brand,last4\n2025-03-04,T1,"
            f"{utility.account.number},20.00,VISA,4242\nTRAILER,1,20.00\n").encode()
    response = c.post(reverse("payments:phone"), {"file": SimpleUploadedFile("ivr.csv", good)}, follow=True)
    assert b"ivr.csv imported" in response.content and b"Visa \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa24242" \
        in response.content
    bad = b"settlement_date,transaction_id,account,amount,card_brand,last4\n2025-03-04,T2,1,x,VISA,4242\nTRAILER,1,0.00\n"
    response = c.post(reverse("payments:phone"), {"file": SimpleUploadedFile("bad.csv", bad)}, follow=True)
    assert b"line 2: amount" in response.content and ImportedFile.objects.count() == 1


def test_unclaimed_page_and_csv_export(client, users, utility, drawer):
    from datetime import timedelta

    from ratepayer.payments.models import Refund

    actions.take_payment(user=users["assistant"], session=drawer, account=utility.account, tender="cash",
                         amount="60.00")
    refund = actions.request_refund(user=users["specialist"], agreement=utility.electric, amount="50.00",
                                    method="check", payee="Jane Doe", payee_address="1204 Pine St",
                                    reason="overpayment")
    Refund.objects.filter(pk=refund.pk).update(issued_on=refund.issued_on - timedelta(days=400))
    c = client_for(client, users, "assistant")
    assert c.post(reverse("payments:unclaimed")).status_code == 403
    assert Refund.objects.get().status == "issued"
    c = client_for(client, users, "specialist")
    c.post(reverse("payments:unclaimed"))
    year = Refund.objects.get().unclaimed_on.year + (1 if Refund.objects.get().unclaimed_on.month > 6 else 0)
    page = c.get(reverse("payments:unclaimed"), {"year": year})
    assert b"Jane Doe" in page.content and b"UT03" in page.content
    csv = c.get(reverse("payments:unclaimed_csv"), {"year": year})
    assert csv["Content-Type"] == "text/csv" and b"Jane Doe,1204 Pine St,50.00," in csv.content
