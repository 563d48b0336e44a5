"""The demo opens with a living collections worklist: accounts at every stage
of collections, the ledger still exact, nothing dated today."""

from __future__ import annotations

import pytest
from django.db import transaction

from ratepayer.collections import queries
from ratepayer.collections.models import AgencyReferral, LateFee, Notice, ServiceOrder
from ratepayer.demo import builder
from ratepayer.ledger.checks import run_all
from ratepayer.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = builder.build(accounts=90, seed=7, months=4)
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def inside(demo, django_db_blocker):
    with django_db_blocker.unblock():
        yield demo


def test_the_worklist_has_accounts_at_every_stage(inside):
    today = inside.today
    steps = {s.key: s.count for s in queries.worklist_counts(today)}
    assert steps["disconnect"] > 0 and steps["reconnect"] == 2, steps
    assert LateFee.objects.exists() and Notice.objects.filter(kind="final").exists()
    assert ServiceOrder.objects.filter(kind="disconnect", status="completed", field_result="done").exists()
    assert AgencyReferral.objects.exists() or Notice.objects.filter(kind="agency_warning").exists()
    stages = {queries.account_collections(a, today).stage
              for a in set(Notice.objects.values_list("account_id", flat=True))}
    assert {"disconnect_ordered", "disconnected", "reconnect_ordered"} <= stages, stages
    assert stages & {"notified", "final_notice", "past_due"}, stages


def test_the_ledger_is_exact_and_nothing_is_dated_today(inside):
    assert run_all()["ok"], [c for c in run_all()["checks"] if not c["ok"]]
    assert not JournalEntry.objects.filter(effective_date__gte=inside.today).exclude(event="refund").exists()
