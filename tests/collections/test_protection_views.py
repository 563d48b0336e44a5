"""The protections pages: an account's page records each protection through the actions and
shows today's decision with its reasons; a refused action shows the action's sentence and
changes nothing; a user without the capability is refused; heat alerts are entered and imported."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ratepayer.collections.models.protections import (
    Dispute,
    HeatAlert,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
    WinterProtection,
)
from ratepayer.staff.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def _url(utility):
    return reverse("collections:protections_account", args=[utility.account.number])


def test_a_clerk_records_each_protection_on_the_account_page(utility, signed_in):
    client = signed_in("specialist")
    today = timezone.localdate()
    url = _url(utility)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Disconnect decision for today" in text and utility.premise.address in text
    assert "no zone: heat alerts cannot be checked" in text
    premise = str(utility.premise.pk)
    steps = [
        {"op": "zone", "premise": premise, "zone": "waz558"},
        {"op": "medical", "premise": premise, "notified_on": today.isoformat(), "notice": "verbal",
         "delinquent_balance": "80.00"},
        {"op": "dispute", "opened_on": today.isoformat(), "reason": "read looks high", "amount": "25.00"},
        {"op": "winter", "premise": premise, "notified_on": today.isoformat(), "grantee": "Volunteers of America",
         "heating_assistance_applied": "1"},
        {"op": "landlord", "premise": premise, "owner_name": "Harbor Rentals", "request_received_on":
         today.isoformat(), "mailing_line1": "PO Box 12", "mailing_city": "Everett", "mailing_state": "WA",
         "mailing_zip": "98206"},
    ]
    for step in steps:
        answer = client.post(url, step, follow=True)
        assert answer.status_code == 200
        assert not [m for m in answer.context["messages"] if m.level_tag == "error"], step
    assert PremiseZone.objects.get(premise=utility.premise).zone == "WAZ558"
    cert = MedicalCertificate.objects.get()
    assert cert.required_payment == cert.delinquent_balance / 10
    assert Dispute.objects.get().amount == 25
    assert WinterProtection.objects.get().heating_assistance_applied
    assert RegisteredLandlord.objects.get().owner_name == "Harbor Rentals"
    text = client.get(url).content.decode()
    assert "Harbor Rentals" in text and "Volunteers of America" in text and "read looks high" in text
    # change and close through the same page
    client.post(url, {"op": "dispute_close", "id": Dispute.objects.get().pk, "closed_on": today.isoformat(),
                      "resolution": "re-read: correct"})
    assert Dispute.objects.get().status == "closed"
    client.post(url, {"op": "certify", "id": cert.pk, "received_on": today.isoformat(),
                      "certifier_title": "physician", "certifier_name": "Dr. Ames", "certifier_phone": "425-555-0100"})
    assert MedicalCertificate.objects.get().status == "certified"


def test_a_refused_action_shows_the_reason_and_changes_nothing(utility, signed_in):
    client = signed_in("specialist")
    events = AuditEvent.objects.count()
    answer = client.post(_url(utility), {"op": "medical", "premise": str(utility.premise.pk),
                                         "notified_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
                                         "notice": "verbal"}, follow=True)
    errors = [str(m) for m in answer.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and errors[0].startswith("Notified on: ") and "in the future" in errors[0]
    assert not MedicalCertificate.objects.exists() and AuditEvent.objects.count() == events
    answer = client.post(_url(utility), {"op": "zone", "premise": "999999", "zone": "WAZ558"}, follow=True)
    assert [str(m) for m in answer.context["messages"]] == ["Premise: choose one of the account's premises."]
    assert not PremiseZone.objects.exists()


def test_a_user_without_the_capability_sees_but_cannot_record(utility, signed_in):
    client = signed_in("assistant")
    page = client.get(_url(utility))
    assert page.status_code == 200 and b"Record a medical emergency notice" not in page.content
    refused = client.post(_url(utility), {"op": "dispute", "opened_on": date.today().isoformat(), "reason": "x"})
    assert refused.status_code == 403
    assert not Dispute.objects.exists()


def test_heat_alert_page_enters_imports_and_withdraws(users, signed_in):
    client = signed_in("specialist")
    url = reverse("collections:heat_alerts")
    today = timezone.localdate()
    client.post(url, {"op": "enter", "zone": "WAZ558", "day": today.isoformat(), "kind": "heat_advisory"})
    page = client.get(url).content.decode()
    assert "heat alert in" in page and "WAZ558" in page
    upload = SimpleUploadedFile("july.csv", f"zone,date,kind\nWAZ507,{today},excessive_heat_warning\n".encode())
    answer = client.post(url, {"op": "import", "file": upload}, follow=True)
    assert ["july.csv: 1 alert day(s) read, 1 new."] == [str(m) for m in answer.context["messages"]]
    bad = SimpleUploadedFile("bad.csv", b"zone,date,kind\nWAZ507,tomorrow,heat_advisory\n")
    answer = client.post(url, {"op": "import", "file": bad}, follow=True)
    assert [str(m) for m in answer.context["messages"]] == [
        "bad.csv: line 2: date: 'tomorrow' is not a date (YYYY-MM-DD)"]
    assert HeatAlert.objects.count() == 2
    alert = HeatAlert.objects.get(zone="WAZ558")
    client.post(url, {"op": "withdraw", "id": alert.pk, "reason": "wrong zone"})
    alert.refresh_from_db()
    assert alert.status == "withdrawn"


def test_register_lists_open_protections_and_finds_an_account(utility, signed_in):
    client = signed_in("assistant")
    url = reverse("collections:protections")
    assert client.get(url).status_code == 200
    go = client.get(url, {"account": utility.account.number})
    assert go.status_code == 302 and go.url == _url(utility)
    missing = client.get(url, {"account": "000"})
    assert "there is no account number" in missing.content.decode()


def test_the_collections_tab_shows_the_protections_panel(utility, signed_in, users):
    from ratepayer.collections.actions import protections as act

    act.open_dispute(user=users["specialist"], account=utility.account, opened_on=date(2025, 7, 2),
                     reason="estimated read")
    page = signed_in("assistant").get(reverse("collections:account", args=[utility.account.number]))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="panel-protections"' in text and "estimated read" in text
    assert "not recorded — heat alerts cannot be checked" in text
    assert _url(utility) in text
