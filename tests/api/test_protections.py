"""The protections endpoints: the same actions and refusals as the console, the heat-alert file
(good, bad, the same again) and an account's disconnect decision with every rule's reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ratepayer.collections.models.protections import Dispute, HeatAlert, MedicalCertificate
from tests.collections.core_helpers import issue_bill

pytestmark = pytest.mark.django_db

V = "/api/v1"


def test_heat_alert_file_good_bad_and_repeated(api, tokens, unchanged):
    good = b"zone,date,kind\nWAZ558,2026-07-08,excessive_heat_warning\nWAZ558,2026-07-09,heat_advisory\n"
    answer = api.post(f"{V}/heat-alert-files", tokens["specialist"],
                      files={"file": SimpleUploadedFile("july.csv", good)})
    assert answer.status_code == 201 and answer.json()["created"] == 2
    with unchanged():
        again = api.post(f"{V}/heat-alert-files", tokens["specialist"],
                         files={"file": SimpleUploadedFile("july-again.csv", good)})
        bad = api.post(f"{V}/heat-alert-files", tokens["specialist"],
                       files={"file": SimpleUploadedFile("bad.csv", b"zone,date,kind\nWAZ5,2026-07-10,heat_advisory\n")})
    assert again.status_code == 409 and again.json()["code"] == "already_imported"
    assert bad.status_code == 400 and bad.json()["code"] == "file_refused"
    assert bad.json()["detail"] == ["line 2: zone: 'WAZ5' is not an NWS zone (like WAZ039 or WAC033)"]
    listed = api.get(f"{V}/heat-alerts", tokens["assistant"], zone="waz558").json()["items"]
    assert [(a["day"], a["kind"], a["source"]) for a in listed] == [
        ("2026-07-09", "heat_advisory", "imported"), ("2026-07-08", "excessive_heat_warning", "imported")]
    alert = HeatAlert.objects.get(day=date(2026, 7, 9))
    withdrawn = api.post(f"{V}/heat-alerts/{alert.pk}/withdraw", tokens["specialist"], {"reason": "wrong zone"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_medical_dispute_and_the_decision(utility, api, tokens, unchanged):
    number = utility.account.number
    bill = issue_bill(utility.account, {utility.electric: 95}, date(2025, 6, 10), date(2025, 7, 1))
    zone = api.post(f"{V}/premises/{utility.premise.pk}/nws-zone", tokens["specialist"], {"zone": "waz558"})
    assert zone.json() == {"premise_id": utility.premise.pk, "zone": "WAZ558"}
    api.post(f"{V}/heat-alerts", tokens["specialist"], {"zone": "WAZ558", "day": "2025-07-29", "kind": "heat_advisory"})
    medical = api.post(f"{V}/accounts/{number}/medical-certificates", tokens["specialist"],
                       {"premise_id": utility.premise.pk, "notified_on": "2025-07-21", "notice": "verbal",
                        "delinquent_balance": "95.00"})
    assert medical.status_code == 201, medical.content
    body = medical.json()
    assert (body["status"], body["required_payment"], body["written_due_on"]) == ("awaiting_written", "9.50",
                                                                                   "2025-07-28")
    with unchanged():
        late = api.post(f"{V}/medical-certificates/{body['id']}/certify", tokens["specialist"],
                        {"received_on": "2025-07-29", "certifier_title": "physician", "certifier_name": "Dr. Ames",
                         "certifier_phone": "425-555-0100"})
    assert late.status_code == 400 and late.json()["code"] == "protection_refused"
    assert late.json()["message"].startswith("Received on: 2025-07-29 is after the 5-business-day window")
    assert MedicalCertificate.objects.get().status == "awaiting_written"
    dispute = api.post(f"{V}/accounts/{number}/disputes", tokens["specialist"],
                       {"opened_on": "2025-07-02", "reason": "read looks high", "bill_id": bill.pk})
    assert dispute.status_code == 201
    assert api.get(f"{V}/bills/{bill.pk}/disputed", tokens["assistant"]).json() == {"bill_id": bill.pk,
                                                                                     "disputed": True}
    decision = api.get(f"{V}/accounts/{number}/disconnect-decision", tokens["assistant"], on="2025-07-29").json()
    assert decision["disconnect_allowed"] is False and decision["deciding_rule"] == "heat_alert"
    verdicts = {r["rule"]: r["verdict"] for r in decision["rules"]}
    assert verdicts["dispute"] == "blocks" and verdicts["medical_certificate"] == "allows"
    closed = api.post(f"{V}/disputes/{dispute.json()['id']}/close", tokens["specialist"],
                      {"on": "2025-07-30", "resolution": "re-read: correct"})
    assert closed.json()["status"] == "closed" and Dispute.objects.get().closed_on == date(2025, 7, 30)
    everything = api.get(f"{V}/accounts/{number}/protections", tokens["assistant"]).json()
    assert len(everything["medical_certificates"]) == 1 and everything["premises"][0]["zone"] == "WAZ558"


def test_winter_and_landlord(utility, api, tokens):
    number = utility.account.number
    winter = api.post(f"{V}/accounts/{number}/winter-protection", tokens["specialist"],
                      {"premise_id": utility.premise.pk, "notified_on": "2025-11-20"})
    assert winter.status_code == 201 and winter.json()["season_start"] == "2025-11-15"
    changed = api.post(f"{V}/winter-protection/{winter.json()['id']}", tokens["specialist"],
                       {"annual_income_figure": "2100.00", "eligibility_documented_on": "2025-11-24"})
    assert changed.json()["annual_income_figure"] == "2100.00"
    refused = api.post(f"{V}/accounts/{number}/winter-protection", tokens["specialist"],
                       {"premise_id": 999999, "notified_on": "2025-11-20"})
    assert refused.status_code == 400 and refused.json()["message"].startswith("Premise: 999999")
    landlord = api.post(f"{V}/premises/{utility.premise.pk}/landlords", tokens["specialist"],
                        {"owner_name": "Harbor Rentals", "request_received_on": "2025-11-02",
                         "mailing_line1": "PO Box 12", "mailing_city": "Everett", "mailing_zip": "98206"})
    assert landlord.status_code == 201
    ended = api.post(f"{V}/landlords/{landlord.json()['id']}/end", tokens["specialist"],
                     {"on": "2025-12-01", "reason": "sold"})
    assert ended.json()["status"] == "ended"
