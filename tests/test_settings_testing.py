"""Test mode is an explicit variable, never a guess from what is imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_runs_in_test_mode_by_its_own_setting():
    assert os.environ["RATEPAYER_TESTING"] == "1"
    assert settings.TESTING
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_importing_pytest_does_not_switch_test_mode_on():
    env = {k: v for k, v in os.environ.items() if k not in ("RATEPAYER_TESTING", "RATEPAYER_DEBUG")}
    env.update(RATEPAYER_SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="ratepayer.settings",
               PYTHONPATH=str(ROOT / "src"))
    code = "import pytest, django; django.setup(); from django.conf import settings; print(settings.TESTING)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_admin_is_not_mounted(client):
    assert client.get("/admin/", secure=True).status_code == 404
    assert client.get("/admin/login/", secure=True).status_code == 404
    assert "django.contrib.admin" not in settings.INSTALLED_APPS


def test_the_first_supervisor_is_created_by_a_command_not_an_admin_site(db, capsys):
    import pytest
    from django.contrib.auth import get_user_model
    from django.core.management import CommandError, call_command

    from ratepayer.staff import roles

    call_command("supervisor", "create", "mgarcia", "--first-name", "Maria", "--last-name", "Garcia")
    printed = capsys.readouterr().out
    user = get_user_model().objects.get(username="mgarcia")
    assert list(user.groups.values_list("name", flat=True)) == [roles.SUPERVISOR] and not user.is_superuser
    password = printed.split("temporary password ")[1].split()[0]
    assert user.check_password(password)
    with pytest.raises(CommandError, match="already taken"):
        call_command("supervisor", "create", "mgarcia")
