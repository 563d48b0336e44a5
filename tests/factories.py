"""Test data builders (plain functions, no magic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ratepayer.customers import actions as customer_actions
from ratepayer.customers.models import Account, BillCycle, Customer, Meter, Premise, ServiceAgreement
from ratepayer.rates.models import RateSchedule, RateVersion
from ratepayer.staff import roles
from ratepayer.staff.actions import create_staff_user

PASSWORD = "correct-horse-battery-staple"

ROLE_USERS = {
    "assistant": roles.ASSISTANT,
    "specialist": roles.SPECIALIST,
    "specialist2": roles.SPECIALIST,
    "senior": roles.SENIOR,
    "supervisor": roles.SUPERVISOR,
    "kam": roles.KEY_ACCOUNT_MANAGER,
    "auditor": roles.FINANCE,
}


# the data migrations that seed reference rows; each seeder is idempotent
SEEDING_MIGRATIONS = [
    "ratepayer.staff.migrations.0002_roles_and_append_only:seed_roles",
    "ratepayer.ledger.chart:seed_chart",
    "ratepayer.payments.migrations.0002_chart_rules_policy:forwards",
    "ratepayer.payments.migrations.0005_deposit_rules:forwards",
    "ratepayer.billing.migrations.0002_reasons:seed",
    "ratepayer.billing.migrations.0004_default_policy:seed",
    "ratepayer.metering.migrations.0002_default_policy:seed",
    "ratepayer.collections.migrations.0002_core:seed_policies",
    "ratepayer.collections.migrations.0004_plans:seed_contract_rules",
    "ratepayer.collections.migrations.0005_writeoffs:seed_rules",
]


def reference_data() -> None:
    """The rows the data migrations seed (roles and limits, chart of accounts, posting
    rules, policies, adjustment reasons), put back where missing. A transactional test
    (``django_db(transaction=True)``) empties every table when it ends, so the next one
    found no role groups — its specialist was "not allowed to create customers" — and
    no posting rules. Replaying the seeders themselves keeps one definition of the data."""
    import importlib

    from django.apps import apps

    for target in SEEDING_MIGRATIONS:
        module, function = target.split(":")
        seeder = getattr(importlib.import_module(module), function)
        if function == "seed_chart":
            seeder(apps)
        else:
            seeder(apps, None)  # a RunPython function: (apps, schema_editor)


def staff_users() -> dict:
    reference_data()
    return {name: create_staff_user(username=name, password=PASSWORD, roles=[role], first_name=name.title())
            for name, role in ROLE_USERS.items()}


def rate_schedule(code: str, service: str, name: str = "") -> RateSchedule:
    schedule, _ = RateSchedule.objects.get_or_create(code=code, defaults={"name": name or code, "service": service})
    if not schedule.versions.exists():
        RateVersion.objects.create(schedule=schedule, effective_from=date(2020, 1, 1), status="approved",
                                   document={"name": schedule.name})
    return schedule


@dataclass
class SmallUtility:
    cycle: BillCycle
    customer: Customer
    account: Account
    premise: Premise
    electric: ServiceAgreement
    water: ServiceAgreement
    meter: Meter


def small_utility(user) -> SmallUtility:
    cycle, _ = BillCycle.objects.get_or_create(code="01", defaults={"name": "Cycle 01", "read_day": 5})
    e7 = rate_schedule("E-7", "electric", "Residential")
    w1 = rate_schedule("W-RES", "water", "Residential water")
    customer = customer_actions.create_customer(
        user=user, name="Jane Doe", first_name="Jane", last_name="Doe", tax_id="123-45-6789",
        date_of_birth="1980-04-02", contacts=[{"name": "Jane Doe", "phone": "(425) 555-0142",
                                                "email": "jane.doe@example.com", "is_primary": True}])
    account = customer_actions.open_account(user=user, customer=customer, mailing_line1="1204 Pine St",
                                            mailing_city="Everett", mailing_zip="98201", opened_on=date(2024, 1, 2))
    premise = customer_actions.create_premise(user=user, line1="1204 Pine St", city="Everett", zip="98201",
                                              parcel_number="00437500001200", services=["electric", "water"])
    points = {sp.service: sp for sp in premise.service_points.all()}
    meter = Meter.objects.create(serial_number="E1000123", service="electric", dial_count=5)
    customer_actions.install_meter(user=user, meter=meter, service_point=points["electric"],
                                   installed_on=date(2020, 1, 1))
    electric = customer_actions.start_service(user=user, account=account, service_point=points["electric"],
                                              rate_schedule=e7, customer_class="residential", bill_cycle=cycle,
                                              start_date=date(2024, 1, 2))
    water = customer_actions.start_service(user=user, account=account, service_point=points["water"],
                                           rate_schedule=w1, customer_class="residential", bill_cycle=cycle,
                                           start_date=date(2024, 1, 2))
    return SmallUtility(cycle, customer, account, premise, electric, water, meter)
