"""The demo utility: complete, consistent, deterministic, set-based."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from ratepayer.customers.models import (
    Account,
    AgreementEvent,
    BillCycle,
    Customer,
    MeterInstallation,
    SearchEntry,
    ServiceAgreement,
    ServicePoint,
)
from ratepayer.customers.queries import search_account_ids
from ratepayer.demo import builder
from ratepayer.demo.errors import DemoError
from ratepayer.ledger.checks import run_all
from ratepayer.ledger.models import ARBalance, JournalEntry, JournalLine
from ratepayer.rates.models import RateVersion
from ratepayer.rating.model import parse_tariff
from ratepayer.staff import roles
from ratepayer.staff.models import AuditEvent

SMALL = 150


@pytest.fixture
def demo(db):
    return builder.build(accounts=SMALL, seed=7, months=0)


def fingerprint() -> list[tuple]:
    """The utility by natural keys only (primary keys differ between builds
    on PostgreSQL, whose sequences do not roll back)."""
    agreements: dict[str, list[tuple]] = {}
    for row in ServiceAgreement.objects.order_by("account__number", "service", "start_date").values_list(
            "account__number", "service", "service_point__premise__line1", "rate_schedule__code", "start_date",
            "end_date", "status", "bill_cycle__code"):
        agreements.setdefault(row[0], []).append(row[1:])
    balances = dict(ARBalance.objects.values("account__number").annotate(n=Count("id"))
                    .values_list("account__number", "n"))
    lines = sorted((n or "", str(d), str(c))
                   for n, d, c in JournalLine.objects.values_list("account__number", "debit", "credit"))
    return [
        [(a.number, a.customer.name, a.mailing_address, a.is_key_account, a.opened_on, tuple(agreements.get(a.number, ())),
          balances.get(a.number, 0)) for a in Account.objects.select_related("customer").order_by("number")],
        sorted(MeterInstallation.objects.values_list("meter__serial_number", "service_point__premise__line1",
                                                     "installed_on", "meter__multiplier")),
        lines,
    ]


def test_every_class_service_and_role_and_a_clean_ledger(demo):
    assert Account.objects.count() == SMALL
    classes = Counter(ServiceAgreement.objects.filter(status="active").values_list("customer_class", flat=True)
                      .order_by())
    assert set(classes) == {"residential", "commercial", "industrial", "public_authority"}
    assert set(ServicePoint.objects.values_list("service", flat=True)) == {"electric", "water", "sewer"}
    premises_with_all_three = (ServicePoint.objects.values("premise").annotate(n=Count("id")).filter(n=3).count())
    assert premises_with_all_three > 0
    for login in builder.DEMO_LOGINS:
        user = demo.users[login.username]
        assert user.check_password(builder.DEMO_PASSWORD)
        assert list(user.groups.values_list("name", flat=True)) == [login.role]
    assert {login.role for login in builder.DEMO_LOGINS} == set(roles.ROLES)
    assert BillCycle.objects.count() == 20
    assert len(set(BillCycle.objects.values_list("read_day", flat=True))) == 20
    assert set(ServiceAgreement.objects.values_list("bill_cycle__code", flat=True)) > {"01", "20"}

    report = run_all()
    assert report["ok"], report
    # about half the accounts carry a balance over (owed or in credit), one entry per account
    openings = JournalEntry.objects.filter(event="opening_balance")
    assert 0.35 * SMALL < openings.count() == openings.values("source_id").distinct().count() < 0.7 * SMALL
    assert ARBalance.objects.filter(balance__lt=0).exists(), "some customers carry a credit"
    assert ARBalance.objects.filter(balance__gt=0).exists()
    assert not ARBalance.objects.filter(agreement__status="ended").exists()
    assert AuditEvent.objects.filter(action="demo.built").count() == 1


def account_classes() -> dict[int, set[str]]:
    classes: dict[int, set[str]] = {}
    for account, customer_class in ServiceAgreement.objects.values_list("account_id", "customer_class"):
        classes.setdefault(account, set()).add(customer_class)
    return classes


def test_accounts_by_class_are_the_requested_mix(demo):
    """docs/demo.md: about 85% residential, 12% commercial, 2% industrial, 1% public authority
    (each class at least one account); counted from the agreements in the database."""
    classes = account_classes()
    assert set(classes) == set(Account.objects.values_list("pk", flat=True))  # every account has service
    assert all(len(c) == 1 for c in classes.values())  # an account is of one class
    by_class = Counter(next(iter(c)) for c in classes.values())
    assert by_class == {"residential": 127, "commercial": round(SMALL * 0.12), "industrial": round(SMALL * 0.02),
                        "public_authority": 2}  # 1.5 rounds to 2
    assert sum(by_class.values()) == SMALL


def test_rate_schedules_hold_the_real_tariff_documents(demo):
    versions = RateVersion.objects.select_related("schedule")
    # every example, each effective-dated version of it approved (Schedule 7 has six)
    assert len({v.schedule_id for v in versions}) == len(demo.schedules) >= 8
    assert versions.filter(schedule__code="E-7").count() == 6
    for version in versions:
        assert version.status == "approved" and version.approved_by == demo.users["supervisor"]
        tariff = parse_tariff(version.document)
        assert tariff.service == version.schedule.service
        assert [v.effective for v in tariff.versions] == [version.effective_from]
    used = set(ServiceAgreement.objects.values_list("rate_schedule__code", flat=True))
    assert {"E-7", "E-24", "W-RES", "W-GEN", "S-RES", "S-WAV", "S-GEN"} <= used
    # Schedule 7 asks for a size class: every residential electric agreement has one
    assert not ServiceAgreement.objects.filter(rate_schedule__code="E-7", size_class="").exists()
    # every agreement's schedule is for its own service
    assert not ServiceAgreement.objects.exclude(rate_schedule__service=models_f("service")).exists()


def models_f(name):
    from django.db.models import F

    return F(name)


def test_service_invariants_hold(demo):
    assert not (ServiceAgreement.objects.filter(status="active").values("service_point")
                .annotate(n=Count("id")).filter(n__gt=1).exists())
    metered = ServicePoint.objects.filter(service__in=["electric", "water"])
    installed = Counter(MeterInstallation.objects.filter(removed_on__isnull=True)
                        .values_list("service_point_id", flat=True))
    assert all(installed[pk] == 1 for pk in metered.values_list("pk", flat=True))
    assert not MeterInstallation.objects.filter(service_point__service="sewer").exists()
    assert not MeterInstallation.objects.exclude(meter__service=models_f("service_point__service")).exists()
    # a meter is in place before service starts there
    late = [a for a in ServiceAgreement.objects.filter(service__in=["electric", "water"])
            .values_list("start_date", "service_point__installations__installed_on") if a[1] > a[0]]
    assert not late
    # every agreement has its start event; ended ones their end event
    assert not ServiceAgreement.objects.annotate(n=Count("events")).filter(n=0).exists()
    assert not ServiceAgreement.objects.filter(status="ended").exclude(
        events__kind__in=["stop", "transfer_out"]).exists()
    assert not ServiceAgreement.objects.filter(end_date__lt=models_f("start_date")).exists()
    # opening balances on accounts that own the agreement
    assert not JournalLine.objects.filter(agreement__isnull=False).exclude(
        account_id=models_f("agreement__account_id")).exists()
    classes = Counter(Account.objects.values_list("customer__kind", flat=True).order_by())
    assert classes["person"] > classes["organization"] > 0


def test_movers_have_ended_and_new_agreements(demo):
    continued = ServiceAgreement.objects.filter(previous__isnull=False).select_related("previous")
    movers = continued.values("account_id").distinct().count()
    assert 1 <= movers <= 0.08 * SMALL  # about 3% of the accounts moved
    for agreement in continued:
        old = agreement.previous
        assert old.account_id == agreement.account_id
        assert old.status == "ended" and old.end_date < agreement.start_date
        assert old.service == agreement.service
        assert old.service_point.premise_id != agreement.service_point.premise_id
        assert set(AgreementEvent.objects.filter(agreement=old).values_list("kind", flat=True)) == {"start", "transfer_out"}
        assert list(AgreementEvent.objects.filter(agreement=agreement).values_list("kind", flat=True)) == ["transfer_in"]
        # someone else moved into the old place later
        successor = ServiceAgreement.objects.get(service_point=old.service_point, status="active")
        assert successor.account_id != agreement.account_id and successor.start_date > old.end_date


def test_key_accounts_have_the_key_account_manager(demo):
    key_accounts = Account.objects.filter(is_key_account=True)
    assert 1 <= key_accounts.count() <= 20
    kam = demo.users["kam"]
    assert kam.groups.filter(name=roles.KEY_ACCOUNT_MANAGER).exists()
    assert set(key_accounts.values_list("key_account_manager", flat=True)) == {kam.pk}
    assert not key_accounts.filter(agreements__customer_class="residential").exists()
    assert not Account.objects.filter(is_key_account=False, key_account_manager__isnull=False).exists()


def test_realistic_places_phones_and_emails(demo):
    from ratepayer.customers.models import Contact, Premise
    from ratepayer.demo import places

    zips = {c.name: set(c.zips) for c in places.CITIES}
    for city, zip_code, parcel in Premise.objects.values_list("city", "zip", "parcel_number"):
        assert zip_code in zips[city]
        assert len(parcel) == 14 and parcel.isdigit()
    for phone, email in Contact.objects.values_list("phone", "email"):
        assert not phone or (phone[1:4] in ("425", "360") and phone[6:].startswith("555-01"))
        assert not email or email.rsplit("@", 1)[1] in places.EMAIL_DOMAINS
    assert Customer.objects.exclude(tax_id="").exists()


def test_search_finds_demo_accounts(demo):
    account = Account.objects.filter(customer__kind="person").select_related("customer").order_by("number")[3]
    assert search_account_ids(account.number) == [account.pk]
    assert account.pk in search_account_ids(f"{account.customer.first_name} {account.customer.last_name}", limit=200)
    serial = MeterInstallation.objects.filter(service_point__agreements__account=account).values_list(
        "meter__serial_number", flat=True).first()
    if serial:
        assert account.pk in search_account_ids(serial)
    assert SearchEntry.objects.values("account").distinct().count() == SMALL


def test_same_seed_same_utility_other_seed_other_utility(db):
    prints = []
    for seed in (11, 11, 12):
        with transaction.atomic():
            builder.build(accounts=60, seed=seed, months=0)
            prints.append(fingerprint())
            transaction.set_rollback(True)
    assert prints[0] == prints[1]
    assert prints[0][0] != prints[2][0]


def test_query_count_does_not_grow_with_accounts(db):
    counts = []
    for accounts in (100, 400):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            builder.build(accounts=accounts, seed=3, months=0)
            transaction.set_rollback(True)
        counts.append(len(queries.captured_queries))
    # a per-account query would add at least 300; batched inserts add a few
    # (SQLite takes at most 999 parameters per INSERT, so batches are small)
    assert counts[1] - counts[0] < 75, counts


def test_refuses_a_database_that_has_accounts_and_changes_nothing(utility):
    before = (Customer.objects.count(), Account.objects.count(), JournalEntry.objects.count())
    with pytest.raises(DemoError, match="already has 1 accounts"):
        builder.build(accounts=20, seed=1, months=0)
    assert (Customer.objects.count(), Account.objects.count(), JournalEntry.objects.count()) == before


def test_too_few_accounts_is_refused(db):
    with pytest.raises(DemoError, match="at least 4 accounts"):
        builder.build(accounts=3)
    assert not Account.objects.exists()


def test_later_issues_add_steps(db, monkeypatch):
    monkeypatch.setattr(builder, "STEPS", list(builder.STEPS))
    seen = []

    def count_active(build):
        seen.append(ServiceAgreement.objects.filter(Q(status="active")).count())
        build.counts["checked"] = 1

    builder.add_step(builder.Step("check", count_active), after="opening_balances")
    names = [s.name for s in builder.STEPS]
    assert names.index("check") == names.index("opening_balances") + 1
    with pytest.raises(DemoError, match="no demo step named 'nope'"):
        builder.add_step(builder.Step("x", count_active), after="nope")
    result = builder.build(accounts=20, seed=1, months=0)
    assert seen and seen[0] > 0 and result.counts["checked"] == 1
    assert "check" in result.timings
