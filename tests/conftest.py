"""Shared fixtures: staff users per role and a small utility to work on."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests import factories

# Timing is no property of the code: a busy machine must not fail a property
# (no deadline, no "too slow" health check; DESIGN §12 keeps timings in bench/).
settings.register_profile("ratepayer", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ratepayer")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


POSTGRES_ONLY_SKIP = "needs PostgreSQL: "


def _on_postgresql() -> bool:
    from django.conf import settings as django_settings

    return django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres_only("why")` skips a test on SQLite with the reason
    "needs PostgreSQL: why" (concurrency, triggers only PostgreSQL has); the one way
    a test says it needs PostgreSQL, so a run on SQLite lists every such skip alike."""
    if _on_postgresql():
        return
    for item in items:
        marker = item.get_closest_marker("postgres_only")
        if marker is None:
            continue
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.postgres_only needs a reason: why PostgreSQL")
        item.add_marker(pytest.mark.skip(reason=POSTGRES_ONLY_SKIP + reason))


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, one per test session: Playwright's
    sync API runs an event loop, and a second one started beside it (by a test
    of its own) is refused."""
    from playwright.sync_api import sync_playwright

    # Playwright's event loop runs in the test thread: Django's async-safety check would refuse the
    # ORM calls of any test that uses a browser (tests/browser/conftest.py says why it is safe)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()
    playwright.stop()


def _maintenance_flag(allow_delete: bool) -> None:
    """Set or clear the SQLite row the delete triggers yield to (ratepayer.db.triggers)."""
    from django.db import connection

    from ratepayer.db.triggers import MAINTENANCE_TABLE

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(MAINTENANCE_TABLE)
            cursor.execute("DELETE FROM ratepayer_maintenance")
            if allow_delete:
                cursor.execute("INSERT INTO ratepayer_maintenance (allow_delete) VALUES (1)")


@pytest.fixture(scope="session", autouse=True)
def _allow_flush_on_sqlite(django_db_setup, django_db_blocker):
    """Journal and audit tables refuse DELETE on SQLite (a trigger) unless the
    maintenance flag is set; Django's flush between transactional tests needs it."""
    from django.db import connection

    # a run of tests that need no database (tests/kernel alone) sets none up: leave the real one alone
    if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():
        with django_db_blocker.unblock():
            _maintenance_flag(True)
    yield


@pytest.fixture
def guarded_deletes(db):
    """Clear the SQLite maintenance flag for one test, so the delete triggers guard as in production."""
    _maintenance_flag(False)
    yield
    _maintenance_flag(True)


@pytest.fixture
def users(db):
    return factories.staff_users()


@pytest.fixture
def utility(db, users):
    return factories.small_utility(users["specialist"])


@pytest.fixture
def signed_in(client, users):
    """signed_in("senior") -> the test client signed in as that role's user."""

    def sign_in(name: str):
        client.logout()
        assert client.login(username=name, password=factories.PASSWORD)
        return client

    return sign_in


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """A test that opens a third-party sample from ../shared/reference is skipped, with
    the reason, when that folder is not beside the checkout (a contributor's clone);
    where the folder exists, a missing sample is still a failure."""
    from tests.formats.conftest import MISSING, REFERENCE, reference_available

    try:
        return (yield)
    except OSError as exc:
        if not reference_available() and str(REFERENCE) in str(exc):
            pytest.skip(MISSING)
        raise
