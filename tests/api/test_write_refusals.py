"""Every write endpoint refuses a role without the capability — 403
``permission_refused`` — and changes nothing: no table gains or loses a row and
no balance moves. One line per operation; a test below requires a line for
every POST operation in the OpenAPI schema, so a new endpoint comes with its
refusal test.

The refused role is the one nearest to being allowed: an assistant (who may
take payments but not manage them), a senior (who may approve but not set
limits or edit rates), finance (who may look but change nothing)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ratepayer.billing import actions as billing_actions
from ratepayer.ledger.models import ARBalance
from ratepayer.staff import roles
from tests.formats import samples

NEW_CUSTOMER = {"first_name": "Ana", "last_name": "Lopez", "mailing_line1": "77 Birch Ave", "mailing_city": "Everett",
                "mailing_zip": "98201", "opened_on": "2026-12-01"}
TENDER = {"tender": "cash", "amount": "20.00", "tendered": "20.00"}


def _files(name, build):
    return ("files", name, build)


# operation id -> (path, JSON body or _files(...), refused role)
REFUSALS: dict[str, tuple[str, object, str]] = {
    # customers and accounts
    "open_customer_account": ("/customers", NEW_CUSTOMER, "assistant"),
    "add_account_note": ("/accounts/{number}/notes", {"text": "hello"}, "auditor"),
    "change_mailing_address": ("/accounts/{number}/mailing-address", {
        "mailing_line1": "88 Elm St", "mailing_city": "Everett", "mailing_zip": "98203"}, "assistant"),
    "change_bill_preferences": ("/accounts/{number}/bill-preferences", {"language": "es", "bill_delivery": "email"},
                                "assistant"),
    "add_contact": ("/accounts/{number}/contacts", {"name": "John Doe", "phone": "(425) 555-0199"}, "assistant"),
    "update_contact": ("/accounts/{number}/contacts/{contact}", {"name": "J. Doe", "phone": "(425) 555-0142"},
                       "assistant"),
    "remove_contact": ("/accounts/{number}/contacts/{contact}/remove", {}, "assistant"),
    "create_premise": ("/premises", {"line1": "1 Oak", "city": "Everett", "zip": "98201", "services": ["water"]},
                       "assistant"),
    "update_customer": ("/customers/{customer}/details", {"kind": "person", "first_name": "J", "last_name": "Doe"},
                        "assistant"),
    "add_service_point": ("/premises/{premise}/service-points", {"service": "sewer"}, "assistant"),
    "install_meter": ("/premises/{premise}/meters", {"service_point_id": 0, "serial_number": "X1", "unit": "kWh",
                                                      "installed_on": "2026-12-01", "first_read": "0"}, "assistant"),
    "start_service": ("/accounts/{number}/services/start", {
        "service_point_id": 0, "rate_schedule": "E-7", "customer_class": "residential", "bill_cycle": "01",
        "start_date": "2026-12-01"}, "auditor"),
    "stop_service": ("/accounts/{number}/services/stop", {"agreement_id": 0, "end_date": "2026-12-01"}, "auditor"),
    "transfer_service": ("/accounts/{number}/services/transfer", {"to_premise_id": 0, "move_date": "2026-12-01"},
                         "auditor"),
    "close_account": ("/accounts/{number}/close", {"closed_on": "2026-12-01", "final_reads": {"{electric}": "10"}},
                      "assistant"),
    # billing
    "create_adjustment": ("/accounts/{number}/adjustments", {
        "agreement_id": "{water}", "direction": "credit", "amount": "5.00", "reason": "LEAK", "memo": "m"},
        "assistant"),
    "start_bill_run": ("/bill-runs", {"cycle": "01", "period_end": "2026-11-05"}, "assistant"),
    "prepare_bill_documents": ("/bill-runs/1/documents", {}, "assistant"),
    "retry_outbox_message": ("/outbox/1/retry", {}, "senior"),
    "decide_held_bill": ("/bills/1/review", {"decision": "release"}, "assistant"),
    "cancel_rebill": ("/bills/1/cancel-rebill", {"reason": "wrong multiplier"}, "assistant"),
    "set_billing_policy": ("/billing-policies", {
        "effective_from": "2030-01-01", "days_to_bill": 2, "days_until_due": 21, "high_bill_percent": "100",
        "high_bill_minimum_history": 3, "max_consecutive_estimates": 3, "regular_period_days": 30}, "senior"),
    # payments
    "open_drawer": ("/drawers", {"opening_float": "100.00"}, "auditor"),
    "close_drawer": ("/drawers/1/close", {"cash_count": {"20": 1}}, "auditor"),
    "take_payment": ("/payments", {"account": "{number}", **TENDER}, "auditor"),
    "email_receipt": ("/payments/1/receipt-email", {"email": "a@example.com"}, "auditor"),
    "transfer_payment": ("/payments/1/transfer", {"to_account": "{number}", "reason": "r"}, "assistant"),
    "prepare_deposit": ("/deposits", {"drawers": [1]}, "auditor"),
    "import_lockbox_file": ("/payment-files/lockbox", _files("lbx.csv", lambda c: samples.lockbox_csv([c["number"]])),
                            "assistant"),
    "import_ach_returns_file": ("/payment-files/ach-returns", _files("r.ach", lambda c: samples.nacha_returns()),
                                "assistant"),
    "import_bank_statement_file": ("/payment-files/bank-statement", _files("s.bai", lambda c: samples.bai2()),
                                   "assistant"),
    "import_phone_payments_file": ("/payment-files/phone",
                                   _files("p.csv", lambda c: samples.phone_csv([c["number"]])), "assistant"),
    "apply_suspense": ("/suspense/1/apply", {"account": "{number}"}, "assistant"),
    "resolve_returned_payment": ("/returned-payments/1/resolve", {"receipt": "R1"}, "assistant"),
    "match_bank_line": ("/bank-lines/1/match", {"deposit_id": 1}, "assistant"),
    "resolve_bank_exception": ("/bank-lines/1/resolve", {"note": "interest"}, "assistant"),
    "enroll_autopay": ("/autopay", {
        "account": "{number}", "holder_name": "Jane Doe", "routing_number": "021000021",
        "bank_account_number": "123456789", "account_type": "checking", "draft_day": 10, "authorization": "form"},
        "assistant"),
    "stop_autopay": ("/autopay/1/stop", {"reason": "asked"}, "assistant"),
    "request_refund": ("/refunds", {"account": "{number}", "amount": "5.00", "method": "check", "payee": "Jane Doe",
                                    "reason": "credit"}, "assistant"),
    "clear_refund": ("/refunds/1/cleared", {}, "assistant"),
    "move_refunds_to_unclaimed": ("/refunds/unclaimed", {}, "assistant"),
    "require_security_deposit": ("/security-deposits", {"account": "{number}", "amount": "200.00", "reason": "r"},
                                 "assistant"),
    "receive_security_deposit": ("/security-deposits/1/receive", TENDER, "auditor"),
    "release_security_deposit": ("/security-deposits/1/release", {"reason": "r"}, "assistant"),
    "set_deposit_interest_rate": ("/deposit-interest-rates", {"annual_rate": "0.04"}, "senior"),
    "accrue_deposit_interest": ("/security-deposits/accrue-interest", {}, "assistant"),
    "queue_representment": ("/returned-payments/1/represent", {}, "assistant"),
    "cancel_representment": ("/representments/1/cancel", {}, "assistant"),
    # meter reads
    "enter_read": ("/meters/E1000123/reads", {"read_date": "2025-01-05", "value": "100"}, "assistant"),
    "change_meter": ("/meters/E1000123/change", {"new_meter": "E1000456", "change_date": "2025-01-05",
                                                 "out_read": "100", "in_read": "0"}, "assistant"),
    "import_read_file": ("/read-files", _files("route.csv", lambda c: samples.route_file([])), "assistant"),
    "import_interval_file": ("/interval-files", _files("ami.csv", lambda c: samples.interval_csv("E1000123")),
                             "assistant"),
    "decide_read_exception": ("/read-exceptions/1/decision", {"decision": "accept"}, "assistant"),
    # rates
    "create_rate_schedule": ("/rate-schedules", {"code": "E-99", "name": "x", "service": "electric"}, "senior"),
    "draft_rate_version": ("/rate-schedules/E-7/versions", {"effective_from": "2030-01-01", "document": "name: x"},
                           "senior"),
    "update_rate_version": ("/rate-schedules/E-7/versions/1", {"effective_from": "2030-01-01", "document": "x"},
                            "senior"),
    "decide_rate_version": ("/rate-schedules/E-7/versions/1/decision", {"decision": "approve"}, "senior"),
    # approvals, limits, staff users
    "decide_approval": ("/approvals/{approval}/decision", {"decision": "approve"}, "specialist2"),
    "set_approval_limit": ("/approval-limits", {"role": roles.SPECIALIST, "action": "adjustment", "amount": "999.00",
                                                "effective_from": "2030-01-01"}, "senior"),
    "create_staff_user": ("/staff-users", {"username": "newbie", "role": roles.ASSISTANT}, "senior"),
    "set_staff_role": ("/staff-users/{assistant}/role", {"role": roles.SUPERVISOR}, "senior"),
    "deactivate_staff_user": ("/staff-users/{assistant}/deactivate", {"reason": "r"}, "senior"),
    "reactivate_staff_user": ("/staff-users/{assistant}/reactivate", {}, "senior"),
    "reset_staff_password": ("/staff-users/{assistant}/reset-password", {}, "senior"),
    # collections: status, service orders, daily run, policy
    "complete_service_order": ("/service-orders/1/complete", {"field_result": "done"}, "auditor"),
    "order_reconnect": ("/service-orders/1/reconnect", {"reason": "paid"}, "auditor"),
    "run_collections": ("/collections/runs", {"date": "2026-12-07"}, "assistant"),
    "propose_collection_policy": ("/collection-policies", {"effective_from": "2030-01-01", "reason": "r",
                                                           "values": {"utility_type": "pud"}}, "senior"),
    # protections from disconnection (collections)
    "enter_heat_alert": ("/heat-alerts", {"zone": "WAZ558", "day": "2026-07-08", "kind": "heat_advisory"},
                         "assistant"),
    "change_heat_alert": ("/heat-alerts/1", {"kind": "heat_advisory"}, "assistant"),
    "withdraw_heat_alert": ("/heat-alerts/1/withdraw", {"reason": "wrong zone"}, "assistant"),
    "import_heat_alerts_file": ("/heat-alert-files", _files("alerts.csv", lambda c: b"zone,date,kind\n"
                                                       b"WAZ558,2026-07-08,heat_advisory\n"), "assistant"),
    "set_premise_zone": ("/premises/{premise}/nws-zone", {"zone": "WAZ558"}, "assistant"),
    "register_landlord": ("/premises/{premise}/landlords", {
        "owner_name": "Harbor Rentals", "request_received_on": "2026-11-02", "mailing_line1": "PO Box 12",
        "mailing_city": "Everett", "mailing_zip": "98206"}, "assistant"),
    "change_landlord": ("/landlords/1", {"mailing_line1": "PO Box 99"}, "assistant"),
    "end_landlord": ("/landlords/1/end", {"on": "2026-12-01", "reason": "sold"}, "assistant"),
    "record_medical_notice": ("/accounts/{number}/medical-certificates", {
        "premise_id": "{premise}", "notified_on": "2026-12-01", "notice": "verbal"}, "assistant"),
    "certify_medical_certificate": ("/medical-certificates/1/certify", {
        "received_on": "2026-12-02", "certifier_title": "physician", "certifier_name": "Dr. A",
        "certifier_phone": "1"}, "assistant"),
    "change_medical_certificate": ("/medical-certificates/1", {"remainder_agreed": True}, "assistant"),
    "close_medical_certificate": ("/medical-certificates/1/close", {"on": "2026-12-02", "reason": "r"}, "assistant"),
    "open_dispute": ("/accounts/{number}/disputes", {"opened_on": "2026-12-01", "reason": "high read"}, "assistant"),
    "change_dispute": ("/disputes/1", {"reason": "x"}, "assistant"),
    "close_dispute": ("/disputes/1/close", {"on": "2026-12-02", "resolution": "r"}, "assistant"),
    "request_winter_protection": ("/accounts/{number}/winter-protection", {
        "premise_id": "{premise}", "notified_on": "2026-11-20"}, "assistant"),
    "change_winter_protection": ("/winter-protection/1", {"note": "x"}, "assistant"),
    "close_winter_protection": ("/winter-protection/1/close", {"on": "2027-03-16", "reason": "paid"}, "assistant"),
    # collections: closed accounts, agencies, write-offs, liens
    "apply_deposit_to_final_bill": ("/accounts/{number}/final-bill/deposit", {}, "assistant"),
    "transfer_closed_balance": ("/accounts/{number}/balance-transfer", {"to_account": "{number}", "reason": "r"},
                                "assistant"),
    "save_collection_agency": ("/collection-agencies", {"code": "NWC", "name": "N", "fee_percent": "30"}, "senior"),
    "assign_to_agency": ("/accounts/{number}/agency-assignment", {"agency": "NWC", "advised_on": "2025-01-01"},
                         "assistant"),
    "write_agency_file": ("/collection-agencies/NWC/files", {}, "assistant"),
    "record_agency_remittance": ("/agency-assignments/1/remittances", {"reference": "R", "gross": "1.00"},
                                 "assistant"),
    "close_agency_assignment": ("/agency-assignments/1/close", {"outcome": "recalled", "reason": "r"}, "assistant"),
    "request_write_off": ("/accounts/{number}/write-offs", {"reason": "uncollectible", "memo": "m"}, "assistant"),
    "certify_lien": ("/accounts/{number}/liens", {"premise_id": "{premise}", "delinquent_since": "2025-01-01",
                                                  "prime_rate": "7.5", "interest_rate": "8"}, "assistant"),
    "release_lien": ("/liens/1/release", {"reason": "r"}, "assistant"),
    # collections: payment arrangements and long-term contracts
    "preview_arrangement": ("/accounts/{number}/arrangements/preview", {
        "past_due_amount": "10.00", "installments": 2, "first_due": "2026-12-20", "made_on": "2026-12-01"},
        "assistant"),
    "create_arrangement": ("/accounts/{number}/arrangements", {
        "past_due_amount": "10.00", "installments": 2, "first_due": "2026-12-20", "made_on": "2026-12-01"},
        "assistant"),
    "cancel_arrangement": ("/arrangements/1/cancel", {"reason": "r"}, "assistant"),
    "create_contract": ("/accounts/{number}/contracts", {
        "kind": "sewer_connection", "premise_id": "{premise}", "principal": "1000.00", "annual_rate": "5",
        "term_months": 12, "start_date": "2027-01-10", "made_on": "2026-12-01"}, "specialist"),
    "prepay_contract": ("/contracts/1/prepay", {"amount": "10.00"}, "specialist"),
    "pay_off_contract": ("/contracts/1/payoff", {}, "specialist"),
    "transfer_contract": ("/contracts/1/transfer", {"to_account": "{number}"}, "specialist"),
}


@pytest.fixture
def context(utility, users) -> dict:
    # one pending approval (an adjustment above the specialist's limit) for decide_approval
    billing_actions.request_adjustment(user=users["specialist"], agreement=utility.water, direction="credit",
                                       amount="900.00", reason_code="LEAK", memo="slab leak")
    from ratepayer.staff.models import ApprovalRequest

    return {"number": utility.account.number, "water": utility.water.pk, "electric": utility.electric.pk,
            "contact": utility.customer.contacts.get().pk, "premise": utility.premise.pk,
            "customer": utility.customer.pk,
            "assistant": users["assistant"].pk, "approval": ApprovalRequest.objects.get().pk}


def _fill(value, context):
    if isinstance(value, str):
        filled = value.format(**context)
        return int(filled) if value.startswith("{") and filled.isdigit() and value != "{number}" else filled
    if isinstance(value, dict):
        return {_fill(k, context): _fill(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, context) for v in value]
    return value


def _money_state() -> list:
    return list(ARBalance.objects.order_by("pk").values_list("pk", "balance"))


@pytest.mark.parametrize("operation", sorted(REFUSALS))
def test_a_role_without_the_capability_is_refused_and_nothing_changes(operation, api, tokens, context, unchanged):
    path, body, role = REFUSALS[operation]
    url = "/api/v1" + path.format(**context)
    balances = _money_state()
    with unchanged():
        if isinstance(body, tuple) and body[0] == "files":
            _, name, build = body
            upload = SimpleUploadedFile(name, build(context), content_type="application/octet-stream")
            response = api.post(url, tokens[role], files={"file": upload})
        else:
            response = api.post(url, tokens[role], _fill(body, context))
    assert response.status_code == 403, (operation, response.status_code, response.content)
    assert response.json()["code"] == "permission_refused"
    assert response.json()["message"].startswith(role)
    assert _money_state() == balances
    assert sum(b for _, b in balances) == sum((b for _, b in _money_state()), Decimal("0"))


def test_every_write_operation_has_a_refusal_line(api, db):
    schema = api.get("/api/v1/openapi.json").json()
    writes = {op["operationId"] for methods in schema["paths"].values() for method, op in methods.items()
              if method == "post"}
    assert writes == set(REFUSALS)
