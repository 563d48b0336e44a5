"""Rate schedule actions: drafts, copies, maker-checker approval, immutability,
refusals that change nothing, and the example loader."""

from datetime import date
from decimal import Decimal

import pytest

from ratepayer import rating
from ratepayer.rates import actions, documents, queries
from ratepayer.rates.errors import DocumentError, RatesError
from ratepayer.rates.models import RateSchedule, RateVersion
from ratepayer.staff import approvals
from ratepayer.staff.errors import ApprovalError, PermissionRefused
from ratepayer.staff.models import ApprovalRequest, AuditEvent

pytestmark = pytest.mark.django_db

NEW_RATES = date(2027, 4, 1)


def snapshot():
    return (RateSchedule.objects.count(), list(RateVersion.objects.order_by("pk").values_list("pk", "status")),
            ApprovalRequest.objects.count(), AuditEvent.objects.count())


def e7_document_with_energy_rate(examples, rate: str) -> dict:
    in_force = queries.version_in_force(examples["E-7"], date(2026, 6, 1))
    document = documents.stored_document(rating.parse_tariff(in_force.document))
    document["versions"][0]["components"][1]["blocks"][0]["rate"] = rate
    return document


def test_create_schedule_and_refusals(users):
    schedule = actions.create_schedule(user=users["supervisor"], code="e-9", name="Irrigation", service="electric")
    assert schedule.code == "E-9"
    before = snapshot()
    with pytest.raises(PermissionRefused):
        actions.create_schedule(user=users["specialist"], code="E-10", name="Lighting", service="electric")
    with pytest.raises(RatesError, match="^Code: a schedule E-9 already exists"):
        actions.create_schedule(user=users["supervisor"], code="E-9", name="Again", service="electric")
    with pytest.raises(RatesError, match="^Service: "):
        actions.create_schedule(user=users["supervisor"], code="G-1", name="Gas", service="gas")
    with pytest.raises(RatesError, match="^Code: "):
        actions.create_schedule(user=users["supervisor"], code="no spaces", name="x", service="water")
    assert snapshot() == before


def test_a_draft_is_validated_and_dated_by_the_version(users, examples):
    document = e7_document_with_energy_rate(examples, "0.09000")
    draft = actions.draft_version(user=users["supervisor"], schedule=examples["E-7"], effective_from=NEW_RATES,
                                  document=document, notes="2027 rate case")
    assert draft.status == "draft" and draft.created_by == users["supervisor"]
    assert draft.document["versions"][0]["effective"] == "2027-04-01"  # the version's date, not the copy's
    assert rating.parse_tariff(draft.document).versions[0].components[1].blocks[0].rate == Decimal("0.09")
    assert queries.version_in_force(examples["E-7"], date(2027, 5, 1)).effective_from == date(2026, 4, 1)


def test_bad_documents_are_refused_naming_the_field_and_nothing_is_written(users, examples):
    schedule = examples["E-7"]
    before = snapshot()
    bad_rate = e7_document_with_energy_rate(examples, "0.090000001")
    with pytest.raises(DocumentError) as caught:
        actions.draft_version(user=users["supervisor"], schedule=schedule, effective_from=NEW_RATES, document=bad_rate)
    assert caught.value.field == "versions.0.components.1.blocks.0.rate"
    assert "more than 8 decimal places" in str(caught.value)
    negative = e7_document_with_energy_rate(examples, "-0.09")
    with pytest.raises(DocumentError) as caught:
        actions.draft_version(user=users["supervisor"], schedule=schedule, effective_from=NEW_RATES, document=negative)
    assert caught.value.field == "versions.0.components.1.blocks.0.rate"
    assert "-0.09 is negative" in str(caught.value)
    whole_example = documents.stored_document(rating.load_tariff("snopud_schedule_7.yaml"))
    with pytest.raises(DocumentError, match="holds one set of rates, this document has 6"):
        actions.draft_version(user=users["supervisor"], schedule=schedule, effective_from=NEW_RATES,
                              document=whole_example)
    water = documents.stored_document(rating.load_tariff("clinton_water_district.yaml"))
    with pytest.raises(DocumentError, match="the document is for water, schedule E-7 is electric"):
        actions.draft_version(user=users["supervisor"], schedule=schedule, effective_from=NEW_RATES, document=water)
    with pytest.raises(RatesError, match="already approved from 2026-04-01"):
        actions.copy_version(user=users["supervisor"], source=queries.version_in_force(schedule, NEW_RATES),
                             effective_from=date(2026, 4, 1))
    assert snapshot() == before


def test_only_rates_managers_draft_and_submit(users, examples):
    source = queries.version_in_force(examples["E-7"], date(2026, 6, 1))
    before = snapshot()
    for name in ("assistant", "specialist", "senior", "kam", "auditor"):
        with pytest.raises(PermissionRefused):
            actions.copy_version(user=users[name], source=source, effective_from=NEW_RATES)
    assert snapshot() == before
    draft = actions.copy_version(user=users["supervisor"], source=source, effective_from=NEW_RATES)
    before = snapshot()
    with pytest.raises(PermissionRefused):
        actions.submit_for_approval(user=users["senior"], version=draft)
    with pytest.raises(PermissionRefused):
        actions.update_draft(user=users["specialist"], version=draft, effective_from=NEW_RATES,
                             document=draft.document)
    assert snapshot() == before


def test_maker_checker_new_version_is_in_force_from_its_date_once_approved(users, supervisor2, examples):
    schedule = examples["E-7"]
    draft = actions.draft_version(user=users["supervisor"], schedule=schedule, effective_from=NEW_RATES,
                                  document=e7_document_with_energy_rate(examples, "0.09000"))
    request = actions.submit_for_approval(user=users["supervisor"], version=draft)
    draft.refresh_from_db()
    assert draft.status == "pending" and request.kind == "rates.version" and request.subject_id == draft.pk
    assert request.payload["url"] == f"/rates/E-7/?right={draft.pk}"  # the side by side, for the approver
    assert request in approvals.inbox_for(supervisor2) and request not in approvals.inbox_for(users["supervisor"])
    assert queries.version_in_force(schedule, NEW_RATES).effective_from == date(2026, 4, 1)  # pending bills nobody

    before = snapshot()
    with pytest.raises(ApprovalError, match="Nobody approves their own work"):
        approvals.approve(request_id=request.pk, approver=users["supervisor"])
    with pytest.raises(PermissionRefused, match="approve rate schedule versions"):
        approvals.approve(request_id=request.pk, approver=users["senior"])  # may decide, but not rates
    with pytest.raises(PermissionRefused):
        approvals.approve(request_id=request.pk, approver=users["specialist"])
    assert snapshot() == before

    actions.approve_version(user=supervisor2, version=draft, note="board resolution 2027-03")
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.approved_by == supervisor2 and draft.approved_at is not None
    assert queries.version_in_force(schedule, NEW_RATES - date.resolution) != draft
    assert queries.version_in_force(schedule, NEW_RATES) == draft
    assert AuditEvent.objects.filter(action="rates.version_approved", object_id=str(draft.pk)).exists()


def test_an_approved_version_is_never_edited(users, supervisor2, examples):
    approved = queries.version_in_force(examples["E-7"], date(2026, 6, 1))
    with pytest.raises(RatesError, match="only a draft can be changed"):
        actions.update_draft(user=users["supervisor"], version=approved, effective_from=NEW_RATES,
                             document=approved.document)
    approved.notes = "edited"
    with pytest.raises(ValueError, match="approved and cannot be changed"):
        approved.save()
    with pytest.raises(RatesError, match="cannot become waiting for approval"):
        actions.submit_for_approval(user=users["supervisor"], version=approved)
    approved.refresh_from_db()
    assert approved.notes != "edited"


def test_reject_is_final_and_withdraw_returns_to_draft(users, supervisor2, examples):
    source = queries.version_in_force(examples["E-7"], date(2026, 6, 1))
    first = actions.copy_version(user=users["supervisor"], source=source, effective_from=NEW_RATES)
    actions.submit_for_approval(user=users["supervisor"], version=first)
    before = snapshot()
    with pytest.raises(PermissionRefused, match="reject rate schedule versions"):
        actions.reject_version(user=users["senior"], version=first, note="not mine to decide")
    assert snapshot() == before
    with pytest.raises(ApprovalError, match="Say why"):
        actions.reject_version(user=supervisor2, version=first, note=" ")
    actions.reject_version(user=supervisor2, version=first, note="wait for the rate study")
    first.refresh_from_db()
    assert first.status == "rejected"
    with pytest.raises(RatesError, match="not waiting for approval"):
        actions.approve_version(user=supervisor2, version=first)

    second = actions.copy_version(user=users["supervisor"], source=source, effective_from=NEW_RATES)
    request = actions.submit_for_approval(user=users["supervisor"], version=second)
    approvals.cancel(request_id=request.pk, maker=users["supervisor"])
    second.refresh_from_db()
    assert second.status == "draft"
    second = actions.update_draft(user=users["supervisor"], version=second, effective_from=date(2027, 5, 1),
                                  document=second.document, notes="moved a month")
    assert second.effective_from == date(2027, 5, 1)
    assert second.document["versions"][0]["effective"] == "2027-05-01"


def test_two_versions_for_one_date_cannot_both_be_approved(users, supervisor2, examples):
    source = queries.version_in_force(examples["E-7"], date(2026, 6, 1))
    one = actions.copy_version(user=users["supervisor"], source=source, effective_from=NEW_RATES)
    two = actions.copy_version(user=users["supervisor"], source=source, effective_from=NEW_RATES)
    actions.submit_for_approval(user=users["supervisor"], version=one)
    request_two = actions.submit_for_approval(user=users["supervisor"], version=two)
    actions.approve_version(user=supervisor2, version=one)
    before = snapshot()
    with pytest.raises(ApprovalError, match=f"version #{one.pk} of E-7 is already approved from 2027-04-01"):
        approvals.approve(request_id=request_two.pk, approver=supervisor2)
    assert snapshot() == before
    assert ApprovalRequest.objects.get(pk=request_two.pk).status == "pending"


def test_load_example_schedules_is_idempotent(db):
    first = actions.load_example_schedules()
    assert {"E-7", "E-24", "E-SCL-RES", "W-RES", "S-RES"} <= set(first.schedules_created)
    assert len([v for v in first.versions_created if v.startswith("E-7 ")]) == 6
    counts = (RateSchedule.objects.count(), RateVersion.objects.count(), AuditEvent.objects.count())
    again = actions.load_example_schedules()
    assert again.schedules_created == [] and again.versions_created == []
    assert sorted(again.versions_kept) == sorted(first.versions_created)
    assert (RateSchedule.objects.count(), RateVersion.objects.count(), AuditEvent.objects.count()) == counts
    assert all(v.status == "approved" and len(v.document["versions"]) == 1 for v in RateVersion.objects.all())
