"""The billing policy page: policies by effective date, supervisors add a new one
from a future date (never an edit), audited, refused to others with nothing changed."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ratepayer.billing import actions, billrun
from ratepayer.billing.errors import BillingError
from ratepayer.billing.models import BillingPolicy
from ratepayer.staff.errors import PermissionRefused
from ratepayer.staff.models import AuditEvent

TOMORROW = timezone.localdate() + timedelta(days=1)
VALUES = dict(days_to_bill=3, days_until_due=21, high_bill_percent="80", high_bill_minimum_history=4,
              max_consecutive_estimates=2, regular_period_days=30, bill_message="Conserve water this summer.",
              interval_register_tolerance_percent="1.5")


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def _snapshot():
    return (list(BillingPolicy.objects.order_by("pk").values()),
            AuditEvent.objects.filter(action="billing_policy.set").count())


def test_a_supervisor_adds_a_policy_in_force_from_its_date(users):
    old = billrun.billing_policy_on(timezone.localdate())
    policy = actions.set_billing_policy(user=users["supervisor"], effective_from=TOMORROW, **VALUES)
    assert policy.high_bill_percent == Decimal("80.00") and policy.days_to_bill == 3
    assert policy.interval_register_tolerance_percent == Decimal("1.50")
    assert billrun.billing_policy_on(timezone.localdate()) == old  # today's bills keep today's policy
    assert billrun.billing_policy_on(TOMORROW) == policy
    event = AuditEvent.objects.get(action="billing_policy.set", object_id=str(policy.pk))
    assert event.user == users["supervisor"]
    assert event.before["days_to_bill"] == old.days_to_bill and event.after["high_bill_percent"] == "80.00"


@pytest.mark.parametrize("name", ["specialist", "senior", "auditor"])
def test_other_roles_are_refused_and_nothing_changes(users, name):
    before = _snapshot()
    with pytest.raises(PermissionRefused, match="change the billing policy"):
        actions.set_billing_policy(user=users[name], effective_from=TOMORROW, **VALUES)
    assert _snapshot() == before


@pytest.mark.parametrize("change, message", [
    ({"effective_from": timezone.localdate()}, "starts tomorrow"),
    ({"effective_from": date(2020, 1, 1)}, "starts tomorrow"),
    ({"days_until_due": 5}, "Days until due"),
    ({"days_to_bill": -1}, "Days to bill"),
    ({"high_bill_percent": "0"}, "High-bill percent"),
    ({"high_bill_percent": "lots"}, "High-bill percent"),
    ({"max_consecutive_estimates": 13}, "Consecutive estimates"),
    ({"regular_period_days": 400}, "Regular period"),
    ({"bill_message": "x" * 301}, "at most 300"),
    ({"interval_register_tolerance_percent": "-1"}, "Interval/register tolerance"),
    ({"interval_register_tolerance_percent": "21"}, "Interval/register tolerance"),
    ({"interval_register_tolerance_percent": "some"}, "Interval/register tolerance"),
])
def test_bad_input_is_refused_by_name_and_changes_nothing(users, change, message):
    before = _snapshot()
    with pytest.raises(BillingError, match=message):
        actions.set_billing_policy(user=users["supervisor"], **{"effective_from": TOMORROW, **VALUES, **change})
    assert _snapshot() == before


def test_a_policy_is_never_edited(users):
    actions.set_billing_policy(user=users["supervisor"], effective_from=TOMORROW, **VALUES)
    before = _snapshot()
    with pytest.raises(BillingError, match="already starts on"):
        actions.set_billing_policy(user=users["supervisor"], effective_from=TOMORROW, **{**VALUES, "days_to_bill": 5})
    assert _snapshot() == before


def test_page_lists_policies_and_only_supervisors_get_the_form(client, users, django_assert_max_num_queries):
    actions.set_billing_policy(user=users["supervisor"], effective_from=TOMORROW, **VALUES)
    client.force_login(users["specialist"])
    html = client.get("/billing/policy/").content.decode()
    assert f'id="policy-{TOMORROW:%Y-%m-%d}"' in html and "scheduled" in html and "in force" in html
    assert "Add policy" not in html
    before = _snapshot()
    response = client.post("/billing/policy/", {"effective_from": TOMORROW + timedelta(days=1), **VALUES})
    assert response.status_code == 403 and _snapshot() == before

    client.force_login(users["supervisor"])
    with django_assert_max_num_queries(8):
        html = client.get("/billing/policy/").content.decode()
    in_force = billrun.billing_policy_on(timezone.localdate())
    assert "Add policy" in html and f'name="days_to_bill" value="{in_force.days_to_bill}"' in html  # starts from today's
    response = client.post("/billing/policy/", {"effective_from": TOMORROW, **VALUES})
    assert response.status_code == 400 and "already starts on" in response.content.decode()
    assert "Nothing was changed" in response.content.decode()
    later = TOMORROW + timedelta(days=30)
    response = client.post("/billing/policy/", {"effective_from": later, **{**VALUES, "days_until_due": 25}})
    assert response.status_code == 302
    assert BillingPolicy.objects.get(effective_from=later).days_until_due == 25
