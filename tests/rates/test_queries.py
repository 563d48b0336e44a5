"""Which rates apply when: only approved versions, set-based for billing."""

from datetime import date
from decimal import Decimal

import pytest

from ratepayer import rating
from ratepayer.billing.rating_batch import combine_versions
from ratepayer.kernel.periods import Period
from ratepayer.rates import actions, queries
from ratepayer.rates.models import RateVersion

pytestmark = pytest.mark.django_db


def test_version_in_force_follows_the_effective_dates(examples):
    e7 = examples["E-7"]
    assert queries.version_in_force(e7, date(2017, 9, 30)) is None
    assert queries.version_in_force(e7, date(2017, 10, 1)).effective_from == date(2017, 10, 1)
    assert queries.version_in_force(e7, date(2026, 3, 31)).effective_from == date(2025, 4, 1)
    assert queries.version_in_force(e7.pk, date(2026, 4, 1)).effective_from == date(2026, 4, 1)


def test_drafts_pending_and_rejected_versions_are_never_in_force(users, supervisor2, examples):
    e7 = examples["E-7"]
    source = queries.version_in_force(e7, date(2026, 6, 1))
    draft = actions.copy_version(user=users["supervisor"], source=source, effective_from=date(2027, 1, 1))
    pending = actions.copy_version(user=users["supervisor"], source=source, effective_from=date(2027, 2, 1))
    actions.submit_for_approval(user=users["supervisor"], version=pending)
    rejected = actions.copy_version(user=users["supervisor"], source=source, effective_from=date(2027, 3, 1))
    actions.submit_for_approval(user=users["supervisor"], version=rejected)
    actions.reject_version(user=supervisor2, version=rejected, note="no")
    assert queries.version_in_force(e7, date(2027, 6, 1)) == source
    assert queries.versions_in_force([e7.pk], date(2027, 6, 1)) == {e7.pk: source}
    assert queries.versions_between(e7, date(2026, 12, 1), date(2027, 6, 1)) == [source]
    assert {draft.status, RateVersion.objects.get(pk=pending.pk).status} == {"draft", "pending"}


def test_versions_in_force_for_a_chunk_is_one_query(examples, django_assert_num_queries):
    ids = [s.pk for s in examples.values()]
    on = date(2024, 6, 1)
    with django_assert_num_queries(1):
        found = queries.versions_in_force(ids + [999_999], on)
    assert found == {pk: queries.version_in_force(pk, on) for pk in ids if queries.version_in_force(pk, on)}
    assert examples["E-CPU-RES"].pk in found and examples["E-7"].pk in found
    assert queries.versions_in_force([], on) == {}


def test_versions_between_spans_a_rate_change(examples, django_assert_num_queries):
    e7 = examples["E-7"]
    spanning = queries.versions_between(e7, date(2026, 3, 17), date(2026, 4, 15))
    assert [v.effective_from for v in spanning] == [date(2025, 4, 1), date(2026, 4, 1)]
    assert [v.effective_from for v in queries.versions_between(e7, date(2026, 4, 1), date(2026, 4, 30))] == [
        date(2026, 4, 1)]
    ids = [s.pk for s in examples.values()]
    with django_assert_num_queries(1):
        many = queries.versions_spanning(ids, date(2023, 3, 15), date(2025, 4, 14))
    assert [v.effective_from for v in many[e7.pk]] == [date(2022, 4, 1), date(2023, 4, 1), date(2024, 4, 1),
                                                        date(2025, 4, 1)]
    with pytest.raises(ValueError):
        queries.versions_between(e7, date(2026, 2, 1), date(2026, 1, 1))


def test_stored_versions_bill_like_the_published_tariff(examples):
    """The split versions, put back together by billing, prorate a bill across
    the 2026-04-01 change exactly as the whole example document does."""
    e7 = examples["E-7"]
    period = Period(date(2026, 3, 17), date(2026, 4, 15))
    rows = [(v.pk, v.effective_from, v.document) for v in queries.versions_between(e7, period.start, period.end)]
    combined = combine_versions(e7.pk, rows).tariff
    usage = rating.RegisterUsage(Decimal("900"))
    service = rating.ServiceInfo(size_class="small")
    from_db = rating.rate(combined, usage, period, service=service)
    published = rating.rate(rating.load_tariff("snopud_schedule_7.yaml"), usage, period, service=service)
    assert from_db.lines == published.lines and from_db.total == published.total == Decimal("92.55")
