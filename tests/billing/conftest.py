"""Billing fixtures: a cycle billed with the sample rates, and the metering stand-in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from ratepayer.customers import actions as customer_actions
from ratepayer.customers.models import Account, BillCycle, Meter, ServiceAgreement
from ratepayer.demo.sample_rates import install_sample_rates
from tests.billing import fake_metering


@pytest.fixture
def fake_usage(settings):
    settings.BILLING_USAGE_MODULE = "tests.billing.fake_metering"
    fake_metering.OVERRIDES.clear()
    fake_metering.CALLS.clear()
    yield fake_metering.OVERRIDES
    fake_metering.OVERRIDES.clear()


@dataclass
class Town:
    cycle: BillCycle
    accounts: list[Account] = field(default_factory=list)
    agreements: dict[int, dict[str, ServiceAgreement]] = field(default_factory=dict)  # account id -> service -> agr


def build_town(user, *, accounts: int = 3, start: date = date(2025, 1, 2), cycle_code: str = "05",
               services=("electric", "water", "sewer"), language: str = "en") -> Town:
    cycle, _ = BillCycle.objects.get_or_create(code=cycle_code, defaults={"name": f"Cycle {cycle_code}", "read_day": 14})
    rates = install_sample_rates()
    schedule_for = {"electric": rates["RES-E"], "water": rates["RES-W"], "sewer": rates["RES-S"]}
    town = Town(cycle)
    base = Meter.objects.count()
    for i in range(accounts):
        customer = customer_actions.create_customer(user=user, name=f"Customer {cycle_code}-{i}", language=language)
        account = customer_actions.open_account(user=user, customer=customer, mailing_line1=f"{100 + i} Main St",
                                                mailing_city="Monroe", mailing_zip="98272", opened_on=start)
        premise = customer_actions.create_premise(user=user, line1=f"{100 + i} Main St", city="Monroe", zip="98272",
                                                  services=services)
        points = {sp.service: sp for sp in premise.service_points.all()}
        town.agreements[account.pk] = {}
        for service in services:
            if service in ("electric", "water"):
                meter = Meter.objects.create(serial_number=f"{service[0].upper()}{base + i:07d}{cycle_code}",
                                             service=service, unit="kWh" if service == "electric" else "CCF",
                                             size="" if service == "electric" else "5/8")
                customer_actions.install_meter(user=user, meter=meter, service_point=points[service],
                                               installed_on=date(2020, 1, 1))
            town.agreements[account.pk][service] = customer_actions.start_service(
                user=user, account=account, service_point=points[service], rate_schedule=schedule_for[service],
                customer_class="residential", bill_cycle=cycle, start_date=start)
        town.accounts.append(account)
    return town


@pytest.fixture
def town(db, users, fake_usage):
    return build_town(users["specialist"])
