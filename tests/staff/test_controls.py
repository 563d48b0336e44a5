import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from ratepayer.customers.actions import reveal_pii
from ratepayer.customers.models import Customer
from ratepayer.staff import actions, permissions, roles
from ratepayer.staff.errors import LoginThrottled, PermissionRefused
from ratepayer.staff.models import ApprovalRequest, AuditEvent


def test_every_role_is_a_group_with_its_matrix(users):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
    assert permissions.has(users["supervisor"], "approval_limit.edit")
    assert not permissions.has(users["assistant"], "adjustment.request")
    assert permissions.has(users["auditor"], "ledger.view") and not permissions.has(users["auditor"], "payment.take")


def test_assistant_opening_pii_is_refused_and_changes_nothing(utility, users):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionRefused, match="tax ID"):
        reveal_pii(user=users["assistant"], customer=utility.customer)
    assert AuditEvent.objects.count() == events
    shown = reveal_pii(user=users["senior"], customer=utility.customer)
    assert shown == {"tax_id": "123-45-6789", "date_of_birth": "1980-04-02"}
    assert AuditEvent.objects.filter(action="customer.pii_viewed", user=users["senior"]).count() == 1


def test_pii_is_encrypted_at_rest(utility):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tax_id, date_of_birth FROM customers_customer WHERE id = %s", [utility.customer.pk])
        tax_id, dob = cursor.fetchone()
    assert "6789" not in tax_id and "1980" not in dob
    assert Customer.objects.get(pk=utility.customer.pk).tax_id == "123-45-6789"


def test_audit_trail_is_append_only(utility):
    event = AuditEvent.objects.first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE staff_auditevent SET action = 'x' WHERE id = %s", [event.pk])


def test_database_refuses_a_maker_deciding_their_own_request(users):
    request = ApprovalRequest.objects.create(kind="x", summary="x", maker=users["senior"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.filter(pk=request.pk).update(decided_by=users["senior"])


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_login_throttling_after_repeated_failures(users):
    for _ in range(3):
        actions.check_login_allowed("specialist", "10.0.0.9")
        actions.record_login_failure("specialist", "10.0.0.9")
    with pytest.raises(LoginThrottled, match="Too many failed sign-ins"):
        actions.check_login_allowed("specialist", "10.0.0.9")
    actions.check_login_allowed("senior", "10.0.0.10")


def test_api_tokens_are_stored_as_digests(users):
    token, raw = actions.create_api_token(user=users["specialist"], name="scripts")
    assert raw not in token.digest and raw.startswith("rp_")
    assert actions.authenticate_api_token(raw) == users["specialist"]
    actions.revoke_api_token(token=token, by=users["specialist"])
    assert actions.authenticate_api_token(raw) is None
