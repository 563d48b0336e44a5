"""The staff console in a real browser: sign-in, search, account page,
adjustments with approval, and refused actions."""

from decimal import Decimal

import pytest

from ratepayer.billing.models import Adjustment
from ratepayer.customers.models import AccountNote
from ratepayer.ledger.models import ARBalance, JournalEntry
from ratepayer.staff.models import ApprovalRequest, AuditEvent
from tests.browser.conftest import assert_fits_width, login, screenshot

pytestmark = pytest.mark.browser

D = Decimal


def balance(agreement) -> Decimal:
    row = ARBalance.objects.filter(agreement=agreement).first()
    return row.balance if row else D("0.00")


def test_login_and_throttled_login(page, live_server, browser_data, settings):
    page.goto(live_server.url + "/")
    assert "/login/" in page.url
    assert_fits_width(page)
    screenshot(page, "login")
    login(page, live_server, "specialist", "wrong-password-1", expect_home=False)
    assert page.locator(".form-errors").inner_text().startswith("That user name and password do not match")
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        login(page, live_server, "specialist", "wrong-password-1", expect_home=False)
    # now even the right password is refused, with a message that says what to do
    login(page, live_server, "specialist", expect_home=False)
    message = page.locator(".form-errors").inner_text()
    assert "Too many failed sign-ins" in message and "minutes" in message
    assert_fits_width(page)
    screenshot(page, "login-throttled")
    assert "/login/" in page.url
    login(page, live_server, "senior")
    assert page.locator("h1").inner_text().startswith("Hello, Senior")
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    assert "g a" in page.locator("#shortcuts").inner_text().replace("\n", " ").replace("\t", " ")
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts").is_visible()
    assert_fits_width(page)
    screenshot(page, "home")


def post_history(utility, user):
    """A bill per service and a check payment, through the ledger."""
    from datetime import date

    from ratepayer.ledger.actions import Line, PostingRules, post

    rules = PostingRules()
    for agreement, amount in ((utility.electric, D("120.00")), (utility.water, D("45.50"))):
        dr, cr = rules.accounts("bill_charge", agreement.service, agreement.customer_class)
        post(event="bill_charge", effective_date=date(2025, 1, 31), description="Bill",
             lines=[Line(dr, debit=amount, account_id=utility.account.pk, agreement_id=agreement.pk),
                    Line(cr, credit=amount, account_id=utility.account.pk, agreement_id=agreement.pk)],
             created_by=user)
    dr, cr = rules.accounts("payment")
    post(event="payment", effective_date=date(2025, 2, 10), description="Payment",
         lines=[Line(dr, debit=D("100.00")),
                Line(cr, credit=D("100.00"), account_id=utility.account.pk, agreement_id=utility.electric.pk,
                     memo="check 1042")],
         created_by=user)


def test_search_by_name_shows_results_as_you_type_and_opens_the_account(page, live_server, browser_data):
    number = browser_data.utility.account.number
    login(page, live_server, "assistant")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-q"
    page.keyboard.type("jane do")
    result = page.locator("#global-results a.result").first
    result.wait_for()
    assert number in result.inner_text() and "Jane Doe" in result.inner_text()
    assert "1204 Pine St, Everett" in result.inner_text()
    assert_fits_width(page)
    screenshot(page, "search-as-you-type")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/accounts/{number}/")
    assert page.locator("#account-number").inner_text() == number

    # Enter on an exact account number goes straight to the account
    page.goto(live_server.url + "/")
    page.fill("#global-q", number)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/accounts/{number}/")

    # a meter number and a phone number find it too; nothing found says so
    page.goto(live_server.url + "/search/?q=E1000123&go=0")
    assert number in page.locator("#page-results").inner_text()
    page.fill("#page-q", "425-555-0142")
    page.locator("#page-results .result-meta", has_text="phone").wait_for()
    page.fill("#page-q", "zyzzyva")
    page.locator("#page-results .results-none").wait_for()
    assert_fits_width(page)
    screenshot(page, "search-nothing-found")


def test_account_page_answers_who_where_what_is_owed_and_what_happened(page, live_server, browser_data, new_page):
    utility, users = browser_data.utility, browser_data.users
    post_history(utility, users["specialist"])
    number = utility.account.number
    login(page, live_server, "assistant")
    page.goto(f"{live_server.url}/accounts/{number}/")
    assert page.locator("#account-balance").inner_text() == "$65.50"
    balances = page.locator("#balances").inner_text()
    assert "Electric\t$20.00" in balances and "Water\t$45.50" in balances
    history = page.locator("#history").inner_text()
    assert "Bill for Jan 2025 — electric" in history and "Bill for Jan 2025 — water" in history
    assert "Payment — check 1042" in history
    assert "1204 Pine St, Everett" in page.locator("#h-services + .premise").inner_text()
    assert "E1000123" in page.inner_text("main")
    # PII masked, and no Show control for an assistant
    assert page.locator("#tax-id").inner_text() == "•••••6789"
    assert "1980" not in page.locator("#dob").inner_text()
    assert page.locator("#show-pii").count() == 0
    assert AuditEvent.objects.filter(action="account.viewed", user=users["assistant"], account_id=utility.account.pk).exists()

    # log a call
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == "note-text"
    page.select_option("#note-kind", "call")
    page.keyboard.type("Customer asked about the January bill; explained the water base charge.")
    page.click("text=Save note")
    page.locator(".msg-success", has_text="Note added").wait_for()
    assert "explained the water base charge" in page.locator(".notes").inner_text()
    assert AccountNote.objects.filter(account=utility.account, kind="call", created_by=users["assistant"]).count() == 1
    assert_fits_width(page)
    screenshot(page, "account")
    # scrolled down to the history, the account number and balance stay in view
    page.set_viewport_size({"width": 1280, "height": 600})
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("window.scrollY > 200")
    header = page.locator(".topbar").bounding_box()
    head = page.locator(".account-head").bounding_box()
    assert abs(head["y"] - (header["y"] + header["height"])) < 2
    screenshot(page, "account-scrolled", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 800})

    # a senior specialist may reveal PII; it is audited
    senior = new_page()
    login(senior, live_server, "senior")
    senior.goto(f"{live_server.url}/accounts/{number}/")
    senior.click("#show-pii")
    senior.locator(".pii-shown").wait_for()
    assert senior.locator("#tax-id").inner_text() == "123-45-6789"
    assert senior.locator("#dob").inner_text() == "1980-04-02"
    assert AuditEvent.objects.filter(action="customer.pii_viewed", user=users["senior"]).count() == 1
    assert_fits_width(senior)
    screenshot(senior, "account-pii-shown")


def test_adjustment_within_limit_posts_and_shows_in_history(page, live_server, browser_data):
    utility = browser_data.utility
    number = utility.account.number
    login(page, live_server, "specialist")
    page.goto(f"{live_server.url}/accounts/{number}/")
    page.keyboard.press("j")
    page.wait_for_url(f"**/accounts/{number}/adjust/")
    page.select_option("#id_agreement", str(utility.water.pk))
    page.check("input[name=direction][value=credit]")
    page.fill("#id_amount", "0")
    page.select_option("#id_reason", "LEAK")
    page.fill("#id_memo", "Leak repaired 2025-01-12, plumber's receipt seen")
    page.click("text=Submit adjustment")
    assert "Enter at least 0.01" in page.locator(".field.has-error").inner_text()
    assert not Adjustment.objects.exists()
    page.fill("#id_amount", "42.10")
    assert_fits_width(page)
    screenshot(page, "adjustment-form")
    page.click("text=Submit adjustment")
    page.locator(".msg-success", has_text="Credit adjustment of $42.10 posted").wait_for()
    assert page.locator("#account-balance").inner_text() == "-$42.10"
    assert "Credit adjustment — Leak adjustment" in page.locator("#history").inner_text()
    assert balance(utility.water) == D("-42.10")


def test_adjustment_above_limit_waits_for_another_persons_approval(page, live_server, browser_data, new_page):
    utility = browser_data.utility
    number = utility.account.number
    login(page, live_server, "specialist")  # adjustment limit 250.00
    page.goto(f"{live_server.url}/accounts/{number}/adjust/")
    page.select_option("#id_agreement", str(utility.electric.pk))
    page.check("input[name=direction][value=debit]")
    page.fill("#id_amount", "900.00")
    page.select_option("#id_reason", "BACKBILL")
    page.fill("#id_memo", "Meter bypass found by field crew on 2025-02-03")
    page.click("text=Submit adjustment")
    page.locator(".msg-warning", has_text="above your adjustment limit").wait_for()
    assert page.locator("#account-balance").inner_text() == "$0.00"
    request = ApprovalRequest.objects.get()
    assert request.status == "pending" and not JournalEntry.objects.exists()

    # the maker sees the request as waiting, with no approve button ...
    page.goto(f"{live_server.url}/approvals/")
    assert "waiting for someone else" in page.locator(f"#mine-{request.pk}").inner_text()
    assert page.locator("[data-approve]").count() == 0
    assert_fits_width(page)
    screenshot(page, "approvals-maker")
    # ... and a forced POST by the maker is refused and changes nothing
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = page.request.post(f"{live_server.url}/approvals/{request.pk}/decide/",
                                 form={"decision": "approve", "csrfmiddlewaretoken": token})
    assert response.status == 403 and "not allowed to approve or reject requests" in response.text()
    request.refresh_from_db()
    assert request.status == "pending" and balance(utility.electric) == D("0.00")

    # another person approves it in their inbox
    senior = new_page()
    login(senior, live_server, "senior")
    senior.keyboard.press("g")
    senior.keyboard.press("a")
    senior.wait_for_url("**/approvals/")
    row = senior.locator(f"#request-{request.pk}")
    assert "$900.00" in row.inner_text() and number in row.inner_text()
    assert_fits_width(senior)
    screenshot(senior, "approvals-inbox")
    row.locator("[data-approve]").click()
    senior.locator(".msg-success", has_text=f"Request #{request.pk} approved").wait_for()
    request.refresh_from_db()
    assert request.status == "approved" and balance(utility.electric) == D("900.00")

    page.goto(f"{live_server.url}/accounts/{number}/")
    assert page.locator("#account-balance").inner_text() == "$900.00"
    assert "Debit adjustment — Back-billing for unbilled usage (approved by Senior)" in page.locator(
        "#history").inner_text()


def test_refused_actions_change_nothing(page, live_server, browser_data):
    utility = browser_data.utility
    number = utility.account.number
    login(page, live_server, "assistant")
    page.goto(f"{live_server.url}/accounts/{number}/")
    assert page.locator("#adjust-link").count() == 0 and page.locator("#show-pii").count() == 0
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    events = AuditEvent.objects.count()

    response = page.request.post(f"{live_server.url}/accounts/{number}/adjust/", form={
        "csrfmiddlewaretoken": token, "agreement": str(utility.water.pk), "direction": "credit", "amount": "10.00",
        "reason": "GOODWILL", "memo": "forced", "effective_date": "2025-02-01"})
    assert response.status == 403 and "assistant is not allowed to make adjustments" in response.text()
    response = page.request.post(f"{live_server.url}/accounts/{number}/pii/", form={"csrfmiddlewaretoken": token})
    assert response.status == 403 and "not allowed to see customer tax ID" in response.text()
    assert "123-45-6789" not in response.text()
    assert not Adjustment.objects.exists() and not JournalEntry.objects.exists()
    assert AuditEvent.objects.count() == events

    page.goto(f"{live_server.url}/accounts/{number}/adjust/")
    assert page.locator(".refused-message").inner_text() == "assistant is not allowed to make adjustments."
    assert_fits_width(page)
    screenshot(page, "refused")
    page.goto(f"{live_server.url}/audit/")
    assert "not allowed to read the audit trail" in page.locator(".refused-message").inner_text()


def test_supervisor_schedules_a_limit_and_reads_the_audit_trail(page, live_server, browser_data):
    from datetime import timedelta

    from django.utils import timezone

    login(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/limits/")
    in_force = page.locator("#limits-in-force").inner_text()
    assert "Account specialist\t$250.00" in in_force
    starts = timezone.localdate() + timedelta(days=30)
    page.select_option("#id_role", "Account specialist")
    page.select_option("#id_action", "adjustment")
    page.fill("#id_amount", "400")
    page.fill("#id_effective_from", starts.isoformat())
    page.fill("#id_reason", "Board resolution 2025-14")
    page.click("text=Set limit")
    page.locator(".msg-success").wait_for()
    scheduled = page.locator("#limits-scheduled").inner_text()
    assert starts.isoformat() in scheduled and "$400.00" in scheduled
    assert "Account specialist\t$250.00" in page.locator("#limits-in-force").inner_text()  # not yet in force
    assert_fits_width(page)
    screenshot(page, "limits")

    page.goto(f"{live_server.url}/accounts/{browser_data.utility.account.number}/")
    page.goto(f"{live_server.url}/audit/?action=account.viewed")
    events = page.locator("#audit-events").inner_text()
    assert "account.viewed" in events and "supervisor" in events and "approval_limit.set" not in events
    page.goto(f"{live_server.url}/audit/?user=supervisor")
    assert "approval_limit.set" in page.locator("#audit-events").inner_text()
    assert_fits_width(page)
    screenshot(page, "audit")


def test_move_and_stop_service(page, live_server, browser_data):
    from ratepayer.customers import actions
    from ratepayer.customers.models import ServiceAgreement

    utility, users = browser_data.utility, browser_data.users
    new_home = actions.create_premise(user=users["specialist"], line1="88 Cedar Ave", city="Everett", zip="98203",
                                      services=["electric", "water"])
    number = utility.account.number
    login(page, live_server, "assistant")
    page.goto(f"{live_server.url}/accounts/{number}/")
    page.click("text=Start / stop / move")
    page.fill("#premise-q", "88 cedar")
    page.click("#start .premise-search button")
    page.check(f"input[name=to_premise][value='{new_home.pk}']")
    page.fill("#transfer input[name=move_date]", "2025-03-01")
    assert_fits_width(page)
    screenshot(page, "service")
    page.click("#transfer button[type=submit]")
    page.locator(".msg-success", has_text="Service moved to 88 Cedar Ave, Everett from 2025-03-01").wait_for()
    assert "88 Cedar Ave, Everett" in page.locator("#h-services + .premise").inner_text()
    assert "2 ended services" in page.inner_text("main")

    page.click("text=Start / stop / move")
    water = ServiceAgreement.objects.get(account=utility.account, status="active", service="water")
    page.select_option("#stop select[name=agreement]", str(water.pk))
    page.fill("#stop input[name=end_date]", "2025-02-01")  # before the start: refused, said where
    page.click("#stop button[type=submit]")
    assert "cannot end before" in page.locator("#stop .form-errors").inner_text()
    water.refresh_from_db()
    assert water.status == "active"
    page.fill("#stop input[name=end_date]", "2025-06-30")
    page.click("#stop button[type=submit]")
    page.locator(".msg-success", has_text="Water service ends 2025-06-30").wait_for()
    water.refresh_from_db()
    assert water.status == "ended" and str(water.end_date) == "2025-06-30"
