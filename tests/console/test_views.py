"""Console views through Django's test client: what each role sees, what is
refused (and changes nothing), and how many queries a page costs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ratepayer.billing.actions import request_adjustment
from ratepayer.billing.models import Adjustment
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.ledger.models import ARBalance, JournalEntry
from ratepayer.staff.models import ApprovalLimit, ApprovalRequest, AuditEvent, LoginFailure
from tests.factories import PASSWORD

D = Decimal


def balance(agreement) -> Decimal:
    row = ARBalance.objects.filter(agreement=agreement).first()
    return row.balance if row else D("0.00")


def post_bills(utility, user, months: int) -> None:
    rules = PostingRules()
    for month in range(months):
        for agreement in (utility.electric, utility.water):
            dr, cr = rules.accounts("bill_charge", agreement.service, agreement.customer_class)
            post(event="bill_charge", effective_date=date(2024, 1, 31) + timedelta(days=30 * month), description="Bill",
                 lines=[Line(dr, debit=D("10.00"), account_id=utility.account.pk, agreement_id=agreement.pk),
                        Line(cr, credit=D("10.00"), account_id=utility.account.pk, agreement_id=agreement.pk)],
                 created_by=user)


def account_url(utility, name="customers:account"):
    return reverse(name, args=[utility.account.number])


# --- sign in -----------------------------------------------------------------

def test_pages_need_a_signed_in_user(client, utility):
    for url in ["/", "/search/?q=doe", account_url(utility), "/approvals/", "/audit/", "/limits/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_login_is_throttled_after_repeated_failures_even_with_the_right_password(client, users, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post("/login/", {"username": "specialist", "password": "nope-nope-nope"})
        assert response.status_code == 200 and "do not match" in response.content.decode()
    assert LoginFailure.objects.filter(username="specialist").count() == 3
    response = client.post("/login/", {"username": "specialist", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # another user is not affected, and a good sign-in clears that user's failures
    LoginFailure.objects.create(username="senior")
    response = client.post("/login/", {"username": "senior", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not LoginFailure.objects.filter(username="senior").exists()


def test_logout_is_a_post(signed_in):
    client = signed_in("assistant")
    response = client.post("/logout/")
    assert response.status_code == 302 and "_auth_user_id" not in client.session


# --- navigation --------------------------------------------------------------

def test_navigation_shows_only_what_the_role_may_open(signed_in):
    from ratepayer.console import nav

    assistant = signed_in("assistant").get("/").content.decode()
    assert 'href="/approvals/"' not in assistant and 'href="/audit/"' not in assistant
    supervisor = signed_in("supervisor").get("/").content.decode()
    assert 'href="/approvals/"' in supervisor and 'href="/audit/"' in supervisor

    nav.ENTRIES.append(nav.NavEntry("Not built yet", "billing:nothing-here", "account.view"))
    try:
        assert "Not built yet" not in signed_in("supervisor").get("/").content.decode()
    finally:
        nav.ENTRIES.pop()


def test_content_security_policy_forbids_inline_code(signed_in):
    response = signed_in("assistant").get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    html = response.content.decode()
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


# --- search ------------------------------------------------------------------

def test_search_finds_by_number_name_address_phone_email_and_meter(signed_in, utility):
    client = signed_in("assistant")
    number = utility.account.number
    for query in [number, "jane", "doe jane", "1204 pine", "425 555 0142", "555-0142", "jane.doe@example.com",
                  "e1000123"]:
        response = client.get("/search/", {"q": query}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert number in response.content.decode(), query
    response = client.get("/search/", {"q": "nobody-by-that-name"}, headers={"HX-Request": "true"})
    assert "No account matches" in response.content.decode()


def test_enter_on_a_single_match_opens_the_account(signed_in, utility):
    client = signed_in("assistant")
    response = client.get("/search/", {"q": utility.account.number})
    assert response.status_code == 302 and response["Location"] == account_url(utility)
    response = client.get("/search/", {"q": "jane", "go": "0"})
    assert response.status_code == 200 and "Jane Doe" in response.content.decode()


def test_search_costs_the_same_few_queries_however_many_accounts_match(signed_in, utility, users,
                                                                      django_assert_max_num_queries):
    from ratepayer.customers import actions

    client = signed_in("assistant")
    for i in range(30):
        customer = actions.create_customer(user=users["specialist"], name=f"Jane Roe {i}")
        actions.open_account(user=users["specialist"], customer=customer, mailing_line1=f"{i} Elm St",
                             mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
    with django_assert_max_num_queries(9):
        response = client.get("/search/", {"q": "jane"}, headers={"HX-Request": "true"})
    assert response.content.decode().count('class="result"') == 25


# --- adjustments -------------------------------------------------------------

def adjustment_form(utility, **overrides):
    data = {"agreement": utility.water.pk, "direction": "credit", "amount": "42.10", "reason": "LEAK",
            "memo": "Leak repaired", "effective_date": timezone.localdate().isoformat()}
    data.update(overrides)
    return data


def test_adjustment_within_limit_posts(signed_in, utility):
    response = signed_in("specialist").post(account_url(utility, "console:account_adjust"), adjustment_form(utility))
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
    response = signed_in("specialist").post(account_url(utility, "console:account_adjust"),
                                            adjustment_form(utility, **overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Adjustment.objects.exists() and not JournalEntry.objects.exists()


def test_a_one_cent_adjustment_is_accepted(signed_in, utility):
    # a float min_value (0.01) compared with Decimal("0.01") refused it
    response = signed_in("specialist").post(account_url(utility, "console:account_adjust"),
                                            adjustment_form(utility, amount="0.01"))
    assert response.status_code == 302
    assert Adjustment.objects.get().amount == D("0.01") and balance(utility.water) == D("-0.01")
    from ratepayer.ledger import checks
    assert checks.run_all()["ok"]


def test_adjustment_on_another_accounts_service_is_refused(signed_in, utility, users):
    from ratepayer.customers import actions

    other = actions.open_account(user=users["specialist"], customer=utility.customer, mailing_line1="x",
                                 mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
    response = signed_in("specialist").post(reverse("console:account_adjust", args=[other.number]),
                                            adjustment_form(utility))
    assert response.status_code == 400 and "agreement" in response.context["form"].errors
    assert not Adjustment.objects.exists()


def test_adjustment_above_limit_waits_and_the_maker_cannot_approve(signed_in, utility, users):
    maker = signed_in("senior")  # limit 1000.00, and may approve others' work
    response = maker.post(account_url(utility, "console:account_adjust"),
                          adjustment_form(utility, direction="debit", amount="1500.00", reason="BILLERR"))
    assert response.status_code == 302
    request = ApprovalRequest.objects.get()
    assert request.status == "pending" and not JournalEntry.objects.exists()
    inbox = maker.get("/approvals/").content.decode()
    assert f'id="request-{request.pk}"' not in inbox and f'id="mine-{request.pk}"' in inbox

    response = maker.post(reverse("console:approval_decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 400 and "Nobody approves their own work" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending" and balance(utility.electric) == D("0.00")

    # the senior's own limit (1000) is below the amount: a supervisor must approve
    other_senior = signed_in("specialist2")
    assert other_senior.post(reverse("console:approval_decide", args=[request.pk]),
                             {"decision": "approve"}).status_code == 403
    supervisor = signed_in("supervisor")
    assert f'id="request-{request.pk}"' in supervisor.get("/approvals/").content.decode()
    response = supervisor.post(reverse("console:approval_decide", args=[request.pk]),
                               {"decision": "approve", "note": "checked"})
    assert response.status_code == 302
    assert balance(utility.water) == D("1500.00")
    html = supervisor.get(account_url(utility)).content.decode()
    assert "Debit adjustment — Billing error (approved by Supervisor)" in html


def test_reject_needs_a_reason_and_withdraw_is_for_the_maker(signed_in, utility, users):
    request_adjustment(user=users["specialist"], agreement=utility.electric, direction="debit", amount="900.00",
                       reason_code="BACKBILL", memo="bypass")
    request = ApprovalRequest.objects.get()
    senior = signed_in("senior")
    url = reverse("console:approval_decide", args=[request.pk])
    response = senior.post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert senior.post(url, {"decision": "withdraw"}).status_code == 400
    response = senior.post(url, {"decision": "reject", "note": "no photos"})
    assert response.status_code == 302
    assert Adjustment.objects.get().status == "rejected" and not JournalEntry.objects.exists()
    mine = signed_in("specialist").get("/approvals/").content.decode()
    assert "rejected" in mine and "no photos" in mine


def test_assistant_is_refused_the_adjustment_form_and_endpoint(signed_in, utility):
    client = signed_in("assistant")
    url = account_url(utility, "console:account_adjust")
    response = client.get(url)
    assert response.status_code == 403 and "not allowed to make adjustments" in response.content.decode()
    response = client.post(url, adjustment_form(utility))
    assert response.status_code == 403
    assert not Adjustment.objects.exists() and not JournalEntry.objects.exists()


# --- approval limits ---------------------------------------------------------

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


# --- audit trail -------------------------------------------------------------

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


# --- home --------------------------------------------------------------------

def test_home_shows_my_approvals_and_the_accounts_i_opened(signed_in, utility, users):
    request_adjustment(user=users["specialist"], agreement=utility.electric, direction="debit", amount="900.00",
                       reason_code="BACKBILL", memo="bypass")
    senior = signed_in("senior")
    senior.get(account_url(utility))
    html = senior.get("/").content.decode()
    assert "Debit adjustment $900.00" in html and utility.account.number in html
    maker = signed_in("specialist").get("/").content.decode()
    assert "Debit adjustment $900.00" in maker and "pending" in maker


def test_pages_are_never_cached(signed_in, utility):
    response = signed_in("senior").get(account_url(utility))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_live_search_after_the_session_ended_sends_the_page_to_sign_in(client, utility):
    response = client.get("/search/", {"q": "jane"}, headers={
        "HX-Request": "true", "HX-Current-URL": f"http://testserver{account_url(utility)}"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/?next=http%3A%2F%2Ftestserver%2Faccounts%2F")
    response = client.get("/search/", {"q": "jane"}, headers={
        "HX-Request": "true", "HX-Current-URL": "https://evil.example/phish"})
    assert response["HX-Redirect"] == "/login/?next=%2F"


def test_a_missing_posting_rule_is_a_form_error_and_posts_nothing(signed_in, utility, users):
    from ratepayer.ledger.models import PostingRule

    PostingRule.objects.filter(event="adjustment_credit").delete()
    response = signed_in("specialist").post(account_url(utility, "console:account_adjust"), adjustment_form(utility))
    assert response.status_code == 400
    assert "No posting rule for event 'adjustment_credit'" in " ".join(response.context["form"].non_field_errors())
    assert not Adjustment.objects.exists() and not JournalEntry.objects.exists()

    request_adjustment(user=users["specialist"], agreement=utility.water, direction="debit", amount="900.00",
                       reason_code="BILLERR", memo="x")
    PostingRule.objects.filter(event="adjustment_debit").delete()
    request = ApprovalRequest.objects.get()
    response = signed_in("senior").post(reverse("console:approval_decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 400 and "No posting rule" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending" and not JournalEntry.objects.exists()
