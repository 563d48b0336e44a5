from datetime import date

import pytest

from ratepayer.customers import actions
from ratepayer.customers.errors import CustomerError
from ratepayer.customers.models import AgreementEvent, ServiceAgreement
from ratepayer.customers.queries import search_account_ids
from ratepayer.staff.errors import PermissionRefused


def test_transfer_ends_and_creates_agreements_without_rewriting_history(utility, users):
    user = users["specialist"]
    new_home = actions.create_premise(user=user, line1="88 Cedar Ave", city="Lynnwood", zip="98036",
                                      services=["electric", "water"])
    created = actions.transfer_service(user=user, account=utility.account, to_premise=new_home,
                                       move_date=date(2025, 6, 15))
    old = ServiceAgreement.objects.filter(account=utility.account, status="ended").order_by("service")
    assert [(a.service, a.start_date, a.end_date) for a in old] == [
        ("electric", date(2024, 1, 2), date(2025, 6, 14)), ("water", date(2024, 1, 2), date(2025, 6, 14))]
    assert {a.service for a in created} == {"electric", "water"}
    assert all(a.start_date == date(2025, 6, 15) and a.previous_id for a in created)
    kinds = list(AgreementEvent.objects.filter(agreement__account=utility.account).values_list("kind", flat=True))
    assert kinds.count("transfer_out") == 2 and kinds.count("transfer_in") == 2


def test_a_service_point_serves_one_account_at_a_time(utility, users):
    other = actions.create_customer(user=users["specialist"], name="Bob Roe")
    account = actions.open_account(user=users["specialist"], customer=other, mailing_line1="PO Box 1",
                                   mailing_city="Everett", mailing_zip="98201", opened_on=date(2025, 1, 1))
    with pytest.raises(CustomerError, match="stop that service first"):
        actions.start_service(user=users["specialist"], account=account, service_point=utility.electric.service_point,
                              rate_schedule=utility.electric.rate_schedule, customer_class="residential",
                              bill_cycle=utility.cycle, start_date=date(2025, 2, 1))
    actions.stop_service(user=users["specialist"], agreement=utility.electric, end_date=date(2025, 1, 31))
    with pytest.raises(CustomerError, match="already stopped"):
        actions.stop_service(user=users["specialist"], agreement=utility.electric, end_date=date(2025, 1, 31))
    with pytest.raises(CustomerError, match="must be after"):
        actions.start_service(user=users["specialist"], account=account, service_point=utility.electric.service_point,
                              rate_schedule=utility.electric.rate_schedule, customer_class="residential",
                              bill_cycle=utility.cycle, start_date=date(2025, 1, 31))
    actions.start_service(user=users["specialist"], account=account, service_point=utility.electric.service_point,
                          rate_schedule=utility.electric.rate_schedule, customer_class="residential",
                          bill_cycle=utility.cycle, start_date=date(2025, 2, 1))


def test_finance_cannot_start_service(utility, users):
    with pytest.raises(PermissionRefused):
        actions.stop_service(user=users["auditor"], agreement=utility.electric, end_date=date(2025, 1, 31))
    utility.electric.refresh_from_db()
    assert utility.electric.status == "active"


@pytest.mark.parametrize("query", ["{number}", "jane doe", "Doe", "1204 pine", "pine everett", "(425) 555-0142",
                                   "555-0142", "jane.doe@example.com", "E1000123", "e1000"])
def test_search_finds_the_account_every_way(utility, query):
    assert search_account_ids(query.format(number=utility.account.number)) == [utility.account.pk]


def test_search_requires_every_word(utility):
    assert search_account_ids("jane smith") == []
    assert search_account_ids("") == []


def test_account_numbers_carry_a_luhn_check_digit():
    from ratepayer.kernel.checkdigits import is_valid_luhn

    assert actions.account_number_for(1000001) == "10000016"
    assert is_valid_luhn(actions.account_number_for(1234567))


def test_a_size_class_is_kept_and_moves_with_the_customer(utility, users):
    user = users["specialist"]
    actions.stop_service(user=user, agreement=utility.electric, end_date=date(2025, 1, 31))
    start = {"user": user, "account": utility.account, "service_point": utility.electric.service_point,
             "rate_schedule": utility.electric.rate_schedule, "customer_class": "residential",
             "bill_cycle": utility.cycle, "start_date": date(2025, 2, 1)}
    before = ServiceAgreement.objects.count()
    with pytest.raises(CustomerError, match="Size class 'huge' is not one of: small, medium, large, extra_large"):
        actions.start_service(**start, size_class="huge")
    assert ServiceAgreement.objects.count() == before
    agreement = actions.start_service(**start, size_class="medium")
    assert agreement.size_class == "medium"
    new_home = actions.create_premise(user=user, line1="9 Alder Ave", city="Everett", zip="98201",
                                      services=["electric", "water"])
    moved = actions.transfer_service(user=user, account=utility.account, to_premise=new_home,
                                     move_date=date(2025, 6, 15))
    assert {a.service: a.size_class for a in moved}["electric"] == "medium"
