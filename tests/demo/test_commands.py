"""`ratepayer demo` and `ratepayer serve`, and emptying a database with --reset."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ratepayer.customers.models import Account, Customer, Meter, Premise, ServiceAgreement
from ratepayer.demo import builder
from ratepayer.demo.actions import empty_database
from ratepayer.demo.errors import DemoError
from ratepayer.demo.management.commands import serve
from ratepayer.ledger.models import JournalEntry
from tests.demo.conftest import ratepayer


def test_demo_command_prints_counts_as_json(db):
    out = StringIO()
    call_command("demo", accounts=30, seed=5, months=0, format="json", stdout=out)
    report = json.loads(out.getvalue())
    assert set(report["steps"]) == {s.name for s in builder.STEPS}
    # the database holds what was asked for, and the printed counts are the database's
    assert Account.objects.count() == 30
    in_database = {"accounts": Account.objects.count(), "customers": Customer.objects.count(),
                   "premises": Premise.objects.count(), "meters": Meter.objects.count(),
                   "agreements": ServiceAgreement.objects.count()}
    assert {name: report["counts"][name] for name in in_database} == in_database


def test_demo_command_refuses_a_database_with_accounts(utility):
    with pytest.raises(CommandError, match="already has 1 accounts"):
        call_command("demo", accounts=30, stdout=StringIO())
    assert Account.objects.count() == 1


def test_reset_refuses_a_database_the_demo_did_not_build(utility):
    before = (Customer.objects.count(), JournalEntry.objects.count())
    with pytest.raises(DemoError, match="holds 1 accounts that the demo did not build"):
        empty_database()
    assert (Customer.objects.count(), JournalEntry.objects.count()) == before


def test_reset_rebuilds_the_demo_and_the_ledger_checks(scratch_database_url):
    first = ratepayer(scratch_database_url, "demo", "--reset", "--accounts", "25", "--months", "0", "--format", "json")
    assert first.returncode == 0, first.stderr
    again_without_reset = ratepayer(scratch_database_url, "demo", "--accounts", "25")
    assert again_without_reset.returncode != 0
    assert "already has 25 accounts" in again_without_reset.stderr
    second = ratepayer(scratch_database_url, "demo", "--reset", "--accounts", "40", "--seed", "9", "--months", "2")
    assert second.returncode == 0, second.stderr
    assert "emptied and migrated" in second.stdout and "40 accounts" in second.stdout
    check = ratepayer(scratch_database_url, "ledger", "check", "--format", "json")
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["ok"] is True


def test_serve_prints_the_url_and_one_login_per_role_then_runs_the_server(db, settings, monkeypatch):
    builder.build(accounts=12, seed=1, months=0)
    settings.DEBUG = True  # the demo's development server (production runs gunicorn: test_serve_production.py)
    settings.SESSION_COOKIE_SECURE = False
    calls = []
    monkeypatch.setattr(serve, "call_command", lambda *a, **kw: calls.append((a, kw)))
    out = StringIO()
    call_command("serve", addrport="127.0.0.1:8123", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    for login in builder.DEMO_LOGINS:
        assert f"  {login.username} " in text and login.role in text
    assert text.count(builder.DEMO_PASSWORD) == len(builder.DEMO_LOGINS) + 1
    assert calls == [(("runserver", "127.0.0.1:8123"),
                      {"use_reloader": False, "use_threading": True, "insecure_serving": True})]


def test_serve_refuses_when_sign_in_could_not_work_over_http(db, settings, monkeypatch):
    settings.DEBUG = True
    settings.SESSION_COOKIE_SECURE = True
    monkeypatch.setattr(serve, "call_command", lambda *a, **kw: pytest.fail("server started"))
    with pytest.raises(CommandError, match="secure cookies are on.*RATEPAYER_SECURE_HTTPS"):
        call_command("serve", stdout=StringIO())


def test_serve_refuses_an_unmigrated_database(db, settings, monkeypatch):
    settings.SESSION_COOKIE_SECURE = False
    monkeypatch.setattr(serve, "unapplied_migrations", lambda: ["ledger.0009_future", "billing.0007_future"])
    monkeypatch.setattr(serve, "call_command", lambda *a, **kw: pytest.fail("server started"))
    with pytest.raises(CommandError, match="2 migrations are not applied .*ratepayer migrate"):
        call_command("serve", stdout=StringIO())


def test_unapplied_migrations_is_empty_on_a_migrated_database(db):
    assert serve.unapplied_migrations() == []
