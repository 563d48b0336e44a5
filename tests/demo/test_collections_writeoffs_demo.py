"""The demo opens with closed accounts that still owe: one at the agency step, one
at an agency in a referral file, one write-off waiting for approval — all through
the clerk's actions, the ledger still clean."""

from __future__ import annotations

import pytest
from django.db import transaction

from ratepayer.collections.models import AgencyAssignment, AgencyFile, WriteOff
from ratepayer.collections.queries import writeoffs as writeoff_queries
from ratepayer.demo import builder
from ratepayer.ledger import checks
from ratepayer.staff.models import ApprovalRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = builder.build(accounts=60, seed=11, months=3)
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def inside(demo, django_db_blocker):
    with django_db_blocker.unblock():
        yield demo


def test_the_demo_has_closed_accounts_at_each_collections_step(inside):
    assert inside.counts["closed_with_balance"] == 3
    pending = WriteOff.objects.get(status="pending")
    assert ApprovalRequest.objects.get(pk=pending.approval_request_id).status == "pending"
    assert AgencyAssignment.objects.get().status == "assigned" and AgencyFile.objects.count() == 1
    counts = writeoff_queries.closed_accounts().counts
    assert counts.get("awaiting_approval") == 1 and counts.get("at_agency") == 1
    assert counts.get("agency", 0) + counts.get("final_bill", 0) >= 1
    assert checks.run_all()["ok"]
    # like the history, nothing the step did is dated today
    from ratepayer.customers.models import Account
    from ratepayer.ledger.models import JournalEntry

    closed = Account.objects.filter(status="closed").values_list("pk", flat=True)
    assert not JournalEntry.objects.filter(effective_date__gte=inside.today, lines__account_id__in=closed).exists()
