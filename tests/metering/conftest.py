"""Metering fixtures: meters with reads, and many service points for set-based tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ratepayer.customers.models import (
    Account,
    Customer,
    Meter,
    MeterInstallation,
    Premise,
    ServiceAgreement,
    ServicePoint,
)
from ratepayer.metering.actions import ReadInput, load_reads_bulk
from ratepayer.metering.actions.estimation import UsageRequest
from tests import factories

D = Decimal


def monthly_reads(serial: str, start_value: int, daily: list[int] | int, first: date, months: int,
                  day: int = 5) -> list[ReadInput]:
    """A read on ``first`` then on ``day`` of each following month; usage per day by calendar month (list) or flat."""
    reads = [ReadInput(serial, first, D(start_value))]
    value = start_value
    previous = first
    for n in range(months):
        y, m = divmod(first.month - 1 + n + 1, 12)
        read_date = date(first.year + y, m + 1, day)
        per_day = daily[read_date.month - 1] if isinstance(daily, list) else daily
        value += per_day * (read_date - previous).days
        reads.append(ReadInput(serial, read_date, D(value)))
        previous = read_date
    return reads


def many_service_points(n: int, *, cycle, kind: str = "register") -> list[ServiceAgreement]:
    """n electric service points, each with a meter (installed 2023-01-01) and an
    agreement from 2024-01-01, created in bulk."""
    schedule = factories.rate_schedule("E-7", "electric", "Residential")
    customer = Customer.objects.create(name="Bulk Customer")
    accounts = Account.objects.bulk_create([
        Account(number=f"9{i:07d}", customer=customer, mailing_line1="1 Main St", mailing_city="Everett",
                mailing_zip="98201", opened_on=date(2024, 1, 1)) for i in range(n)])
    premises = Premise.objects.bulk_create([Premise(line1=f"{i} Main St", city="Everett", zip="98201")
                                            for i in range(n)])
    points = ServicePoint.objects.bulk_create([ServicePoint(premise=p, service="electric") for p in premises])
    meters = Meter.objects.bulk_create([Meter(serial_number=f"B{i:06d}", service="electric", kind=kind)
                                        for i in range(n)])
    MeterInstallation.objects.bulk_create([MeterInstallation(meter=m, service_point=sp, installed_on=date(2023, 1, 1))
                                           for m, sp in zip(meters, points, strict=True)])
    return ServiceAgreement.objects.bulk_create([
        ServiceAgreement(account=a, service_point=sp, service="electric", rate_schedule=schedule,
                         customer_class="residential", bill_cycle=cycle, start_date=date(2024, 1, 1))
        for a, sp in zip(accounts, points, strict=True)])


def route(lines: list[str]) -> bytes:
    return ("meter,read_date,reading\n" + "\n".join(lines) + f"\nTRAILER,{len(lines)}\n").encode()


def request_for(agreement, *, billed_through=None, period_end) -> UsageRequest:
    return UsageRequest(agreement_id=agreement.pk, service_point_id=agreement.service_point_id,
                        billed_through=billed_through, start_date=agreement.start_date, end_date=agreement.end_date,
                        period_end=period_end)


@pytest.fixture
def specialist(users):
    return users["specialist"]


@pytest.fixture
def meter_with_history(utility, specialist):
    """The small utility's electric meter read monthly (5th) through 2024 into 2025-01-05: ~30 kWh/day."""
    load_reads_bulk(monthly_reads("E1000123", 0, 30, date(2023, 12, 5), 13), user=specialist, name="history")
    return utility.meter
