"""The suite's own markers do what they say."""

from __future__ import annotations

import pytest
from django.conf import settings


@pytest.mark.postgres_only("proves the marker: this test must never run on SQLite")
def test_a_postgres_only_test_runs_on_postgresql_only():
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
