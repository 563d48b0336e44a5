"""A synthetic utility for the bill-run benchmark and the kill-and-resume tests.

``build(accounts=N, cycle_code=..., start=..., period_end=...)`` bulk-creates N
residential accounts, each with electric service, most with water and many
with sewer (unmetered), on the sample rates, plus an opening read on the
start date and a closing read near the period end for every meter (through
``metering.actions.load_reads_bulk``), so the cycle is ready to bill. Rows are
bulk-inserted in a few queries per table: 100,000 accounts build in minutes.
Not for a database with real customers (use ``ratepayer demo`` for a demo).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from ratepayer.customers.actions import account_number_for, next_account_sequence
from ratepayer.customers.models import (
    Account,
    BillCycle,
    Customer,
    Meter,
    MeterInstallation,
    Premise,
    ServiceAgreement,
    ServicePoint,
)
from ratepayer.staff import roles
from ratepayer.staff.actions import create_staff_user

from .sample_rates import install_sample_rates

STREETS = ["Main St", "Pine St", "Cedar Ave", "Lake Dr", "Hewitt Ave", "Broadway", "Rucker Ave", "Colby Ave"]


@dataclass
class Synthetic:
    cycle: BillCycle
    accounts: int
    agreements: int
    reads: int


def build(*, accounts: int, cycle_code: str = "S1", start: date = date(2025, 1, 14),
          period_end: date = date(2025, 2, 14), seed: int = 7, with_reads: bool = True,
          batch: int = 5000) -> Synthetic:
    rng = random.Random(seed)
    rates = install_sample_rates()
    cycle, _ = BillCycle.objects.get_or_create(code=cycle_code, defaults={"name": f"Cycle {cycle_code}",
                                                                         "read_day": period_end.day})
    first_seq = next_account_sequence()
    tag = f"{cycle_code}{first_seq}"
    with transaction.atomic():
        customers = Customer.objects.bulk_create(
            [Customer(name=f"Customer {first_seq + i}", language=rng.choices(["en", "es", "ru"], [90, 7, 3])[0])
             for i in range(accounts)], batch_size=batch)
        account_rows = []
        premises = []
        for i, customer in enumerate(customers):
            street = f"{100 + (i * 7) % 9800} {STREETS[i % len(STREETS)]}"
            account_rows.append(Account(number=account_number_for(first_seq + i), customer=customer,
                                        mailing_line1=street, mailing_city="Everett", mailing_zip="98201",
                                        opened_on=start))
            premises.append(Premise(line1=street, city="Everett", zip="98201"))
        account_rows = Account.objects.bulk_create(account_rows, batch_size=batch)
        premises = Premise.objects.bulk_create(premises, batch_size=batch)
        plan = []  # (account, premise, service)
        for account, premise in zip(account_rows, premises, strict=True):
            services = ["electric"]
            if rng.random() < 0.75:
                services.append("water")
                if rng.random() < 0.8:
                    services.append("sewer")
            plan.extend((account, premise, s) for s in services)
        points = ServicePoint.objects.bulk_create([ServicePoint(premise=p, service=s) for _, p, s in plan],
                                                  batch_size=batch)
        meters, installs, serial_for_point = [], [], {}
        for n, ((_, _, service), point) in enumerate(zip(plan, points, strict=True)):
            if service == "sewer":
                continue
            serial = f"{'E' if service == 'electric' else 'W'}{tag}-{n:07d}"
            meters.append(Meter(serial_number=serial, service=service, unit="kWh" if service == "electric" else "CCF",
                                size="" if service == "electric" else "5/8", dial_count=6))
            serial_for_point[point.pk] = serial
        meters = Meter.objects.bulk_create(meters, batch_size=batch)
        by_serial = {m.serial_number: m for m in meters}
        for point_id, serial in serial_for_point.items():
            installs.append(MeterInstallation(meter=by_serial[serial], service_point_id=point_id,
                                              installed_on=start - timedelta(days=365), install_read=0))
        MeterInstallation.objects.bulk_create(installs, batch_size=batch)
        schedule = {"electric": rates["RES-E"], "water": rates["RES-W"], "sewer": rates["RES-S"]}
        agreements = ServiceAgreement.objects.bulk_create(
            [ServiceAgreement(account=a, service_point=pt, service=s, rate_schedule=schedule[s],
                              customer_class="residential", bill_cycle=cycle, start_date=start)
             for (a, _, s), pt in zip(plan, points, strict=True)], batch_size=batch)
    reads = 0
    if with_reads:
        from ratepayer.metering.actions import load_reads_bulk

        user = create_staff_user(username=f"reader-{tag}", password=f"synthetic-{tag}-{rng.random()}",
                                 roles=[roles.SPECIALIST])
        rows = []
        for serial in serial_for_point.values():
            opening = Decimal(rng.randrange(1000, 90000))
            use = Decimal(rng.randrange(350, 1400)) if serial[0] == "E" else Decimal(rng.randrange(3, 18))
            rows.append({"meter": serial, "read_date": start, "value": opening})
            rows.append({"meter": serial, "read_date": period_end, "value": opening + use})
        reads = load_reads_bulk(rows, user=user, name=f"synthetic reads {tag}", validate=False).reads_created
    return Synthetic(cycle=cycle, accounts=accounts, agreements=len(agreements), reads=reads)
