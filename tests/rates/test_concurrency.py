"""Two supervisors approving two versions of one schedule for the same date at
the same moment, on PostgreSQL: one is approved, the other refused with a
clear message (never a constraint violation, never both)."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from django.db import connection

from ratepayer.rates import actions, queries
from ratepayer.rates.models import RateVersion
from ratepayer.staff import approvals, roles
from ratepayer.staff.actions import create_staff_user, ensure_roles
from ratepayer.staff.errors import ApprovalError
from ratepayer.staff.models import ApprovalRequest
from tests.factories import PASSWORD

pytestmark = pytest.mark.postgres_only("SQLite serializes every writer, so there is no race to test")


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_for_one_date_approve_exactly_one(monkeypatch):
    ensure_roles()
    maker = create_staff_user(username="maker", password=PASSWORD, roles=[roles.SUPERVISOR])
    checkers = [create_staff_user(username=f"checker{n}", password=PASSWORD, roles=[roles.SUPERVISOR])
                for n in range(2)]
    e7 = actions.load_example_schedules().schedules["E-7"]
    source = queries.version_in_force(e7, date(2026, 6, 1))
    requests = []
    for _ in range(2):
        draft = actions.copy_version(user=maker, source=source, effective_from=date(2027, 4, 1))
        requests.append(actions.submit_for_approval(user=maker, version=draft))

    check = actions._check_date_free

    def slow_check(schedule, effective_from):
        check(schedule, effective_from)
        time.sleep(0.5)  # widen the window between "the date is free" and "approved"

    monkeypatch.setattr(actions, "_check_date_free", slow_check)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(request, checker):
        try:
            barrier.wait()
            approvals.approve(request_id=request.pk, approver=checker)
            outcomes.append("approved")
        except ApprovalError as exc:
            outcomes.append(f"refused: {exc}")
        except Exception as exc:  # a constraint violation would land here
            outcomes.append(f"error: {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(r, c)) for r, c in zip(requests, checkers, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused"], outcomes
    assert "is already approved from 2027-04-01" in next(o for o in outcomes if o.startswith("refused"))
    assert RateVersion.objects.filter(schedule=e7, effective_from=date(2027, 4, 1), status="approved").count() == 1
    assert sorted(ApprovalRequest.objects.filter(pk__in=[r.pk for r in requests])
                  .values_list("status", flat=True)) == ["approved", "pending"]
