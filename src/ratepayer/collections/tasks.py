"""Background tasks of collections (django-tasks, database backend). The daily
job is idempotent, so a retried task changes nothing that was already done."""

from __future__ import annotations

from datetime import date

from django_tasks import task


@task()
def run_collections(day: str) -> dict:
    """``ratepayer collections run`` for ``day`` (YYYY-MM-DD); returns the counts."""
    from .actions import daily

    return daily.run(date.fromisoformat(day)).as_dict()
