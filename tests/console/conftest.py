import pytest

from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production settings redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def signed_in(client, users):
    """signed_in("senior") -> the test client signed in as that role's user."""

    def sign_in(name: str):
        client.logout()
        assert client.login(username=name, password=PASSWORD)
        return client

    return sign_in
