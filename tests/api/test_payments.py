"""Payments endpoints: the counter, files, suspense, returns, reconciliation, autopay,
refunds, security deposits and re-presentment — each the console's action."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ratepayer.ledger import checks
from ratepayer.payments import actions
from ratepayer.payments.models import (
    AchEntry,
    AutopayEnrollment,
    BankLine,
    Deposit,
    DrawerSession,
    ImportedFile,
    Payment,
    Refund,
    Representment,
    ReturnedPayment,
    SecurityDeposit,
    SuspenseItem,
)
from tests.formats import samples
from tests.payments.conftest import balance, charge
from tests.payments.helpers import return_file, second_account

D = Decimal


def _file(name: str, content: bytes):
    return {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")}


def _ledger_ok():
    result = checks.run_all()
    assert result["ok"], [c for c in result["checks"] if not c["ok"]]


def _cash(api, token, account, amount="120.00"):
    response = api.post("/api/v1/payments", token, {"account": account.number, "tender": "cash", "amount": amount,
                                                    "tendered": amount})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_counter_day_open_take_receipt_close_deposit(api, utility, tokens, users):
    opened = api.post("/api/v1/drawers", tokens["assistant"], {"opening_float": "0.00"})
    assert opened.status_code == 201, opened.content
    drawer_id = opened.json()["id"]
    payment = _cash(api, tokens["assistant"], utility.account)
    assert payment["receipt_number"] and payment["status"] == "posted"
    assert balance(utility.electric) + balance(utility.water) == D("-120.00")
    emailed = api.post(f"/api/v1/payments/{payment['id']}/receipt-email", tokens["assistant"],
                       {"email": "jane.doe@example.com"})
    assert emailed.status_code == 200, emailed.content
    closed = api.post(f"/api/v1/drawers/{drawer_id}/close", tokens["assistant"],
                      {"cash_count": {"100": 1, "20": 1}, "check_amounts": []})
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed" and D(closed.json()["variance"]) == 0
    deposit = api.post("/api/v1/deposits", tokens["assistant"], {"drawers": [drawer_id]})
    assert deposit.status_code == 201, deposit.content
    assert D(deposit.json()[0]["amount"]) == D("120.00")
    _ledger_ok()


def test_a_payment_without_an_open_drawer_is_refused(api, utility, tokens, unchanged):
    with unchanged():
        response = api.post("/api/v1/payments", tokens["assistant"],
                            {"account": utility.account.number, "tender": "cash", "amount": "5.00"})
    assert response.status_code == 409 and response.json()["code"] == "drawer_not_open"


def test_the_same_key_takes_a_payment_once(api, utility, tokens):
    api.post("/api/v1/drawers", tokens["assistant"], {})
    body = {"account": utility.account.number, "tender": "cash", "amount": "5.00"}
    first = api.post("/api/v1/payments", tokens["assistant"], body, key="pay-1")
    again = api.post("/api/v1/payments", tokens["assistant"], body, key="pay-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Payment.objects.count() == 1


def test_transfer_a_payment_to_another_account(api, utility, tokens, users):
    other, water2 = second_account(users["specialist"], utility)
    api.post("/api/v1/drawers", tokens["specialist"], {})
    payment = _cash(api, tokens["specialist"], utility.account, "40.00")
    moved = api.post(f"/api/v1/payments/{payment['id']}/transfer", tokens["specialist"],
                     {"to_account": other.number, "reason": "paid on the wrong account"})
    assert moved.status_code == 201, moved.content
    assert moved.json()["account"] == other.number
    assert balance(water2) == D("-40.00")
    _ledger_ok()


def test_lockbox_file_with_an_unknown_stub_goes_to_suspense_and_is_applied(api, utility, tokens):
    response = api.post("/api/v1/payment-files/lockbox", tokens["specialist"],
                        files=_file("lbx.csv", samples.lockbox_csv([utility.account.number, "99999999"])))
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "lockbox" and response.json()["item_count"] == 5
    item = SuspenseItem.objects.filter(status="open").first()
    assert item is not None
    listed = api.get("/api/v1/suspense", tokens["specialist"])
    assert listed.status_code == 200, listed.content
    open_items = list(SuspenseItem.objects.filter(status="open").order_by("received_on", "pk"))
    assert [row["id"] for row in listed.json()["items"]] == [i.pk for i in open_items]
    first = listed.json()["items"][0]
    assert first["amount"] == str(open_items[0].amount) and first["file"] == "lbx.csv"
    assert api.get("/api/v1/suspense", tokens["assistant"]).status_code == 403
    assert api.get("/api/v1/suspense", tokens["specialist"], status="lost").json()["code"] == "payment_refused"
    applied = api.post(f"/api/v1/suspense/{item.pk}/apply", tokens["specialist"],
                       {"account": utility.account.number, "note": "customer called"})
    assert applied.status_code == 201, applied.content
    assert SuspenseItem.objects.get(pk=item.pk).status != "open"
    assert item.pk not in [row["id"] for row in api.get("/api/v1/suspense", tokens["specialist"]).json()["items"]]
    assert [row["id"] for row in api.get("/api/v1/suspense", tokens["specialist"], status="applied")
            .json()["items"]] == [item.pk]
    _ledger_ok()


def test_a_damaged_lockbox_file_is_refused_whole(api, utility, tokens, unchanged):
    content = samples.lockbox_csv([utility.account.number])[:-30]
    with unchanged():
        response = api.post("/api/v1/payment-files/lockbox", tokens["specialist"], files=_file("cut.csv", content))
    assert response.status_code == 400 and response.json()["code"] == "file_refused"
    assert response.json()["detail"]


def test_ach_returns_file_and_a_returned_item_matched_to_its_receipt(api, utility, tokens):
    response = api.post("/api/v1/payment-files/ach-returns", tokens["specialist"],
                        files=_file("returns.ach", samples.nacha_returns()))
    assert response.status_code == 201, response.content
    returned = ReturnedPayment.objects.filter(status="unmatched", amount=D("80.00")).first()
    assert returned is not None
    listed = api.get("/api/v1/returned-payments", tokens["specialist"], status="unmatched", limit=1)
    assert listed.status_code == 200, listed.content
    assert listed.json()["limit"] == 1 and len(listed.json()["items"]) == 1
    everything = api.get("/api/v1/returned-payments", tokens["specialist"], limit=500).json()["items"]
    assert returned.pk in [row["id"] for row in everything]
    assert {row["file"] for row in everything} == {"returns.ach"}
    assert api.get("/api/v1/returned-payments", tokens["assistant"]).status_code == 403
    api.post("/api/v1/drawers", tokens["specialist"], {})
    payment = api.post("/api/v1/payments", tokens["specialist"], {
        "account": utility.account.number, "tender": "check", "amount": "80.00", "check_number": "1042",
        "check_routing": "021000021", "payer_name": "Jane Doe"}).json()
    resolved = api.post(f"/api/v1/returned-payments/{returned.pk}/resolve", tokens["specialist"],
                        {"receipt": payment["receipt_number"]})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "processed"
    assert Payment.objects.get(pk=payment["id"]).status != "posted"
    _ledger_ok()


def test_bank_statement_exceptions_cleared_and_matched_by_hand(api, utility, tokens):
    statement = samples.bai2([("301", "120.00", "DEP-X", "COUNTER DEPOSIT"), ("399", "12.34", "MISC", "INTEREST")],
                             as_of=timezone.localdate())
    response = api.post("/api/v1/payment-files/bank-statement", tokens["specialist"], files=_file("bai.txt", statement))
    assert response.status_code == 201, response.content
    lines = {line.bank_reference: line for line in BankLine.objects.all()}
    interest = lines["MISC"]
    if interest.status == "exception":
        cleared = api.post(f"/api/v1/bank-lines/{interest.pk}/resolve", tokens["specialist"],
                           {"note": "interest credit"})
        assert cleared.status_code == 200 and cleared.json()["status"] == "ignored"
    assert lines["DEP-X"].status == "exception"
    # the counter deposit the bank line is
    drawer = api.post("/api/v1/drawers", tokens["specialist"], {}).json()["id"]
    _cash(api, tokens["specialist"], utility.account)
    api.post(f"/api/v1/drawers/{drawer}/close", tokens["specialist"], {"cash_count": {"100": 1, "20": 1}})
    deposit = api.post("/api/v1/deposits", tokens["specialist"], {"drawers": [drawer]}).json()[0]
    matched = api.post(f"/api/v1/bank-lines/{lines['DEP-X'].pk}/match", tokens["specialist"],
                       {"deposit_id": deposit["id"], "note": "slip number keyed wrong"})
    assert matched.status_code == 200, matched.content
    assert matched.json() == {"id": lines["DEP-X"].pk, "bank_reference": "DEP-X", "amount": "120.00",
                              "status": "matched", "deposit_id": deposit["id"]}


def test_pay_by_phone_file(api, utility, tokens):
    response = api.post("/api/v1/payment-files/phone", tokens["specialist"],
                        files=_file("ivr.csv", samples.phone_csv([utility.account.number])))
    assert response.status_code == 201, response.content
    assert response.json()["item_count"] == 4
    assert ImportedFile.objects.get().kind == "phone"


def test_enroll_and_stop_autopay(api, utility, tokens):
    enrolled = api.post("/api/v1/autopay", tokens["specialist"], {
        "account": utility.account.number, "holder_name": "Jane Doe", "routing_number": "021000021",
        "bank_account_number": "123456789", "account_type": "checking", "draft_day": 10,
        "authorization": "signed form"})
    assert enrolled.status_code == 201, enrolled.content
    assert enrolled.json()["bank_account_last4"] == "6789"
    assert "123456789" not in enrolled.content.decode()
    stopped = api.post(f"/api/v1/autopay/{enrolled.json()['id']}/stop", tokens["specialist"],
                       {"reason": "customer asked"})
    assert stopped.status_code == 200, stopped.content
    assert AutopayEnrollment.objects.get().status == "stopped"


def test_refund_within_the_limit_is_issued_above_it_waits(api, utility, tokens):
    api.post("/api/v1/drawers", tokens["specialist"], {})
    _cash(api, tokens["specialist"], utility.account, "600.00")  # a credit balance
    body = {"account": utility.account.number, "method": "check", "payee": "Jane Doe",
            "payee_address": "1204 Pine St, Everett WA 98201", "reason": "credit balance"}
    issued = api.post("/api/v1/refunds", tokens["specialist"], {**body, "amount": "50.00"})
    assert issued.status_code == 201, issued.content
    assert issued.json()["status"] == "issued"
    pending = api.post("/api/v1/refunds", tokens["specialist"], {**body, "amount": "400.00"})
    assert pending.status_code == 202, pending.content
    assert pending.json()["status"] == "pending" and pending.json()["approval_request_id"]
    cleared = api.post(f"/api/v1/refunds/{issued.json()['id']}/cleared", tokens["specialist"], {})
    assert cleared.status_code == 200, cleared.content
    assert Refund.objects.get(pk=issued.json()["id"]).cleared_on is not None
    moved = api.post("/api/v1/refunds/unclaimed", tokens["specialist"])
    assert moved.status_code == 200 and moved.json()["count"] == 0  # nothing dormant yet
    _ledger_ok()


def test_security_deposit_required_received_accrued_and_released(api, utility, tokens):
    required = api.post("/api/v1/security-deposits", tokens["specialist"], {
        "account": utility.account.number, "amount": "200.00", "reason": "no credit history"})
    assert required.status_code == 201, required.content
    deposit_id = required.json()["id"]
    api.post("/api/v1/drawers", tokens["specialist"], {})
    received = api.post(f"/api/v1/security-deposits/{deposit_id}/receive", tokens["specialist"],
                        {"tender": "cash", "amount": "200.00", "tendered": "200.00"})
    assert received.status_code == 201, received.content
    assert D(received.json()["received"]) == D("200.00")
    rate = api.post("/api/v1/deposit-interest-rates", tokens["supervisor"], {"annual_rate": "0.0425"})
    assert rate.status_code == 201, rate.content
    accrued = api.post("/api/v1/security-deposits/accrue-interest", tokens["specialist"])
    assert accrued.status_code == 200, accrued.content
    released = api.post(f"/api/v1/security-deposits/{deposit_id}/release", tokens["specialist"],
                        {"reason": "good payment history", "method": "check"})
    assert released.status_code == 200, released.content
    assert SecurityDeposit.objects.get(pk=deposit_id).status == "released"
    _ledger_ok()


@pytest.fixture
def returned_debit(users, utility, monkeypatch):
    """A settled autopay debit of 150.00 returned R01; 'today' is 2025-03-12."""
    charge(utility.electric, "150.00", date(2025, 2, 1))
    actions.enroll_autopay(user=users["specialist"], account=utility.account, holder_name="DOE JANE",
                           routing_number="021000021", bank_account_number="123456789", account_type="checking",
                           draft_day=10, start_date=date(2025, 3, 1), authorized_on=date(2025, 2, 20),
                           authorization="signed form", prenote=False)
    actions.run_autopay(on=date(2025, 3, 7))
    actions.run_autopay(on=date(2025, 3, 10))
    entry = AchEntry.objects.get()
    actions.import_ach_returns(user=None, content=return_file(
        [(entry.trace_number, "R01", "021000021", "123456789", str(entry.amount))], created=date(2025, 3, 12)),
        name="returns.ach")
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2025, 3, 12))
    return ReturnedPayment.objects.get()


def test_queue_and_cancel_a_representment(api, tokens, returned_debit):
    queued = api.post(f"/api/v1/returned-payments/{returned_debit.pk}/represent", tokens["specialist"])
    assert queued.status_code == 201, queued.content
    assert queued.json()["attempt"] == 1 and queued.json()["status"] == "queued"
    cancelled = api.post(f"/api/v1/representments/{queued.json()['id']}/cancel", tokens["specialist"],
                         {"note": "paid at the counter"})
    assert cancelled.status_code == 200, cancelled.content
    assert Representment.objects.get().status == "cancelled"


def test_drawer_unknown_is_not_found(api, tokens, db, unchanged):
    with unchanged():
        response = api.post("/api/v1/drawers/999999/close", tokens["assistant"], {"cash_count": {}})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not DrawerSession.objects.exists() and not Deposit.objects.exists()


def test_two_clerks_with_the_same_key_take_two_payments(api, utility, tokens):
    """Keys belong to their user: the counter token made from one is the user's too."""
    body = {"account": utility.account.number, "tender": "cash", "amount": "5.00"}
    for clerk in ("assistant", "specialist"):
        api.post("/api/v1/drawers", tokens[clerk], {})
        assert api.post("/api/v1/payments", tokens[clerk], body, key="same-key").status_code == 201
    assert Payment.objects.count() == 2
