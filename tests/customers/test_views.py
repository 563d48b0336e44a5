"""The account page and the service start/stop/move page through Django's
test client: what each role sees, what is refused (and changes nothing), and
how many queries a page costs."""

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from ratepayer.billing.actions import request_adjustment
from ratepayer.customers.models import AccountNote, Premise, ServiceAgreement
from ratepayer.ledger.actions import Line, PostingRules, post
from ratepayer.staff.models import AuditEvent

D = Decimal


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


# --- account page ------------------------------------------------------------

def test_account_page_in_plain_words_with_balances_by_service(signed_in, utility, users):
    post_bills(utility, users["specialist"], 1)
    rules = PostingRules()
    dr, cr = rules.accounts("payment")
    post(event="payment", effective_date=date(2024, 2, 15), description="Payment",
         lines=[Line(dr, debit=D("15.00")), Line(cr, credit=D("15.00"), account_id=utility.account.pk,
                                                 agreement_id=utility.electric.pk, memo="check 1042")])
    request_adjustment(user=users["specialist"], agreement=utility.water, direction="credit", amount="4.00",
                       reason_code="LEAK", memo="leak")
    client = signed_in("assistant")
    html = client.get(account_url(utility)).content.decode()
    assert 'id="account-balance">$1.00<' in html
    assert "Bill for Jan 2024 — electric" in html and "Bill for Jan 2024 — water" in html
    assert "Payment — check 1042" in html
    assert "Credit adjustment — Leak adjustment" in html and "approved by" not in html
    assert "•••••6789" in html and "123-45-6789" not in html and "1980-04-02" not in html
    assert 'id="show-pii"' not in html and 'id="adjust-link"' not in html
    assert AuditEvent.objects.filter(action="account.viewed", user=users["assistant"],
                                     account_id=utility.account.pk).count() == 1


def test_account_page_queries_do_not_grow_with_history(signed_in, utility, users, django_assert_max_num_queries):
    client = signed_in("senior")
    post_bills(utility, users["specialist"], 2)
    request_adjustment(user=users["specialist"], agreement=utility.water, direction="credit", amount="4.00",
                       reason_code="LEAK", memo="leak")
    client.get(account_url(utility))  # session warm-up
    # 13 for the page as it was, then one each for the bills, the autopay enrollment and the changes
    with django_assert_max_num_queries(16) as small:
        client.get(account_url(utility))
    post_bills(utility, users["specialist"], 40)
    for _ in range(5):
        request_adjustment(user=users["specialist"], agreement=utility.water, direction="credit", amount="1.00",
                           reason_code="LEAK", memo="leak")
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(account_url(utility))
    html = response.content.decode()
    assert html.count("Bill for") == 25 - 6 and "Older →" in html
    assert len(large.captured_queries) == len(small.captured_queries)
    with django_assert_max_num_queries(len(small.captured_queries) + 1):
        page3 = client.get(account_url(utility), {"page": 4})
    assert "← Newer" in page3.content.decode()


def test_account_page_queries_do_not_grow_with_services_meters_contacts_and_notes(
        signed_in, utility, users, django_assert_max_num_queries):
    from ratepayer.customers import actions
    from ratepayer.customers.models import Meter

    client = signed_in("senior")
    client.get(account_url(utility))  # session warm-up
    with django_assert_max_num_queries(16) as small:
        html = client.get(account_url(utility)).content.decode()
    assert "E1000123" in html  # the meter installed at the service point
    user = users["specialist"]
    for i in range(6):
        premise = actions.create_premise(user=user, line1=f"{100 + i} Oak Ave", city="Everett", zip="98201",
                                         services=["electric"])
        point = premise.service_points.get()
        actions.install_meter(user=user, meter=Meter.objects.create(serial_number=f"E20000{i}", service="electric",
                                                                    dial_count=5),
                              service_point=point, installed_on=date(2020, 1, 1))
        actions.start_service(user=user, account=utility.account, service_point=point,
                              rate_schedule=utility.electric.rate_schedule, customer_class="residential",
                              bill_cycle=utility.cycle, start_date=date(2024, 2, 1))
    for i in range(8):
        actions.add_contact(user=user, customer=utility.customer, name=f"Helper {i}", phone=f"(425) 555-01{i:02d}")
    for i in range(12):
        actions.add_note(user=user, account=utility.account, text=f"call {i}")
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        html = client.get(account_url(utility)).content.decode()
    assert all(f"E20000{i}" in html and f"{100 + i} Oak Ave" in html for i in range(6))
    assert "Helper 7" in html and "call 11" in html
    assert len(large.captured_queries) == len(small.captured_queries)


def test_history_running_balance_is_right_on_later_pages(signed_in, utility, users):
    from ratepayer.customers.queries import account_history

    post_bills(utility, users["specialist"], 15)  # 30 lines of 10.00
    first = account_history(utility.account, 1)
    second = account_history(utility.account, 2)
    assert first.rows[0].balance_after == D("300.00") and first.has_next
    assert second.rows[0].balance_after == D("50.00") and second.rows[-1].balance_after == D("10.00")
    assert not second.has_next
    html = signed_in("assistant").get(account_url(utility), {"page": 2}, headers={
        "HX-Request": "true", "HX-Target": "history"}).content.decode()
    assert html.startswith('\n<div id="history">') and "$50.00" in html


def test_pii_is_shown_only_to_roles_with_the_capability_and_audited(signed_in, utility, users):
    url = account_url(utility, "customers:account_pii")
    response = signed_in("assistant").post(url, headers={"HX-Request": "true"})
    assert response.status_code == 403 and "123-45-6789" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="customer.pii_viewed").exists()
    assert signed_in("assistant").get(url).status_code == 405

    senior = signed_in("senior")
    assert 'id="show-pii"' in senior.get(account_url(utility)).content.decode()
    response = senior.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "123-45-6789" in html and "1980-04-02" in html and "<html" not in html
    assert AuditEvent.objects.filter(action="customer.pii_viewed", user=users["senior"]).count() == 1


def test_notes_are_added_and_empty_ones_refused(signed_in, utility, users):
    client = signed_in("assistant")
    url = account_url(utility, "customers:account_note")
    response = client.post(url, {"kind": "call", "text": "Asked for a payment extension"})
    assert response.status_code == 302
    note = AccountNote.objects.get()
    assert note.kind == "call" and note.created_by == users["assistant"]
    response = client.post(url, {"kind": "call", "text": "   "})
    assert response.status_code == 400 and AccountNote.objects.count() == 1
    auditor = signed_in("auditor")
    assert auditor.post(url, {"kind": "note", "text": "hi"}).status_code == 403
    assert AccountNote.objects.count() == 1


def test_unknown_account_is_a_404(signed_in):
    assert signed_in("assistant").get("/accounts/99999999/").status_code == 404


# --- service -----------------------------------------------------------------

def test_stop_start_and_move_service(signed_in, utility, users):
    from ratepayer.customers import actions

    client = signed_in("assistant")
    url = account_url(utility, "customers:account_service")
    new_home = actions.create_premise(user=users["specialist"], line1="88 Cedar Ave", city="Everett", zip="98203",
                                      services=["electric", "water"])
    response = client.get(url, {"premise": "cedar"})
    assert "88 Cedar Ave" in response.content.decode()
    response = client.post(url + "?premise=cedar", {"op": "transfer", "to_premise": new_home.pk,
                                                    "move_date": "2025-03-01"})
    assert response.status_code == 302
    active = ServiceAgreement.objects.filter(account=utility.account, status="active")
    assert {a.service_point.premise_id for a in active} == {new_home.pk}

    water = active.get(service="water")
    response = client.post(url, {"op": "stop", "agreement": water.pk, "end_date": "2025-02-01"})
    assert response.status_code == 400
    assert "cannot end before" in " ".join(response.context["stop_form"].errors["__all__"])
    response = client.post(url, {"op": "stop", "agreement": water.pk, "end_date": "2025-04-30"})
    assert response.status_code == 302
    water.refresh_from_db()
    assert water.status == "ended"

    response = client.post(url, {"op": "start", "service_point": water.service_point_id,
                                 "rate_schedule": water.rate_schedule_id, "customer_class": "residential",
                                 "bill_cycle": water.bill_cycle_id, "start_date": "2025-05-01"})
    assert response.status_code == 302
    assert ServiceAgreement.objects.filter(account=utility.account, status="active").count() == 2


def test_service_changes_are_refused_without_the_capability(signed_in, utility):
    response = signed_in("auditor").post(account_url(utility, "customers:account_service"),
                                         {"op": "stop", "agreement": utility.water.pk, "end_date": "2025-04-30"})
    assert response.status_code == 403
    utility.water.refresh_from_db()
    assert utility.water.status == "active"


def test_start_service_at_an_occupied_point_names_the_problem(signed_in, utility):
    url = account_url(utility, "customers:account_service")
    premise = Premise.objects.get()
    response = signed_in("assistant").post(url + f"?premise={premise.line1}", {
        "op": "start", "service_point": utility.water.service_point_id, "rate_schedule": utility.water.rate_schedule_id,
        "customer_class": "residential", "bill_cycle": utility.water.bill_cycle_id, "start_date": "2025-05-01"})
    assert response.status_code == 400
    assert "service_point" in response.context["start_form"].errors  # not offered: it is not vacant
    assert ServiceAgreement.objects.filter(account=utility.account).count() == 2


