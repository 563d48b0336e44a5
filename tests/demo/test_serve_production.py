"""`ratepayer serve` in production (RATEPAYER_DEBUG unset): gunicorn answers the
sign-in page and a static file (WhiteNoise) for an allowed host behind a TLS
proxy, refuses another Host with 400; with --task-workers, its workers finish
a bill run started as the console starts it, and stop with the server."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.demo.conftest import ROOT, command_env, ratepayer

HOST = "cis.example-utility.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(url: str, tmp_path: Path) -> dict[str, str]:
    env = command_env(url)
    env.pop("RATEPAYER_DEBUG")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({"RATEPAYER_SECRET_KEY": secrets.token_urlsafe(50),
                "RATEPAYER_FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "RATEPAYER_ALLOWED_HOSTS": HOST, "RATEPAYER_FORWARDED_ALLOW_IPS": "127.0.0.1",
                "RATEPAYER_STATIC_ROOT": str(tmp_path / "static"), "RATEPAYER_WEB_WORKERS": "2"})
    return env


def wait_for_port(port: int, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited: {server.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start listening")


def get(port: int, path: str, host: str = HOST) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def children_of(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


@pytest.fixture
def migrated_url(scratch_database_url):
    done = ratepayer(scratch_database_url, "migrate", "--no-input", "-v", "0")
    assert done.returncode == 0, done.stderr
    return scratch_database_url


def test_production_server_answers_allowed_hosts_with_static_files_and_refuses_others(migrated_url, tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ratepayer.cli", "serve", "--addrport", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=production_env(migrated_url, tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, server)
        status, body, headers = get(port, "/login/")
        assert status == 200 and b"password" in body.lower()
        assert "gunicorn" in headers.get("Server", "")  # not Django's development server
        status, body, headers = get(port, "/static/console/console.css")
        assert status == 200 and len(body) > 1000 and "max-age" in headers.get("Cache-Control", "")
        assert get(port, "/login/", host="evil.example.com")[0] == 400
        assert get(port, "/admin/")[0] == 404
        status, _, headers = get(port, "/nothing-here/")
        assert status in (302, 404)
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert "Traceback" not in output, output


def test_production_server_refuses_to_start_without_allowed_hosts(migrated_url, tmp_path):
    env = production_env(migrated_url, tmp_path)
    env.pop("RATEPAYER_ALLOWED_HOSTS")
    done = subprocess.run([sys.executable, "-m", "ratepayer.cli", "serve", "--addrport", f"127.0.0.1:{free_port()}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "RATEPAYER_ALLOWED_HOSTS" in done.stderr


START_RUN = """
import django; django.setup()
from datetime import date
from ratepayer.demo import synthetic
from ratepayer.billing.actions import start_bill_run
from ratepayer.customers.models import BillCycle
from tests import factories
synthetic.build(accounts=40, cycle_code="K1", seed=11, start=date(2025, 1, 14), period_end=date(2025, 2, 14))
user = factories.staff_users()["specialist"]
start_bill_run(user=user, cycle=BillCycle.objects.get(code="K1"), period_end=date(2025, 2, 14))
"""

PREPARE_PDFS = """
import django; django.setup()
from ratepayer.billing.actions import request_documents
from ratepayer.billing.models import BillRun
from django.contrib.auth import get_user_model
request_documents(user=get_user_model().objects.get(username="specialist"), run=BillRun.objects.get())
"""


def test_serve_runs_workers_that_finish_a_bill_run_and_its_pdfs_and_stop_with_it(migrated_url, tmp_path):
    """What `make demo` runs: the development server with two workers beside it."""
    env = {**command_env(migrated_url), "RATEPAYER_MEDIA_ROOT": str(tmp_path / "media"),
           "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
           "RATEPAYER_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ratepayer.cli", "serve", "--addrport", f"127.0.0.1:{port}",
                               "--task-workers", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    workers: set[int] = set()
    try:
        wait_for_port(port, server)
        workers = children_of(server.pid)
        assert len(workers) == 2
        subprocess.run([sys.executable, "-c", START_RUN], cwd=ROOT, env=env, check=True, timeout=600)

        def query(sql):
            out = subprocess.run([sys.executable, "-m", "ratepayer.cli", "shell", "-c",
                                  f"from django.db import connection; c = connection.cursor(); c.execute({sql!r}); "
                                  "print(c.fetchall())"], cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=120)
            lines = out.stdout.strip().splitlines()  # after "N objects imported automatically"
            return lines[-1] if lines else ""

        deadline = time.monotonic() + 300
        while "finished" not in query("SELECT status FROM billing_billrun") and time.monotonic() < deadline:
            time.sleep(1)
        assert query("SELECT status, bills_issued + bills_held FROM billing_billrun") == "[('finished', 40)]"
        subprocess.run([sys.executable, "-c", PREPARE_PDFS], cwd=ROOT, env=env, check=True, timeout=600)
        issued = int(query("SELECT COUNT(*) FROM billing_bill WHERE status = 'issued'").strip("[(,)]"))
        deadline = time.monotonic() + 300
        while len(list((tmp_path / "media").rglob("bill-*.pdf"))) < issued and time.monotonic() < deadline:
            time.sleep(1)
        assert issued > 0 and len(list((tmp_path / "media").rglob("bill-*.pdf"))) == issued
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=90)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workers and not any(alive(pid) for pid in workers), "the workers outlived the server"
