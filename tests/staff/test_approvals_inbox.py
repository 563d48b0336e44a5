"""The approvals inbox lists only requests of kinds the user may decide; the
action refuses the others if posted anyway, and changes nothing."""

from datetime import date

import pytest
from django.urls import reverse

from ratepayer.rates import actions as rate_actions
from ratepayer.rates import queries as rate_queries
from ratepayer.rates.models import RateVersion
from ratepayer.staff import approvals, roles
from ratepayer.staff.actions import create_staff_user
from ratepayer.staff.models import ApprovalRequest, AuditEvent
from tests.factories import PASSWORD


@pytest.fixture
def pending_rate_version(users):
    schedules = rate_actions.load_example_schedules().schedules
    in_force = rate_queries.version_in_force(schedules["E-7"], date(2026, 6, 1))
    draft = rate_actions.copy_version(user=users["supervisor"], source=in_force, effective_from=date(2027, 4, 1))
    request = rate_actions.submit_for_approval(user=users["supervisor"], version=draft)
    return draft, request


def _snapshot():
    return (list(RateVersion.objects.order_by("pk").values_list("pk", "status")),
            list(ApprovalRequest.objects.order_by("pk").values_list("pk", "status", "decided_by")),
            AuditEvent.objects.filter(action__startswith="approval.").count(),
            AuditEvent.objects.filter(action__startswith="rates.version_").count())


def test_a_kind_is_decided_only_by_those_with_its_capability(users):
    assert approvals.capability_to_decide("rates.version") == "rates.approve"
    assert approvals.capability_to_decide("billing.adjustment") == "approval.decide"
    assert approvals.may_decide_kind(users["supervisor"], "rates.version")
    assert not approvals.may_decide_kind(users["senior"], "rates.version")
    assert approvals.may_decide_kind(users["senior"], "billing.adjustment")
    with pytest.raises(KeyError):
        approvals.register("x.y", lambda r, u: None, capability="no.such.capability")


def test_senior_is_not_shown_a_rate_version_and_is_refused_if_posting_anyway(client, users, pending_rate_version):
    draft, request = pending_rate_version
    assert request not in approvals.inbox_for(users["senior"])
    client.force_login(users["senior"])
    for url in ("/approvals/", "/"):
        html = client.get(url).content.decode()
        assert f'id="request-{request.pk}"' not in html and f'data-approve="{request.pk}"' not in html
    before = _snapshot()
    url = reverse("staff:approval_decide", args=[request.pk])
    response = client.post(url, {"decision": "approve", "note": "looks fine"})
    assert response.status_code == 403
    response = client.post(url, {"decision": "reject", "note": "no"})
    assert response.status_code == 403
    assert _snapshot() == before
    draft.refresh_from_db()
    assert draft.status == "pending"


def test_a_second_supervisor_sees_and_approves_it(client, users, pending_rate_version):
    draft, request = pending_rate_version
    checker = create_staff_user(username="supervisor2", password=PASSWORD, roles=[roles.SUPERVISOR])
    client.force_login(checker)
    html = client.get("/approvals/").content.decode()
    assert f'data-approve="{request.pk}"' in html
    response = client.post(reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "approved"


def test_senior_still_sees_the_kinds_they_may_decide(client, users, utility, pending_rate_version):
    from decimal import Decimal

    from ratepayer.billing.actions import request_adjustment

    adjustment = request_adjustment(user=users["specialist"], agreement=utility.electric,
                                    direction="credit", amount=Decimal("400.00"), reason_code="LEAK",
                                    memo="leak", effective_date=date(2024, 3, 1))
    ids = {r.pk for r in approvals.inbox_for(users["senior"])}
    assert adjustment.approval_request_id in ids and pending_rate_version[1].pk not in ids
