"""`ratepayer token create/revoke/list`: the raw token is printed once and works."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ratepayer.staff.models import ApiToken, AuditEvent


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_token_once_and_it_authenticates(api, utility, users):
    out, err = _run("create", "specialist", "GIS export")
    raw = out.strip()
    assert raw.startswith("rp_") and "\n" not in raw
    assert "shown only this once" in err
    token = ApiToken.objects.get(user=users["specialist"])
    assert token.name == "GIS export" and raw not in (token.digest, token.prefix)
    assert api.get(f"/api/v1/accounts/{utility.account.number}", token=raw).status_code == 200
    listing, _ = _run("list", "specialist")
    assert "GIS export" in listing and token.prefix in listing and raw not in listing
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.channel == "command"


def test_create_json(users):
    body = json.loads(_run("create", "auditor", "reports", "--format", "json")[0])
    assert body["user"] == "auditor" and body["name"] == "reports" and body["token"].startswith(body["prefix"])


def test_revoke_stops_the_token(api, utility, users):
    raw = _run("create", "specialist", "GIS export")[0].strip()
    out, _ = _run("revoke", "specialist", "GIS export")
    assert "revoked 1 token" in out
    assert api.get(f"/api/v1/accounts/{utility.account.number}", token=raw).status_code == 401
    rows = json.loads(_run("list", "--format", "json")[0])
    assert rows[0]["revoked_at"] is not None
    with pytest.raises(CommandError, match="no active token named 'GIS export'"):
        _run("revoke", "specialist", "GIS export")


@pytest.mark.parametrize("args, message", [
    (("create", "nobody", "x"), "user 'nobody': no such staff user"),
    (("create", "specialist", "  "), "name: give the token a name"),
    (("create", "specialist", "x" * 101), "name: at most 100 characters"),
])
def test_bad_input_is_refused_and_creates_nothing(users, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert not ApiToken.objects.exists()


def test_a_user_without_an_api_role_gets_no_token(users):
    users["assistant"].groups.clear()
    with pytest.raises(CommandError, match="not allowed to use the API"):
        _run("create", "assistant", "script")
    assert not ApiToken.objects.exists()
