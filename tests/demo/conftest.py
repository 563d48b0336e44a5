"""Fixtures for the demo tests: a scratch database of the vendor under test,
and running the `ratepayer` command against it in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def command_env(url: str) -> dict[str, str]:
    env = {**os.environ, "RATEPAYER_DATABASE_URL": url, "RATEPAYER_DEBUG": "1"}
    env.pop("RATEPAYER_TEST_DB_NAME", None)
    env.pop("RATEPAYER_TESTING", None)
    return env


def ratepayer(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ratepayer.cli", *args], cwd=ROOT, env=command_env(url),
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def scratch_database_url(db):
    """A database of the vendor under test that only this test uses."""
    if connection.vendor == "sqlite":
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"ratepayer-demo-{uuid.uuid4().hex}.sqlite3"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_demo_{uuid.uuid4().hex[:8]}"
    params = {"host": s["HOST"], "port": s["PORT"] or 5432, "user": s["USER"], "password": s["PASSWORD"] or None,
              "dbname": "postgres"}
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    yield f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{name}"
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


