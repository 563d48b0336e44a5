"""API fixtures: an HTTPS test client and a personal token per role."""

from __future__ import annotations

import pytest
from django.test import Client

from ratepayer.staff.actions import create_api_token


class ApiClient:
    """Django's test client speaking HTTPS (production settings redirect
    plain HTTP) with an optional bearer token."""

    def __init__(self) -> None:
        self.client = Client()

    def get(self, path: str, token: str | None = None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.client.get(path, params, secure=True, headers=headers)


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def tokens(users):
    """Raw token per role user, keyed like the ``users`` fixture."""
    return {name: create_api_token(user=user, name=f"{name} test token")[1] for name, user in users.items()}
