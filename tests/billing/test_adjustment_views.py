"""The adjustment page through Django's test client: what each role may do, what
is refused (and changes nothing), and an adjustment above the limit approved."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ratepayer.billing.actions import request_adjustment
from ratepayer.billing.models import Adjustment
from ratepayer.ledger.models import ARBalance, JournalEntry
from ratepayer.staff.models import ApprovalRequest

D = Decimal


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production settings redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def balance(agreement) -> Decimal:
    row = ARBalance.objects.filter(agreement=agreement).first()
    return row.balance if row else D("0.00")


def account_url(utility, name="customers:account"):
    return reverse(name, args=[utility.account.number])


def adjustment_form(utility, **overrides):
    data = {"agreement": utility.water.pk, "direction": "credit", "amount": "42.10", "reason": "LEAK",
            "memo": "Leak repaired", "effective_date": timezone.localdate().isoformat()}
    data.update(overrides)
    return data


def test_adjustment_within_limit_posts(signed_in, utility):
    response = signed_in("specialist").post(account_url(utility, "billing:account_adjust"), adjustment_form(utility))
    assert response.status_code == 302
    assert Adjustment.objects.get().status == "posted" and balance(utility.water) == D("-42.10")


@pytest.mark.parametrize("overrides, field, message", [
    ({"amount": "abc"}, "amount", "'abc' is not an amount"),
    ({"amount": "-5"}, "amount", "'-5' is negative"),
    ({"amount": "0.00"}, "amount", "Enter at least 0.01"),
    ({"amount": "1.005"}, "amount", "more than two decimals"),
    ({"amount": "1e2"}, "amount", "'1e2' is written with an exponent"),
    ({"amount": "1e12"}, "amount", "'1e12' is written with an exponent"),
    ({"amount": "1,000.00"}, "amount", "'1,000.00' has a comma"),
    ({"amount": "99999999999.99"}, "amount", "more than $9,999,999.99"),
    ({"memo": ""}, "memo", "This field is required"),
    ({"direction": "debit"}, "reason", "LEAK cannot be used for a debit"),
    ({"reason": "NOPE"}, "reason", "Select a valid choice"),
])
def test_bad_adjustments_name_the_field_and_change_nothing(signed_in, utility, overrides, field, message):
    response = signed_in("specialist").post(account_url(utility, "billing:account_adjust"),
                                            adjustment_form(utility, **overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Adjustment.objects.exists() and not JournalEntry.objects.exists()


def test_a_one_cent_adjustment_is_accepted(signed_in, utility):
    # a float min_value (0.01) compared with Decimal("0.01") refused it
    response = signed_in("specialist").post(account_url(utility, "billing:account_adjust"),
                                            adjustment_form(utility, amount="0.01"))
    assert response.status_code == 302
    assert Adjustment.objects.get().amount == D("0.01") and balance(utility.water) == D("-0.01")
    from ratepayer.ledger import checks
    assert checks.run_all()["ok"]


def test_adjustment_on_another_accounts_service_is_refused(signed_in, utility, users):
    from ratepayer.customers import actions

    other = actions.open_account(user=users["specialist"], customer=utility.customer, mailing_line1="x",
                                 mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
    response = signed_in("specialist").post(reverse("billing:account_adjust", args=[other.number]),
                                            adjustment_form(utility))
    assert response.status_code == 400 and "agreement" in response.context["form"].errors
    assert not Adjustment.objects.exists()


def test_adjustment_above_limit_waits_and_the_maker_cannot_approve(signed_in, utility, users):
    maker = signed_in("senior")  # limit 1000.00, and may approve others' work
    response = maker.post(account_url(utility, "billing:account_adjust"),
                          adjustment_form(utility, direction="debit", amount="1500.00", reason="BILLERR"))
    assert response.status_code == 302
    request = ApprovalRequest.objects.get()
    assert request.status == "pending" and not JournalEntry.objects.exists()
    inbox = maker.get("/approvals/").content.decode()
    assert f'id="request-{request.pk}"' not in inbox and f'id="mine-{request.pk}"' in inbox

    response = maker.post(reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 400 and "Nobody approves their own work" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending" and balance(utility.electric) == D("0.00")

    # the senior's own limit (1000) is below the amount: a supervisor must approve
    other_senior = signed_in("specialist2")
    assert other_senior.post(reverse("staff:approval_decide", args=[request.pk]),
                             {"decision": "approve"}).status_code == 403
    supervisor = signed_in("supervisor")
    assert f'id="request-{request.pk}"' in supervisor.get("/approvals/").content.decode()
    response = supervisor.post(reverse("staff:approval_decide", args=[request.pk]),
                               {"decision": "approve", "note": "checked"})
    assert response.status_code == 302
    assert balance(utility.water) == D("1500.00")
    html = supervisor.get(account_url(utility)).content.decode()
    assert "Debit adjustment — Billing error (approved by Supervisor)" in html


def test_assistant_is_refused_the_adjustment_form_and_endpoint(signed_in, utility):
    client = signed_in("assistant")
    url = account_url(utility, "billing:account_adjust")
    response = client.get(url)
    assert response.status_code == 403 and "not allowed to make adjustments" in response.content.decode()
    response = client.post(url, adjustment_form(utility))
    assert response.status_code == 403
    assert not Adjustment.objects.exists() and not JournalEntry.objects.exists()


def test_a_missing_posting_rule_is_a_form_error_and_posts_nothing(signed_in, utility, users):
    from ratepayer.ledger.models import PostingRule

    PostingRule.objects.filter(event="adjustment_credit").delete()
    response = signed_in("specialist").post(account_url(utility, "billing:account_adjust"), adjustment_form(utility))
    assert response.status_code == 400
    assert "No posting rule for event 'adjustment_credit'" in " ".join(response.context["form"].non_field_errors())
    assert not Adjustment.objects.exists() and not JournalEntry.objects.exists()

    request_adjustment(user=users["specialist"], agreement=utility.water, direction="debit", amount="900.00",
                       reason_code="BILLERR", memo="x")
    PostingRule.objects.filter(event="adjustment_debit").delete()
    request = ApprovalRequest.objects.get()
    response = signed_in("senior").post(reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 400 and "No posting rule" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending" and not JournalEntry.objects.exists()
