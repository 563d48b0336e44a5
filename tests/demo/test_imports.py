"""The demo's modules import one way: builder -> history -> payments (no circle)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.django_db  # the suite's session fixtures open the test database

CHECK = """
import django, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
django.setup()
import ratepayer.demo.payments
assert "ratepayer.demo.builder" not in sys.modules and "ratepayer.demo.history" not in sys.modules, "payments"
import ratepayer.demo.history
assert "ratepayer.demo.builder" not in sys.modules, "history imports the builder"
"""


def test_history_and_payments_do_not_import_the_builder():
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
