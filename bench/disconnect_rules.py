"""Benchmark: the pure disconnect decision (``collections.disconnect_rules``).

Decides N accounts (default 100,000) of seeded, varied facts — PUD, city and
water-sewer; winter requests, medical certificates, arrangements, heat alerts,
notices — on one date, as the daily job does after loading them, and reports
decisions per second, with the facts built beforehand (building facts from the
database is the job's cost, measured by bench/collections_daily.py), with the garbage
collector paused as the job's chunks run. No database.
Prints one JSON object.

    .venv/bin/python bench/disconnect_rules.py [--accounts 100000] [--date 2027-12-14] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from ratepayer.collections.disconnect_rules import (
    DisconnectFacts,
    FinalNotice,
    MedicalCertificate,
    PaymentArrangement,
    WinterProtectionRequest,
    decide_disconnect,
)


def make_facts(rng: random.Random, on: date) -> DisconnectFacts:
    utility_type = rng.choice(["pud", "pud", "city", "water_sewer"])
    services = frozenset({"electric"}) if utility_type != "water_sewer" else frozenset({"water", "sewer"})
    served = on - timedelta(days=rng.randint(0, 30))
    winter = None
    if rng.random() < 0.1:
        winter = WinterProtectionRequest(
            notified_on=on - timedelta(days=rng.randint(0, 40)), annual_seven_percent_of_income=Decimal("1806.00"),
            liheap_applied=True, weatherization_applied=rng.random() < 0.8, plan_agreed=True,
            agreed_monthly_payment=Decimal("250.00"), arrears_since_application=Decimal("312.40"),
            plan_first_due=on - timedelta(days=rng.randint(0, 60)),
            paid_under_plan=Decimal(rng.randint(0, 60000)) / 100)
    medical = ()
    if rng.random() < 0.03:
        received = on - timedelta(days=rng.randint(0, 70))
        medical = (MedicalCertificate(received, received + timedelta(days=2), received + timedelta(days=60)),)
    arrangement = None
    if rng.random() < 0.1:
        arrangement = PaymentArrangement(rng.choice(["kept", "broken"]), on - timedelta(days=rng.randint(1, 30)))
    return DisconnectFacts(
        utility_type=utility_type, services=services, residential=rng.random() < 0.9,
        space_heating=rng.random() < 0.5, nws_zone="WAZ558",
        heat_alert_days=frozenset({on}) if rng.random() < 0.02 else frozenset(),
        winter_request=winter, medical_certificates=medical, dispute_open=rng.random() < 0.01,
        arrangement=arrangement, past_due_balance=Decimal(rng.randint(0, 100000)) / 100,
        minimum_balance_for_disconnect=Decimal("75.00"),
        oldest_unpaid_due_date=on - timedelta(days=rng.randint(0, 90)),
        final_notice=FinalNotice(served, served + timedelta(days=8), served + timedelta(days=22)),
        landlord_registered=rng.random() < 0.05, landlord_copy_sent=rng.random() < 0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--date", default="2027-12-14")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    on = date.fromisoformat(args.date)
    rng = random.Random(20271214)
    facts = [make_facts(rng, on) for _ in range(args.accounts)]
    runs, allowed, deciding = [], 0, {}
    for _ in range(args.repeat):
        decisions = []
        gc.collect()
        gc.disable()  # as the daily job runs its chunks (db.gc_paused)
        started = time.perf_counter()
        decisions = [decide_disconnect(item, on) for item in facts]
        runs.append(time.perf_counter() - started)
        gc.enable()
    for decision in decisions:
        allowed += decision.disconnect_allowed
        deciding[decision.deciding_rule] = deciding.get(decision.deciding_rule, 0) + 1
    best = min(runs)
    print(json.dumps({
        "benchmark": "disconnect_rules.decide_disconnect",
        "accounts": args.accounts,
        "date": on.isoformat(),
        "seconds_best": round(best, 3),
        "seconds_all": [round(run, 3) for run in runs],
        "decisions_per_second": round(args.accounts / best),
        "microseconds_per_decision": round(best / args.accounts * 1e6, 1),
        "allowed": allowed,
        "deciding_rules": dict(sorted(deciding.items())),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
