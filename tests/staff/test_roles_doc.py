"""docs/roles.md shows the permission matrix that staff/roles.py enforces."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from ratepayer.staff import roles

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT_DIR / "scripts" / "gen_roles_doc.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_roles_doc", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_roles_doc_is_up_to_date_with_the_code():
    gen = _generator()
    current = gen.DOC_PATH.read_text(encoding="utf-8")
    assert gen.render(current) == current, (
        "docs/roles.md is out of date with staff/roles.py: run .venv/bin/python scripts/gen_roles_doc.py")


def test_every_capability_and_role_is_in_the_doc():
    text = (PROJECT_DIR / "docs" / "roles.md").read_text(encoding="utf-8")
    for capability in roles.CAPABILITIES:
        assert f"| `{capability}` |" in text
    for role in roles.ROLES:
        assert f"`{role}`" in text


def test_a_change_to_the_matrix_makes_the_doc_stale(monkeypatch):
    gen = _generator()
    current = gen.DOC_PATH.read_text(encoding="utf-8")
    monkeypatch.setitem(roles.ROLE_CAPABILITIES, roles.FINANCE, roles.ROLE_CAPABILITIES[roles.FINANCE] | {"users.admin"})
    assert gen.render(current) != current
    monkeypatch.setitem(roles.DEFAULT_LIMITS, roles.SPECIALIST, {**roles.DEFAULT_LIMITS[roles.SPECIALIST],
                                                                 "refund": "201.00"})
    assert "$201.00" in gen.render(current)


def test_check_mode_exit_status():
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
