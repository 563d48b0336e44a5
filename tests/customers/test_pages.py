"""The customers pages through Django's test client: the new-customer page's
duplicate check and its confirmation, errors under the field they name,
service points added on the premise page, closing with the final bill named
by its date, and refusals that change nothing."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

from ratepayer.customers import actions
from ratepayer.customers.models import Account, Customer, ServicePoint
from ratepayer.demo.sample_rates import install_sample_rates
from ratepayer.staff.models import AuditEvent

NEW = {"kind": "person", "first_name": "Jane", "last_name": "Doe", "mailing_line1": "9 Elm St",
       "mailing_city": "Everett", "mailing_state": "WA", "mailing_zip": "98201", "language": "en",
       "bill_delivery": "paper", "opened_on": "2025-01-10"}


def test_new_customer_page_shows_matches_then_opens_on_confirmation(signed_in, utility):
    client = signed_in("specialist")
    url = reverse("customers:new")
    assert client.get(url).status_code == 200
    response = client.post(url, NEW)
    assert response.status_code == 400 and Customer.objects.count() == 1
    html = response.content.decode()
    assert 'id="duplicates"' in html and utility.account.number in html and 'id="id_confirm_not_duplicate"' in html
    response = client.post(url, {**NEW, "confirm_not_duplicate": "on"})
    account = Account.objects.exclude(pk=utility.account.pk).get()
    assert response.status_code == 302 and response.url == reverse("customers:account", args=[account.number])
    assert AuditEvent.objects.filter(action="customer.duplicate_confirmed", account_id=account.pk).exists()


def test_new_customer_errors_sit_under_their_field(signed_in, utility):
    response = signed_in("specialist").post(reverse("customers:new"), {**NEW, "first_name": "Ann", "tax_id": "12-34"})
    assert response.status_code == 400 and Customer.objects.count() == 1
    assert response.context["form"].errors == {"tax_id": ["nine digits, e.g. 123-45-6789 (SSN) or 12-3456789 (EIN)."]}


def test_pages_that_change_accounts_refuse_roles_without_the_capability(signed_in, utility):
    number = utility.account.number
    for client in (signed_in("assistant"), signed_in("auditor")):
        assert client.post(reverse("customers:new"), {**NEW, "first_name": "Ann"}).status_code == 403
        assert client.post(reverse("customers:account_edit", args=[number]),
                           {"op": "address", "mailing_line1": "1 A St", "mailing_city": "Everett",
                            "mailing_state": "WA", "mailing_zip": "98201"}).status_code == 403
        assert client.post(reverse("customers:account_close", args=[number]),
                           {"closed_on": "2025-02-01", f"read_{utility.electric.pk}": "5"}).status_code == 403
        assert client.post(reverse("customers:premise", args=[utility.premise.pk]),
                           {"op": "service_point", "service": "sewer"}).status_code == 403
    assert Customer.objects.count() == 1 and Account.objects.get().status == "active"
    assert Account.objects.get().mailing_line1 == "1204 Pine St" and ServicePoint.objects.count() == 2


def test_a_service_point_is_added_on_the_premise_page(signed_in, utility):
    client = signed_in("specialist")
    url = reverse("customers:premise", args=[utility.premise.pk])
    assert 'id="add-point"' in client.get(url).content.decode()
    response = client.post(url, {"op": "service_point", "service": "sewer", "label": "Main"})
    assert response.status_code == 302
    assert utility.premise.service_points.filter(service="sewer", label="Main").exists()
    response = client.post(url, {"op": "service_point", "service": "gas"})
    assert response.status_code == 400 and ServicePoint.objects.count() == 3
    assert 'id="add-point"' not in signed_in("assistant").get(url).content.decode()


def test_closing_on_the_page_names_the_final_bill_by_its_date(signed_in, utility, users):
    rates = install_sample_rates()
    user = users["specialist"]
    premise = actions.create_premise(user=user, line1="77 New Rd", city="Monroe", zip="98272", services=["electric"])
    point = premise.service_points.get()
    actions.install_new_meter(user=user, service_point=point, serial_number="E77001", installed_on=date(2025, 1, 2),
                              first_read="10")
    account = actions.open_customer_account(user=user, first_name="Ana", last_name="Reyes", mailing_line1="PO Box 9",
                                            mailing_city="Monroe", mailing_zip="98272", opened_on=date(2025, 1, 10))
    agreement = actions.start_service(user=user, account=account, service_point=point, rate_schedule=rates["RES-E"],
                                      customer_class="residential", bill_cycle=utility.cycle,
                                      start_date=date(2025, 1, 10), move_in_read="150")
    client = signed_in("specialist")
    url = reverse("customers:account_close", args=[account.number])
    response = client.post(url, {"closed_on": "2025-02-09"})
    assert response.status_code == 400 and Account.objects.get(pk=account.pk).status == "active"
    response = client.post(url, {"closed_on": "2025-02-09", f"read_{agreement.pk}": "850"}, follow=True)
    bill = account.bills.get()
    text = " ".join(str(m) for m in response.context["messages"])
    assert f"Final bill of {bill.bill_date:%Y-%m-%d}:" in text and f"bill {bill.pk}" not in text
    html = response.content.decode()
    assert reverse("billing:bill_pdf", args=[bill.pk]) in html
    assert f'>{bill.bill_date:%Y-%m-%d}</a>' in html


def test_a_meter_is_installed_with_its_first_read_on_the_premise_page(signed_in, utility):
    from ratepayer.metering.models import RegisterRead

    client = signed_in("specialist")
    point = ServicePoint.objects.create(premise=utility.premise, service="water", label="Irrigation")
    url = reverse("customers:premise", args=[utility.premise.pk])
    html = client.get(url).content.decode()
    assert f'name="service_point" value="{point.pk}"' in html  # posted unprefixed: the view finds the point by it
    fields = {f"sp{point.pk}-{k}": v for k, v in {
        "serial_number": "W77001", "kind": "register", "unit": "CCF", "dial_count": "4", "multiplier": "1",
        "size": "3/4", "installed_on": "2025-01-02", "first_read": "-1"}.items()}
    response = client.post(url, {"service_point": point.pk, **fields})
    assert response.status_code == 400 and not RegisterRead.objects.exists()
    form = response.context["rows"][-1][3]
    assert form.errors == {"first_read": ["a reading of 0 or more with at most 4 decimal places."]}
    response = client.post(url, {"service_point": point.pk, **fields, f"sp{point.pk}-first_read": "0.5"})
    assert response.status_code == 302
    read = RegisterRead.objects.get(meter__serial_number="W77001")
    assert read.value == Decimal("0.5") and read.read_type == "meter_in" and read.service_point == point


def test_customer_details_are_corrected_on_the_edit_page(signed_in, utility):
    client = signed_in("specialist")
    url = reverse("customers:account_edit", args=[utility.account.number])
    html = client.get(url).content.decode()
    assert 'id="customer"' in html and "123-45-6789" not in html and "1980-04-02" not in html
    response = client.post(url, {"op": "customer", "kind": "person", "first_name": "Jane", "last_name": "",
                                 "tax_id": ""})
    assert response.status_code == 400
    assert response.context["customer_form"].errors == {"last_name": ["a person needs a last name."]}
    response = client.post(url, {"op": "customer", "kind": "person", "first_name": "Jane", "last_name": "Roe"})
    assert response.status_code == 302
    utility.customer.refresh_from_db()
    assert utility.customer.name == "Jane Roe" and utility.customer.tax_id == "123-45-6789"


def test_service_starts_on_the_page_with_a_move_in_read(signed_in, utility, users):
    from ratepayer.metering.models import RegisterRead

    rates = install_sample_rates()
    user = users["specialist"]
    premise = actions.create_premise(user=user, line1="77 New Rd", city="Monroe", zip="98272", services=["electric"])
    point = premise.service_points.get()
    actions.install_new_meter(user=user, service_point=point, serial_number="E77001", installed_on=date(2025, 1, 2),
                              first_read="10")
    account = actions.open_customer_account(user=user, first_name="Ana", last_name="Reyes", mailing_line1="PO Box 9",
                                            mailing_city="Monroe", mailing_zip="98272", opened_on=date(2025, 1, 10))
    url = reverse("customers:account_service", args=[account.number]) + "?premise=77+new"
    response = signed_in("specialist").post(url, {
        "op": "start", "service_point": point.pk, "rate_schedule": rates["RES-E"].pk, "customer_class": "residential",
        "bill_cycle": utility.cycle.pk, "start_date": "2025-01-10", "move_in_read": "150"})
    assert response.status_code == 302, response.context["start_form"].errors
    read = RegisterRead.objects.get(meter__serial_number="E77001", read_date=date(2025, 1, 10))
    assert read.value == Decimal("150") and read.status == "valid"


def test_service_stops_on_the_page_with_a_final_read(signed_in, utility):
    from ratepayer.metering.models import RegisterRead

    url = reverse("customers:account_service", args=[utility.account.number])
    client = signed_in("specialist")
    response = client.post(url, {"op": "stop", "agreement": utility.electric.pk, "end_date": "2025-01-09",
                                  "final_read": "-5"})
    assert response.status_code == 400 and not RegisterRead.objects.exists()
    assert response.context["stop_form"].errors == {"final_read": ["a reading of 0 or more with at most 4 decimal "
                                                                   "places."]}
    utility.electric.refresh_from_db()
    assert utility.electric.status == "active"
    response = client.post(url, {"op": "stop", "agreement": utility.electric.pk, "end_date": "2025-01-09",
                                 "final_read": "5000"}, follow=True)
    assert "Electric service ends 2025-01-09 with a final read of 5000." in [str(m) for m in
                                                                           response.context["messages"]]
    read = RegisterRead.objects.get(meter=utility.meter)
    assert (read.read_date, read.value, read.read_type) == (date(2025, 1, 9), Decimal("5000"), "final")
