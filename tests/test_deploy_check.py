"""`ratepayer check --deploy` is clean with production-like settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("RATEPAYER_") and key not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    # (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright in this process; production never has it)
    env.update({
        "DJANGO_SETTINGS_MODULE": "ratepayer.settings",
        "RATEPAYER_SECRET_KEY": secrets.token_urlsafe(64),
        "RATEPAYER_FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "RATEPAYER_ALLOWED_HOSTS": "cis.example-utility.org",
        "RATEPAYER_VAR_DIR": str(tmp_path),
    })
    result = subprocess.run(
        [sys.executable, "-c", "from ratepayer.cli import main; main()", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
