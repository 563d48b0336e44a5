"""The layers of DESIGN §3, checked on the source: every import of every module
(function-local ones too, which is where an upward import hides) points down.

1. ``kernel``, ``rating``, ``formats`` — pure Python: no Django, nothing of
   ratepayer's outside the three. ``db`` — database mechanisms, no domain.
2. ``staff``, then ``outbox`` (mail written in the business transaction); 3. ``rates``; 4. ``customers``; 5. ``ledger``; 6. ``metering``,
   then ``billing`` and ``payments``. 7. ``collections``.
8. ``console``, ``portal``, ``api``, ``demo`` — depend on everything; no domain
   app imports them.

A lower layer that must react to a higher one exposes a hook the higher one
calls (``staff.approvals.register``, ``staff.accounts.provide``,
``customers.actions.register_read_recorder``); the console finds each app's
menu entries in its ``nav.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "ratepayer"

PURE = ("kernel", "rating", "formats")
DOMAIN = ("staff", "outbox", "rates", "customers", "ledger", "metering", "billing", "payments", "collections")
TOP = ("console", "portal", "api", "demo")

# What each domain app may import of ratepayer besides itself and the pure packages
# (DESIGN §3, downward only). Billing and payments stand side by side in layer 6.
MAY_IMPORT = {
    "staff": set(),
    "outbox": {"staff"},
    "rates": {"staff"},
    "customers": {"staff", "rates"},
    "ledger": {"staff", "rates", "customers"},
    "metering": {"staff", "rates", "customers", "ledger"},
    "billing": {"staff", "rates", "customers", "ledger", "metering", "payments"},
    "payments": {"staff", "rates", "customers", "ledger", "metering", "billing"},
    "collections": {"staff", "rates", "customers", "ledger", "metering", "billing", "payments"},
}
for _app in MAY_IMPORT:
    MAY_IMPORT[_app] |= {"db"}  # the database mechanisms sit below every domain app
    if _app not in ("staff", "outbox"):
        MAY_IMPORT[_app] |= {"outbox"}  # layer 2, beside staff: any domain app may queue a message

# Known arrows upward, each with its reason; the list only shrinks.
# customers/queries.py is the account page's read model: it reads the journal,
# bills, adjustments and autopay of the layers above (read-only, models only).
# The way out is account-page panels the higher apps contribute through a hook.
KNOWN_UPWARD = {
    ("customers/queries.py", "ratepayer.billing.models"),
    ("customers/queries.py", "ratepayer.ledger.models"),
    ("customers/queries.py", "ratepayer.payments.models"),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from . import nav`` and ``from ratepayer import console`` name the module in the alias
            if not node.module or module == "ratepayer":
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def modules_of(app: str) -> list[Path]:
    return sorted((SRC / app).rglob("*.py"))


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "ratepayer" else None


def test_the_walk_finds_function_local_and_relative_imports():
    sample = SRC / "console" / "apps.py"  # imports ``from . import nav`` inside ready()
    assert any(module == "ratepayer.console.nav" for _, module in imports_of(sample))


@pytest.mark.parametrize("app", DOMAIN)
def test_no_domain_app_imports_the_console_api_or_demo(app):
    wrong = [f"{path.relative_to(SRC)}:{line}: imports {module}"
             for path in modules_of(app) for line, module in imports_of(path) if app_of(module) in TOP]
    assert not wrong, "a domain app imports a top layer (DESIGN §3):\n" + "\n".join(wrong)


@pytest.mark.parametrize("app", DOMAIN)
def test_domain_apps_import_only_downward(app):
    allowed = MAY_IMPORT[app] | set(PURE) | {app, None}
    wrong = [f"{path.relative_to(SRC)}:{line}: imports {module}"
             for path in modules_of(app) for line, module in imports_of(path)
             if app_of(module) not in allowed and (str(path.relative_to(SRC)), module) not in KNOWN_UPWARD]
    assert not wrong, f"{app} imports upward (DESIGN §3):\n" + "\n".join(wrong)


def test_the_database_mechanisms_know_no_domain():
    wrong = [f"{path.relative_to(SRC)}:{line}: imports {module}"
             for path in modules_of("db") for line, module in imports_of(path)
             if app_of(module) not in set(PURE) | {"db", None}]
    assert not wrong, "ratepayer.db imports a domain app (DESIGN §3):\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", PURE)
def test_the_pure_packages_import_no_django_and_nothing_above_them(package):
    wrong = [f"{path.relative_to(SRC)}:{line}: imports {module}"
             for path in modules_of(package) for line, module in imports_of(path)
             if module.split(".")[0] == "django" or app_of(module) not in set(PURE) | {None}]
    assert not wrong, f"{package} must stay pure Python (DESIGN §3):\n" + "\n".join(wrong)
