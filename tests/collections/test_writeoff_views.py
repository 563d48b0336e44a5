"""The closed-account pages: worklist counts by step, the account's actions,
agencies and files, write-offs and liens; refusals change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from ratepayer.collections.actions import writeoffs as wo
from ratepayer.collections.models import AgencyAssignment, AgencyFile, LienCertification, WriteOff
from ratepayer.ledger.models import JournalEntry
from tests.collections.writeoff_helpers import closed_owing
from tests.payments.conftest import assert_ledger_ok

D = Decimal


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production settings redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def agency(users):
    return wo.save_agency(user=users["supervisor"], code="NWC", name="Northwest Credit Services", fee_percent="30")


def test_worklist_counts_each_step_and_lists_the_chosen_one(users, utility, signed_in, agency):
    account = closed_owing(utility)
    page = signed_in("assistant").get(reverse("collections:closed_accounts"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Closed accounts with balances" in text and account.number in text
    # no final bill was issued in this test: the account is at the first step
    assert page.context["worklist"].counts == {"final_bill": 1}
    wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="x",
                         on=date(2025, 4, 1))
    page = signed_in("assistant").get(reverse("collections:closed_accounts") + "?step=awaiting_approval")
    assert page.context["worklist"].counts == {"awaiting_approval": 1}
    assert [r.number for r in page.context["worklist"].rows] == [account.number]


def test_worklist_query_count_does_not_grow_with_accounts(users, utility, django_assert_max_num_queries):
    from ratepayer.collections.queries import writeoffs as writeoff_queries

    closed_owing(utility)
    with django_assert_max_num_queries(6):
        writeoff_queries.closed_accounts()


def test_the_account_page_writes_off_within_the_limit(users, utility, signed_in):
    account = closed_owing(utility, electric="40.00", water="0")
    client = signed_in("specialist")
    url = reverse("collections:closed_account", args=[account.number])
    assert "Write off" in client.get(url).content.decode()
    response = client.post(url, {"op": "write_off", "reason": "small_balance", "memo": "returned mail"}, follow=True)
    assert "written off" in response.content.decode()
    assert WriteOff.objects.get().status == "posted"
    assert_ledger_ok()


def test_the_account_page_refuses_an_early_assignment_and_changes_nothing(users, utility, signed_in, agency):
    account = closed_owing(utility)
    client = signed_in("specialist")
    url = reverse("collections:closed_account", args=[account.number])
    response = client.post(url, {"op": "assign", "agency": agency.pk, "advised_on": "2025-03-20",
                                 "assigned_on": "2025-04-01"}, follow=True)
    assert "RCW 19.16.500" in response.content.decode()
    assert not AgencyAssignment.objects.exists()
    client.post(url, {"op": "assign", "agency": agency.pk, "advised_on": "2025-03-01", "assigned_on": "2025-04-01"})
    assert AgencyAssignment.objects.get().amount_assigned == D("150.00")


def test_an_assistant_cannot_write_off_from_the_page(users, utility, signed_in):
    account = closed_owing(utility, electric="40.00", water="0")
    entries = JournalEntry.objects.count()
    response = signed_in("assistant").post(reverse("collections:closed_account", args=[account.number]),
                                           {"op": "write_off", "reason": "small_balance", "memo": "x"}, follow=True)
    assert "not allowed" in response.content.decode()
    assert not WriteOff.objects.exists() and JournalEntry.objects.count() == entries


def test_agency_file_is_written_once_and_downloads(users, utility, signed_in, agency):
    account = closed_owing(utility)
    wo.assign_to_agency(user=users["specialist"], account=account, agency=agency, advised_on=date(2025, 3, 1),
                        on=date(2025, 4, 1))
    client = signed_in("specialist")
    client.post(reverse("collections:agencies"), {"op": "write_file", "agency": agency.pk})
    f = AgencyFile.objects.get()
    response = client.get(reverse("collections:agency_file", args=[f.pk]))
    assert response["Content-Disposition"].startswith("attachment") and account.number in response.content.decode()
    again = client.post(reverse("collections:agencies"), {"op": "write_file", "agency": agency.pk}, follow=True)
    assert "No new assignments" in again.content.decode() and AgencyFile.objects.count() == 1
    assert signed_in("assistant").get(reverse("collections:agency_file", args=[f.pk])).status_code == 403


def test_liens_page_certifies_from_the_account_and_releases(users, utility, signed_in):
    account = closed_owing(utility, electric="0", water="200.00")
    client = signed_in("specialist")
    url = reverse("collections:closed_account", args=[account.number])
    bad = client.post(url, {"op": "lien", "premise": utility.premise.pk, "delinquent_since": "2025-01-31",
                            "prime_rate": "7.50", "interest_rate": "12.00"}, follow=True)
    assert "RCW 57.08.081(3)" in bad.content.decode() and not LienCertification.objects.exists()
    client.post(url, {"op": "lien", "premise": utility.premise.pk, "delinquent_since": "2025-01-31",
                      "prime_rate": "7.50", "interest_rate": "11.50"})
    lien = LienCertification.objects.get()
    listing = client.get(reverse("collections:liens")).content.decode()
    assert lien.parcel_number in listing
    client.post(reverse("collections:lien_release", args=[lien.pk]), {"reason": "paid at escrow"})
    assert LienCertification.objects.get().status == "released"
    assert_ledger_ok()


def test_write_offs_page_points_to_approvals(users, utility, signed_in):
    account = closed_owing(utility)
    wo.request_write_off(user=users["specialist"], account=account, reason="uncollectible", memo="x",
                         on=date(2025, 4, 1))
    text = signed_in("senior").get(reverse("collections:write_offs")).content.decode()
    assert "wait for approval" in text and reverse("staff:approvals") in text
    inbox = signed_in("senior").get(reverse("staff:approvals")).content.decode()
    assert f"closed account {account.number}" in inbox


def test_the_accounts_collections_tab_has_the_closed_account_panel(users, utility, signed_in):
    account = closed_owing(utility)
    tab = signed_in("assistant").get(reverse("collections:account", args=[account.number])).content.decode()
    assert 'id="panel-closed_account"' in tab and "Final bill" in tab
    assert reverse("collections:closed_account", args=[account.number]) in tab
    other = signed_in("assistant").get(reverse("collections:account", args=["10000016"]))
    assert other.status_code == 200
