"""Which rates apply when: read-side functions for billing and the console.

Only approved versions are ever in force. A version is in force from its
``effective_from`` until the next approved version of the same schedule takes
effect. Every function here costs a fixed number of queries, whatever the
number of schedules asked about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from ratepayer.staff.models import ApprovalRequest

from .models import RateSchedule, RateVersion

APPROVED = RateVersion.Status.APPROVED


def version_in_force(schedule: RateSchedule | int, on_date: date) -> RateVersion | None:
    """The approved version of ``schedule`` in force on ``on_date`` (None
    before its first approved version)."""
    schedule_id = schedule if isinstance(schedule, int) else schedule.pk
    return (RateVersion.objects.filter(schedule_id=schedule_id, status=APPROVED, effective_from__lte=on_date)
            .order_by("-effective_from").first())


def versions_in_force(schedule_ids: Iterable[int], on_or_before: date) -> dict[int, RateVersion]:
    """{schedule id: approved version in force on the date} for a whole chunk
    of schedules in one query; schedules with no version yet are left out."""
    ids = sorted(set(schedule_ids))
    if not ids:
        return {}
    newest_first = (RateVersion.objects.filter(schedule_id__in=ids, status=APPROVED, effective_from__lte=on_or_before)
                    .annotate(rank=Window(RowNumber(), partition_by=[F("schedule_id")],
                                          order_by=F("effective_from").desc()))
                    .filter(rank=1))
    return {v.schedule_id: v for v in newest_first}


def versions_between(schedule: RateSchedule | int, start: date, end: date) -> list[RateVersion]:
    """The approved versions that apply somewhere in ``start``..``end``
    (inclusive), oldest first: the one in force on ``start`` and every one
    that takes effect later in the period. A bill period spanning a rate
    change gets two (or more); the engine prorates between them."""
    schedule_id = schedule if isinstance(schedule, int) else schedule.pk
    return versions_spanning([schedule_id], start, end).get(schedule_id, [])


def versions_spanning(schedule_ids: Iterable[int], start: date, end: date) -> dict[int, list[RateVersion]]:
    """``versions_between`` for many schedules in one query."""
    if end < start:
        raise ValueError(f"period end {end} is before its start {start}")
    ids = sorted(set(schedule_ids))
    if not ids:
        return {}
    # rank 1 is the newest version on or before the end; it and every older
    # one down to the one in force on the start apply.
    ranked = (RateVersion.objects.filter(schedule_id__in=ids, status=APPROVED, effective_from__lte=end)
              .annotate(on_or_before_start=Window(
                  Count("pk", filter=Q(effective_from__lte=start)), partition_by=[F("schedule_id")],
                  order_by=F("effective_from").desc()))
              .filter(on_or_before_start__lte=1)
              .order_by("schedule_id", "effective_from"))
    out: dict[int, list[RateVersion]] = defaultdict(list)
    for version in ranked:
        out[version.schedule_id].append(version)
    return dict(out)


# --- console ------------------------------------------------------------------

@dataclass
class ScheduleRow:
    schedule: RateSchedule
    in_force: RateVersion | None
    next_approved: RateVersion | None
    waiting: int  # versions waiting for approval
    drafts: int


def schedule_list(on_date: date) -> list[ScheduleRow]:
    """Every schedule with the version in force, the next scheduled change
    and how many versions wait: three queries."""
    schedules = list(RateSchedule.objects.all())
    ids = [s.pk for s in schedules]
    in_force = versions_in_force(ids, on_date)
    upcoming: dict[int, RateVersion] = {}
    waiting: dict[int, int] = defaultdict(int)
    drafts: dict[int, int] = defaultdict(int)
    for pk, schedule_id, status, effective in (
            RateVersion.objects.filter(Q(status=APPROVED, effective_from__gt=on_date)
                                       | Q(status__in=[RateVersion.Status.PENDING, RateVersion.Status.DRAFT]))
            .order_by("effective_from").values_list("pk", "schedule_id", "status", "effective_from")):
        if status == APPROVED:
            upcoming.setdefault(schedule_id, RateVersion(pk=pk, schedule_id=schedule_id, status=status,
                                                         effective_from=effective))
        elif status == RateVersion.Status.PENDING:
            waiting[schedule_id] += 1
        else:
            drafts[schedule_id] += 1
    return [ScheduleRow(s, in_force.get(s.pk), upcoming.get(s.pk), waiting[s.pk], drafts[s.pk]) for s in schedules]


def schedule_versions(schedule: RateSchedule) -> QuerySet[RateVersion]:
    return schedule.versions.select_related("created_by", "approved_by").order_by("-effective_from", "-pk")


def open_requests(version_ids: Iterable[int]) -> dict[int, ApprovalRequest]:
    """{version id: its pending approval request}."""
    rows = (ApprovalRequest.objects.filter(subject_type="rates.rateversion", subject_id__in=list(version_ids),
                                           status=ApprovalRequest.Status.PENDING)
            .select_related("maker"))
    return {r.subject_id: r for r in rows}


def last_decisions(version_ids: Iterable[int]) -> dict[int, ApprovalRequest]:
    """{version id: the latest decided approval request} (who rejected, and why)."""
    rows = (ApprovalRequest.objects.filter(subject_type="rates.rateversion", subject_id__in=list(version_ids))
            .exclude(status=ApprovalRequest.Status.PENDING).select_related("decided_by").order_by("decided_at", "pk"))
    return {r.subject_id: r for r in rows}
