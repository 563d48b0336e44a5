"""The demo opens with protections from disconnection: every premise in a weather zone,
last July's heat-alert days, a medical notice, a dispute, a registered landlord — made
through the clerk's actions — and an account's decision names them."""

from __future__ import annotations

import pytest
from django.db import transaction

from ratepayer.collections.facts import facts_for_accounts
from ratepayer.collections.models.protections import (
    Dispute,
    HeatAlert,
    MedicalCertificate,
    PremiseZone,
    RegisteredLandlord,
)
from ratepayer.customers.models import Premise
from ratepayer.demo import builder

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


def test_the_demo_has_protections(inside):
    assert PremiseZone.objects.count() == Premise.objects.count() == inside.counts["premise_zones"]
    assert HeatAlert.objects.filter(source="imported").count() == 3
    assert MedicalCertificate.objects.get().status == "awaiting_written"
    assert Dispute.objects.get().bill_id is not None
    assert RegisteredLandlord.objects.count() == inside.counts.get("registered_landlords", 0)
    cert = MedicalCertificate.objects.get()
    facts = facts_for_accounts([cert.account_id], inside.today)[cert.account_id]
    assert facts.nws_zone and [c.received_on for c in facts.medical_certificates] == [cert.notified_on]
