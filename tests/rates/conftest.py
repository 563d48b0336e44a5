from datetime import date

import pytest

from ratepayer.rates.actions import load_example_schedules
from ratepayer.staff import roles
from ratepayer.staff.actions import create_staff_user
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production settings redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def supervisor2(users):
    """A second supervisor: the checker for the first one's rate versions."""
    return create_staff_user(username="supervisor2", password=PASSWORD, roles=[roles.SUPERVISOR],
                             first_name="Second", last_name="Supervisor")


@pytest.fixture
def examples(db):
    """The Washington example schedules, approved (E-7 has six versions, 2017-2026)."""
    return load_example_schedules().schedules


@pytest.fixture
def signed_in(client, users, supervisor2):
    def sign_in(name: str):
        client.logout()
        assert client.login(username=name, password=PASSWORD)
        return client

    return sign_in


JUNE_2025 = date(2025, 6, 1)
