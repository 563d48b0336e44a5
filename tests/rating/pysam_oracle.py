"""Test-only differential oracle: NREL PySAM Utilityrate5 on URDB rate objects.

``pysam_monthly(rate, load_kw, steps_per_hour)`` runs SAM's utility rate
model for one year (2018: non-leap, starts on a Monday, as SAM assumes) and
returns per-month charges by kind and the per-(period, tier) energy charges.
``urdb_family(n, seed)`` generates a deterministic family of URDB rates that
SAM can express: energy tiers (kWh, kWh daily, kWh/kW), TOU energy, flat and
TOU demand with tiers, $/month fixed and minimum charges.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
YEAR_START_EPOCH = 1514764800  # 2018-01-01T00:00:00Z, a Monday


def _tou_mat(structure: list[list[dict[str, Any]]], energy: bool) -> list[list[float]]:
    rows = []
    units = {"kWh": 0, "kWh/kW": 1, "kWh daily": 2}
    for p, tiers in enumerate(structure):
        for t, tier in enumerate(tiers):
            last = t == len(tiers) - 1
            mx = 1e38 if last or "max" not in tier else float(tier["max"])
            rate = float(tier.get("rate", 0)) + float(tier.get("adj", 0))
            if energy:
                rows.append([p + 1, t + 1, mx, units[tier.get("unit", "kWh")], rate, 0.0])
            else:
                rows.append([p + 1, t + 1, mx, rate])
    return rows


def pysam_model(rate: dict[str, Any], load_kw: np.ndarray):
    import PySAM.Utilityrate5 as ur5

    m = ur5.new()
    m.Lifetime.analysis_period = 1
    m.Lifetime.system_use_lifetime_output = 0
    m.Lifetime.inflation_rate = 0
    m.SystemOutput.gen = [0.0] * len(load_kw)
    m.SystemOutput.degradation = [0]
    m.Load.load = [float(x) for x in load_kw]
    m.Load.load_escalation = [0]
    e = m.ElectricityRates
    e.rate_escalation = [0]
    e.ur_metering_option = 0
    e.ur_monthly_fixed_charge = float(rate.get("fixedchargefirstmeter", 0) or 0)
    e.ur_monthly_min_charge = float(rate.get("mincharge", 0) or 0)
    e.ur_annual_min_charge = 0
    e.ur_nm_yearend_sell_rate = 0
    e.ur_sell_eq_buy = 0
    e.en_electricity_rates = 1
    e.ur_en_ts_sell_rate = 0
    e.ur_en_ts_buy_rate = 0
    e.ur_enable_billing_demand = 0
    e.ur_ec_tou_mat = _tou_mat(rate["energyratestructure"], True)
    e.ur_ec_sched_weekday = [[v + 1 for v in row] for row in rate["energyweekdayschedule"]]
    e.ur_ec_sched_weekend = [[v + 1 for v in row] for row in rate["energyweekendschedule"]]
    flat = rate.get("flatdemandstructure")
    tou = rate.get("demandratestructure")
    if flat or tou:
        e.ur_dc_enable = 1
        if flat:
            rows = []
            for month, p in enumerate(rate["flatdemandmonths"]):
                for t, tier in enumerate(flat[p]):
                    last = t == len(flat[p]) - 1
                    mx = 1e38 if last else float(tier["max"])
                    rows.append([month, t + 1, mx, float(tier.get("rate", 0)) + float(tier.get("adj", 0))])
            e.ur_dc_flat_mat = rows
        else:
            e.ur_dc_flat_mat = [[m, 1, 1e38, 0.0] for m in range(12)]
        if tou:
            e.ur_dc_tou_mat = _tou_mat(tou, False)
            e.ur_dc_sched_weekday = [[v + 1 for v in row] for row in rate["demandweekdayschedule"]]
            e.ur_dc_sched_weekend = [[v + 1 for v in row] for row in rate["demandweekendschedule"]]
        else:
            e.ur_dc_tou_mat = [[1, 1, 1e38, 0.0]]
            e.ur_dc_sched_weekday = [[1] * 24] * 12
            e.ur_dc_sched_weekend = [[1] * 24] * 12
    else:
        e.ur_dc_enable = 0
    return m


def pysam_monthly(rate: dict[str, Any], load_kw: np.ndarray) -> list[dict[str, Any]]:
    """Per month: energy, demand_flat, demand_tou, fixed, minimum, total, and
    energy_tp[(period, tier)] (0-based) for each month."""
    m = pysam_model(rate, load_kw)
    m.execute()
    o = m.Outputs
    out = []
    for i, name in enumerate(MONTHS):
        tp = getattr(o, f"charge_w_sys_ec_{name}_tp")
        cells = {}
        for r in range(1, len(tp) - 1):
            for c in range(1, len(tp[0]) - 1):
                cells[(int(tp[r][0]) - 1, int(tp[0][c]) - 1)] = tp[r][c]
        out.append(
            {
                "energy": o.charge_w_sys_ec_ym[1][i],
                "demand_flat": o.charge_w_sys_dc_fixed_ym[1][i],
                "demand_tou": o.charge_w_sys_dc_tou_ym[1][i],
                "fixed": o.charge_w_sys_fixed_ym[1][i],
                "minimum": o.charge_w_sys_minimum_ym[1][i],
                "total": o.utility_bill_w_sys_ym[1][i],
                "energy_tp": cells,
            }
        )
    return out


def _rate(rng: np.random.Generator, lo: float, hi: float, places: int = 5) -> float:
    return round(float(rng.uniform(lo, hi)), places)


def _schedule(rng: np.random.Generator, n: int, months_split: list[int]) -> tuple[list[list[int]], list[list[int]]]:
    """12 x 24 weekday/weekend schedules using periods 0..n-1 (all used)."""
    if n == 1:
        return [[0] * 24 for _ in range(12)], [[0] * 24 for _ in range(12)]
    wd, we = [], []
    for month in range(12):
        summer = months_split[month]
        start = int(rng.integers(6, 12)) if not summer else int(rng.integers(11, 15))
        end = min(24, start + int(rng.integers(3, 9)))
        row = [0] * 24
        for h in range(start, end):
            row[h] = 1
        if n >= 3:
            for h in range(max(0, start - 2), start):
                row[h] = 2
        wd.append(row)
        we.append([0] * 24 if n < 3 else [2 if 10 <= h < 14 else 0 for h in range(24)])
    # make sure each period appears somewhere (it does by construction)
    return wd, we


def urdb_family(n: int = 40, seed: int = 2018) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    family = []
    for k in range(n):
        months_split = [1 if 5 <= m + 1 <= 9 else 0 for m in range(12)]
        n_periods = int(rng.integers(1, 4))
        n_tiers = int(rng.integers(1, 4))
        unit = ["kWh", "kWh", "kWh daily", "kWh/kW"][int(rng.integers(0, 4))]
        if unit == "kWh":
            maxima = sorted(int(x) for x in rng.choice(np.arange(100, 2000, 50), n_tiers - 1, replace=False))
        elif unit == "kWh daily":
            maxima = sorted(int(x) for x in rng.choice(np.arange(5, 60, 1), n_tiers - 1, replace=False))
        else:
            maxima = sorted(int(x) for x in rng.choice(np.arange(100, 400, 10), n_tiers - 1, replace=False))
        structure = []
        for _ in range(n_periods):
            tiers = []
            for t in range(n_tiers):
                tier: dict[str, Any] = {"rate": _rate(rng, 0.03, 0.3), "unit": unit}
                if rng.random() < 0.3:
                    tier["adj"] = _rate(rng, -0.01, 0.02)
                if t < n_tiers - 1:
                    tier["max"] = maxima[t]
                tiers.append(tier)
            structure.append(tiers)
        wd, we = _schedule(rng, n_periods, months_split)
        rate: dict[str, Any] = {
            "label": f"family-{k:02d}",
            "name": f"Generated rate {k}",
            "energyratestructure": structure,
            "energyweekdayschedule": wd,
            "energyweekendschedule": we,
        }
        if rng.random() < 0.7:
            rate["fixedchargefirstmeter"] = _rate(rng, 0, 40, 2)
            rate["fixedchargeunits"] = "$/month"
        if rng.random() < 0.4:
            rate["mincharge"] = _rate(rng, 10, 400, 2)
            rate["minchargeunits"] = "$/month"
        if rng.random() < 0.5 or unit == "kWh/kW":
            n_flat = int(rng.integers(1, 3))
            flat = []
            for _ in range(n_flat):
                if rng.random() < 0.5:
                    flat.append([{"max": int(rng.integers(1, 5)), "rate": _rate(rng, 0, 5, 4)},
                                 {"rate": _rate(rng, 2, 15, 4)}])
                else:
                    flat.append([{"rate": _rate(rng, 1, 15, 4)}])
            rate["flatdemandstructure"] = flat
            rate["flatdemandmonths"] = [months_split[m] % n_flat for m in range(12)]
        if rng.random() < 0.5:
            n_dp = int(rng.integers(1, 3))
            tiered = rng.random() < 0.4
            dmax = int(rng.integers(1, 5))
            dstruct = []
            for _ in range(n_dp):
                if tiered:
                    dstruct.append([{"max": dmax, "rate": _rate(rng, 0, 4, 4)}, {"rate": _rate(rng, 1, 12, 4)}])
                else:
                    dstruct.append([{"rate": _rate(rng, 0.5, 12, 4)}])
            dwd, dwe = _schedule(rng, n_dp, months_split)
            rate["demandratestructure"] = dstruct
            rate["demandweekdayschedule"] = dwd
            rate["demandweekendschedule"] = dwe
        family.append(rate)
    return family


def hourly_load(seed: int, hours: int = 8760) -> np.ndarray:
    """A plausible hourly kWh load (daily and seasonal shape + noise), 3 places."""
    rng = np.random.default_rng(seed)
    h = np.arange(hours)
    hod = h % 24
    day = h // 24
    base = rng.uniform(0.3, 3.0)
    daily = 1 + 0.6 * np.sin((hod - 7) / 24 * 2 * np.pi) ** 2
    seasonal = 1 + 0.4 * np.cos(day / 365 * 2 * np.pi)
    noise = rng.gamma(4, 0.25, hours)
    load = base * daily * seasonal * noise
    if rng.random() < 0.2:
        load[rng.integers(0, hours, 20)] = 0.0
    return np.round(load, 3)
