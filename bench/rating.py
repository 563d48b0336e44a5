"""Benchmark: vectorized interval rating vs NREL PySAM Utilityrate5.

Rates N meters (default 10,000) x one month (January 2018) of 15-minute
interval data on a TOU energy + TOU demand + flat demand tariff (a URDB rate
object, imported with ``rating.urdb_to_tariff``), and runs PySAM
Utilityrate5 on a sample of the same meters with the same tariff in the same
run. PySAM rates a whole year per call (35,040 15-minute steps), so each
PySAM call is counted as 12 meter-months - its best case. Loads are
synthetic and seeded. Prints one JSON object.

    .venv/bin/python bench/rating.py [--meters 10000] [--pysam-sample 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date

import numpy as np

from ratepayer import rating
from ratepayer.kernel.periods import Period

TZ = "America/Los_Angeles"
YEAR_START = np.datetime64("2018-01-01T08:00:00", "s").astype(np.int64)  # 00:00 PST, a Monday
STEPS_PER_HOUR = 4
JAN_STEPS = 31 * 24 * STEPS_PER_HOUR
YEAR_STEPS = 365 * 24 * STEPS_PER_HOUR

WEEKDAY = [[0] * 16 + [1] * 5 + [0] * 3 for _ in range(12)]
WEEKEND = [[0] * 24 for _ in range(12)]
DEMAND_WEEKDAY = [[0] * 12 + [1] * 8 + [0] * 4 for _ in range(12)]
BENCH_RATE = {
    "label": "bench-tou-energy-tou-demand-flat-demand",
    "name": "Benchmark: TOU energy + TOU demand + flat demand",
    "fixedchargefirstmeter": 25.0,
    "fixedchargeunits": "$/month",
    "energyratestructure": [[{"rate": 0.0821}], [{"rate": 0.1943, "adj": 0.0012}]],
    "energyweekdayschedule": WEEKDAY,
    "energyweekendschedule": WEEKEND,
    "demandratestructure": [[{"rate": 1.25}], [{"rate": 9.75}]],
    "demandweekdayschedule": DEMAND_WEEKDAY,
    "demandweekendschedule": WEEKEND,
    "flatdemandstructure": [[{"rate": 4.1}], [{"rate": 5.3}]],
    "flatdemandmonths": [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0],
}


def synthetic_loads(meters: int, steps: int, seed: int, offset: int = 0) -> np.ndarray:
    """(meters, steps) kWh per 15 minutes, 4 decimal places, seeded.

    Each meter has its own size and a daily shape; the noise for meter i is
    drawn from a generator seeded by (seed, i), so any meter's load can be
    regenerated alone (the PySAM sample uses the same loads)."""
    out = np.empty((meters, steps))
    t = np.arange(offset, offset + steps)
    hour = (t // STEPS_PER_HOUR) % 24
    day = t // (24 * STEPS_PER_HOUR)
    shape = 1 + 0.8 * np.exp(-((hour - 18) ** 2) / 8) + 0.3 * (day % 7 < 5)
    for i in range(meters):
        rng = np.random.default_rng([seed, i])
        size = rng.uniform(0.2, 40.0)
        full = rng.gamma(5, 0.2, offset + steps)[offset:]
        out[i] = size * shape * full
    return np.round(out, 4)


def pysam_run(load_kwh_year: np.ndarray) -> tuple[float, float, list[float]]:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from tests.rating.pysam_oracle import pysam_model

    load_kw = load_kwh_year * STEPS_PER_HOUR
    start = time.perf_counter()
    cpu_start = time.process_time()
    model = pysam_model(BENCH_RATE, load_kw)
    model.execute()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return elapsed, cpu, list(model.Outputs.year1_monthly_utility_bill_w_sys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=10_000)
    parser.add_argument("--pysam-sample", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20180101)
    args = parser.parse_args()

    t0 = time.perf_counter()
    loads = synthetic_loads(args.meters, JAN_STEPS, args.seed)
    gen_seconds = time.perf_counter() - t0
    epoch = YEAR_START + 900 * np.arange(JAN_STEPS)
    period = Period(date(2018, 1, 1), date(2018, 1, 31))

    runs = []
    cpu_runs = []
    materialise = []
    batch = None
    for _ in range(args.repeat):
        tariff = rating.urdb_to_tariff(BENCH_RATE)  # a fresh tariff: TOU masks are not cached between runs
        start = time.perf_counter()
        cpu_start = time.process_time()
        usage = rating.IntervalUsage(epoch=epoch, values=loads, interval_minutes=15, tz=TZ)
        batch = rating.rate_intervals(tariff, usage, [period])[0]
        totals = batch.total_cents
        runs.append(time.perf_counter() - start)
        cpu_runs.append(time.process_time() - cpu_start)
        start = time.perf_counter()
        bills = batch.bills()
        materialise.append(time.perf_counter() - start)
        assert len(bills) == args.meters and int(totals.sum()) > 0
    assert batch is not None
    best = min(runs)
    median = float(np.median(runs))

    # PySAM on a sample of the same meters (same January loads; the rest of the year from the same generator)
    sample = np.linspace(0, args.meters - 1, args.pysam_sample).astype(int)
    pysam_seconds = 0.0
    pysam_cpu = 0.0
    max_diff = 0.0
    for i in sample:
        rest = synthetic_loads(1, YEAR_STEPS - JAN_STEPS, args.seed + 1 + int(i), 0)[0]
        year = np.concatenate([loads[i], rest])
        elapsed, cpu, monthly = pysam_run(year)
        pysam_seconds += elapsed
        pysam_cpu += cpu
        ours = float(batch.bill(int(i)).total)
        max_diff = max(max_diff, abs(ours - monthly[0]))
    pysam_mm_per_s = 12 * len(sample) / pysam_seconds
    ours_mm_per_s = args.meters / median
    result = {
        "benchmark": "rating",
        "tariff": BENCH_RATE["label"],
        "meters": args.meters,
        "intervals_per_meter": JAN_STEPS,
        "interval_minutes": 15,
        "period": "2018-01-01..2018-01-31",
        "repeat": args.repeat,
        "ratepayer_seconds": [round(x, 4) for x in runs],
        "ratepayer_meter_months_per_second": round(ours_mm_per_s, 1),
        "ratepayer_meter_months_per_second_basis": "median of the runs (the first run includes building the TOU masks)",
        "ratepayer_meter_months_per_second_best": round(args.meters / best, 1),
        "ratepayer_materialise_decimal_bills_seconds": [round(x, 4) for x in materialise],
        "ratepayer_meter_months_per_second_including_decimal_bills": round(args.meters / (median + float(np.median(materialise))), 1),
        "pysam_sample_meters": len(sample),
        "pysam_seconds": round(pysam_seconds, 4),
        "pysam_meter_months_per_call": 12,
        "pysam_meter_months_per_second": round(pysam_mm_per_s, 1),
        "ratio": round(ours_mm_per_s / pysam_mm_per_s, 1),
        "ratio_including_decimal_bills": round(
            args.meters / (median + float(np.median(materialise))) / pysam_mm_per_s, 1
        ),
        "cpu_time": {
            "note": "process CPU time, less sensitive to other load on a shared machine",
            "ratepayer_cpu_seconds": [round(x, 4) for x in cpu_runs],
            "ratepayer_meter_months_per_cpu_second": round(args.meters / float(np.median(cpu_runs)), 1),
            "pysam_cpu_seconds": round(pysam_cpu, 4),
            "pysam_meter_months_per_cpu_second": round(12 * len(sample) / pysam_cpu, 1),
            "ratio": round((args.meters / float(np.median(cpu_runs))) / (12 * len(sample) / pysam_cpu), 1),
        },
        "load_average_1min": round(os.getloadavg()[0], 2),
        "max_abs_total_difference_vs_pysam_january": round(max_diff, 4),
        "load_generation_seconds": round(gen_seconds, 3),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__},
        "goal": {"meter_months_per_second": 20000, "ratio": 20},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
