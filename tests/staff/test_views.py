"""Staff pages through Django's test client: approvals, approval limits and the
audit trail — what each role sees and what is refused (and changes nothing)."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from ratepayer.billing.actions import request_adjustment
from ratepayer.billing.models import Adjustment
from ratepayer.ledger.models import ARBalance, JournalEntry
from ratepayer.staff.models import ApprovalLimit, ApprovalRequest, AuditEvent

D = Decimal


def balance(agreement) -> Decimal:
    row = ARBalance.objects.filter(agreement=agreement).first()
    return row.balance if row else D("0.00")


def account_url(utility, name="customers:account"):
    return reverse(name, args=[utility.account.number])


def test_reject_needs_a_reason_and_withdraw_is_for_the_maker(signed_in, utility, users):
    request_adjustment(user=users["specialist"], agreement=utility.electric, direction="debit", amount="900.00",
                       reason_code="BACKBILL", memo="bypass")
    request = ApprovalRequest.objects.get()
    senior = signed_in("senior")
    url = reverse("staff:approval_decide", args=[request.pk])
    response = senior.post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert senior.post(url, {"decision": "withdraw"}).status_code == 400
    response = senior.post(url, {"decision": "reject", "note": "no photos"})
    assert response.status_code == 302
    assert Adjustment.objects.get().status == "rejected" and not JournalEntry.objects.exists()
    mine = signed_in("specialist").get("/approvals/").content.decode()
    assert "rejected" in mine and "no photos" in mine


def test_supervisor_sets_a_future_limit_and_others_cannot(signed_in, users):
    starts = timezone.localdate() + timedelta(days=10)
    form = {"role": "Account specialist", "action": "adjustment", "amount": "400.00",
            "effective_from": starts.isoformat(), "reason": "Board resolution 2025-14"}
    rows = ApprovalLimit.objects.count()
    senior = signed_in("senior")
    assert "Set a limit" not in senior.get("/limits/").content.decode()
    assert senior.post("/limits/", form).status_code == 403
    assert ApprovalLimit.objects.count() == rows

    supervisor = signed_in("supervisor")
    assert supervisor.post("/limits/", {**form, "amount": "-1"}).status_code == 400
    assert ApprovalLimit.objects.count() == rows
    assert supervisor.post("/limits/", form).status_code == 302
    html = supervisor.get("/limits/").content.decode()
    assert starts.isoformat() in html and "$400.00" in html and "Board resolution 2025-14" in html
    assert AuditEvent.objects.filter(action="approval_limit.set", user=users["supervisor"]).exists()


def test_audit_trail_filters_and_pages(signed_in, utility, users, django_assert_max_num_queries):
    client = signed_in("supervisor")
    for _ in range(60):
        client.get(account_url(utility))
    with django_assert_max_num_queries(10):
        response = client.get("/audit/", {"action": "account.viewed", "account": utility.account.number})
    html = response.content.decode()
    assert html.count("<td class=\"mono\">account.viewed</td>") == 50 and "Older →" in html
    response = client.get("/audit/", {"action": "account.viewed", "account": utility.account.number, "page": 2})
    assert response.content.decode().count("account.viewed</td>") == 10
    response = client.get("/audit/", {"user": "assistant"})
    assert "No events match" in response.content.decode()
    response = client.get("/audit/", {"account": "12345"})
    assert "No account has the number 12345" in response.content.decode()
    today = timezone.localdate()
    response = client.get("/audit/", {"date_from": today.isoformat(), "date_to": (today - timedelta(days=1)).isoformat()})
    assert "The end date is before the start date" in response.content.decode()
    response = client.get("/audit/", {"date_from": (today + timedelta(days=1)).isoformat()})
    assert "No events match" in response.content.decode()


def test_audit_trail_is_for_audit_roles_only(signed_in):
    assert signed_in("specialist").get("/audit/").status_code == 403
    assert signed_in("auditor").get("/audit/").status_code == 200
