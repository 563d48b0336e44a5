"""The documentation in docs/ stays true to the code: links resolve, every
setting and API endpoint is documented, glossary terms are defined once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
DOCS = PROJECT_DIR / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_the_guides_named_in_the_index_exist():
    for page in ["README.md", "glossary.md", "roles.md", "user-guide/find-an-account.md",
                 "user-guide/make-an-adjustment.md", "user-guide/approve-a-request.md",
                 "user-guide/start-stop-transfer-service.md", "operator-guide/settings.md",
                 "operator-guide/databases.md", "operator-guide/api.md", "operator-guide/install-and-run.md"]:
        assert (DOCS / page).is_file(), page


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_relative_links_resolve(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if not (page.parent / path).resolve().exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(DOCS)} links to missing pages: {broken}"


def test_every_page_is_reachable_from_the_index():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = {(DOCS / target.split("#", 1)[0]).resolve() for target in LINK.findall(index)}
    missing = [str(p.relative_to(DOCS)) for p in PAGES if p.name != "README.md" and p.resolve() not in linked]
    assert not missing, f"docs/README.md does not link to {missing}"


def test_every_setting_is_documented():
    settings_source = (PROJECT_DIR / "src" / "ratepayer" / "settings.py").read_text(encoding="utf-8")
    variables = set(re.findall(r"RATEPAYER_[A-Z_]+", settings_source))
    assert {"RATEPAYER_SECRET_KEY", "RATEPAYER_DATABASE_URL"} <= variables
    documented = set(re.findall(r"`(RATEPAYER_[A-Z_]+)`",
                                (DOCS / "operator-guide" / "settings.md").read_text(encoding="utf-8")))
    assert not variables - documented, f"undocumented in docs/operator-guide/settings.md: {sorted(variables - documented)}"
    assert not documented - variables, f"documented but not read by settings.py: {sorted(documented - variables)}"


def test_every_api_endpoint_is_documented():
    from ratepayer.api.urls import api

    guide = (DOCS / "operator-guide" / "api.md").read_text(encoding="utf-8")
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    assert "/api/v1/accounts/{number}" in paths
    missing = [f"{method.upper()} {path}" for path, methods in paths.items() for method in methods
               if f"{method.upper()} {path}" not in guide]
    assert not missing, f"docs/operator-guide/api.md does not describe {missing}"


def test_glossary_defines_each_term_once_in_order():
    terms = re.findall(r"^\*\*([^*]+)\*\* —", (DOCS / "glossary.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert len(terms) > 40
    keys = [t.lower() for t in terms]
    assert len(keys) == len(set(keys)), "a glossary term is defined twice"
    assert keys == sorted(keys), "glossary terms are not in alphabetical order"


def test_every_navigation_shortcut_is_in_the_user_guide():
    from ratepayer.console.nav import ENTRIES

    guide = (DOCS / "user-guide" / "find-an-account.md").read_text(encoding="utf-8")
    shortcuts = {entry.shortcut for entry in ENTRIES if entry.shortcut}
    assert {"h", "s", "a"} <= shortcuts
    missing = sorted(k for k in shortcuts if f"<kbd>g</kbd> then <kbd>{k}</kbd>" not in guide)
    assert not missing, f"docs/user-guide/find-an-account.md does not list the shortcuts g {missing}"
    stale = sorted(set(re.findall(r"<kbd>g</kbd> then <kbd>(.)</kbd>", guide)) - shortcuts)
    assert not stale, f"docs/user-guide/find-an-account.md lists shortcuts that no longer exist: g {stale}"
