"""The demo's arrangements and contracts step: made through the real actions on a small
demo utility, with the ledger still balanced."""

from __future__ import annotations

from ratepayer.collections.models import ContractInstallment, LongTermContract, PaymentArrangement
from ratepayer.demo import builder
from ratepayer.ledger import checks


def test_the_demo_has_an_arrangement_and_a_sewer_connection_contract(db):
    result = builder.build(accounts=120, seed=5, months=0)
    assert result.counts["payment arrangements"] >= 1
    assert PaymentArrangement.objects.filter(kind="ordinary").exists()
    sewer = LongTermContract.objects.get(kind="sewer_connection")
    assert sewer.term_months == 180 and sewer.lien_reference
    assert ContractInstallment.objects.filter(contract=sewer).count() == 180
    assert sewer.account.agreements.filter(service="sewer", service_point__premise=sewer.premise).exists()
    assert checks.run_all()["ok"]
