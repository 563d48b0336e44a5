"""Customer and account actions through the API: the console's actions, checks and audit rows."""

from __future__ import annotations

from datetime import date

from ratepayer.customers.models import (
    Account,
    AccountNote,
    Contact,
    Customer,
    MeterInstallation,
    Premise,
    ServiceAgreement,
)
from ratepayer.staff.models import AuditEvent

NEW_CUSTOMER = {"kind": "person", "first_name": "Ana", "last_name": "Lopez", "phone": "(425) 555-0100",
                "email": "ana@example.com", "mailing_line1": "77 Birch Ave", "mailing_city": "Everett",
                "mailing_zip": "98201", "opened_on": "2026-12-01"}


def test_open_a_customer_and_account(api, tokens, users):
    response = api.post("/api/v1/customers", tokens["specialist"], NEW_CUSTOMER)
    assert response.status_code == 201, response.content
    account = Account.objects.get(number=response.json()["number"])
    assert account.customer.name == "Ana Lopez"
    assert AuditEvent.objects.filter(channel="api", user=users["specialist"]).exists()


def test_a_possible_duplicate_is_refused_until_confirmed(api, utility, tokens, unchanged):
    body = {**NEW_CUSTOMER, "first_name": "Jane", "last_name": "Doe", "tax_id": "123-45-6789"}
    with unchanged():
        refused = api.post("/api/v1/customers", tokens["specialist"], body)
    assert refused.status_code == 400 and refused.json()["code"] == "possible_duplicate"
    assert utility.account.number in refused.json()["message"]
    confirmed = api.post("/api/v1/customers", tokens["specialist"], {**body, "confirm_not_duplicate": True})
    assert confirmed.status_code == 201, confirmed.content
    assert Customer.objects.filter(last_name="Doe").count() == 2


def test_add_a_note(api, utility, tokens):
    response = api.post(f"/api/v1/accounts/{utility.account.number}/notes", tokens["assistant"],
                        {"kind": "call", "text": "Asked about the due date."})
    assert response.status_code == 201, response.content
    assert AccountNote.objects.get().text == "Asked about the due date."


def test_change_address_and_preferences(api, utility, tokens):
    base = f"/api/v1/accounts/{utility.account.number}"
    address = api.post(f"{base}/mailing-address", tokens["specialist"], {
        "mailing_line1": "88 Elm St", "mailing_city": "Everett", "mailing_state": "WA", "mailing_zip": "98203"})
    assert address.status_code == 200, address.content
    preferences = api.post(f"{base}/bill-preferences", tokens["specialist"], {"language": "es",
                                                                            "bill_delivery": "email"})
    assert preferences.status_code == 200, preferences.content
    account = Account.objects.select_related("customer").get(pk=utility.account.pk)
    assert (account.mailing_line1, account.mailing_zip) == ("88 Elm St", "98203")
    assert account.customer.language == "es" and account.paperless


def test_add_change_and_remove_a_contact(api, utility, tokens):
    base = f"/api/v1/accounts/{utility.account.number}/contacts"
    added = api.post(base, tokens["specialist"], {"name": "John Doe", "phone": "(425) 555-0199", "prefers": "phone"})
    assert added.status_code == 201, added.content
    contact_id = added.json()["id"]
    changed = api.post(f"{base}/{contact_id}", tokens["specialist"], {"name": "John Q. Doe",
                                                                      "phone": "(425) 555-0199", "prefers": "phone"})
    assert changed.status_code == 200, changed.content
    assert Contact.objects.get(pk=contact_id).name == "John Q. Doe"
    removed = api.post(f"{base}/{contact_id}/remove", tokens["specialist"])
    assert removed.status_code == 200, removed.content
    assert not Contact.objects.filter(pk=contact_id).exists()


def test_create_a_premise_and_install_a_meter(api, tokens, utility):
    premise = api.post("/api/v1/premises", tokens["specialist"], {
        "line1": "1310 Cedar Ln", "city": "Everett", "zip": "98201", "services": ["electric"]})
    assert premise.status_code == 201, premise.content
    body = premise.json()
    (point,) = body["service_points"]
    meter = api.post(f"/api/v1/premises/{body['id']}/meters", tokens["specialist"], {
        "service_point_id": point["id"], "serial_number": "E2000777", "unit": "kWh", "installed_on": "2026-12-01",
        "first_read": "0"})
    assert meter.status_code == 201, meter.content
    assert MeterInstallation.objects.filter(service_point_id=point["id"], meter__serial_number="E2000777").exists()


def test_stop_start_and_transfer_service(api, utility, tokens):
    base = f"/api/v1/accounts/{utility.account.number}/services"
    stopped = api.post(f"{base}/stop", tokens["assistant"], {"agreement_id": utility.water.pk,
                                                              "end_date": "2026-11-30"})
    assert stopped.status_code == 200, stopped.content
    assert stopped.json()["status"] != "active" or stopped.json()["end_date"] == "2026-11-30"
    started = api.post(f"{base}/start", tokens["assistant"], {
        "service_point_id": utility.water.service_point_id, "rate_schedule": "W-RES",
        "customer_class": "residential", "bill_cycle": "01", "start_date": "2026-12-15", "size_class": "bogus"})
    assert started.status_code == 400 and "Size class" in started.json()["message"]
    started = api.post(f"{base}/start", tokens["assistant"], {
        "service_point_id": utility.water.service_point_id, "rate_schedule": "W-RES",
        "customer_class": "residential", "bill_cycle": "01", "start_date": "2026-12-15"})
    assert started.status_code == 201, started.content
    new_home = Premise.objects.create(line1="5 Oak Ct", city="Everett", zip="98201")
    for service in ("electric", "water"):
        new_home.service_points.create(service=service)
    moved = api.post(f"{base}/transfer", tokens["assistant"], {"to_premise_id": new_home.pk,
                                                                 "move_date": "2027-01-10"})
    assert moved.status_code == 201, moved.content
    assert ServiceAgreement.objects.filter(account=utility.account, service_point__premise=new_home).exists()


def test_close_the_account_with_final_reads(api, utility, tokens):
    response = api.post(f"/api/v1/accounts/{utility.account.number}/close", tokens["specialist"], {
        "closed_on": date.today().isoformat(), "final_reads": {str(utility.electric.pk): "120"},
        "note": "moved away"})
    assert response.status_code == 200, response.content
    assert response.json()["account"]["status"] == "closed"
    assert Account.objects.get(pk=utility.account.pk).status == "closed"
