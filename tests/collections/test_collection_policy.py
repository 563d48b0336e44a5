"""The collection policy: effective-dated, the most specific row wins, changed
only with a second person's approval, never above a statutory ceiling (the
refusal names the statute), and never rewriting what was already charged."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ratepayer.collections import queries, statutes
from ratepayer.collections.actions import policy as policy_actions
from ratepayer.collections.errors import PolicyError
from ratepayer.collections.models import CollectionPolicy
from ratepayer.staff import approvals
from ratepayer.staff.errors import ApprovalError

pytestmark = pytest.mark.django_db


def _values(**changes):
    base = policy_actions.policy_values(queries.collection_policy_on(date(2025, 1, 1), service="water"))
    base.update(changes)
    return base


def test_the_seeded_policies_resolve_by_service():
    electric = queries.collection_policy_on(date(2025, 1, 1), service="electric", customer_class="residential")
    water = queries.collection_policy_on(date(2025, 1, 1), service="water", customer_class="residential")
    assert (electric.utility_type, electric.late_fee_kind, electric.late_fee_flat) == ("pud", "flat", Decimal("5.00"))
    assert (water.utility_type, water.late_fee_percent) == ("water_sewer", Decimal("10.00"))
    assert water.late_fee_for(Decimal("60.00")) == Decimal("6.00")
    assert water.late_fee_for(Decimal("9.99")) == Decimal("0.00")  # under the minimum past-due balance


@pytest.mark.parametrize(("changes", "field", "statute"), [
    ({"late_fee_percent": "10.01"}, "late_fee_percent", "RCW 57.08.081(3)"),
    ({"late_fee_kind": "flat", "late_fee_flat": "5.00"}, "late_fee_kind", "RCW 57.08.081(3)"),
    ({"lien_interest_percent": "11.51", "prime_rate_percent": "7.50"}, "lien_interest_percent", "RCW 57.08.081(3)"),
    ({"contract_max_months": "181"}, "contract_max_months", "RCW 57.08.005(11)"),
    ({"conservation_loan_max_months": "241"}, "conservation_loan_max_months", "RCW 54.16.280"),
])
def test_a_value_over_a_statutory_ceiling_is_refused_with_the_statute(users, changes, field, statute):
    with pytest.raises(PolicyError) as refused:
        policy_actions.request_policy_change(user=users["supervisor"], effective_from=timezone.localdate()
                                             + timedelta(days=1), values=_values(**changes), reason="board")
    assert refused.value.field == field and statute in str(refused.value)
    # at the ceiling itself: lawful
    at_ceiling = {"late_fee_percent": "10.00", "lien_interest_percent": "11.50", "contract_max_months": "180",
                  "conservation_loan_max_months": "240"}
    assert statutes.check_policy({**_values(), **{k: at_ceiling.get(k, v) for k, v in changes.items()
                                                  if k != "late_fee_kind"}}) == []


def test_a_change_takes_a_second_person_and_never_rewrites_a_charged_fee(users):
    tomorrow = timezone.localdate() + timedelta(days=1)
    request = policy_actions.request_policy_change(user=users["supervisor"], effective_from=tomorrow,
                                                   values=_values(late_fee_percent="8.00"), reason="resolution 25-3")
    assert not CollectionPolicy.objects.filter(effective_from=tomorrow).exists()
    with pytest.raises(ApprovalError):
        approvals.approve(request_id=request.pk, approver=users["supervisor"])  # the maker cannot decide
    approvals.approve(request_id=request.pk, approver=users["senior"])
    new = CollectionPolicy.objects.get(effective_from=tomorrow)
    assert (new.late_fee_percent, new.proposed_by, new.approved_by) == (Decimal("8.00"), users["supervisor"],
                                                                       users["senior"])
    assert queries.collection_policy_on(tomorrow, service="water").pk == new.pk
    assert queries.collection_policy_on(timezone.localdate(), service="water").late_fee_percent == Decimal("10.00")


def test_a_policy_starts_tomorrow_at_the_earliest(users):
    with pytest.raises(PolicyError) as refused:
        policy_actions.request_policy_change(user=users["supervisor"], effective_from=timezone.localdate(),
                                             values=_values(), reason="board")
    assert refused.value.field == "effective_from"
    with pytest.raises(Exception, match="not allowed to change the collection policy"):
        policy_actions.request_policy_change(user=users["specialist"], effective_from=timezone.localdate()
                                             + timedelta(days=3), values=_values(), reason="board")
