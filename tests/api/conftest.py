"""API fixtures: an HTTPS test client and a personal token per role."""

from __future__ import annotations

import json as json_module
import uuid

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

    def post(self, path: str, token: str | None = None, json=None, *, key: str | None = "auto", files=None,
             data=None):
        """POST JSON (``json``) or a multipart form (``data`` and ``files``) with an
        Idempotency-Key: a fresh one unless ``key`` is given (None sends none)."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        if key == "auto":
            key = uuid.uuid4().hex
        if key is not None:
            headers["Idempotency-Key"] = key
        if files is not None or data is not None:
            return self.client.post(path, {**(data or {}), **(files or {})}, secure=True, headers=headers)
        return self.client.post(path, json_module.dumps(json if json is not None else {}),
                                content_type="application/json", secure=True, headers=headers)


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def tokens(users):
    """Raw token per role user, keyed like the ``users`` fixture."""
    return {name: create_api_token(user=user, name=f"{name} test token")[1] for name, user in users.items()}


def table_counts() -> dict[str, int]:
    """Rows in every table: a refused request must leave each count as it was.
    (Audit view events are not written by refusals either; sessions and
    django-tasks rows are included.)"""
    from django.apps import apps

    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def unchanged():
    """``with unchanged(): <refused request>`` asserts no table gained or lost a row."""
    import contextlib

    @contextlib.contextmanager
    def check():
        before = table_counts()
        yield
        after = table_counts()
        assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}

    return check
