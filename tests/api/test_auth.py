"""Token authentication: missing, wrong and revoked tokens get 401 and change nothing."""

from __future__ import annotations

import pytest

from ratepayer.staff.actions import create_api_token, revoke_api_token
from ratepayer.staff.models import ApiToken, AuditEvent


def _account_url(utility) -> str:
    return f"/api/v1/accounts/{utility.account.number}"


def _assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Cache-Control"] == "no-store"


def test_missing_token_is_401_and_nothing_is_audited(api, utility):
    _assert_unauthenticated(api.get(_account_url(utility)))
    assert not AuditEvent.objects.filter(action="account.viewed").exists()


@pytest.mark.parametrize("header_token", ["rp_not-a-real-token", "", "garbage"])
def test_wrong_token_is_401(api, utility, tokens, header_token):
    _assert_unauthenticated(api.get(_account_url(utility), token=header_token))
    assert not AuditEvent.objects.filter(action="account.viewed").exists()


def test_other_scheme_is_401(api, utility, tokens):
    response = api.client.get(_account_url(utility), secure=True,
                              headers={"Authorization": f"Token {tokens['assistant']}"})
    _assert_unauthenticated(response)


def test_revoked_token_is_401(api, utility, users):
    token, raw = create_api_token(user=users["specialist"], name="script")
    assert api.get(_account_url(utility), token=raw).status_code == 200
    revoke_api_token(token=token, by=users["specialist"])
    _assert_unauthenticated(api.get(_account_url(utility), token=raw))
    assert AuditEvent.objects.filter(action="account.viewed").count() == 1


def test_token_of_a_deactivated_user_is_401(api, utility, users, tokens):
    users["assistant"].is_active = False
    users["assistant"].save(update_fields=["is_active"])
    _assert_unauthenticated(api.get(_account_url(utility), token=tokens["assistant"]))


def test_token_of_someone_removed_from_every_role_is_refused(api, utility, users, tokens):
    users["assistant"].groups.clear()
    response = api.get(_account_url(utility), token=tokens["assistant"])
    assert response.status_code == 403
    message = "assistant is not allowed to use the HTTP API."
    assert response.json() == {"code": "permission_refused", "message": message, "detail": message}
    assert not AuditEvent.objects.filter(action="account.viewed").exists()


def test_token_use_is_recorded_and_audit_names_user_address_and_channel(api, utility, users, tokens):
    assert ApiToken.objects.get(user=users["auditor"]).last_used_at is None
    response = api.client.get(_account_url(utility), secure=True, REMOTE_ADDR="203.0.113.7",
                              headers={"Authorization": f"Bearer {tokens['auditor']}"})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=users["auditor"]).last_used_at is not None
    event = AuditEvent.objects.get(action="account.viewed")
    assert (event.user_id, event.ip_address, event.channel, event.account_id) == (
        users["auditor"].pk, "203.0.113.7", "api", utility.account.pk)


def test_a_session_cookie_is_not_an_api_credential(api, utility, users):
    from tests.factories import PASSWORD

    assert api.client.login(username="supervisor", password=PASSWORD)
    _assert_unauthenticated(api.get(_account_url(utility)))
